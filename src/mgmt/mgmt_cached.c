/* mgmt_cached.c: sideband size and small digests answered on the loop when all is in memory. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xalloc.h"
#include "../core/metrics.h"
#include "../net/loop.h"
#include "../util/fs.h"
#include "../util/thread_exit.h"
#include "mgmt_int.h"

/* Digests of files up to this size are computed on the loop when cached. */
#define CACHED_DIGEST_MAX (64 * 1024)

/* append path, a, b and CRLF to m->out (no stdio per command) */
static void reply(struct mog_mgmt *m, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t plen = strlen(m->path);
	char *p = m->out + m->olen;	/* after replies not sent yet */

	if (m->ocap - m->olen < plen + alen + blen + 3) {	/* the buffer grows */
		mog_mgmt_out_set(m, "%s%.*s%.*s\r\n", m->path, (int)alen, a, (int)blen, b);
		return;
	}
	memcpy(p, m->path, plen);
	memcpy(p += plen, a, alen);
	memcpy(p += alen, b, blen);
	memcpy(p += blen, "\r\n", 2);
	m->olen = (size_t)(p + 2 - m->out);
}

static void reply_size(struct mog_mgmt *m, long long size)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long v = size < 0 ? 1 : (unsigned long long)size;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (size < 0)
		*--p = '-';
	reply(m, " ", 1, p, (size_t)(num + sizeof(num) - p));
}

/* size: openat2(O_PATH, RESOLVE_CACHED) + fstat; a cached failure (ENOENT) is -1 too. */
static bool size_cached(struct mog_mgmt *m, int dir_fd, const char *rel)
{
	int fd = mog_fs_open_cached(dir_fd, rel, O_PATH);
	struct stat st;

	if (fd < 0 && (errno == EAGAIN || errno == ENOSYS))
		return false;
	if (fd >= 0 && fstat(fd, &st) == 0)
		reply_size(m, (long long)st.st_size);
	else
		reply_size(m, -1);
	if (fd >= 0)
		close(fd);
	return true;
}

/* MD5/SHA-1 of a regular file of at most CACHED_DIGEST_MAX bytes, all in memory. */
static bool digest_cached(struct mog_mgmt *m, int dir_fd, const char *rel)
{
	/* per loop thread, allocated on first use (a __thread array would give every
	 * thread, pool threads too, its own zeroed 64 KiB) */
	static __thread char *buf;
	int fd = mog_fs_open_cached(dir_fd, rel, O_RDONLY | O_NONBLOCK | O_NOATIME);
	const char *alg = m->cmd == MOG_MGMT_MD5 ? " MD5=" : " SHA-1=";
	unsigned char bin[20];
	char hex[41];
	struct stat st;
	bool done = false;

	if (fd < 0)		/* EAGAIN, and EPERM for O_NOATIME: the pool decides */
		return false;
	mog_thread_buf(&buf, CACHED_DIGEST_MAX);	/* kept for the thread's life */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= CACHED_DIGEST_MAX &&
	    (st.st_size == 0 ||
	     mog_fs_pread_cached(fd, st.st_dev, buf, (size_t)st.st_size, 0) == st.st_size)) {
		mog_digest_init(&m->digest, m->cmd == MOG_MGMT_MD5 ? MOG_DIGEST_MD5
								   : MOG_DIGEST_SHA1);
		mog_digest_update(&m->digest, buf, (size_t)st.st_size);
		mog_digest_hex(bin, mog_digest_final(&m->digest, bin), hex);
		reply(m, alg, strlen(alg), hex, strlen(hex));
		if (m->target.dev)
			mog_hist_add(&m->target.dev->metrics.latency[2],
				     ev_time() - m->started);
		done = true;
	}
	close(fd);
	return done;
}

bool mog_mgmt_cached(struct mog_mgmt *m)
{
	int dir_fd = mog_target_cached_dir(&m->target);
	const char *rel = m->path + m->target.rest_off;

	if (dir_fd < 0 || m->req.path_len > MOG_PATH_MAX)
		return false;
	if (m->cmd == MOG_MGMT_SIZE)
		return size_cached(m, dir_fd, rel);
	/* "stored" reads an xattr and fsck takes its filesystem's slot: the pool's */
	if (m->stored || m->fsck)
		return false;
	return digest_cached(m, dir_fd, rel);
}
