/*
 * config.c: what an az:// destination resolves to: container and prefix from the URL; the
 * account from --az-account or AZURE_STORAGE_ACCOUNT; the endpoint from --az-endpoint,
 * AZURE_STORAGE_BLOB_ENDPOINT or the account's public one; the credential from the environment
 * only (AZURE_STORAGE_KEY, else AZURE_STORAGE_SAS_TOKEN), never from argv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/text.h"
#include "common/url.h"
#include "store/azure/azure.h"

static char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return (v && *v) ? ebb_strdup(v) : (fallback ? ebb_strdup(fallback) : NULL);
}

static char *
dup_opt(const char *s)
{
	return s ? ebb_strdup(s) : NULL;
}

/* Container names: 3-63 of [a-z0-9-], starting with a letter or digit, no "--". */
static bool
valid_container(const char *b, size_t n)
{
	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
			  (b[i] == '-' && b[i + 1] != '-')))
			return false;
	return true;
}

static bool
parse_url(const char *url, AzClient *c, EbbError *err)
{
	const char *b = url + strlen("az://");
	const char *slash = strchr(b, '/');
	size_t n = slash ? (size_t) (slash - b) : strlen(b);
	char *decoded;

	if (!valid_container(b, n))
	{
		error_set(err, EBB_ERR_USAGE, "invalid destination \"%s\"", text_escape(url).s);
		error_detail(err, "A container name has 3 to 63 characters: lowercase letters, digits "
						  "and single hyphens, neither first nor last.");
		error_hint(err, "Write it as az://container/prefix.");
		return false;
	}
	/* A SAS pasted into the URL would end up in every blob's name, the ledger and messages */
	if (strpbrk(b, "?#"))
	{
		error_set(err, EBB_ERR_USAGE,
				  "invalid destination: an az:// URL takes no query or "
				  "fragment");
		error_detail(err, "A \"?\" or \"#\" would become part of the blobs' names (a SAS "
						  "token's signature too).");
		error_hint(err, "Give a SAS token in AZURE_STORAGE_SAS_TOKEN; write a literal \"?\" "
						"or \"#\" of a prefix as %%3F or %%23.");
		return false;
	}
	/* Percent-decoded as s3:// prefixes are; encoded again in each request's URL. */
	if (!url_decode_part(url, slash ? slash : "", &decoded, err))
		return false;
	c->container = ebb_asprintf("%.*s", (int) n, b);
	Buf prefix;
	buf_init(&prefix);
	/* Collapse repeated and trailing slashes: "a//b/" and "a/b" are one prefix. */
	for (const char *p = decoded; *p; p++)
		if (*p != '/' || (prefix.len > 0 && prefix.data[prefix.len - 1] != '/'))
			buf_append_char(&prefix, *p);
	if (prefix.len > 0 && prefix.data[prefix.len - 1] != '/')
		buf_append_char(&prefix, '/');
	c->prefix = ebb_strdup(buf_cstr(&prefix));
	buf_free(&prefix);
	free(decoded);
	return true;
}

static bool
resolve_account(AzClient *c, EbbError *err)
{
	c->account =
		c->opts.az_account ? ebb_strdup(c->opts.az_account) : env_or("AZURE_STORAGE_ACCOUNT", NULL);
	if (c->account)
		return true;
	error_set(err, EBB_ERR_CONFIG, "no Azure storage account for \"%s\"", c->url);
	error_hint(err, "Set AZURE_STORAGE_ACCOUNT or --az-account.");
	return false;
}

/* http(s)://host[:port][/path]: Azure's https://ACCOUNT.blob.core.windows.net by default, or
 * Azurite's http://127.0.0.1:10000/devstoreaccount1 (the account as the first segment). */
static bool
resolve_endpoint(AzClient *c, EbbError *err)
{
	char *endpoint = c->opts.az_endpoint ? ebb_strdup(c->opts.az_endpoint)
										 : env_or("AZURE_STORAGE_BLOB_ENDPOINT", NULL);

	if (!endpoint)
		endpoint = ebb_asprintf("https://%s.blob.core.windows.net", c->account);
	size_t n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		endpoint[--n] = '\0';
	const char *sep = strstr(endpoint, "://");
	if (!sep || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) ||
		sep[3] == '\0' || sep[3] == '/' || strpbrk(endpoint, "?# "))
	{
		error_set(err, EBB_ERR_USAGE, "invalid Azure endpoint \"%s\"", text_escape(endpoint).s);
		error_hint(err, "Give scheme, host and an optional path, such as "
						"https://account.blob.core.windows.net.");
		free(endpoint);
		return false;
	}
	const char *path = strchr(sep + 3, '/');
	c->base_url = ebb_asprintf("%s/%s", endpoint, c->container);
	c->base_path = ebb_asprintf("%s/%s", path ? path : "", c->container);
	free(endpoint);
	return true;
}

/* The key (base64, decoded here) first, else a SAS token: from the environment only. */
static bool
resolve_credential(AzClient *c, EbbError *err)
{
	const char *key = getenv("AZURE_STORAGE_KEY");
	const char *sas = getenv("AZURE_STORAGE_SAS_TOKEN");

	if (key && *key)
	{
		c->key = ebb_malloc(strlen(key) + 1);
		if (hash_base64_decode(key, c->key, &c->key_len) && c->key_len > 0)
			return true;
		error_set(err, EBB_ERR_CONFIG, "invalid AZURE_STORAGE_KEY for \"%s\"", c->url);
		error_detail(err, "The key is not base64.");
		error_hint(err, "Copy an access key of the storage account as the portal or "
						"\"az storage account keys list\" shows it.");
		return false;
	}
	if (sas && *sas)
	{
		c->sas = ebb_strdup(sas[0] == '?' ? sas + 1 : sas);
		return true;
	}
	error_set(err, EBB_ERR_CONFIG, "no Azure credentials for \"%s\"", c->url);
	error_detail(err, "Neither AZURE_STORAGE_KEY nor AZURE_STORAGE_SAS_TOKEN is set.");
	error_hint(err, "Set one of them in the environment (never on the command line).");
	return false;
}

static void
copy_options(AzClient *c, const StoreOptions *opts)
{
	c->opts = *opts;
	c->opts.s3_endpoint = c->opts.s3_region = c->opts.s3_storage_class = NULL;
	c->opts.s3_sse = c->opts.s3_ca_file = NULL;
	c->opts.az_account = dup_opt(opts->az_account);
	c->opts.az_endpoint = dup_opt(opts->az_endpoint);
	c->opts.az_ca_file = dup_opt(opts->az_ca_file);
}

bool
store_azure_config(const char *url, const StoreOptions *opts, AzClient *c, EbbError *err)
{
	memset(c, 0, sizeof(*c));
	copy_options(c, opts);
	c->url = ebb_strdup(url);
	if (!parse_url(url, c, err) || !resolve_account(c, err) || !resolve_endpoint(c, err) ||
		!resolve_credential(c, err))
		return false;
	static bool warned; /* once per process, not once per table */
	if (c->opts.az_insecure && !warned && (warned = true))
		log_warning("TLS certificate verification is off for \"%s\" (--az-insecure)", url);
	return true;
}

void
store_azure_config_free(AzClient *c)
{
	free(c->url);
	free(c->container);
	free(c->prefix);
	free(c->account);
	free(c->base_url);
	free(c->base_path);
	if (c->key)
		memset(c->key, 0, c->key_len);
	free(c->key);
	if (c->sas)
		memset(c->sas, 0, strlen(c->sas));
	free(c->sas);
	store_options_free(&c->opts);
}
