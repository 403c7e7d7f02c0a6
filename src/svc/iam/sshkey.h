/* SSH public keys as IAM takes them (UploadSSHPublicKey): OpenSSH's one-line "ssh-rsa
 * BASE64 [comment]" or a PEM public key, RSA of at least 2048 bits. */
#ifndef FERRY_SVC_IAM_SSHKEY_H
#define FERRY_SVC_IAM_SSHKEY_H
#include <stddef.h>

#include "base/arena.h"

enum { SSHKEY_OK = 0, SSHKEY_ENCODING = 1, SSHKEY_INVALID = 2 };
/* Parses text (n bytes); on SSHKEY_OK fp gets AWS's fingerprint, the MD5 of the key's SSH
 * wire form as colon-separated hex. SSHKEY_ENCODING: neither form; SSHKEY_INVALID: the
 * form but not a usable RSA key. */
int sshkey_parse(arena *a, const char *text, size_t n, char fp[48]);

#endif
