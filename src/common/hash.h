/* hash.h: SHA-256 (streaming) and MD5 over OpenSSL's libcrypto. The caller owns the Sha256 object.
 */
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
void sha256_hex_of(const void *data, size_t len, char out[65]);

/* MD5, only where a protocol demands it (S3's Content-MD5 and ETags), never for integrity
 * on its own: the archive's checksum is SHA-256. */
void md5_of(const void *data, size_t len, unsigned char out[16]);
void md5_hex(const unsigned char md5[16], char out[33]);
void md5_base64(const unsigned char md5[16], char out[25]);

/* HMAC-SHA256 (Azure's Shared Key signatures). */
void hash_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
					  unsigned char out[32]);
/* Standard base64 with padding, NUL-terminated: out holds 4 * ((len + 2) / 3) + 1 bytes. */
void hash_base64_encode(const void *data, size_t len, char *out);
/* Decodes standard base64 (padding required) into out (3 * strlen(in) / 4 bytes at most);
 * false when in is not base64. *out_len is the decoded length. */
bool hash_base64_decode(const char *in, unsigned char *out, size_t *out_len);

typedef struct Md5
{
	void *ctx; /* EVP_MD_CTX */
} Md5;

void md5_init(Md5 *h);
void md5_update(Md5 *h, const void *data, size_t len);
/* Writes the 16-byte digest; frees the context. */
void md5_final(Md5 *h, unsigned char out[16]);
void md5_free(Md5 *h);

#endif
