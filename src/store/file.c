/*
 * file.c: the file:// store. Atomic, durable writes: a temporary name in the final directory,
 * fsync, a rename that refuses to replace (RENAME_NOREPLACE), then fsync of the directory, as
 * PostgreSQL's durable_rename() does, plus fsync of any directory this run created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/text.h"
#include "common/url.h"
#include "store/store.h"

typedef struct FileStore
{
	char *root;
} FileStore;

typedef struct FileWriter
{
	Sink base;
	char *path;
	char *tmp;
	int fd;
} FileWriter;

static bool
file_open(const char *url, const StoreOptions *opts, void **state, EbbError *err)
{
	(void) opts;
	const char *path = url + strlen("file://");

	char *root;

	if (path[0] != '/')
	{
		error_set(err, EBB_ERR_USAGE, "invalid destination \"%s\"", text_escape(url).s);
		error_detail(err, "A file destination needs an absolute path.");
		error_hint(err, "Write it with three slashes, such as file:///var/lib/ebb/archive.");
		return false;
	}
	/* A URL: file:///srv/a%20b is the directory "/srv/a b". */
	if (!url_decode_part(url, path, &root, err))
		return false;
	FileStore *fs = ebb_malloc(sizeof(*fs));
	fs->root = root;
	size_t n = strlen(fs->root);
	while (n > 1 && fs->root[n - 1] == '/')
		fs->root[--n] = '\0';
	*state = fs;
	return true;
}

static void
file_close(void *state)
{
	FileStore *fs = state;

	free(fs->root);
	free(fs);
}

static char *
file_path(FileStore *fs, const char *key)
{
	return ebb_asprintf("%s/%s", fs->root, key);
}

static bool
fsync_path(const char *path, EbbError *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0)
	{
		int e = errno;
		if (fd >= 0)
			close(fd);
		return error_set(err, EBB_ERR_IO, "could not fsync \"%s\": %s", path, strerror(e));
	}
	close(fd);
	return true;
}

/* mkdir -p, fsyncing the parent of every directory it creates so the new entries are durable. */
static bool
make_dirs(const char *dir, EbbError *err)
{
	struct stat st;

	if (stat(dir, &st) == 0)
	{
		if (S_ISDIR(st.st_mode))
			return true;
		return error_set(err, EBB_ERR_IO, "could not create directory \"%s\": %s", dir,
						 strerror(ENOTDIR));
	}
	char *parent = ebb_strdup(dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else if (slash)
		parent[1] = '\0';
	bool ok = make_dirs(parent, err);
	if (ok && mkdir(dir, 0755) != 0 && errno != EEXIST)
		ok = error_set(err, EBB_ERR_IO, "could not create directory \"%s\": %s", dir,
					   strerror(errno));
	else if (ok)
		ok = fsync_path(parent, err);
	free(parent);
	return ok;
}

static bool
file_check(void *state, EbbError *err)
{
	FileStore *fs = state;
	char *probe = ebb_asprintf("%s/.ebb-probe-%d", fs->root, (int) getpid());
	bool ok = make_dirs(fs->root, err);

	if (ok)
	{
		int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			ok = error_set(err, EBB_ERR_IO, "could not write to destination \"%s\": %s", fs->root,
						   strerror(errno));
		else
		{
			close(fd);
			unlink(probe);
		}
	}
	free(probe);
	return ok;
}

static bool
writer_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	FileWriter *w = (FileWriter *) sink;
	const char *p = data;

	while (len > 0)
	{
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, EBB_ERR_IO, "could not write file \"%s\": %s", w->tmp,
							 n < 0 ? strerror(errno) : "no space written");
		p += n;
		len -= (size_t) n;
	}
	return true;
}

static const SinkOps writer_ops = {.write = writer_write};

static bool
file_writer_open(void *state, const char *key, void **wstate, Sink **sink, EbbError *err)
{
	FileStore *fs = state;
	FileWriter *w = ebb_malloc(sizeof(*w));

	w->base.ops = &writer_ops;
	w->path = file_path(fs, key);
	w->tmp = ebb_asprintf("%s.tmp%d", w->path, (int) getpid());
	w->fd = -1;
	char *dir = ebb_strdup(w->path);
	*strrchr(dir, '/') = '\0';
	bool ok = make_dirs(dir, err);
	free(dir);
	if (ok && (w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		ok =
			error_set(err, EBB_ERR_IO, "could not create file \"%s\": %s", w->tmp, strerror(errno));
	*wstate = w;
	*sink = &w->base;
	return ok;
}

static bool
rename_noreplace(const char *from, const char *to, EbbError *err)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return true;
	/* Filesystems without RENAME_NOREPLACE: link() also refuses to replace. */
	if ((errno == EINVAL || errno == ENOSYS) && link(from, to) == 0)
	{
		unlink(from);
		return true;
	}
	return error_set(err, EBB_ERR_IO, "could not rename file \"%s\" to \"%s\": %s", from, to,
					 strerror(errno));
}

static bool
file_writer_commit(void *wstate, EbbError *err)
{
	FileWriter *w = wstate;

	if (fsync(w->fd) != 0)
		return error_set(err, EBB_ERR_IO, "could not fsync file \"%s\": %s", w->tmp,
						 strerror(errno));
	if (close(w->fd) != 0)
	{
		w->fd = -1;
		return error_set(err, EBB_ERR_IO, "could not close file \"%s\": %s", w->tmp,
						 strerror(errno));
	}
	w->fd = -1;
	if (!rename_noreplace(w->tmp, w->path, err))
		return false;
	free(w->tmp);
	w->tmp = NULL; /* committed: abort must not remove anything now */
	char *dir = ebb_strdup(w->path);
	*strrchr(dir, '/') = '\0';
	bool ok = fsync_path(dir, err);
	free(dir);
	return ok;
}

static void
file_writer_free(void *wstate)
{
	FileWriter *w = wstate;

	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->tmp);
	free(w);
}

