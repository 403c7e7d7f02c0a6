/* The header block a CGI program (git http-backend) writes before its body: "Name: value"
 * lines ended by an empty line, LF or CRLF; "Status: 404 Not Found" sets the status. */
#ifndef FERRY_SVC_CODECOMMIT_CGI_H
#define FERRY_SVC_CODECOMMIT_CGI_H
#include <stddef.h>

#define CGI_MAX_HEADERS 16

typedef struct cgi_header {
    const char *name, *value; /* into the parsed copy */
    size_t name_len, value_len;
} cgi_header;

typedef struct cgi_reply {
    int status; /* 200 unless a Status header says otherwise */
    cgi_header headers[CGI_MAX_HEADERS];
    size_t nheaders; /* Status is not among them */
    size_t body_off; /* where the body starts in the output */
} cgi_reply;

/* Parses out[0, n). 0, or -1 when the block is incomplete, malformed, or has more than
 * CGI_MAX_HEADERS headers (the program failed: the caller answers 500). */
int cgi_parse(const char *out, size_t n, cgi_reply *r);

#endif
