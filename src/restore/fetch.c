/* fetch.c: see fetch.h. */
#include "restore/fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sink.h"

typedef struct FdSink
{
	Sink base;
	int fd;
	const char *path;
} FdSink;

static bool
fd_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	FdSink *fs = (FdSink *) sink;
	const char *p = data;

	while (len > 0)
	{
		ssize_t n = write(fs->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, EBB_ERR_IO, "could not write file \"%s\": %s", fs->path,
							 strerror(errno));
		p += n;
		len -= (size_t) n;
	}
	return true;
}

static const SinkOps fd_ops = {.write = fd_write};

static bool
check_object(const char *key, uint64_t want_bytes, const char *want_sha, uint64_t bytes,
			 const char *sha, EbbError *err)
{
	if (bytes != want_bytes)
	{
		error_set(err, EBB_ERR_VERIFY, "object \"%s\" is not what the ledger recorded", key);
		error_detail(err, "It has %" PRIu64 " bytes; the ledger says %" PRIu64 ".", bytes,
					 want_bytes);
		return false;
	}
	if (strcmp(sha, want_sha) != 0)
	{
		error_set(err, EBB_ERR_VERIFY, "object \"%s\" is not what the ledger recorded", key);
		error_detail(err, "Its SHA-256 is %s; the ledger says %s.", sha, want_sha);
		return false;
	}
	return true;
}

bool
restore_fetch(Store *store, const char *key, uint64_t bytes, const char *sha256,
			  RestoreFetched *out, EbbError *err)
{
	const char *dir = getenv("TMPDIR");
	FdSink fs = {.base.ops = &fd_ops};
	HashSink hash;
	char sha[65];

	snprintf(out->path, sizeof(out->path), "%s/ebb-restore-XXXXXX", dir && *dir ? dir : "/tmp");
	fs.fd = mkstemp(out->path);
	fs.path = out->path;
	if (fs.fd < 0)
	{
		error_set(err, EBB_ERR_IO, "could not create a temporary file in \"%s\": %s",
				  dir && *dir ? dir : "/tmp", strerror(errno));
		out->path[0] = '\0';
		return false;
	}
	hash_sink_init(&hash, &fs.base);
	bool ok = store_read(store, key, &hash.base, err);
	if (close(fs.fd) != 0 && ok)
		ok = error_set(err, EBB_ERR_IO, "could not write file \"%s\": %s", out->path,
					   strerror(errno));
	if (!ok)
	{
		sha256_free(&hash.sha);
		restore_fetch_done(out);
		return false;
	}
	hash_sink_result(&hash, sha);
	if (check_object(key, bytes, sha256, hash.bytes, sha, err))
		return true;
	restore_fetch_done(out);
	return false;
}

void
restore_fetch_done(RestoreFetched *f)
{
	if (f->path[0])
		unlink(f->path);
	f->path[0] = '\0';
}
