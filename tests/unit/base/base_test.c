/* base/: arena, buf, enc, clock, ids, yaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/yaml.h"

static int hook_runs;
static void hook(void *p)
{
    hook_runs += *(int *)p;
}

static void test_arena(void **st)
{
    (void)st;
    arena *a = arena_new(64);
    char *p = arena_alloc(a, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    for (int i = 0; i < 10; i++) assert_int_equal(p[i], 0);
    char *big = arena_alloc(a, 10000); /* larger than a chunk */
    memset(big, 1, 10000);
    char *after = arena_alloc(a, 8); /* the current chunk's space stays usable */
    assert_non_null(after);
    assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
    /* only strings: joined directly, as printf would */
    assert_string_equal(arena_printf(a, "arn:%s:kms:%s:key/%s", "aws", "us-east-1", "k"),
                        "arn:aws:kms:us-east-1:key/k");
    assert_string_equal(arena_printf(a, "100%% %s%s|%%s", "", "b"), "100% b|%s");
    assert_string_equal(arena_printf(a, "plain"), "plain");
    const char *volatile none = NULL; /* glibc's text for it (and no warning at build) */
    assert_string_equal(arena_printf(a, "[%s]", none), "[(null)]");
    assert_string_equal(arena_printf(a, "%s%5s", "a", "b"), "a    b"); /* a width: vsnprintf's */
    assert_string_equal(arena_strndup(a, "hello", 3), "hel");
    assert_null(arena_strdup(a, NULL));
    static int one = 1, two = 2;
    assert_int_equal(arena_defer(a, hook, &one), 0);
    assert_int_equal(arena_defer(a, hook, &two), 0);
    assert_true(arena_used(a) >= 10016);
    arena_free(a);
    assert_int_equal(hook_runs, 3);
    arena_free(NULL);
}

/* arena_defer_json holds the reference until arena_free; arena_own releases at once what it
 * cannot hold (here: no arena), so a failed hand-over leaks nothing. */
static void test_arena_own(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    json_t *doc = json_pack("{s:i}", "n", 1);
    assert_ptr_equal(arena_defer_json(a, json_incref(doc)), doc);
    assert_int_equal(doc->refcount, 2);
    assert_null(arena_defer_json(a, NULL));
    arena_free(a);
    assert_int_equal(doc->refcount, 1);
    assert_null(arena_defer_json(NULL, json_incref(doc)));
    assert_int_equal(doc->refcount, 1);
    json_decref(doc);
    static int four = 4;
    hook_runs = 0;
    assert_null(arena_own(NULL, hook, &four));
    assert_int_equal(hook_runs, 4);
}

static void test_buf(void **st)
{
    (void)st;
    buf b;
    buf_init(&b, 8);
    assert_string_equal(buf_str(&b), "");
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "%d", 12345), 0);
    assert_string_equal(buf_str(&b), "abc12345");
    assert_int_equal(buf_putc(&b, 'x'), -1); /* cap reached */
    assert_true(b.failed);
    assert_int_equal(buf_puts(&b, ""), -1); /* stays failed */
    buf_reset(&b);
    assert_int_equal(buf_puts(&b, "ok"), 0);
    char *s = buf_take(&b);
    assert_string_equal(s, "ok");
    free(s);
    buf_dispose(&b);
}

