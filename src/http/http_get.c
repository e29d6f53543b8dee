/* http_get.c: GET and HEAD: open on the device's pool, then sendfile in slices. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../util/fs.h"
#include "../util/path.h"
#include "../util/thread_exit.h"
#include "../dev/integrity.h"
#include "body_cache.h"
#include "http_int.h"

/* bytes sent per pool turn, so one huge GET does not hold a thread for long */
#define SEND_SLICE (4 * 1024 * 1024)

/* Status for a range request on a body of size bytes (doc/protocol.md, Range). */
static int resolve_range(const struct mog_http_req *req, off_t size, off_t *first, off_t *last)
{
	*first = 0;
	*last = size - 1;
	if (!req->has_range)
		return 200;
	if (req->range_has_first) {
		if (req->range_first >= size)
			return 416;
		if (req->range_has_last) {
			if (req->range_first > req->range_last)
				return 416;
			if (req->range_last < size - 1)
				*last = req->range_last;
		}
		*first = req->range_first;
		return 206;
	}
	if (!req->range_has_last || req->range_last == 0)
		return 416;			/* "bytes=-" and "bytes=-0" */
	if (req->range_last > size)
		return 200;			/* more than the whole file: all of it */
	*first = size - req->range_last;
	return 206;
}

/* Response head for a body of size bytes; sets off/end to the bytes to send. */
static void head_for(struct mog_http *h, off_t size, time_t mtime)
{
	off_t first, last;
	int status = resolve_range(&h->req, size, &first, &last);

	h->status = status;
	h->woff = 0;
	if (status == 416) {
		h->wlen = mog_http_resp_416(h->wbuf, sizeof(h->wbuf), size, h->keep);
		h->off = h->end = 0;
		return;
	}
	h->wlen = mog_http_resp_file(h->wbuf, sizeof(h->wbuf), status, mtime, first, last,
				     size, h->keep);
	h->off = first;
	h->end = status == 206 ? last + 1 : size;
	if (h->head_only)
		h->off = h->end;
	h->body_first = h->off;
}

/* Send the body until done, EAGAIN or a slice.  Pool thread. */
static void send_body(struct mog_http *h)
{
	size_t slice = SEND_SLICE;
	off_t limit = mog_http_verify_limit(h);

	if (limit < 0 && h->woff == 0) {
		/* the first bytes are bad and nothing is sent yet: say so */
		close(h->fd);
		h->fd = -1;
		h->off = h->end;
		mog_http_respond_status(h, 500);
		h->result = HTTP_RES_RESPOND;
		return;
	}
	if (limit < 0) {
		h->result = HTTP_RES_DROP;	/* never a complete reply with bad bytes */
		return;
	}
	switch (mog_http_send_wbuf(h, h->off < h->end)) {
	case 0:
		h->result = HTTP_RES_WANT_WRITE;
		return;
	case -1:
		h->result = HTTP_RES_DROP;
		return;
	}
	while (h->off < h->end) {
		off_t left;
		size_t want;
		ssize_t n;

		if (h->off >= limit && (limit = mog_http_verify_limit(h)) < 0) {
			h->result = HTTP_RES_DROP;	/* never a complete reply with bad bytes */
			return;
		}
		left = limit - h->off;
		want = left > (off_t)slice ? slice : (size_t)left;
		n = sendfile(h->conn->io.fd, h->fd, &h->off, want);

		if (n > 0) {
			slice -= (size_t)n;
			if (slice == 0) {
				/* let other clients of this device have the thread */
				h->result = HTTP_RES_WANT_WRITE;
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			h->result = HTTP_RES_WANT_WRITE;
			return;
		}
		if (n < 0 && errno == EIO)
			h->job.err = EIO;
		if (n == 0)	/* the file shrank: never pad, close instead */
			mog_log(LOG_ERR, "GET %s: file shrank while sending at offset %lld",
				h->path, (long long)h->off);
		h->result = HTTP_RES_DROP;
		return;
	}
	close(h->fd);
	h->fd = -1;
	h->result = HTTP_RES_RESPOND;	/* everything sent: the loop finishes */
}

void mog_http_get_send(struct mog_job *job)
{
	send_body(mog_container_of(job, struct mog_http, job));
}

static void get_open(struct mog_job *job)
{
	struct mog_http *h = mog_container_of(job, struct mog_http, job);
	const char *rel;
	int dir_fd, fd, err;
	struct stat st;

	h->result = HTTP_RES_RESPOND;
	if ((dir_fd = mog_target_open_dir(&h->target, h->path, &rel)) < 0) {
		if (!mog_http_out_of_fds(h, errno))
			mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, errno));
		return;
	}
	/* O_NONBLOCK: a FIFO must never block the thread */
	fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK | O_NOATIME, 0);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME on a file we do not own */
		fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK, 0);
	err = errno;
	mog_target_close_dir(&h->target, dir_fd);
	if (fd < 0) {
		if (!mog_http_out_of_fds(h, err))
			mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, err));
		return;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		mog_http_respond_status(h, 500);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		mog_http_respond_status(h, 403);	/* directories, FIFOs, devices */
		return;
	}
	head_for(h, st.st_size, st.st_mtime);
	if (h->off >= h->end) {
		close(fd);
		return;			/* HEAD, 416, empty body: the loop sends the head */
	}
	h->fd = fd;
	send_body(h);
}

