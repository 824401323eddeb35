/*
 * test_store_azure.c: the az:// store's pure parts: the Shared Key signature over Azure's
 * canonical string-to-sign (expected values computed independently, with Python's hmac over
 * the string the documentation defines), base64, and the destination's resolution. Requests
 * themselves are tested against Azurite, which checks signatures (tests/integration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hash.h"
#include "store/azure/azure.h"
#include "unit_util.h"

static const char key_b64[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

static void
client(AzClient *c, unsigned char *key)
{
	memset(c, 0, sizeof(*c));
	c->account = "acct";
	c->key = key;
	assert_true(hash_base64_decode(key_b64, key, &c->key_len));
	assert_int_equal(c->key_len, 32);
}

static void
test_sign_put_block(void **state)
{
	AzClient c;
	unsigned char key[64];
	AzRequest req = {.method = "PUT", .body_len = 5};
	StrList h = {0};
	Buf line;

	(void) state;
	client(&c, key);
	strlist_add(&req.query, "comp=block");
	strlist_add(&req.query, "blockid=ZWJi");
	strlist_add(&h, "x-ms-date: Mon, 01 Jan 2024 00:00:00 GMT");
	strlist_add(&h, "x-ms-version: 2021-08-06");
	strlist_add(&h, "Content-MD5: abc==");
	strlist_add(&h, "If-None-Match: *");
	strlist_add(&h, "Content-Type: application/octet-stream");
	strlist_add(&h, "X-Ms-Blob-Type: BlockBlob");
	buf_init(&line);
	store_azure_sign(&c, &req, &h, "/c/p/dt%3D1/x%20y.csv", &line);
	assert_string_equal(buf_cstr(&line), "Authorization: SharedKey acct:"
										 "UhuTi4Yj50ZnJTr1gIEapniEaqT4wcwQrSzBjKry/ZA=");
	buf_free(&line);
	strlist_clear(&h);
	strlist_clear(&req.query);
}

static void
test_sign_list(void **state)
{
	AzClient c;
	unsigned char key[64];
	AzRequest req = {.method = "GET"};
	StrList h = {0};
	Buf line;

	(void) state;
	client(&c, key);
	/* query names sorted, values as they are (not encoded) */
	strlist_add(&req.query, "restype=container");
	strlist_add(&req.query, "comp=list");
	strlist_add(&req.query, "prefix=p/");
	strlist_add(&req.query, "marker=a/b c");
	strlist_add(&h, "x-ms-version: 2021-08-06");
	strlist_add(&h, "x-ms-date: Mon, 01 Jan 2024 00:00:00 GMT");
	buf_init(&line);
	store_azure_sign(&c, &req, &h, "/c", &line);
	assert_string_equal(buf_cstr(&line), "Authorization: SharedKey acct:"
										 "8ggzchjeTyHiPuBnptRsYVmeQcAQuSeIwU0OEcwlWWw=");
	buf_free(&line);
	strlist_clear(&h);
	strlist_clear(&req.query);
}

static void
test_base64(void **state)
{
	unsigned char out[64];
	char enc[64];
	size_t n;

	(void) state;
	assert_true(hash_base64_decode("YWJjZA==", out, &n));
	assert_int_equal(n, 4);
	assert_memory_equal(out, "abcd", 4);
	assert_true(hash_base64_decode("YWJj", out, &n));
	assert_int_equal(n, 3);
	assert_false(hash_base64_decode("YWJ", out, &n));
	assert_false(hash_base64_decode("YW=j", out, &n));
	assert_false(hash_base64_decode("", out, &n));
	hash_base64_encode("ebb-0badcafe-000001", 19, enc);
	assert_string_equal(enc, "ZWJiLTBiYWRjYWZlLTAwMDAwMQ==");
}

static void
config(const char *url, const char *endpoint, AzClient *c, EbbError *err, bool *ok)
{
	StoreOptions o;

	store_options_default(&o);
	o.az_account = endpoint ? NULL : strdup("acct");
	o.az_endpoint = endpoint ? strdup(endpoint) : NULL;
	setenv("AZURE_STORAGE_ACCOUNT", "envacct", 1);
	setenv("AZURE_STORAGE_KEY", key_b64, 1);
	*ok = store_azure_config(url, &o, c, err);
	store_options_free(&o);
}

static void
test_config(void **state)
{
	AzClient c;
	EbbError err;
	bool ok;

	(void) state;
	unsetenv("AZURE_STORAGE_BLOB_ENDPOINT");
	config("az://my-container/a//b/", NULL, &c, &err, &ok);
	assert_true(ok);
	assert_string_equal(c.account, "acct");
	assert_string_equal(c.prefix, "a/b/");
	assert_string_equal(c.base_url, "https://acct.blob.core.windows.net/my-container");
	assert_string_equal(c.base_path, "/my-container");
	store_azure_config_free(&c);

	config("az://ebb/x", "http://127.0.0.1:10000/devstoreaccount1/", &c, &err, &ok);
	assert_true(ok);
	assert_string_equal(c.account, "envacct");
	assert_string_equal(c.base_url, "http://127.0.0.1:10000/devstoreaccount1/ebb");
	assert_string_equal(c.base_path, "/devstoreaccount1/ebb");
	store_azure_config_free(&c);

	config("az://Bad/x", NULL, &c, &err, &ok);
	assert_false(ok);
	assert_int_equal(err.code, EBB_ERR_USAGE);
	store_azure_config_free(&c);

	config("az://ebb/x", "ftp://h", &c, &err, &ok);
	assert_false(ok);
	assert_string_equal(err.message, "invalid Azure endpoint \"ftp://h\"");
	store_azure_config_free(&c);

	setenv("AZURE_STORAGE_KEY", "not base64!", 1);
	StoreOptions o;
	store_options_default(&o);
	o.az_account = strdup("acct");
	assert_false(store_azure_config("az://ebb/x", &o, &c, &err));
	assert_int_equal(err.code, EBB_ERR_CONFIG);
	assert_string_equal(err.message, "invalid AZURE_STORAGE_KEY for \"az://ebb/x\"");
	store_azure_config_free(&c);
	store_options_free(&o);
	unsetenv("AZURE_STORAGE_KEY");
	unsetenv("AZURE_STORAGE_ACCOUNT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_put_block),
		cmocka_unit_test(test_sign_list),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
