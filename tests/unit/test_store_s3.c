/*
 * test_store_s3.c: the s3:// store's pure parts: the canonical forms libcurl 7.88 signs as
 * written (key and query encoding), destination and endpoint resolution, credentials sources,
 * and the reading of S3's XML replies and dates. Requests themselves are tested against a
 * real S3-compatible server behind an independent signature check (tests/integration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/time.h"
#include "store/http.h"
#include "store/s3/s3.h"
#include "store/xml.h"
#include "unit_util.h"

static void
encode(const char *in, bool keep_slash, const char *want)
{
	Buf b;

	buf_init(&b);
	store_http_uri_encode(&b, in, keep_slash);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void
test_uri_encode(void **state)
{
	(void) state;
	encode("db/public.events/dt=2026-01-01/hour=00/x.csv.zst", true,
		   "db/public.events/dt%3D2026-01-01/hour%3D00/x.csv.zst");
	encode("a b(c)!*'~_-.", true, "a%20b%28c%29%21%2A%27~_-.");
	encode("a/b", false, "a%2Fb");
	/* UTF-8 bytes each encoded, uppercase hex. */
	encode("\xc3\xa9", true, "%C3%A9");
	encode("", true, "");
}

static void
query(const char *const *items, int n, const char *want)
{
	StrList q = {0};
	Buf b;

	for (int i = 0; i < n; i++)
		strlist_add(&q, items[i]);
	buf_init(&b);
	store_s3_canonical_query(&b, &q);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
	strlist_clear(&q);
}

static void
test_canonical_query(void **state)
{
	(void) state;
	query((const char *[]){"uploads"}, 1, "?uploads=");
	query((const char *[]){"uploadId=a/b+c=", "partNumber=2"}, 2,
		  "?partNumber=2&uploadId=a%2Fb%2Bc%3D");
	query((const char *[]){"prefix=p/db/", "list-type=2", "continuation-token=1 x"}, 3,
		  "?continuation-token=1%20x&list-type=2&prefix=p%2Fdb%2F");
	query(NULL, 0, "");
}

static char *scratch;

static int
setup_env(void **state)
{
	(void) state;
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL",   "AWS_ENDPOINT_URL_S3",   "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_PROFILE",           "AWS_SHARED_CREDENTIALS_FILE"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", scratch, 1);
	return 0;
}

static bool
config(const char *url, const StoreOptions *o, S3Client *c, EbbError *err)
{
	error_init(err);
	return store_s3_config(url, o, c, err);
}

static void
test_addressing(void **state)
{
	StoreOptions o;
	S3Client c;
	EbbError err;

	(void) state;
	store_options_default(&o);
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);

	/* AWS: virtual-host addressing in the region's endpoint; the prefix normalized. */
	setenv("AWS_REGION", "eu-west-1", 1);
	assert_true(config("s3://my-bucket//arch/x/", &o, &c, &err));
	assert_string_equal(c.base_url, "https://my-bucket.s3.eu-west-1.amazonaws.com");
	assert_string_equal(c.prefix, "arch/x/");
	assert_string_equal(c.sigv4, "aws:amz:eu-west-1:s3");
	store_s3_config_free(&c);
	/* The prefix is percent-decoded as a file:// path is (a key is encoded again in requests). */
	assert_true(config("s3://my-bucket/pct%20dir/caf%C3%A9%2F/", &o, &c, &err));
	assert_string_equal(c.prefix, "pct dir/caf\xc3\xa9/");
	store_s3_config_free(&c);

	/* A custom endpoint: path-style unless told otherwise; no prefix. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/", 1);
	assert_true(config("s3://bkt", &o, &c, &err));
	assert_string_equal(c.base_url, "http://127.0.0.1:9000/bkt");
	assert_string_equal(c.prefix, "");
	store_s3_config_free(&c);
	o.s3_path_style = 0;
	assert_true(config("s3://bkt/p", &o, &c, &err));
	assert_string_equal(c.base_url, "http://bkt.127.0.0.1:9000");
	store_s3_config_free(&c);

	/* The option wins over the environment. */
	o.s3_endpoint = "https://minio.example.com";
	o.s3_path_style = -1;
	o.s3_region = "auto";
	assert_true(config("s3://bkt/p", &o, &c, &err));
	assert_string_equal(c.base_url, "https://minio.example.com/bkt");
	assert_string_equal(c.region, "auto");
	store_s3_config_free(&c);
	setup_env(NULL);
}

