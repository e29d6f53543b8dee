/* scrub_walk.c: one scrub pass: every regular file of a device, in a fixed order, read
 * against its checksum record (or given one). */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "../core/log.h"
#include "integrity.h"
#include "scrub_int.h"

#define MAX_DEPTH 16	/* MogileFS trees are 4 deep; never recurse without bound */

/*
 * Compare paths a component at a time (the order of the walk): <0, 0, >0, or
 * SCRUB_ANCESTOR when a is a directory above b.
 */
#define SCRUB_ANCESTOR (-2)
static int path_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		int c = memcmp(a, b, la < lb ? la : lb);

		if (c != 0 || la != lb)
			return c != 0 ? (c < 0 ? -1 : 1) : (la < lb ? -1 : 1);
		a += la;
		b += lb;
		if (*a == '\0')
			return *b == '\0' ? 0 : SCRUB_ANCESTOR;
		if (*b == '\0')
			return 1;
		a++;
		b++;
	}
}

/* Dot files (.quarantine, .scrub, .trash), PUT temp files: not ours to check. */
static int keep_name(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && !(len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Read a piece; a piece not already cached is dropped from the cache afterwards,
 * so scrubbing does not push hot files out. */
static ssize_t read_piece(struct scrubber *sc, int fd, off_t off)
{
	struct iovec iov = { sc->buf, MOG_SCRUB_PIECE };
	ssize_t n = preadv2(fd, &iov, 1, off, RWF_NOWAIT);

	if (n > 0)
		return n;
	do
		n = pread(fd, sc->buf, MOG_SCRUB_PIECE, off);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		posix_fadvise(fd, off, n, POSIX_FADV_DONTNEED);
	return n;
}

/* A mismatch, unless the file changed under us (a Content-Range PUT, say). */
static void found(struct scrubber *sc, int fd, const char *rel, const struct stat *st,
		  const char *why)
{
	struct stat now;

	if (fstat(fd, &now) == 0 && (now.st_ctim.tv_sec != st->st_ctim.tv_sec ||
				     now.st_ctim.tv_nsec != st->st_ctim.tv_nsec))
		return;		/* changed while read: the next pass looks again */
	pthread_mutex_lock(&mog_scrub_lock);
	sc->corrupt++;
	pthread_mutex_unlock(&mog_scrub_lock);
	mog_integrity_quarantine(sc->dir_fd, sc->devid, rel, st->st_ino, why);
}

/* Read the open file fd (rel below the device) against its record.  False when stopping. */
static bool check_file(struct scrubber *sc, int fd, const char *rel, const struct stat *st)
{
	struct mog_sum_builder build;
	struct mog_sum_check check;
	struct mog_digest md5;
	struct mog_sum sum;
	enum mog_integrity_load r = mog_integrity_load(fd, &sum);
	bool adopt = r != MOG_INTEGRITY_LOADED, ok = true, more = true;
	bool fill = !adopt && !sum.has_md5;	/* a PUT without Content-MD5: add it now */
	off_t off = 0;
	ssize_t n;

	if (r == MOG_INTEGRITY_NEWER || (adopt && !mog_integrity_adoptable(st)))
		return true;	/* a later format; or maybe still being written */
	if (!adopt && sum.size != (uint64_t)st->st_size) {
		found(sc, fd, rel, st, "size differs from the checksum record");
		return true;
	}
	if (adopt)
		mog_sum_builder_init(&build, true);
	else
		mog_sum_check_init(&check, &sum);
	if (fill)
		mog_digest_init(&md5, MOG_DIGEST_MD5);
	while (ok && off < st->st_size && (more = mog_scrub_pace(sc, 0))) {
		if ((n = read_piece(sc, fd, off)) <= 0)
			break;	/* EIO, or the file shrank: the next pass looks again */
		if (adopt)
			mog_sum_builder_update(&build, sc->buf, (size_t)n);
		else
			ok = mog_sum_check_update(&check, sc->buf, (size_t)n);
		if (fill)
			mog_digest_update(&md5, sc->buf, (size_t)n);
		off += n;
		more = mog_scrub_pace(sc, (size_t)n);
	}
	if (!ok)
		found(sc, fd, rel, st, "CRC-32C mismatch");
	else if (off == st->st_size && (adopt || fill || !mog_integrity_bound(&sum, st))) {
		unsigned char bin[20];
		struct stat now;

		if (adopt)
			mog_sum_builder_finish(&build, &sum);
		if (fill) {
			mog_digest_final(&md5, bin);
			memcpy(sum.md5, bin, 16);
			sum.has_md5 = true;
		}
		if (fstat(fd, &now) == 0 && now.st_ctim.tv_sec == st->st_ctim.tv_sec &&
		    now.st_ctim.tv_nsec == st->st_ctim.tv_nsec &&
		    mog_integrity_store(fd, &sum, &now) == 0 && adopt) {
			mog_integrity_count(MOG_IC_ADOPTED);
			pthread_mutex_lock(&mog_scrub_lock);
			sc->adopted++;
			pthread_mutex_unlock(&mog_scrub_lock);
		}
	}
	if (adopt)
		mog_sum_builder_destroy(&build);
	return more;
}

/* Check the regular file name in dir_fd (rel below the device).  False when stopping. */
static bool scrub_file(struct scrubber *sc, int dir_fd, const char *name, const char *rel)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd = openat(dir_fd, name, flags | O_NOATIME);
	struct stat st;
	bool more = true;

	if (fd < 0 && errno == EPERM)
		fd = openat(dir_fd, name, flags);
	if (fd < 0)
		return true;	/* deleted meanwhile, or not ours to read */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !mog_integrity_unsupported(&st))
		more = check_file(sc, fd, rel, &st);
	close(fd);
	pthread_mutex_lock(&mog_scrub_lock);
	sc->files++;
	sc->pass_files++;
	if (more)
		snprintf(sc->position, sizeof(sc->position), "%s", rel);
	pthread_mutex_unlock(&mog_scrub_lock);
	if (more)
		mog_scrub_save(sc, false);
	return more;
}