/*
 * Loop thread: send the head in wbuf and body[0..len) together; whatever the
 * socket does not take now is left for flush(): the rest of the head in
 * wbuf, the rest of the body copied to obuf (only now is a copy made).
 */
static void send_cached(struct mog_http *h, const char *body, size_t len)
{
	struct iovec iov[2] = { { h->wbuf, h->wlen }, { (char *)body, len } };
	size_t sent = 0;

	if (mog_conn_sendv(h->conn, iov, 2, &sent, 0) < 0) {
		h->woff = h->wlen;	/* the peer is gone: flush() finds nothing to do */
		return;
	}
	if (sent < h->wlen) {
		h->woff = sent;
		sent = 0;
	} else {
		h->woff = h->wlen;
		sent -= h->wlen;
	}
	if (sent < len) {
		h->olen = len - sent;
		h->ooff = 0;
		h->obuf = xmalloc(h->olen);
		memcpy(h->obuf, body + sent, h->olen);
	}
}

/*
 * Loop thread: the body kept by the body cache for the file fd (st) is, if
 * any, the answer (whole or a range): no read and no CRC.  Closes fd then.
 */
static bool send_kept(struct mog_http *h, const struct stat *st, int fd, size_t len)
{
	void *ref;
	const char *kept = mog_body_cache_get(st, &ref);

	if (kept == NULL)
		return false;
	close(fd);
	send_cached(h, kept + h->off, len);	/* copies what the socket does not take */
	h->off = h->end;
	mog_body_cache_release(ref);
	return true;
}

static int open_cached(int dir_fd, const char *rel)
{
	int fd = mog_fs_open_cached(dir_fd, rel, O_RDONLY | O_NONBLOCK | O_NOATIME);

	if (fd < 0 && errno == EPERM)	/* O_NOATIME on a file we do not own */
		fd = mog_fs_open_cached(dir_fd, rel, O_RDONLY | O_NONBLOCK);
	return fd;
}

/* Bodies up to this size are read into memory and written by the loop. */
#define CACHED_BODY_MAX MOG_BODY_CACHE_ITEM_MAX

/*
 * Loop thread: answer a GET/HEAD without a pool thread when the whole answer
 * is already in memory: the path's dentries and inode (openat2 with
 * RESOLVE_CACHED) and, for a small body, its pages (mog_fs_pread_cached()).
 * Neither call can wait on a disk; when they would, the pool takes over.
 * A file that is open and cached but large goes to the pool for sendfile
 * with the descriptor already open.  Returns true if h is taken care of.
 */