static void
test_bad_destinations(void **state)
{
	StoreOptions o;
	S3Client c;
	EbbError err;

	(void) state;
	store_options_default(&o);
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
	assert_false(config("s3://Upper/x", &o, &c, &err));
	assert_int_equal(err.code, EBB_ERR_USAGE);
	assert_string_equal(err.message, "invalid destination \"s3://Upper/x\"");
	store_s3_config_free(&c);
	assert_false(config("s3://", &o, &c, &err));
	store_s3_config_free(&c);
	assert_false(config("s3://bkt/a%zz", &o, &c, &err));
	assert_string_equal(err.message, "invalid destination \"s3://bkt/a%zz\"");
	assert_string_equal(err.detail, "\"%zz\" is not a percent-encoded byte.");
	store_s3_config_free(&c);
	assert_false(config("s3://bkt/a%00", &o, &c, &err));
	assert_string_equal(err.detail, "%00 would put a NUL byte in the path.");
	store_s3_config_free(&c);

	o.s3_endpoint = "minio:9000";
	assert_false(config("s3://bkt", &o, &c, &err));
	assert_string_equal(err.message, "invalid S3 endpoint \"minio:9000\"");
	store_s3_config_free(&c);
	o.s3_endpoint = "https://h/path";
	assert_false(config("s3://bkt", &o, &c, &err));
	store_s3_config_free(&c);
	o.s3_endpoint = NULL;

	o.s3_sse = "aes";
	assert_false(config("s3://bkt", &o, &c, &err));
	assert_string_equal(err.message, "invalid value \"aes\" for option --s3-sse");
	store_s3_config_free(&c);
	setup_env(NULL);
}

