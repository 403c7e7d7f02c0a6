/* Decimal numbers as DynamoDB defines them: up to 38 significant digits, magnitudes from
 * 1E-130 to 9.99...E+125, exact (never doubles). Values are small structs, no allocation. */
#ifndef FERRY_DECNUM_H
#define FERRY_DECNUM_H
#include <stddef.h>

#define DECNUM_DIGITS  38
#define DECNUM_EXP_MIN (-130)
#define DECNUM_EXP_MAX 125
/* the longest canonical text: sign, "0.", 129 zeros, 38 digits (or 126 integer digits) */
#define DECNUM_STR_MAX 176
/* the longest order-preserving key (decnum_sortkey) */
#define DECNUM_KEY_MAX 48

/* value = (neg ? -1 : 1) * d[0].d[1]...d[n-1] * 10^exp; n == 0 is zero. d[0] != 0 and
 * d[n-1] != 0 (normalized: no leading or trailing zeros). */
typedef struct decnum {
    int neg;
    int n;
    int exp;
    unsigned char d[DECNUM_DIGITS];
} decnum;

typedef enum {
    DECNUM_OK = 0,
    DECNUM_SYNTAX,    /* not a number */
    DECNUM_PRECISION, /* more than 38 significant digits */
    DECNUM_OVERFLOW,  /* magnitude above 9.99...E+125 */
    DECNUM_UNDERFLOW, /* magnitude below 1E-130 (and not zero) */
} decnum_rc;

/* Parses s (len bytes): [+-]digits[.digits][(e|E)[+-]digits], or .digits. */
decnum_rc decnum_parse(const char *s, size_t len, decnum *out);
/* <0, 0, >0 */
int decnum_cmp(const decnum *a, const decnum *b);
/* *out = a + b (or a - b): exact, or DECNUM_PRECISION/OVERFLOW/UNDERFLOW. */
decnum_rc decnum_add(const decnum *a, const decnum *b, decnum *out);
decnum_rc decnum_sub(const decnum *a, const decnum *b, decnum *out);
/* Canonical text, plain notation ("1.5", "-0.001", "100"): out has DECNUM_STR_MAX bytes. */
void decnum_str(const decnum *a, char out[DECNUM_STR_MAX]);
/* A printable key whose byte order (strcmp) is the numbers' order. */
void decnum_sortkey(const decnum *a, char out[DECNUM_KEY_MAX]);
/* The error message DynamoDB gives for rc (NULL for DECNUM_OK). */
const char *decnum_message(decnum_rc rc);

#endif