/* Walk dir_fd (rel below the device, "" at the top) in name order.  False when stopping. */
static bool walk(struct scrubber *sc, int dir_fd, const char *rel, unsigned depth)
{
	struct dirent **list;
	bool more = true;
	int n, i;

	if (depth > MAX_DEPTH || (n = scandirat(dir_fd, ".", &list, keep_name, by_name)) < 0)
		return true;
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		const char *name = list[i]->d_name;
		struct stat st;
		int c, fd;

		if (!more || (depth == 0 && strcmp(name, "usage") == 0) ||
		    snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", name) >=
		    (int)sizeof(path))
			goto next;
		c = sc->resume[0] ? path_cmp(path, sc->resume) : 1;
		if ((c < 0 && c != SCRUB_ANCESTOR) || c == 0 ||
		    fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != sc->st_dev)
			goto next;	/* done before the restart, gone, or another filesystem */
		if (c > 0)
			sc->resume[0] = '\0';
		if (S_ISDIR(st.st_mode)) {
			fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0) {
				more = walk(sc, fd, path, depth + 1);
				close(fd);
			}
		} else if (S_ISREG(st.st_mode) && mog_integrity_adoptable(&st)) {
			/* files modified in the last minute wait for a later pass: they
			 * were just checked by their PUT, or are still being written */
			more = scrub_file(sc, dir_fd, name, path);
		}
next:
		free(list[i]);
	}
	free(list);
	return more;
}

bool mog_scrub_pass(struct scrubber *sc)
{
	bool done = walk(sc, sc->dir_fd, "", 0);

	sc->resume[0] = '\0';	/* a file that vanished ends the skipping too */
	return done;
}
