#include "common/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

void
sha256_init(Sha256 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
	{
		fputs("ebb: error: could not initialize SHA-256\n", stderr);
		abort();
	}
}

void
sha256_update(Sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void
sha256_final_hex(Sha256 *h, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_DigestFinal_ex(h->ctx, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
	{
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	sha256_free(h);
}

void
sha256_free(Sha256 *h)
{
	if (h->ctx)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}
