/*
 * config.c: what an s3:// destination resolves to: bucket and prefix from the URL; endpoint,
 * region and addressing from the options and the AWS_* variables; credentials from the
 * environment or the shared credentials file (never from argv).
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/text.h"
#include "common/url.h"
#include "store/s3/s3.h"

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

/* Bucket names: 3-63 of [a-z0-9.-]; anything else cannot be addressed safely. */
static bool
valid_bucket(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
			  b[i] == '-'))
			return false;
	return true;
}

static bool
parse_url(const char *url, S3Client *c, EbbError *err)
{
	const char *b = url + strlen("s3://");
	const char *slash = strchr(b, '/');
	size_t n = slash ? (size_t) (slash - b) : strlen(b);

	char *decoded;

	if (!valid_bucket(b, n))
	{
		error_set(err, EBB_ERR_USAGE, "invalid destination \"%s\"", text_escape(url).s);
		error_detail(err, "A bucket name has 3 to 63 characters: lowercase letters, digits, dots "
						  "and hyphens.");
		error_hint(err, "Write it as s3://bucket/prefix.");
		return false;
	}
	/* Percent-decoded as file:// paths are: s3://b/a%20b is the prefix "a b/" (a key is
	 * encoded again when it goes into a request's URL). */
	if (!url_decode_part(url, slash ? slash : "", &decoded, err))
		return false;
	c->bucket = ebb_asprintf("%.*s", (int) n, b);
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
resolve_endpoint(S3Client *c, EbbError *err)
{
	char *endpoint =
		c->opts.s3_endpoint ? ebb_strdup(c->opts.s3_endpoint) : env_or("AWS_ENDPOINT_URL_S3", NULL);
	if (!endpoint)
		endpoint = env_or("AWS_ENDPOINT_URL", NULL);
	bool custom = endpoint != NULL;
	bool path_style = c->opts.s3_path_style >= 0 ? c->opts.s3_path_style : custom;

	if (!endpoint)
		endpoint = ebb_asprintf("https://s3.%s.amazonaws.com", c->region);
	size_t n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		endpoint[--n] = '\0';
	const char *sep = strstr(endpoint, "://");
	if (!sep || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) ||
		strchr(sep + 3, '/') || sep[3] == '\0')
	{
		error_set(err, EBB_ERR_USAGE, "invalid S3 endpoint \"%s\"", endpoint);
		error_hint(err, "Give scheme and host only, such as https://minio.example.com:9000.");
		free(endpoint);
		return false;
	}
	if (path_style)
		c->base_url = ebb_asprintf("%s/%s", endpoint, c->bucket);
	else
		c->base_url =
			ebb_asprintf("%.*s%s.%s", (int) (sep + 3 - endpoint), endpoint, c->bucket, sep + 3);
	free(endpoint);
	return true;
}

typedef struct CredFile
{
	const char *profile;
	S3Client *c;
} CredFile;

static int
cred_handler(void *arg, const char *section, const char *name, const char *value)
{
	CredFile *cf = arg;

	if (strcmp(section, cf->profile) != 0)
		return 1;
	if (strcasecmp(name, "aws_access_key_id") == 0 && !cf->c->access_key)
		cf->c->access_key = ebb_strdup(value);
	else if (strcasecmp(name, "aws_secret_access_key") == 0 && !cf->c->secret_key)
		cf->c->secret_key = ebb_strdup(value);
	else if (strcasecmp(name, "aws_session_token") == 0 && !cf->c->session_token)
		cf->c->session_token = ebb_strdup(value);
	return 1;
}

/* The environment first (all three together), then the shared credentials file's profile. */
static bool
resolve_credentials(S3Client *c, EbbError *err)
{
	c->access_key = env_or("AWS_ACCESS_KEY_ID", NULL);
	c->secret_key = env_or("AWS_SECRET_ACCESS_KEY", NULL);
	if (c->access_key && c->secret_key)
	{
		c->session_token = env_or("AWS_SESSION_TOKEN", NULL);
		return true;
	}
	free(c->access_key);
	free(c->secret_key);
	c->access_key = c->secret_key = NULL;

	char *path = env_or("AWS_SHARED_CREDENTIALS_FILE", NULL);
	if (!path && getenv("HOME"))
		path = ebb_asprintf("%s/.aws/credentials", getenv("HOME"));
	char *profile = env_or("AWS_PROFILE", "default");
	CredFile cf = {profile, c};
	int rc = path ? ini_parse(path, cred_handler, &cf) : -1;
	bool ok = c->access_key && c->secret_key;
	if (!ok)
	{
		error_set(err, EBB_ERR_CONFIG, "no S3 credentials for \"%s\"", c->url);
		if (rc > 0)
			error_detail(err, "The credentials file \"%s\" has a syntax error on line %d.", path,
						 rc);
		else
			error_detail(err,
						 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set, and "
						 "profile \"%s\" of \"%s\" has no key pair.",
						 profile, path ? path : "~/.aws/credentials");
		error_hint(err, "Set them in the environment or in the shared credentials file.");
	}
	free(path);
	free(profile);
	return ok;
}

static void
copy_options(S3Client *c, const StoreOptions *opts)
{
	c->opts = *opts;
	c->opts.s3_endpoint = dup_opt(opts->s3_endpoint);
	c->opts.s3_region = dup_opt(opts->s3_region);
	c->opts.s3_storage_class = dup_opt(opts->s3_storage_class);
	c->opts.s3_sse = dup_opt(opts->s3_sse);
	c->opts.s3_ca_file = dup_opt(opts->s3_ca_file);
}

static bool
check_options(S3Client *c, EbbError *err)
{
	const char *sse = c->opts.s3_sse;

	if (sse && strcmp(sse, "AES256") != 0 && strcmp(sse, "aws:kms") != 0)
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --s3-sse", sse);
		error_hint(err, "Use AES256 or aws:kms.");
		return false;
	}
	for (const char *p = c->opts.s3_storage_class; p && *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
		{
			error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --s3-storage-class",
					  c->opts.s3_storage_class);
			error_hint(err, "Use an S3 storage class such as STANDARD_IA or GLACIER_IR.");
			return false;
		}
	return true;
}

bool
store_s3_config(const char *url, const StoreOptions *opts, S3Client *c, EbbError *err)
{
	memset(c, 0, sizeof(*c));
	copy_options(c, opts);
	c->url = ebb_strdup(url);
	c->region = c->opts.s3_region ? ebb_strdup(c->opts.s3_region) : env_or("AWS_REGION", NULL);
	if (!c->region)
		c->region = env_or("AWS_DEFAULT_REGION", "us-east-1");
	snprintf(c->sigv4, sizeof(c->sigv4), "aws:amz:%s:s3", c->region);
	if (!check_options(c, err) || !parse_url(url, c, err) || !resolve_endpoint(c, err) ||
		!resolve_credentials(c, err))
		return false;
	static bool warned; /* once per process, not once per table */
	if (c->opts.s3_insecure && !warned && (warned = true))
		log_warning("TLS certificate verification is off for \"%s\" (--s3-insecure)", url);
	return true;
}

void
store_s3_config_free(S3Client *c)
{
	free(c->url);
	free(c->bucket);
	free(c->prefix);
	free(c->region);
	free(c->base_url);
	free(c->access_key);
	if (c->secret_key)
		memset(c->secret_key, 0, strlen(c->secret_key));
	free(c->secret_key);
	free(c->session_token);
	store_options_free(&c->opts);
}
