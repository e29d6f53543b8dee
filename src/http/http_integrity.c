/* http_integrity.c: checksums stored by whole-file PUTs, verified by whole-file GETs. */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../dev/integrity.h"
#include "../util/crc32c.h"
#include "http_int.h"

/* bytes read (from the page cache, usually) and checked ahead of sendfile */
#define PIECE MOG_HTTP_SCRATCH

struct mog_http_vfy {
	struct stat st;			/* the file when the GET opened it */
	bool adopt;			/* no record: compute one while sending */
	bool rebind;			/* the record matches the bytes but not the inode/mtime */
	bool cached;			/* sum holds only the CRC from the in-memory cache */
	off_t front;			/* bytes [0, front) read and, unless adopting, checked */
	struct mog_sum_check check;
	struct mog_sum_builder build;
	struct mog_sum sum;
};

bool mog_http_is_quarantine(const char *path, size_t len)
{
	static const char q[] = "/" MOG_QUARANTINE;
	const char *p = path, *end = path + len;

	while ((p = memmem(p, (size_t)(end - p), q, sizeof(q) - 1)) != NULL) {
		p += sizeof(q) - 1;
		if (p == end || *p == '/')
			return true;
	}
	return false;
}

void mog_http_sum_begin(struct mog_http *h)
{
	h->sumb = xmalloc(sizeof(*h->sumb));
	mog_sum_builder_init(h->sumb, false);	/* the MD5, if any, is the PUT's own */
}

void mog_http_sum_release(struct mog_http *h)
{
	if (h->sumb) {
		mog_sum_builder_destroy(h->sumb);
		free(h->sumb);
		h->sumb = NULL;
	}
	if (h->vfy) {
		mog_sum_builder_destroy(&h->vfy->build);
		free(h->vfy);
		h->vfy = NULL;
	}
}

int mog_http_sum_commit(struct mog_http *h, const unsigned char *md5)
{
	struct mog_sum *s;
	struct stat st;
	int rc = 0;

	if (h->sumb == NULL)
		return 0;
	s = xmalloc(sizeof(*s));
	mog_sum_builder_finish(h->sumb, s);
	if (md5) {
		memcpy(s->md5, md5, 16);
		s->has_md5 = true;
	}
	if (fstat(h->fd, &st) < 0 || mog_integrity_store(h->fd, s, &st) < 0) {
		/* without xattrs the file is kept unprotected (logged once per filesystem) */
		rc = errno == ENOTSUP ? 0 : -1;
		if (rc < 0)
			mog_log_errno("PUT %s: storing the checksum failed", h->path);
	} else {
		mog_integrity_count(MOG_IC_WRITTEN);
	}
	free(s);
	mog_http_sum_release(h);
	return rc;
}

bool mog_http_verify_small(struct mog_http *h, const struct stat *st, const void *body,
			   size_t len, bool *checked)
{
	uint32_t want;
	bool none;

	*checked = false;
	if (!mog_integrity_verify || h->status != 200 || h->head_only || mog_integrity_unsupported(st))
		return true;
	if (!mog_integrity_cache_get(st, &want, &none))
		return false;
	if (none)	/* nothing to check it against; once old enough, the pool adopts it */
		return !mog_integrity_adoptable(st);
	if (mog_crc32c(0, body, len) != want)
		return false;
	mog_integrity_count(MOG_IC_VERIFIED);
	*checked = true;
	return true;
}

/* A mismatch: quarantine the file (the caller aborts the response). */
static void corrupt(struct mog_http *h, const char *why)
{
	const struct timespec *was = &h->vfy->st.st_ctim;
	const char *rel;
	struct stat now;
	int dev_fd;

	if (fstat(h->fd, &now) == 0 &&
	    (now.st_ctim.tv_sec != was->tv_sec || now.st_ctim.tv_nsec != was->tv_nsec)) {
		/* rewritten while read (a Content-Range PUT): not evidence of rot */
		mog_log(LOG_WARNING, "GET %s: changed while sent; reply aborted", h->path);
		return;
	}
	dev_fd = mog_target_open_dir(&h->target, h->path, &rel);
	if (dev_fd < 0) {
		mog_log_errno("GET %s: %s; device directory", h->path, why);
		mog_integrity_count(MOG_IC_CORRUPT);
		return;
	}
	mog_integrity_quarantine(dev_fd, h->target.devid, rel, h->vfy->st.st_ino, why);
	mog_target_close_dir(&h->target, dev_fd);
}