static void
file_writer_abort(void *wstate)
{
	FileWriter *w = wstate;

	if (w->tmp)
		unlink(w->tmp);
	file_writer_free(w);
}

static bool
file_stat(void *state, const char *key, bool *exists, uint64_t *bytes, EbbError *err)
{
	char *path = file_path(state, key);
	struct stat st;
	bool ok = true;

	*exists = stat(path, &st) == 0;
	if (*exists)
		*bytes = (uint64_t) st.st_size;
	else if (errno != ENOENT)
		ok = error_set(err, EBB_ERR_IO, "could not stat file \"%s\": %s", path, strerror(errno));
	free(path);
	return ok;
}

static bool
file_read(void *state, const char *key, Sink *into, EbbError *err)
{
	char *path = file_path(state, key);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = true;
	char *buf = ebb_malloc(256 * 1024);

	if (fd < 0)
		ok = error_set(err, EBB_ERR_IO, "could not open file \"%s\": %s", path, strerror(errno));
	else
	{
		/* The object was fsynced: drop its cached pages so that this read checks the disk. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		ssize_t n;
		while (ok && (n = read(fd, buf, 256 * 1024)) != 0)
		{
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				ok = error_set(err, EBB_ERR_IO, "could not read file \"%s\": %s", path,
							   strerror(errno));
			else
				ok = sink_write(into, buf, (size_t) n, err);
		}
		close(fd);
	}
	free(buf);
	free(path);
	return ok;
}

static bool
file_put(void *state, const char *key, const void *data, size_t len, EbbError *err)
{
	void *ws;
	Sink *sink;

	if (!file_writer_open(state, key, &ws, &sink, err) || !sink_write(sink, data, len, err))
	{
		file_writer_abort(ws);
		return false;
	}
	FileWriter *w = ws;
	bool ok = fsync(w->fd) == 0;
	if (!ok)
		error_set(err, EBB_ERR_IO, "could not fsync file \"%s\": %s", w->tmp, strerror(errno));
	close(w->fd);
	w->fd = -1;
	if (ok && rename(w->tmp, w->path) != 0)
		ok = error_set(err, EBB_ERR_IO, "could not rename file \"%s\" to \"%s\": %s", w->tmp,
					   w->path, strerror(errno));
	if (ok)
	{
		free(w->tmp);
		w->tmp = NULL;
	}
	file_writer_abort(w);
	return ok;
}

static bool
file_remove(void *state, const char *key, EbbError *err)
{
	char *path = file_path(state, key);
	bool ok = unlink(path) == 0 || errno == ENOENT;

	if (!ok)
		error_set(err, EBB_ERR_IO, "could not remove file \"%s\": %s", path, strerror(errno));
	free(path);
	return ok;
}

typedef struct FileWalk
{
	size_t root_len; /* strlen(root) + 1: what to cut off a path to get its key */
	const char *prefix;
	StoreListFn fn;
	void *arg;
} FileWalk;

static bool file_walk(FileWalk *walk, const char *dir, EbbError *err);

/* ebb writes regular files only: anything else is listed as what it is, and never followed
 * (lstat), read or removed by the listing's users. */
static const char *
file_entry_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return NULL;
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

static bool
file_walk_entry(FileWalk *walk, const char *path, EbbError *err)
{
	struct stat st;
	const char *key = path + walk->root_len;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? true /* removed meanwhile */
							   : error_set(err, EBB_ERR_IO, "could not stat file \"%s\": %s", path,
										   strerror(errno));
	if (S_ISDIR(st.st_mode))
	{
		/* Descend only where keys under the prefix can be. */
		size_t n = strlen(key);
		if (strncmp(key, walk->prefix, n < strlen(walk->prefix) ? n : strlen(walk->prefix)) != 0)
			return true;
		return file_walk(walk, path, err);
	}
	if (strncmp(key, walk->prefix, strlen(walk->prefix)) != 0)
		return true;
	StoreEntry e = {.key = key,
					.bytes = (uint64_t) st.st_size,
					.mtime_us = (int64_t) st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000,
					.unexpected = file_entry_kind(st.st_mode)};
	return walk->fn(walk->arg, &e, err);
}

static bool
file_walk(FileWalk *walk, const char *dir, EbbError *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool ok = true;

	if (!d)
		return errno == ENOENT ? true
							   : error_set(err, EBB_ERR_IO, "could not open directory \"%s\": %s",
										   dir, strerror(errno));
	while (ok && (errno = 0, de = readdir(d)) != NULL)
	{
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *path = ebb_asprintf("%s/%s", dir, de->d_name);
		ok = file_walk_entry(walk, path, err);
		free(path);
	}
	if (ok && errno != 0)
		ok =
			error_set(err, EBB_ERR_IO, "could not read directory \"%s\": %s", dir, strerror(errno));
	closedir(d);
	return ok;
}

static bool
file_list(void *state, const char *prefix, StoreListFn fn, void *arg, EbbError *err)
{
	FileStore *fs = state;
	FileWalk walk = {strlen(fs->root) + 1, prefix, fn, arg};

	return file_walk(&walk, fs->root, err);
}

const StoreDriver store_file_driver = {
	.scheme = "file",
	.open = file_open,
	.close = file_close,
	.check = file_check,
	.writer_open = file_writer_open,
	.writer_commit = file_writer_commit,
	.writer_abort = file_writer_abort,
	.writer_free = file_writer_free,
	.stat = file_stat,
	.read = file_read,
	.put = file_put,
	.remove = file_remove,
	.list = file_list,
};
