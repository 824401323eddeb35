/* hash.h: streaming SHA-256 over OpenSSL's libcrypto. The caller owns the Sha256 object. */
#ifndef EBB_COMMON_HASH_H
#define EBB_COMMON_HASH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Sha256
{
	void *ctx; /* EVP_MD_CTX */
} Sha256;

void sha256_init(Sha256 *h);
void sha256_update(Sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL; frees the context. */
void sha256_final_hex(Sha256 *h, char out[65]);
void sha256_free(Sha256 *h);

#endif