static void test_enc(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    char hex[65];
    enc_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char md5[33];
    enc_md5_hex("hello", 5, md5);
    assert_string_equal(md5, "5d41402abc4b2a76b9719d911017c592");
    assert_string_equal(enc_b64(a, (const unsigned char *)"hello!?", 7), "aGVsbG8hPw==");
    size_t n;
    unsigned char *d = enc_unb64(a, "aGVsbG8hPw==", 12, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(d, "hello!?", 7);
    assert_null(enc_unb64(a, "a$==", 4, &n));
    assert_null(enc_unb64(a, "a", 1, &n));
    /* enc_b64_valid says what enc_unb64 would do */
    const char *b64s[] = {
        "aGVsbG8hPw==", "a$==", "a", "", "====", "ab", "abc", "abcde", "ab=c", "a-_b"};
    for (size_t i = 0; i < sizeof(b64s) / sizeof(b64s[0]); i++)
        assert_int_equal(enc_b64_valid(b64s[i], strlen(b64s[i])),
                         enc_unb64(a, b64s[i], strlen(b64s[i]), &n) != NULL);
    unsigned char raw[3];
    assert_int_equal(enc_unhex("00fFa9", raw, 3), 0);
    assert_true(raw[0] == 0 && raw[1] == 0xff && raw[2] == 0xa9);
    assert_int_equal(enc_unhex("00ff", raw, 3), -1);    /* too short */
    assert_int_equal(enc_unhex("00ffa9b", raw, 3), -1); /* too long */
    assert_int_equal(enc_unhex("0g0000", raw, 3), -1);  /* not hex */
    assert_string_equal(enc_url_decode(a, "a%20b+c", 7, 1, &n), "a b c");
    assert_string_equal(enc_url_decode(a, "a%20b+c", 7, 0, &n), "a b+c");
    assert_null(enc_url_decode(a, "bad%2", 5, 0, &n));
    assert_null(enc_url_decode(a, "bad%zz", 6, 0, &n));
    assert_string_equal(enc_url_encode(a, "a b/~é", strlen("a b/~é"), 1), "a%20b/~%C3%A9");
    assert_string_equal(enc_url_encode(a, "a/b", 3, 0), "a%2Fb");
    assert_true(enc_utf8_valid("héllo €", strlen("héllo €")));
    assert_false(enc_utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(enc_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(enc_utf8_valid("\xe2\x82", 2));     /* truncated */
    assert_true(enc_ct_equal("abc", "abc"));
    assert_false(enc_ct_equal("abc", "abd"));
    assert_false(enc_ct_equal("abc", "abcd"));
    arena_free(a);
}

static void test_clock(void **st)
{
    (void)st;
    double t;
    assert_int_equal(clock_parse("2015-08-30T12:36:00Z", &t), 0);
    assert_true(t == 1440938160.0);
    assert_int_equal(clock_parse("20150830T123600Z", &t), 0);
    assert_true(t == 1440938160.0);
    assert_int_equal(clock_parse("2015-08-30T14:36:00.5+02:00", &t), 0);
    assert_true(t == 1440938160.5);
    assert_int_equal(clock_parse("Sun, 30 Aug 2015 12:36:00 GMT", &t), 0);
    assert_true(t == 1440938160.0);
    assert_int_equal(clock_parse("1440938160.25", &t), 0);
    assert_true(t == 1440938160.25);
    assert_int_equal(clock_parse("2015-08-30", &t), 0);
    assert_int_equal(clock_parse("nan", &t), -1);
    assert_int_equal(clock_parse("inf", &t), -1);
    assert_int_equal(clock_parse("0x10", &t), -1);
    assert_int_equal(clock_parse("2015-13-30T00:00:00Z", &t), -1);
    assert_int_equal(clock_parse("", &t), -1);
    char out[32];
    clock_iso8601(1440938160.25, 1, out);
    assert_string_equal(out, "2015-08-30T12:36:00.250Z");
    clock_iso8601(1440938160.25, 0, out);
    assert_string_equal(out, "2015-08-30T12:36:00Z");
    char amz[17];
    clock_amz(1440938160, amz);
    assert_string_equal(amz, "20150830T123600Z");
}

/* clock_utc against timegm: every day of 1899-2401 at a few times, and fields past their
 * range, which both count on */
static void test_clock_utc(void **st)
{
    (void)st;
    for (int y = 1899; y <= 2401; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                struct tm tm = {.tm_year = y - 1900,
                                .tm_mon = m - 1,
                                .tm_mday = d,
                                .tm_hour = d % 24,
                                .tm_min = (d * 7) % 60,
                                .tm_sec = d % 61};
                int64_t want = (int64_t)timegm(&tm);
                assert_int_equal(clock_utc(y, m, d, d % 24, (d * 7) % 60, d % 61), want);
            }
    struct tm feb30 = {.tm_year = 125, .tm_mon = 1, .tm_mday = 30};
    assert_int_equal(clock_utc(2025, 2, 30, 0, 0, 0), (int64_t)timegm(&feb30));
    struct tm leap =
        {.tm_year = 116, .tm_mon = 11, .tm_mday = 31, .tm_hour = 23, .tm_min = 59, .tm_sec = 60};
    assert_int_equal(clock_utc(2016, 12, 31, 23, 59, 60), (int64_t)timegm(&leap));
    assert_int_equal(clock_utc(1970, 1, 1, 0, 0, 0), 0);
}

static void test_ids(void **st)
{
    (void)st;
    char u[37], k[21], acct[13], sec[41];
    ids_uuid(u);
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '4');
    assert_true(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
    assert_non_null(strchr("89ab", u[19]));
    /* many in a row (past a refill of the per-thread block) are all different */
    static char many[600][37];
    for (int i = 0; i < 600; i++) {
        ids_uuid(many[i]);
        assert_int_equal(strspn(many[i], "0123456789abcdef-"), 36);
        for (int j = 0; j < i; j++) assert_string_not_equal(many[i], many[j]);
    }
    /* version 7: later times sort later (the audit trail's event id index appends) */
    char a[37], b[37];
    ids_uuid7(a, 1764800000.123);
    ids_uuid7(b, 1764800000.124);
    assert_int_equal(strlen(a), 36);
    assert_true(a[14] == '7' && a[8] == '-' && a[23] == '-');
    assert_non_null(strchr("89ab", a[19]));
    assert_memory_equal(a, "019a", 4); /* 1764800000123 ms = 0x019ae... */
    assert_true(strcmp(a, b) < 0);
    ids_aws("AKIA", 16, k);
    assert_int_equal(strlen(k), 20);
    assert_memory_equal(k, "AKIA", 4);
    ids_account(acct);
    assert_int_equal(strlen(acct), 12);
    assert_true(acct[0] != '0');
    assert_int_equal(strspn(acct, "0123456789"), 12);
    ids_secret(sec);
    assert_int_equal(strlen(sec), 40);
}

/* a forked child takes fresh randomness: it does not hand out the parent's next ids */
static void test_ids_after_fork(void **st)
{
    (void)st;
    char first[37], parent[37], child[37] = "";
    ids_uuid(first); /* the thread's block is filled */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ids_uuid(child);
        _exit(write(fd[1], child, 37) == 37 ? 0 : 1);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], child, 37), 37);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ids_uuid(parent);
    assert_int_equal(strlen(child), 36);
    assert_string_not_equal(child, parent);
}