static bool get_cached(struct mog_http *h)
{
	static __thread bool unsupported;	/* per loop thread */
	static __thread char *body;		/* per loop thread: CACHED_BODY_MAX */
	const char *rel = h->path + h->target.rest_off;
	int dir_fd = mog_target_cached_dir(&h->target), fd;
	struct stat st;
	size_t len;
	bool checked;

	if (unsupported || dir_fd < 0)
		return false;
	mog_thread_buf(&body, CACHED_BODY_MAX);	/* kept for the thread's life */
	fd = open_cached(dir_fd, rel);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		/* make room and retry once, here; else 503 (never to the pool, where
		 * every request would meet the same shortage before one is answered) */
		h->fd_retried = true;
		if (mog_http_make_room(h))
			fd = open_cached(dir_fd, rel);
	}
	if (fd < 0) {
		if (errno == ENOSYS)
			unsupported = true;
		if (errno == EAGAIN || errno == ENOSYS)
			return false;
		/* e.g. a cached ENOENT; EMFILE: 503 */
		mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, errno));
		h->state = HTTP_SEND;
		return true;
	}
	if (fstat(fd, &st) < 0) {
		mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, errno));
		close(fd);
		h->state = HTTP_SEND;
		return true;
	}
	if (!S_ISREG(st.st_mode)) {
		mog_http_respond_status(h, 403);	/* directories, FIFOs, devices */
		close(fd);
		h->state = HTTP_SEND;
		return true;
	}
	head_for(h, st.st_size, st.st_mtime);
	h->state = HTTP_SEND;
	if (h->off >= h->end) {		/* HEAD, 416, empty file */
		close(fd);
		return true;
	}
	len = (size_t)(h->end - h->off);
	if (len <= CACHED_BODY_MAX && send_kept(h, &st, fd, len))
		return true;
	if (len > CACHED_BODY_MAX ||
	    mog_fs_pread_cached(fd, st.st_dev, body, len, h->off) != (ssize_t)len ||
	    !mog_http_verify_small(h, &st, body, len, &checked)) {
		/* big, not cached, or no matching CRC in memory: the pool sends it */
		h->fd = fd;
		mog_http_submit(h, mog_http_get_send, true);
		return true;
	}
	close(fd);
	if (h->status == 200 && h->off == 0 && (checked || !mog_integrity_verify))
		mog_body_cache_put(&st, body);	/* the whole file, as checked */
	h->off = h->end;
	send_cached(h, body, len);
	return true;
}

/* Loop: the latest usage text, even when the file could not be written; false: none yet. */
static bool usage_from_memory(struct mog_http *h)
{
	struct mog_dev *dev = h->target.dev;
	bool have;

	mog_loop_shared_lock();		/* the main loop rewrites it */
	have = dev->usage_len > 0;
	if (have) {
		head_for(h, (off_t)dev->usage_len, dev->usage_time);
		if (h->off < h->end && h->wlen + (size_t)(h->end - h->off) <= sizeof(h->wbuf)) {
			memcpy(h->wbuf + h->wlen, dev->usage + h->off, (size_t)(h->end - h->off));
			h->wlen += (size_t)(h->end - h->off);
		}
	}
	mog_loop_shared_unlock();
	if (!have)
		return false;
	h->off = h->end = 0;
	h->state = HTTP_SEND;
	return true;
}

void mog_http_get(struct mog_http *h)
{
	if (mog_path_has_dotdot(h->path, h->path_len)) {
		mog_http_respond_status(h, 403);
		h->state = HTTP_SEND;
		return;
	}
	if (mog_http_is_quarantine(h->path, h->path_len)) {
		mog_http_respond_status(h, 404);	/* corrupt files are not served */
		h->state = HTTP_SEND;
		return;
	}
	if (h->path_len == 1) {
		/* "/" is an empty 200 for mogadm check (doc/protocol.md, GET and HEAD) */
		head_for(h, 0, 0);
		h->state = HTTP_SEND;
		return;
	}
	if (mog_target_unavailable(&h->target)) {
		/* not mounted: nothing of it is here; the tracker's monitor takes
		 * the quick 404 of /devN/usage as "device unreachable" */
		mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, ENODEV));
		h->state = HTTP_SEND;
		return;
	}
	if (mog_http_cfg.usage_in_memory && h->target.dev &&
	    strcmp(h->path + h->target.rest_off, "/usage") == 0 && usage_from_memory(h))
		return;
	if (get_cached(h))
		return;
	mog_http_submit(h, get_open, true);
}
