/* spool.c: see spool.h. */
#include "store/spool.h"

#include <errno.h>
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

bool
store_spool(Store *store, const char *key, StoreSpool *out, EbbError *err)
{
	const char *dir = getenv("TMPDIR");
	FdSink fs = {.base.ops = &fd_ops};
	HashSink hash;

	if (!dir || !*dir)
		dir = "/tmp";
	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s/ebb-object-XXXXXX", dir);
	fs.fd = mkstemp(out->path);
	fs.path = out->path;
	if (fs.fd < 0)
	{
		error_set(err, EBB_ERR_IO, "could not create a temporary file in \"%s\": %s", dir,
				  strerror(errno));
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
		store_spool_remove(out);
		return false;
	}
	hash_sink_result(&hash, out->sha256);
	out->bytes = hash.bytes;
	return true;
}

void
store_spool_remove(StoreSpool *s)
{
	if (s->path[0])
		unlink(s->path);
	s->path[0] = '\0';
}