static void test_yaml(void **st)
{
    (void)st;
    ferr e = {0};
    const char *y = "a: 1\nb: [x, 2.5, true, null, '3']\nc: {d: e}\nf: &r [1]\ng: *r\n";
    json_t *j = yaml_to_json(y, strlen(y), &e);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    json_t *b = json_object_get(j, "b");
    assert_string_equal(json_string_value(json_array_get(b, 0)), "x");
    assert_true(json_is_real(json_array_get(b, 1)));
    assert_true(json_is_true(json_array_get(b, 2)));
    assert_true(json_is_null(json_array_get(b, 3)));
    assert_string_equal(json_string_value(json_array_get(b, 4)), "3"); /* quoted stays a string */
    assert_true(json_equal(json_object_get(j, "f"), json_object_get(j, "g")));
    json_decref(j);
    assert_null(yaml_to_json("a: [1, 2\n", 9, &e));
    assert_string_equal(e.code, "ValidationError");
    assert_non_null(strstr(e.message, "line"));
    /* a billion laughs fails instead of exhausting memory */
    const char *bomb =
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
    assert_null(yaml_to_json(bomb, strlen(bomb), &e));
}

/* The alias bomb (23 KB: a 20,000-character anchored string, 1,000 times in an
 * anchored list, that list 40 times: 800 MB expanded) is refused by its expanded bytes long
 * before the node cap, in both modes; a document just under the bound converts. */
static char *alias_doc(size_t slen, int refs, int lists)
{
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "Description: &s ");
    for (size_t i = 0; i < slen; i++) buf_putc(&b, 'x');
    buf_puts(&b, "\nl: &l [");
    for (int i = 0; i < refs; i++) buf_puts(&b, i ? ", *s" : "*s");
    buf_puts(&b, "]\nm: [");
    for (int i = 0; i < lists; i++) buf_puts(&b, i ? ", *l" : "*l");
    buf_puts(&b, "]\n");
    assert_false(b.failed);
    char *s = strdup(buf_str(&b));
    buf_dispose(&b);
    return s;
}

static void test_yaml_bytes(void **st)
{
    (void)st;
    ferr e = {0};
    char *bomb = alias_doc(20000, 1000, 40);
    assert_true(strlen(bomb) < 30000);
    assert_null(yaml_to_json_opts(bomb, strlen(bomb), YAML_CFN, &e));
    assert_string_equal(e.code, "ValidationError");
    assert_int_equal(e.status, 400);
    assert_non_null(strstr(e.message, "Template format error: "));
    assert_non_null(strstr(e.message, "bytes"));
    ferr_clear(&e);
    assert_null(yaml_to_json(bomb, strlen(bomb), &e));
    assert_non_null(strstr(e.message, "bytes"));
    assert_null(strstr(e.message, "Template format error"));
    free(bomb);
    ferr_clear(&e);
    /* 1,000 x 1,000 x 4 = 4 MB expanded: legitimate use of anchors, under the bound */
    char *ok = alias_doc(1000, 1000, 3);
    json_t *j = yaml_to_json_opts(ok, strlen(ok), YAML_CFN, &e);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "m")), 3);
    json_decref(j);
    free(ok);
    /* keys count too: an anchored mapping with a 100 KB key, aliased 100 times */
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "a: &a\n  ? "); /* an explicit key: an implicit one stops at 1,024 */
    for (int i = 0; i < 100000; i++) buf_putc(&b, 'k');
    buf_puts(&b, "\n  : 1\nb: [");
    for (int i = 0; i < 100; i++) buf_puts(&b, i ? ", *a" : "*a");
    buf_puts(&b, "]\n");
    assert_false(b.failed);
    assert_null(yaml_to_json(b.p, b.len, &e));
    assert_non_null(strstr(e.message, "bytes"));
    buf_dispose(&b);
}