/* Set up verification of a whole-file GET.  Returns false when there is nothing to check. */
static bool vfy_start(struct mog_http *h)
{
	struct mog_http_vfy *v;
	bool none;

	if (!mog_integrity_verify || h->status != 200 || h->head_only || !h->target.in_dev ||
	    h->body_first != 0)
		return false;
	v = xmalloc(sizeof(*v));
	memset(v, 0, offsetof(struct mog_http_vfy, sum));
	if (fstat(h->fd, &v->st) < 0 || mog_integrity_unsupported(&v->st)) {
		free(v);
		return false;
	}
	h->vfy = v;
	if (v->st.st_size <= (off_t)1 << MOG_SUM_BASE_SHIFT &&
	    mog_integrity_cache_get(&v->st, &v->sum.crc[0], &none)) {
		if (none && !mog_integrity_adoptable(&v->st))
			goto unchecked;
		if (!none) {	/* one block, CRC known: no xattr read */
			v->sum.block_shift = MOG_SUM_BASE_SHIFT;
			v->sum.size = (uint64_t)v->st.st_size;
			v->sum.nblocks = v->st.st_size > 0;
			mog_sum_check_init(&v->check, &v->sum);
			v->cached = true;
			return true;
		}
	}
	switch (mog_integrity_load(h->fd, &v->sum)) {
	case MOG_INTEGRITY_LOADED:
		mog_sum_check_init(&v->check, &v->sum);
		v->rebind = !mog_integrity_bound(&v->sum, &v->st);
		return true;
	case MOG_INTEGRITY_DAMAGED:
	case MOG_INTEGRITY_NONE:
		if (!mog_integrity_adoptable(&v->st)) {
			/* maybe still being written by someone else; the loop may serve
			 * this version of it from memory unchecked */
			if (v->st.st_size <= (off_t)1 << MOG_SUM_BASE_SHIFT)
				mog_integrity_cache_put(&v->st, 0, true);
			break;
		}
		v->adopt = true;
		mog_sum_builder_init(&v->build, mog_integrity_put_md5);
		return true;
	case MOG_INTEGRITY_NEWER:
		break;
	}
unchecked:
	mog_http_sum_release(h);
	return false;
}

/* The whole file was read: keep the record made or confirmed. */
static void vfy_finish(struct mog_http *h)
{
	struct mog_http_vfy *v = h->vfy;
	struct stat now;

	if (!v->adopt && !v->rebind) {
		mog_integrity_count(MOG_IC_VERIFIED);
		if (v->sum.nblocks == 1 && !v->cached)
			mog_integrity_cache_put(&v->st, v->sum.crc[0], false);
		return;
	}
	if (v->adopt)
		mog_sum_builder_finish(&v->build, &v->sum);
	else
		mog_integrity_count(MOG_IC_VERIFIED);
	/* only if nothing changed the file while it was read */
	if (fstat(h->fd, &now) == 0 && now.st_ino == v->st.st_ino &&
	    now.st_size == v->st.st_size && now.st_mtim.tv_sec == v->st.st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == v->st.st_mtim.tv_nsec &&
	    mog_integrity_store(h->fd, &v->sum, &now) == 0 && v->adopt)
		mog_integrity_count(MOG_IC_ADOPTED);
}

off_t mog_http_verify_limit(struct mog_http *h)
{
	struct mog_http_vfy *v = h->vfy;
	char *buf;
	ssize_t n;

	if (v == NULL) {
		if (h->vfy_off || !vfy_start(h)) {
			h->vfy_off = true;
			return h->end;
		}
		v = h->vfy;
		if (!v->adopt && v->sum.size != (uint64_t)v->st.st_size) {
			corrupt(h, "size differs from the checksum record");
			return -1;
		}
	}
	if (h->off < v->front)
		return v->front;
	buf = mog_http_scratch();
	do
		n = pread(h->fd, buf, PIECE, v->front);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		/* EIO or a file that shrank: sendfile meets it too and ends the reply */
		h->vfy_off = true;
		mog_http_sum_release(h);
		return h->end;
	}
	if (v->adopt) {
		mog_sum_builder_update(&v->build, buf, (size_t)n);
	} else if (!mog_sum_check_update(&v->check, buf, (size_t)n)) {
		corrupt(h, "CRC-32C mismatch");
		return -1;
	}
	v->front += n;
	if (v->front >= v->st.st_size)
		vfy_finish(h);
	return v->front;
}
