/* CGI response headers (RFC 3875 section 6): see cgi.h. */
#include "cgi.h"

#include <string.h>
#include <strings.h>

int cgi_parse(const char *out, size_t n, cgi_reply *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    size_t i = 0;
    for (;;) {
        const char *nl = memchr(out + i, '\n', n - i);
        if (!nl) return -1; /* no empty line: the block never ended */
        size_t end = (size_t)(nl - out), len = end - i;
        if (len && out[end - 1] == '\r') len--;
        if (!len) {
            r->body_off = end + 1;
            return 0;
        }
        const char *line = out + i, *colon = memchr(line, ':', len);
        if (!colon || colon == line) return -1;
        size_t nl_len = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vl = len - nl_len - 1;
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        for (size_t k = 0; k < nl_len; k++)
            if (line[k] <= ' ' || line[k] >= 127) return -1;
        if (nl_len == 6 && !strncasecmp(line, "Status", 6)) {
            int s = 0;
            size_t k = 0;
            for (; k < vl && k < 3 && v[k] >= '0' && v[k] <= '9'; k++) s = s * 10 + (v[k] - '0');
            if (k != 3 || s < 100) return -1;
            r->status = s;
        } else {
            if (r->nheaders == CGI_MAX_HEADERS) return -1;
            r->headers[r->nheaders++] = (cgi_header){line, v, nl_len, vl};
        }
        i = end + 1;
    }
}
