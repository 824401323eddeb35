#include "common/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
sha256_hex_of(const void *data, size_t len, char out[65])
{
	Sha256 h;

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final_hex(&h, out);
}

void
md5_of(const void *data, size_t len, unsigned char out[16])
{
	unsigned int n = 16;

	if (EVP_Digest(data, len, out, &n, EVP_md5(), NULL) != 1)
	{
		fputs("ebb: error: could not compute MD5\n", stderr);
		abort();
	}
}

void
md5_hex(const unsigned char md5[16], char out[33])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++)
	{
		out[2 * i] = hex[md5[i] >> 4];
		out[2 * i + 1] = hex[md5[i] & 15];
	}
	out[32] = '\0';
}

void
md5_base64(const unsigned char md5[16], char out[25])
{
	EVP_EncodeBlock((unsigned char *) out, md5, 16);
}

void
md5_init(Md5 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_md5(), NULL) != 1)
	{
		fputs("ebb: error: could not initialize MD5\n", stderr);
		abort();
	}
}

void
md5_update(Md5 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void
md5_final(Md5 *h, unsigned char out[16])
{
	unsigned int n = 16;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	md5_free(h);
}

void
md5_free(Md5 *h)
{
	if (h->ctx)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
hash_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
				 unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &n);
}

void
hash_base64_encode(const void *data, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *) out, data, (int) len);
}

bool
hash_base64_decode(const char *in, unsigned char *out, size_t *out_len)
{
	size_t n = strlen(in);

	if (n == 0 || n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((in[i] >= 'A' && in[i] <= 'Z') || (in[i] >= 'a' && in[i] <= 'z') ||
			  (in[i] >= '0' && in[i] <= '9') || in[i] == '+' || in[i] == '/' ||
			  (in[i] == '=' && i >= n - 2 && (i == n - 1 || in[i + 1] == '='))))
			return false;
	int got = EVP_DecodeBlock(out, (const unsigned char *) in, (int) n);
	if (got < 0)
		return false;
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	*out_len = (size_t) got - (in[n - 1] == '=') - (in[n - 2] == '=');
	return true;
}