static void
test_credentials(void **state)
{
	StoreOptions o;
	S3Client c;
	EbbError err;

	(void) state;
	store_options_default(&o);
	/* None anywhere: a config error that names where it looked, and no secret. */
	assert_false(config("s3://bkt", &o, &c, &err));
	assert_int_equal(err.code, EBB_ERR_CONFIG);
	assert_string_equal(err.message, "no S3 credentials for \"s3://bkt\"");
	store_s3_config_free(&c);

	/* The shared credentials file, with a profile. */
	char *path = write_temp_file(scratch, "credentials",
								 "[default]\naws_access_key_id = DEFAULTKEY\n"
								 "aws_secret_access_key = defaultsecret\n\n"
								 "[archive]\naws_access_key_id=ARCHKEY\n"
								 "aws_secret_access_key=archsecret\naws_session_token=tok\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	assert_true(config("s3://bkt", &o, &c, &err));
	assert_string_equal(c.access_key, "DEFAULTKEY");
	assert_string_equal(c.secret_key, "defaultsecret");
	assert_null(c.session_token);
	store_s3_config_free(&c);
	setenv("AWS_PROFILE", "archive", 1);
	assert_true(config("s3://bkt", &o, &c, &err));
	assert_string_equal(c.access_key, "ARCHKEY");
	assert_string_equal(c.session_token, "tok");
	store_s3_config_free(&c);

	/* The environment's pair wins over the file. */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtok", 1);
	assert_true(config("s3://bkt", &o, &c, &err));
	assert_string_equal(c.access_key, "ENVKEY");
	assert_string_equal(c.session_token, "envtok");
	store_s3_config_free(&c);
	unlink(path);
	free(path);
	setup_env(NULL);
}

static void
test_xml_error(void **state)
{
	char code[64], msg[256];
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
					  "<Message>Please reduce your request rate.</Message>"
					  "<RequestId>R1</RequestId></Error>";

	(void) state;
	assert_true(store_xml_error(doc, strlen(doc), code, sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "SlowDown");
	assert_string_equal(msg, "Please reduce your request rate.");
	/* A success document, text, truncated XML and nothing at all are not errors. */
	const char *ok = "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
					 "2006-03-01/\"><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>";
	assert_false(store_xml_error(ok, strlen(ok), code, sizeof(code), msg, sizeof(msg)));
	assert_false(store_xml_error("Not Found", 9, code, sizeof(code), msg, sizeof(msg)));
	assert_false(store_xml_error(doc, 30, code, sizeof(code), msg, sizeof(msg)));
	assert_false(store_xml_error(NULL, 0, code, sizeof(code), msg, sizeof(msg)));
}

typedef struct Items
{
	StrList got;
} Items;

static bool
collect(void *arg, const char *key, const char *a, const char *b, EbbError *err)
{
	Items *it = arg;
	char *line = ebb_asprintf("%s|%s|%s", key, a, b);

	(void) err;
	strlist_add(&it->got, line);
	free(line);
	return true;
}

static void
test_xml_listing(void **state)
{
	const char *doc =
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>tok/=+</NextContinuationToken>"
		"<Contents><Key>p/a&amp;b</Key><Size>10</Size>"
		"<LastModified>2026-11-22T10:00:01.000Z</LastModified></Contents>"
		"<Contents><Key>p/c</Key><Size>0</Size>"
		"<LastModified>1999-12-31T23:59:59.000Z</LastModified></Contents></ListBucketResult>";
	Items it = {0};
	EbbError err;

	(void) state;
	assert_true(store_xml_each(doc, strlen(doc), "Contents", "Key", "Size", "LastModified", collect,
							   &it, &err));
	assert_int_equal(it.got.count, 2);
	assert_string_equal(it.got.items[0], "p/a&b|10|2026-11-22T10:00:01.000Z");
	assert_string_equal(it.got.items[1], "p/c|0|1999-12-31T23:59:59.000Z");
	strlist_clear(&it.got);
	char *tok = store_xml_text(doc, strlen(doc), "NextContinuationToken");
	assert_string_equal(tok, "tok/=+");
	free(tok);
	assert_null(store_xml_text(doc, strlen(doc), "UploadId"));
	assert_false(store_xml_each("<oops", 5, "Contents", "Key", NULL, NULL, collect, &it, &err));
}

static void
test_parse_time(void **state)
{
	int64_t us, want;
	CivilTime c = {2026, 11, 22, 10, 0, 1, 0};

	(void) state;
	want = time_from_civil(&c);
	assert_true(store_http_parse_time("2026-11-22T10:00:01.000Z", &us));
	assert_int_equal(us, want);
	assert_true(store_http_parse_time("Sun, 22 Nov 2026 10:00:01 GMT", &us));
	assert_int_equal(us, want);
	assert_false(store_http_parse_time("yesterday", &us));
	assert_false(store_http_parse_time("Sun, 22 Foo 2026 10:00:01 GMT", &us));
}

int
main(void)
{
	char tmpl[] = "/tmp/ebb-unit-s3.XXXXXX";
	scratch = mkdtemp(tmpl);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_canonical_query),
		cmocka_unit_test_setup(test_addressing, setup_env),
		cmocka_unit_test_setup(test_bad_destinations, setup_env),
		cmocka_unit_test_setup(test_credentials, setup_env),
		cmocka_unit_test(test_xml_error),
		cmocka_unit_test(test_xml_listing),
		cmocka_unit_test(test_parse_time),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(scratch);
	return rc;
}
