/* libFuzzer target: the slots of blob segment files (src/store/blob_segs.c), as a damaged or
 * foreign data directory would hand them to the server. The input becomes a segment file;
 * its first slot's header names the id read back (else a fixed one), and a sweep walks the
 * file (every other run with the file made old, so slots without a header are punched and
 * an empty file removed). What a read gives must match the header's size and be the bytes
 * after it. Seeds: fuzz/corpus/blobseg_fuzz/. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/blob.h"

#define TOKEN "00000000000000aa"

static blob_store *bs;
static char seg[512];

static int kept(void *ud, const char *id, int *yes, ferr *e)
{
    (void)ud, (void)id, (void)e;
    *yes = 1; /* nothing is removed for being unreferenced: the file is the input */
    return 0;
}

static char top[] = "/tmp/ferry-blobseg-fuzz-XXXXXX";

static void cleanup(void)
{
    blob_store_close(bs);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    if (system(cmd)) return;
}

static void setup(void)
{
    char dir[256];
    if (!mkdtemp(top)) abort();
    atexit(cleanup);
    snprintf(dir, sizeof(dir), "%s/blobs", top);
    ferr e = {0};
    unsetenv("FERRY_BLOB_SLOTS");
    if (!(bs = blob_store_open(NULL, dir, STORE_SYNC_NORMAL, &e))) abort();
    snprintf(seg, sizeof(seg), "%s/seg/" TOKEN, dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!bs) setup();
    if (size > 3 * 65536) return 0;
    int fd = open(seg, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) abort();
    if (size && data[size - 1] & 1) { /* old: the sweep may punch and remove */
        struct timespec ts[2] = {{0, 0}, {0, 0}};
        futimens(fd, ts);
    }
    close(fd);
    char id[BLOB_ID_LEN + 1] = "00000000"
                               "00000000" TOKEN;
    int hex = size >= 40;
    for (int i = 0; hex && i < BLOB_ID_LEN; i++)
        hex = (data[8 + i] >= '0' && data[8 + i] <= '9') ||
              (data[8 + i] >= 'a' && data[8 + i] <= 'f');
    if (hex) {
        memcpy(id, data + 8, BLOB_ID_LEN);
        memcpy(id + 16, TOKEN, 16); /* the segment is this file */
    }
    ferr e = {0};
    blob_reader *r;
    int rc = blob_reader_new(bs, id, NULL, 0, BLOB_TO_END, &r, &e);
    if (rc == 1) {
        unsigned char buf[4096];
        uint64_t have = 0, want = blob_reader_size(r);
        size_t got;
        char slot[9] = {0};
        memcpy(slot, id + 8, 8);
        uint64_t at = strtoull(slot, NULL, 16) * 65536;
        while (blob_read(r, buf, sizeof(buf), &got, &e) == 0 && got) {
            if (at + 64 + have + got > size || memcmp(buf, data + at + 64 + have, got)) abort();
            have += got;
        }
        if (have != want) abort();
        blob_reader_free(r);
    }
    blob_sweep_stats st;
    blob_sweep(bs, 1e12, 0, kept, NULL, &st, &e);
    return 0;
}
