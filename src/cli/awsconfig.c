#include "awsconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    buf b;
    buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) buf_put(&b, tmp, n);
    fclose(f);
    return buf_take(&b);
}

/* Section name of a header line ("[profile x]" in config -> "x"), or NULL. */
static int section_of(const char *line, size_t len, int is_config, char *out, size_t outn)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
    if (len < 2 || line[0] != '[' || line[len - 1] != ']') return 0;
    const char *s = line + 1;
    size_t n = len - 2;
    while (n && *s == ' ') s++, n--;
    if (is_config && n > 8 && !strncmp(s, "profile ", 8)) s += 8, n -= 8;
    while (n && s[n - 1] == ' ') n--;
    snprintf(out, outn, "%.*s", (int)n, s);
    return 1;
}

static int owned(const char *name, const aws_profile *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, p[i].name)) return 1;
    return 0;
}

/* Old content minus the sections we are about to write. */
void awsconfig_keep_others(buf *out, const char *old, int is_config, const aws_profile *p, size_t n)
{
    int skipping = 0;
    for (const char *line = old; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char name[256];
        if (section_of(line, len, is_config, name, sizeof(name))) skipping = owned(name, p, n);
        if (!skipping) {
            buf_put(out, line, len);
            buf_putc(out, '\n');
        }
        line = nl ? nl + 1 : NULL;
    }
    /* one blank line between the user's sections and ours */
    while (out->len >= 2 && out->p[out->len - 1] == '\n' && out->p[out->len - 2] == '\n')
        out->p[--out->len] = 0;
    if (out->len) buf_putc(out, '\n');
}

static int write_file(const char *path, buf *b, mode_t mode)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.ferry-tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    chmod(tmp, mode);
    size_t ok = fwrite(buf_str(b), 1, b->len, f) == b->len;
    if (fclose(f) || !ok || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int awsconfig_write(const char *dir, const aws_profile *p, size_t n)
{
    char cpath[4096], kpath[4096];
    if (mkdir(dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "ferry: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(cpath, sizeof(cpath), "%s/config", dir);
    snprintf(kpath, sizeof(kpath), "%s/credentials", dir);
    char *oldc = slurp(cpath), *oldk = slurp(kpath);
    buf c, k;
    buf_init(&c, 0);
    buf_init(&k, 0);
    awsconfig_keep_others(&c, oldc, 1, p, n);
    awsconfig_keep_others(&k, oldk, 0, p, n);
    free(oldc);
    free(oldk);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "default"))
            buf_puts(&c, "[default]\n");
        else
            buf_printf(&c, "[profile %s]\n", p[i].name);
        /* SDKs that still presign S3 URLs with Signature Version 2 (Debian's botocore) are
         * told to use SigV4, which is all ferry (and AWS, for buckets since 2020) accepts */
        buf_printf(&c, "region = %s\noutput = json\ns3 =\n    signature_version = s3v4\n",
                   p[i].region);
        if (p[i].endpoint_url) buf_printf(&c, "endpoint_url = %s\n", p[i].endpoint_url);
        if (p[i].role_arn)
            buf_printf(&c, "role_arn = %s\nsource_profile = %s\n", p[i].role_arn,
                       p[i].source_profile);
        buf_putc(&c, '\n');
        if (p[i].access_key_id)
            buf_printf(&k, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n",
                       p[i].name, p[i].access_key_id, p[i].secret_access_key);
    }
    int rc = 0;
    if (write_file(cpath, &c, 0600) || write_file(kpath, &k, 0600)) {
        fprintf(stderr, "ferry: cannot write AWS profiles in %s: %s\n", dir, strerror(errno));
        rc = -1;
    }
    buf_dispose(&c);
    buf_dispose(&k);
    return rc;
}