/* A "\0" escape would put a NUL in a value every C string cuts: refused, value or key. */
static void test_yaml_nul(void **st)
{
    (void)st;
    ferr e = {0};
    const char *docs[] = {"QueueName: \"bad\\0name\"\n", "\"k\\0x\": 1\n", "a: !Sub \"x\\0y\"\n"};
    for (size_t i = 0; i < 3; i++) {
        ferr_clear(&e);
        assert_null(yaml_to_json_opts(docs[i], strlen(docs[i]), YAML_CFN, &e));
        assert_string_equal(e.code, "ValidationError");
        assert_non_null(strstr(e.message, "Template format error: a YAML scalar contains a null "
                                          "character (line 1"));
    }
}

/* Plain scalars by the core schema, leading zeros kept as text (base/yaml.h). */
static void test_yaml_scalars(void **st)
{
    (void)st;
    static const struct {
        const char *in, *out; /* out: the value as compact JSON */
    } cases[] = {
        {"123456789012", "123456789012"},
        {"012345678901", "\"012345678901\""},
        {"0300", "\"0300\""},
        {"0", "0"},
        {"-17", "-17"},
        {"+3", "3"},
        {"0x1F", "31"},
        {"0o17", "15"},
        {"0b1", "\"0b1\""},
        {"2.5", "2.5"},
        {"0.5", "0.5"},
        {"-.5", "-0.5"},
        {"1e3", "1000.0"},
        {"1.", "1.0"},
        {".", "\".\""},
        {"1e", "\"1e\""},
        {"99999999999999999999", "\"99999999999999999999\""},
        {".inf", "\".inf\""},
        {"true", "true"},
        {"TRUE", "true"},
        {"False", "false"},
        {"yes", "\"yes\""},
        {"~", "null"},
        {"Null", "null"},
        {"", "null"},
        {"1-2", "\"1-2\""},
        {"2010-09-09", "\"2010-09-09\""},
        {"-", "\"-\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = yaml_plain_scalar(cases[i].in, strlen(cases[i].in));
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (strcmp(s, cases[i].out)) fail_msg("%s -> %s, want %s", cases[i].in, s, cases[i].out);
        free(s);
        json_decref(v);
    }
    /* quoted stays text; a config's unquoted ids come through whole */
    ferr e = {0};
    const char *y = "a: '0300'\nb: \"true\"\nid: 123456789012\nz: 000000000001\n";
    json_t *j = yaml_to_json(y, strlen(y), &e);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(
        s, "{\"a\":\"0300\",\"b\":\"true\",\"id\":123456789012,\"z\":\"000000000001\"}");
    free(s);
    json_decref(j);
    /* tags are ignored without YAML_CFN, short forms with it */
    j = yaml_to_json("a: !Ref b\n", 10, &e);
    assert_string_equal(json_string_value(json_object_get(j, "a")), "b");
    json_decref(j);
    j = yaml_to_json_opts("a: !Ref b\n", 10, YAML_CFN, &e);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "a"), "Ref")), "b");
    json_decref(j);
    assert_null(yaml_to_json_opts("a: [\n", 5, YAML_CFN, &e));
    assert_non_null(strstr(e.message, "Template format error: YAML not well-formed. (line 2"));
    /* an empty document is null */
    j = yaml_to_json("", 0, &e);
    assert_true(json_is_null(j));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),      cmocka_unit_test(test_arena_own),
        cmocka_unit_test(test_buf),        cmocka_unit_test(test_enc),
        cmocka_unit_test(test_clock),      cmocka_unit_test(test_clock_utc),
        cmocka_unit_test(test_ids),        cmocka_unit_test(test_ids_after_fork),
        cmocka_unit_test(test_yaml),       cmocka_unit_test(test_yaml_scalars),
        cmocka_unit_test(test_yaml_bytes), cmocka_unit_test(test_yaml_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
