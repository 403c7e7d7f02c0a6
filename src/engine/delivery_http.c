#include "delivery_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct req {
    void *item;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char err[CURL_ERROR_SIZE];
    struct req *next;
} req;

struct dhttp {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    req *queued; /* posted, not yet given to curl */
    req *active; /* in curl */
    int stop;
    dhttp_done_fn done;
    void *ud;
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

static void req_free(req *r)
{
    if (!r) return;
    if (r->easy) curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

static void unlink_active(dhttp *h, req *r)
{
    for (req **p = &h->active; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            return;
        }
    }
}

static void *run(void *arg)
{
    dhttp *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        req *q = NULL;
        for (req *r = h->queued, *n; r; r = n) { /* oldest first */
            n = r->next;
            r->next = q;
            q = r;
        }
        h->queued = NULL;
        int stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (stop) {
            /* shutdown: what was not delivered stays pending in the store */
            for (req *r = q, *n; r; r = n) {
                n = r->next;
                h->done(h->ud, r->item, -1, "abandoned at shutdown");
                req_free(r);
            }
            for (req *r = h->active, *n; r; r = n) {
                n = r->next;
                curl_multi_remove_handle(h->multi, r->easy);
                h->done(h->ud, r->item, -1, "abandoned at shutdown");
                req_free(r);
            }
            h->active = NULL;
            break;
        }
        for (req *r = q, *n; r; r = n) {
            n = r->next;
            if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
                h->done(h->ud, r->item, 0, "cannot start the request");
                req_free(r);
                continue;
            }
            r->next = h->active;
            h->active = r;
        }
        int running = 0;
        curl_multi_perform(h->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            req *r = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            long status = 0;
            if (m->data.result == CURLE_OK)
                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(h->multi, m->easy_handle);
            unlink_active(h, r);
            h->done(h->ud, r->item, status,
                    m->data.result == CURLE_OK ? ""
                    : r->err[0]                ? r->err
                                               : curl_easy_strerror(m->data.result));
            req_free(r);
        }
        curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

dhttp *dhttp_new(dhttp_done_fn done, void *ud, ferr *e)
{
    dhttp *h = calloc(1, sizeof(*h));
    if (!h) {
        ferr_oom(e);
        return NULL;
    }
    h->done = done;
    h->ud = ud;
    h->multi = curl_multi_init();
    pthread_mutex_init(&h->mu, NULL);
    if (!h->multi || pthread_create(&h->thread, NULL, run, h)) {
        if (h->multi) curl_multi_cleanup(h->multi);
        pthread_mutex_destroy(&h->mu);
        free(h);
        ferr_internal(e, "cannot start the HTTP delivery thread");
        return NULL;
    }
    return h;
}

void dhttp_free(dhttp *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_mutex_unlock(&h->mu);
    curl_multi_wakeup(h->multi);
    pthread_join(h->thread, NULL);
    curl_multi_cleanup(h->multi);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int dhttp_post(dhttp *h, void *item, const char *url, const char *body, size_t len,
               const char *const *headers, size_t nheaders)
{
    req *r = calloc(1, sizeof(*r));
    if (!r) return -1;
    r->item = item;
    r->body = malloc(len + 1);
    r->easy = curl_easy_init();
    if (!r->body || !r->easy) {
        req_free(r);
        return -1;
    }
    memcpy(r->body, body, len);
    r->body[len] = 0;
    for (size_t i = 0; i < nheaders; i++) {
        struct curl_slist *n = curl_slist_append(r->headers, headers[i]);
        if (!n) {
            req_free(r);
            return -1;
        }
        r->headers = n;
    }
    struct curl_slist *n = curl_slist_append(r->headers, "Expect:");
    if (n) r->headers = n;
    CURL *c = r->easy;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Amazon Simple Notification Service Agent");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)DHTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->err);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    pthread_mutex_lock(&h->mu);
    int stopped = h->stop;
    if (!stopped) {
        r->next = h->queued;
        h->queued = r;
    }
    pthread_mutex_unlock(&h->mu);
    if (stopped) {
        req_free(r);
        return -1;
    }
    curl_multi_wakeup(h->multi);
    return 0;
}
