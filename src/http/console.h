/* ferry's web console (console/): its page, script and style sheet, built by esbuild at build
 * time and embedded in the binary (CMakeLists.txt), served under /_ferry/console/. They are
 * public files and the console has no power of its own: the browser signs every API call
 * with the credentials its user types, as any client does. */
#ifndef FERRY_CONSOLE_H
#define FERRY_CONSOLE_H
#include "proto/codec.h"

/* 1 when r is for the console (resp filled: an asset, 304, 301 to the slash, 404 or 405),
 * else 0. */
int console_serve(arena *a, const hreq *r, proto_response *resp);

#endif
