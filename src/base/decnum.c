#include "decnum.h"

#include <string.h>

/* limits of the range checks below, beyond which an exponent is only "too large" */
#define EXP_CLAMP 100000

static decnum_rc range(decnum *x)
{
    if (!x->n) {
        x->neg = 0;
        x->exp = 0;
        return DECNUM_OK;
    }
    if (x->exp > DECNUM_EXP_MAX) return DECNUM_OVERFLOW;
    if (x->exp < DECNUM_EXP_MIN) return DECNUM_UNDERFLOW;
    return DECNUM_OK;
}

decnum_rc decnum_parse(const char *s, size_t len, decnum *out)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) out->neg = s[i++] == '-';
    long point = -1, ndig = 0, first = -1, last = -1; /* indexes into the digit sequence */
    int seen = 0;
    for (; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (point >= 0) return DECNUM_SYNTAX;
            point = ndig;
            continue;
        }
        if (ch < '0' || ch > '9') break;
        seen = 1;
        if (ch != '0') {
            if (first < 0) first = ndig;
            last = ndig;
        }
        if (first >= 0 && ndig - first < DECNUM_DIGITS)
            out->d[ndig - first] = (unsigned char)(ch - '0');
        if (ndig < EXP_CLAMP) ndig++;
    }
    if (!seen) return DECNUM_SYNTAX;
    if (point < 0) point = ndig;
    long e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, edig = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, edig++)
            if (e < EXP_CLAMP) e = e * 10 + (s[i] - '0');
        if (!edig) return DECNUM_SYNTAX;
        if (eneg) e = -e;
    }
    if (i != len) return DECNUM_SYNTAX;
    if (first < 0) { /* zero, whatever its exponent */
        memset(out, 0, sizeof(*out));
        return DECNUM_OK;
    }
    if (last - first + 1 > DECNUM_DIGITS) return DECNUM_PRECISION;
    out->n = (int)(last - first + 1);
    out->exp = (int)(point - first - 1 + e);
    return range(out);
}

static int cmp_abs(const decnum *a, const decnum *b)
{
    if (!a->n || !b->n) return (a->n != 0) - (b->n != 0);
    if (a->exp != b->exp) return a->exp < b->exp ? -1 : 1;
    for (int i = 0; i < a->n || i < b->n; i++) {
        int x = i < a->n ? a->d[i] : 0, y = i < b->n ? b->d[i] : 0;
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

int decnum_cmp(const decnum *a, const decnum *b)
{
    int sa = a->n ? (a->neg ? -1 : 1) : 0, sb = b->n ? (b->neg ? -1 : 1) : 0;
    if (sa != sb) return sa < sb ? -1 : 1;
    int m = cmp_abs(a, b);
    return sa < 0 ? -m : m;
}

/* Room for two aligned operands across the whole range, and a carry. */
#define SPAN (DECNUM_EXP_MAX - DECNUM_EXP_MIN + 2 * DECNUM_DIGITS + 4)

/* Digit of x at decimal position p (10^p), 0 outside. */
static int digit_at(const decnum *x, int p)
{
    int i = x->exp - p;
    return i >= 0 && i < x->n ? x->d[i] : 0;
}

static decnum_rc add_signed(const decnum *a, const decnum *b, int bneg, decnum *out)
{
    if (!b->n) {
        *out = *a;
        return DECNUM_OK;
    }
    if (!a->n) {
        *out = *b;
        out->neg = bneg;
        return DECNUM_OK;
    }
    decnum bb = *b;
    bb.neg = bneg;
    int lo = a->exp - a->n + 1, lob = b->exp - b->n + 1;
    if (lob < lo) lo = lob;
    int hi = (a->exp > b->exp ? a->exp : b->exp) + 1; /* room for a carry */
    unsigned char r[SPAN];
    int w = hi - lo + 1;
    if (w > SPAN) return DECNUM_PRECISION;
    const decnum *big = a, *small = &bb;
    int subtract = a->neg != bb.neg;
    if (subtract && cmp_abs(a, &bb) < 0) big = &bb, small = a;
    int carry = 0;
    for (int p = lo; p <= hi; p++) {
        int v = subtract ? digit_at(big, p) - digit_at(small, p) - carry
                         : digit_at(big, p) + digit_at(small, p) + carry;
        carry = 0;
        if (v < 0) v += 10, carry = 1;
        if (v > 9) v -= 10, carry = 1;
        r[hi - p] = (unsigned char)v; /* r[0] is the most significant */
    }
    int f = 0, l = w - 1;
    while (f < w && !r[f]) f++;
    memset(out, 0, sizeof(*out));
    if (f == w) return DECNUM_OK; /* exactly zero */
    while (!r[l]) l--;
    if (l - f + 1 > DECNUM_DIGITS) return DECNUM_PRECISION;
    out->neg = big->neg;
    out->n = l - f + 1;
    out->exp = hi - f;
    memcpy(out->d, r + f, (size_t)out->n);
    return range(out);
}

decnum_rc decnum_add(const decnum *a, const decnum *b, decnum *out)
{
    return add_signed(a, b, b->neg, out);
}

decnum_rc decnum_sub(const decnum *a, const decnum *b, decnum *out)
{
    return add_signed(a, b, !b->neg, out);
}

void decnum_str(const decnum *a, char out[DECNUM_STR_MAX])
{
    char *p = out;
    if (!a->n) {
        strcpy(out, "0");
        return;
    }
    if (a->neg) *p++ = '-';
    if (a->exp < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > a->exp; i--) *p++ = '0';
        for (int i = 0; i < a->n; i++) *p++ = (char)('0' + a->d[i]);
    } else {
        for (int i = 0; i <= a->exp || i < a->n; i++) {
            if (i == a->exp + 1) *p++ = '.';
            *p++ = (char)('0' + (i < a->n ? a->d[i] : 0));
        }
    }
    *p = 0;
}

/* Negative numbers sort below zero ('1') below positive ('2'); within a sign, by exponent
 * (offset to three digits), then by digits. For negatives everything is inverted (9 - d)
 * and a terminator above every digit makes the longer (larger in magnitude) sort first. */
void decnum_sortkey(const decnum *a, char out[DECNUM_KEY_MAX])
{
    char *p = out;
    if (!a->n) {
        strcpy(out, "1");
        return;
    }
    int e = a->exp + 500; /* 370..625 */
    if (a->neg) e = 999 - e;
    *p++ = a->neg ? '0' : '2';
    *p++ = (char)('0' + e / 100);
    *p++ = (char)('0' + e / 10 % 10);
    *p++ = (char)('0' + e % 10);
    for (int i = 0; i < a->n; i++) *p++ = (char)('0' + (a->neg ? 9 - a->d[i] : a->d[i]));
    if (a->neg) *p++ = '~';
    *p = 0;
}

const char *decnum_message(decnum_rc rc)
{
    switch (rc) {
    case DECNUM_OK: return NULL;
    case DECNUM_SYNTAX: return "A value provided cannot be converted into a number";
    case DECNUM_PRECISION: return "Attempting to store more than 38 significant digits in a Number";
    case DECNUM_OVERFLOW:
        return "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range";
    default:
        return "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range";
    }
}
