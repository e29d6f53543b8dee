/* http_put.c: PUT: a temp file filled from the socket on the device's pool, then renamed. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../util/addr.h"
#include "../dev/integrity.h"
#include "../util/dirsync.h"
#include "../util/fs.h"
#include "../util/path.h"
#include "../util/thread_exit.h"
#include "../dev/devdir.h"
#include "http_int.h"

static const char continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* Our pid for temp names, without a syscall per PUT.  Pool threads race to
 * set it first (with the same value): relaxed atomics make that defined. */
static int our_pid(void)
{
	static int pid;
	int p = __atomic_load_n(&pid, __ATOMIC_RELAXED);

	if (p == 0) {
		p = (int)getpid();
		__atomic_store_n(&pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

void mog_http_put_release(struct mog_http *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	if (h->tmp[0] && h->dir_fd >= 0)
		unlinkat(h->dir_fd, h->tmp, 0);	/* an unfinished upload leaves nothing */
	h->tmp[0] = '\0';
	if (h->dir_fd >= 0) {
		close(h->dir_fd);
		h->dir_fd = -1;
	}
}

/* A PUT error: the body was not read, so the connection closes (doc/protocol.md, PUT errors). */
static void fail(struct mog_http *h, int status)
{
	mog_http_put_release(h);
	h->keep = false;
	mog_http_respond_status(h, status);
	h->result = HTTP_RES_RESPOND;
}

/* Log an upload cut short, with the words the reference tests look for. */
static void log_premature(struct mog_http *h, int err)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char peer[64] = "unknown";
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	if (getpeername(h->conn->io.fd, (struct sockaddr *)&ss, &len) == 0)
		mog_addr_format((struct sockaddr *)&ss, peer, sizeof(peer));
	mog_log(LOG_ERR, "PUT %s failed from %s after %lld bytes: %s", h->path, peer,
		(long long)h->written, err ? strerror(err) : "premature EOF");
	if (getsockopt(h->conn->io.fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0)
		mog_log(LOG_ERR, "last_data_recv=%ums from %s for PUT %s", ti.tcpi_last_data_recv,
			peer, h->path);
}

void mog_http_put_timeout(struct mog_http *h)
{
	log_premature(h, ETIMEDOUT);
	mog_http_put_release(h);
}

static int write_data(struct mog_http *h, const char *buf, size_t len)
{
	if (h->digest_on)
		mog_digest_update(&h->md5, buf, len);
	if (h->sumb)
		mog_sum_builder_update(h->sumb, buf, len);
	while (len > 0) {
		ssize_t n = h->partial ? pwrite(h->fd, buf, len, h->put_off)
				       : write(h->fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		h->put_off += n;
		h->written += n;
	}
	return 0;
}

/* Hash the temp file's bytes into h->md5 (it is still open for writing). */
static int digest_file(struct mog_http *h)
{
	char *buf = xmalloc(256 * 1024);
	off_t off = 0;
	ssize_t n;

	mog_digest_init(&h->md5, MOG_DIGEST_MD5);
	h->digest_on = true;
	while ((n = pread(h->fd, buf, 256 * 1024, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		mog_digest_update(&h->md5, buf, (size_t)n);
		off += n;
	}
	free(buf);
	return 0;
}

/* Body complete: check the digest, make it durable, and make it visible. */
static void commit(struct mog_http *h)
{
	const unsigned char *want = NULL;
	unsigned char got[20];
	struct timespec t0, t1;
	int err;

	if (h->chunked && h->chunk.has_md5)
		want = h->chunk.md5;		/* the trailer, parsed last, wins */
	else if (h->req.has_content_md5)
		want = h->req.content_md5;
	if (want && !h->digest_on) {
		/* a trailer nobody announced: hash what was written (rare, and cheaper
		 * than hashing every chunked body on the chance of one) */
		if (digest_file(h) < 0)
			goto fail;
	}
	if (h->digest_on) {
		mog_digest_final(&h->md5, got);
		/* an announced trailer that never came counts as a mismatch */
		if ((h->req.trailer_md5 && h->chunked && !h->chunk.has_md5) ||
		    (want && memcmp(want, got, 16) != 0)) {
			/* the body was read in full: the connection stays usable;
			 * a partial PUT's bytes are already in place (documented) */
			mog_http_put_release(h);
			mog_http_respond_status(h, 400);
			h->result = HTTP_RES_RESPOND;
			return;
		}
	}
	/* the record goes on the temp file: never visible without it */
	if (mog_http_sum_commit(h, h->digest_on ? got : NULL) < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mog_http_cfg.fsync == MOG_FSYNC_DATA && fdatasync(h->fd) < 0)
		goto fail;
	if (!h->partial && fchmod(h->fd, 0666 & ~mog_umask) < 0)
		goto fail;
	if (close(h->fd) < 0) {
		h->fd = -1;
		goto fail;
	}
	h->fd = -1;
	if (!h->partial) {
		if (renameat(h->dir_fd, h->tmp, h->dir_fd, h->base) < 0)
			goto fail;
		h->tmp[0] = '\0';
	}
	/* the new name (a rename, or a Content-Range PUT that created the file)
	 * must survive a crash before we say 201; concurrent PUTs into this
	 * directory share the fsync */
	if (mog_http_cfg.fsync == MOG_FSYNC_DATA && (!h->partial || h->created) &&
	    mog_dirsync(h->dir_fd) < 0)
		goto fail;
	if (mog_http_cfg.fsync == MOG_FSYNC_DATA) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		h->fsync_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	mog_http_put_release(h);
	mog_http_respond_status(h, 201);
	h->result = HTTP_RES_RESPOND;
	return;
fail:
	err = errno;
	mog_log(LOG_ERR, "PUT %s: commit failed: %s", h->path, strerror(err));
	fail(h, mog_http_status_of(h, MOG_HTTP_OP_WRITE, err));
}

/* Consume body bytes from buf[0..len); *used is set to the bytes taken.
 * Returns 1 when the body is complete (bytes after it are not taken),
 * 0 when more is needed, -1 when the request failed (response set). */
static int eat(struct mog_http *h, const char *buf, size_t len, size_t *used)
{
	size_t off = 0;

	for (;;) {
		size_t n, u;

		if (!h->chunked) {
			n = len - off;
			if ((off_t)n > h->body_left)
				n = (size_t)h->body_left;
			if (n > 0 && write_data(h, buf + off, n) < 0)
				goto write_fail;
			h->body_left -= (off_t)n;
			*used = off + n;
			return h->body_left == 0;
		}
		if (off == len) {
			*used = off;
			return 0;
		}
		switch (mog_chunk_parse(&h->chunk, buf + off, len - off, &u)) {
		case MOG_CHUNK_AGAIN:
			*used = len;
			return 0;
		case MOG_CHUNK_DONE:
			*used = off + u;
			return 1;
		case MOG_CHUNK_ERROR:
			fail(h, h->chunk.status ? h->chunk.status : 400);
			return -1;
		case MOG_CHUNK_DATA:
			off += u;
			n = len - off;
			if ((off_t)n > h->chunk.left)
				n = (size_t)h->chunk.left;
			if (n > 0 && write_data(h, buf + off, n) < 0)
				goto write_fail;
			mog_chunk_data(&h->chunk, n);
			off += n;
			break;
		}
	}
write_fail:
	{
		int err = errno, status = mog_http_status_of(h, MOG_HTTP_OP_WRITE, err);

		if (status == 500)
			mog_log(LOG_ERR, "PUT %s: write at offset %lld failed: %s", h->path,
				(long long)h->put_off, strerror(err));
		fail(h, status);
	}
	return -1;
}

/*
 * Read the body straight into the pool thread's scratch buffer (the
 * connection's own buffer stays small, and idle connections hold none): one
 * read and one write per 256 KiB instead of per 4 KiB.  Bytes after the body
 * (a pipelined request) are kept in the connection's buffer.
 */
#define BODY_SLICE (4 * 1024 * 1024)	/* body bytes per pool turn (GET: SEND_SLICE) */

char *mog_http_scratch(void)
{
	static __thread char *scratch;	/* freed when its pool thread exits */

	return mog_thread_buf(&scratch, MOG_HTTP_SCRATCH);
}

void mog_http_put_body(struct mog_job *job)
{
	char *tbuf;
	struct mog_http *h = mog_container_of(job, struct mog_http, job);
	struct mog_conn *conn = h->conn;
	size_t used, turn = 0;
	ssize_t n;
	int rc;

	/* buffered bytes first (also completes an empty Content-Length body) */
	rc = eat(h, conn->rlen ? conn->rbuf : "", conn->rlen, &used);
	if (rc >= 0 && conn->rlen > 0)
		mog_conn_consume(conn, used);
	if (rc != 0)
		goto complete;
	tbuf = mog_http_scratch();
	for (;;) {
		n = read(conn->io.fd, tbuf, MOG_HTTP_SCRATCH);
		if (n > 0) {
			rc = eat(h, tbuf, (size_t)n, &used);
			if (rc == 1 && used < (size_t)n) {
				/* the start of a pipelined request after the body */
				conn->rbuf = xrealloc(conn->rbuf, (size_t)n - used);
				memcpy(conn->rbuf, tbuf + used, (size_t)n - used);
				conn->rlen = conn->rcap = (uint32_t)((size_t)n - used);
			}
			if (rc != 0)
				goto complete;
			turn += (size_t)n;
			if (turn >= BODY_SLICE)
				break;	/* let other jobs of this device have the thread */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			h->result = HTTP_RES_WANT_READ;
			return;
		}
		if (n == 0)
			conn->eof = true;
		log_premature(h, n < 0 ? errno : 0);
		mog_http_put_release(h);
		h->result = HTTP_RES_DROP;
		return;
	}
	/* a slice is done: back to the end of the queue once the socket is
	 * readable (at once when more is there), as GETs do between slices */
	h->result = HTTP_RES_WANT_READ;
	return;
complete:
	if (rc == 1)
		commit(h);
}

/* put_open() could not open what it needs: out of descriptors, or status. */
static void open_failed(struct mog_http *h, int err, int status)
{
	if (mog_http_out_of_fds(h, err)) {
		mog_http_put_release(h);
		if (h->result == HTTP_RES_RESPOND)
			h->keep = false;	/* 503: the body was not read */
		return;
	}
	fail(h, status);
}

static void put_open(struct mog_job *job)
{
	struct mog_http *h = mog_container_of(job, struct mog_http, job);
	const char *rel;
	int dev_fd, fd = -1, tries, err;
	size_t base_off;
	struct stat st;

	h->result = HTTP_RES_RESPOND;
	/* PUT never creates the device directory itself */
	if ((dev_fd = mog_target_open_dir(&h->target, h->path, &rel)) < 0) {
		err = errno;
		if (err == ENODEV)	/* --require-mount: never into the root filesystem */
			mog_log(LOG_ERR, "PUT %s: 507: not a mount point (--require-mount)",
				h->path);
		open_failed(h, err, err == ENOENT || err == ENOTDIR ? 404 :
			    mog_http_status_of(h, MOG_HTTP_OP_CREATE, err));
		return;
	}
	while (*rel == '/')
		rel++;
	h->dir_fd = mog_fs_open_parent(dev_fd, rel, &base_off,
					mog_http_cfg.fsync == MOG_FSYNC_DATA);
	err = errno;
	mog_target_close_dir(&h->target, dev_fd);
	if (h->dir_fd < 0) {
		open_failed(h, err, err == ENOENT ? 500 : mog_http_status_of(h, MOG_HTTP_OP_CREATE, err));
		return;
	}
	snprintf(h->base, sizeof(h->base), "%s", rel + base_off);
	h->created = fstatat(h->dir_fd, h->base, &st, AT_SYMLINK_NOFOLLOW) < 0;
	if (!h->created) {
		if (S_ISLNK(st.st_mode)) {
			fail(h, 403);
			return;
		}
		if (S_ISDIR(st.st_mode)) {
			fail(h, 500);
			return;
		}
	}
	if (h->partial) {
		fd = openat(h->dir_fd, h->base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
		/* the record no longer matches: a later whole read or scrub makes a new one */
		if (fd >= 0 && mog_integrity_drop(fd) < 0) {
			close(fd);
			fd = -1;
		}
	} else {
		for (tries = 0; tries < 2 && fd < 0; tries++) {
			unsigned r = (unsigned)random();

			snprintf(h->tmp, sizeof(h->tmp), "%s.%08x.%d.tmp", h->base, r, our_pid());
			fd = openat(h->dir_fd, h->tmp,
				    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd < 0)
			h->tmp[0] = '\0';
	}
	if (fd < 0) {
		err = errno;
		open_failed(h, err, mog_http_status_of(h, MOG_HTTP_OP_CREATE, err));
		return;
	}
	h->fd = fd;
	if (h->req.expect_continue && h->req.version_minor == 1 && h->conn->rlen == 0) {
		size_t off = 0;

		/* tiny and first on a fresh socket: it fits, or the client times out and sends */
		mog_conn_send(h->conn, continue_100, sizeof(continue_100) - 1, &off, 0);
	}
	mog_http_put_body(job);
}

void mog_http_put(struct mog_http *h)
{
	struct mog_http_req *req = &h->req;

	h->keep = h->keep && req->persistent;
	if (mog_path_has_dotdot(h->path, h->path_len)) {
		fail(h, 403);
		h->state = HTTP_SEND;
		return;
	}
	if (!mog_path_is_put(h->path, h->path_len) || !h->target.in_dev ||
	    (req->has_content_range &&
	     (req->chunked || !req->has_content_length ||
	      req->crange_last < req->crange_first ||
	      req->content_length != req->crange_last - req->crange_first + 1))) {
		fail(h, 400);
		h->state = HTTP_SEND;
		return;
	}
	if (mog_target_unavailable(&h->target)) {
		/* writing into the bare mount point would fill the root filesystem */
		fail(h, mog_http_status_of(h, MOG_HTTP_OP_CREATE, ENODEV));
		mog_devdir_refused(h->target.dev, "PUT", h->path, h->status);
		h->state = HTTP_SEND;
		return;
	}
	h->chunked = req->chunked;
	if (h->chunked)
		mog_chunk_init(&h->chunk);
	else
		h->body_left = req->has_content_length ? req->content_length : 0;
	h->partial = req->has_content_range;
	h->put_off = h->partial ? req->crange_first : 0;
	/* hash while writing when a digest is announced (or every whole-file PUT
	 * keeps one, --put-checksums=full); an unannounced trailer is checked by
	 * reading the file back (commit) */
	h->digest_on = req->has_content_md5 || (h->chunked && req->trailer_md5) ||
		       (mog_integrity_put_md5 && !h->partial);
	if (h->digest_on)
		mog_digest_init(&h->md5, MOG_DIGEST_MD5);
	if (!h->partial)
		mog_http_sum_begin(h);
	mog_http_submit(h, put_open, true);
}
