/* http.c: one HTTP connection: parse a head, dispatch the method, write, repeat. */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "xalloc.h"
#include "../core/accesslog.h"
#include "../core/metrics.h"
#include "../util/addr.h"
#include "../net/loop.h"
#include "../util/path.h"
#include "../util/thread_exit.h"
#include "http_int.h"

struct mog_http_cfg mog_http_cfg;

static enum mog_next flush(struct mog_http *h);

/* One freed request per thread, for the next one: no malloc per request. */
static __thread struct mog_http *spare_http;
static __thread bool spare_registered;

static void free_spare(void *unused)
{
	free(spare_http);
	spare_http = NULL;
}

static void http_free(struct mog_conn *conn, struct mog_http *h)
{
	if (spare_http == NULL) {
		if (!spare_registered) {	/* once per thread, not per request */
			mog_thread_at_exit(free_spare, NULL);
			spare_registered = true;
		}
		spare_http = h;
	} else
		free(h);
	conn->req = NULL;
}

static struct mog_http *http_new(struct mog_conn *conn)
{
	struct mog_http *h = spare_http ? spare_http : xmalloc(sizeof(*h));

	spare_http = NULL;
	/* only the small fixed part needs zeroing; buffers are written before use */
	memset(h, 0, offsetof(struct mog_http, wbuf));
	h->conn = conn;
	h->fd = -1;
	h->dir_fd = -1;
	h->get_only = conn->kind == MOG_CONN_HTTPGET;
	h->started = ev_now(mog_loop);
	mog_http_req_init(&h->req);
	conn->req = h;
	return h;
}

static void http_release(struct mog_conn *conn)
{
	struct mog_http *h = conn->req;

	mog_http_put_release(h);
	mog_target_release(&h->target);
	mog_http_sum_release(h);
	free(h->obuf);
	h->obuf = NULL;
}

static void http_job_done(struct mog_job *job)
{
	struct mog_http *h = mog_container_of(job, struct mog_http, job);

	mog_conn_resume(h->conn);
}

/* The request waited longer than --io-deadline for its device's pool. */
static void http_expire(struct mog_job *job)
{
	struct mog_http *h = mog_container_of(job, struct mog_http, job);

	if (h->req.method == MOG_HTTP_PUT)
		h->keep = false;	/* the body was never read */
	if (h->fd >= 0 && h->req.method != MOG_HTTP_PUT) {
		close(h->fd);		/* a GET opened on the loop, waiting to be sent */
		h->fd = -1;
	}
	h->off = h->end;
	mog_http_respond_status(h, 503);
	h->result = HTTP_RES_RESPOND;
}

void mog_http_submit(struct mog_http *h, void (*run)(struct mog_job *), bool first)
{
	h->job.run = run;
	h->job.done = http_job_done;
	h->job.expire = first ? http_expire : NULL;	/* never cut a transfer short */
	h->state = HTTP_JOB;
	mog_dev_pool_submit(mog_target_pool(&h->target), &h->job);
}

bool mog_http_out_of_fds(struct mog_http *h, int err)
{
	if (err != EMFILE && err != ENFILE)
		return false;
	if (!h->fd_retried) {
		h->fd_retried = true;
		h->result = HTTP_RES_NOFD;
		return true;
	}
	mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, err));	/* 503 */
	h->result = HTTP_RES_RESPOND;
	return true;
}

bool mog_http_make_room(struct mog_http *h)
{
	bool freed = mog_conn_shed_idle(MOG_CONN_SHED_IDLE_S) > 0 ||
		     mog_conn_closed != h->closed_seen;

	h->closed_seen = mog_conn_closed;
	return freed;
}

int mog_http_send_wbuf(struct mog_http *h, bool more)
{
	return mog_conn_send(h->conn, h->wbuf, h->wlen, &h->woff, more ? MSG_MORE : 0);
}

/* Whether the response to this request may keep the connection (doc/protocol.md, Connections). */
static bool keep_alive(struct mog_http *h, bool keep)
{
	if (!keep || !h->req.persistent || h->req.chunked_and_length)
		return false;
	/* a body on a non-PUT request is never parsed as a request: close instead */
	if (h->req.method != MOG_HTTP_PUT &&
	    (h->req.chunked || (h->req.has_content_length && h->req.content_length > 0)))
		return false;
	/* shutting down: close unless the client already sent more */
	if (mog_shutting_down && h->conn->rlen == 0)
		return false;
	return true;
}

void mog_http_respond_status(struct mog_http *h, int status)
{
	h->status = status;
	h->wlen = mog_http_resp_status(h->wbuf, sizeof(h->wbuf), status, h->keep);
	h->woff = 0;
}

/* Loop: answer status with no body; keep: whether this status allows keep-alive. */
static enum mog_next respond(struct mog_http *h, int status, bool keep)
{
	h->keep = keep_alive(h, keep);
	mog_http_respond_status(h, status);
	h->state = HTTP_SEND;
	return flush(h);
}

/* Metrics and the access log for one answered request.  Loop thread. */
static void account(struct mog_http *h)
{
	unsigned long long out = h->woff;
	double secs = ev_now(mog_loop) - h->started;

	if (h->req.method == MOG_HTTP_GET && h->off > h->body_first)
		out += (unsigned long long)(h->off - h->body_first);
	mog_loop_shared_lock();		/* metrics and devices are every loop's */
	mog_http_metrics_count(h->req.method, h->status);
	if (h->req.method == MOG_HTTP_GET || h->req.method == MOG_HTTP_HEAD) {
		if (h->job.run)
			mog_http_metrics.get_pool++;
		else
			mog_http_metrics.get_memory++;
	}
	mog_http_metrics.bytes_out += out;
	mog_http_metrics.bytes_in += h->head_len + (unsigned long long)h->written;
	if (h->target.dev) {
		struct mog_dev_metrics *dm = &h->target.dev->metrics;

		if (h->req.method == MOG_HTTP_GET || h->req.method == MOG_HTTP_HEAD)
			mog_hist_add(&dm->latency[0], secs);
		else if (h->req.method == MOG_HTTP_PUT)
			mog_hist_add(&dm->latency[1], secs);
		if (h->fsync_s > 0)
			mog_hist_add(&dm->fsync, h->fsync_s);
		dm->bytes_out += out;
		dm->bytes_in += (unsigned long long)h->written;
	}
	if (h->job.run)		/* it went to the disk (not answered from memory) */
		mog_dev_account(h->target.dev, h->job.err);
	mog_loop_shared_unlock();
	if (mog_accesslog_on()) {
		static const char *const names[] = { "-", "GET", "HEAD", "PUT", "DELETE", "MKCOL" };
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char peer[64] = "-";

		if (getpeername(h->conn->io.fd, (struct sockaddr *)&ss, &len) == 0)
			mog_addr_format((struct sockaddr *)&ss, peer, sizeof(peer));
		mog_accesslog(peer, names[h->req.method <= MOG_HTTP_MKCOL ? h->req.method : 0],
			      h->path, h->status, out + (unsigned long long)h->written, secs);
	}
}

static enum mog_next finish(struct mog_http *h)
{
	struct mog_conn *conn = h->conn;
	bool keep = h->keep;

	account(h);
	conn->fresh = false;
	http_release(conn);
	http_free(conn, h);
	conn->last_io = mog_conn_now();
	if (!keep)
		return MOG_NEXT_CLOSE;
	if (conn->rlen > 0)
		return MOG_NEXT_AGAIN;
	if (conn->eof || mog_shutting_down)
		return MOG_NEXT_CLOSE;
	return MOG_NEXT_READ;
}

static enum mog_next flush(struct mog_http *h)
{
	switch (mog_http_send_wbuf(h, false)) {
	case 0:
		return MOG_NEXT_WRITE;
	case -1:
		return MOG_NEXT_CLOSE;
	}
	switch (mog_conn_send(h->conn, h->obuf, h->olen, &h->ooff, 0)) {
	case 0:
		return MOG_NEXT_WRITE;
	case -1:
		return MOG_NEXT_CLOSE;
	}
	if (h->fd >= 0 && h->off < h->end && !h->head_only) {
		mog_http_submit(h, mog_http_get_send, false);
		return MOG_NEXT_JOB;
	}
	return finish(h);
}

static enum mog_next dispatch(struct mog_http *h)
{
	struct mog_http_req *req = &h->req;
	struct mog_conn *conn = h->conn;

	memcpy(h->path, conn->rbuf + req->path_off, req->path_len);
	h->path[req->path_len] = '\0';
	h->path_len = req->path_len;
	mog_conn_consume(conn, req->off);	/* the body, if any, now starts rbuf */
	h->head_len = req->off;		/* counted in account() */
	mog_target_lookup(&h->target, h->path, h->path_len);
	h->head_only = req->method == MOG_HTTP_HEAD;
	h->keep = keep_alive(h, true);
	h->closed_seen = mog_conn_closed;

	switch (req->method) {
	case MOG_HTTP_GET:
	case MOG_HTTP_HEAD:
		mog_http_get(h);
		break;
	case MOG_HTTP_PUT:
		if (h->get_only)
			return respond(h, 405, false);
		mog_http_put(h);
		break;
	case MOG_HTTP_DELETE:
		if (h->get_only)
			return respond(h, 405, true);
		mog_http_delete(h);
		break;
	case MOG_HTTP_MKCOL:
		/* 400 is load-bearing: the tracker then stops sending MKCOL (doc/protocol.md, MKCOL) */
		if (h->get_only)
			return respond(h, 405, true);
		return respond(h, mog_path_has_dotdot(h->path, h->path_len) ? 403 : 400, true);
	default:
		return respond(h, 400, false);
	}
	return h->state == HTTP_JOB ? MOG_NEXT_JOB : flush(h);
}

/*
 * Shutdown and nothing buffered: bytes may have arrived that the loop has not
 * seen yet, and a connection that has not sent its first request yet (a
 * client that just connected, e.g. to the old process of an upgrade) gets a
 * second to send it before it is closed.
 */
static enum mog_next shutdown_idle(struct mog_conn *conn)
{
	if (!conn->eof && mog_conn_read(conn, HTTP_RBUF_MAX) > 0)
		return MOG_NEXT_AGAIN;
	/* its request may be on the way (MOG_CONN_FRESH_GRACE; the sweep closes it after) */
	if (conn->fresh && !conn->eof && mog_conn_now() - conn->last_io < MOG_CONN_FRESH_GRACE)
		return MOG_NEXT_READ;
	return MOG_NEXT_CLOSE;
}

static enum mog_next read_head(struct mog_http *h)
{
	struct mog_conn *conn = h->conn;
	ssize_t n;

	for (;;) {
		if (conn->rlen > 0) {
			switch (mog_http_parse(&h->req, conn->rbuf, conn->rlen)) {
			case MOG_PARSE_DONE:
				return dispatch(h);
			case MOG_PARSE_ERROR:
				return respond(h, h->req.status ? h->req.status : 400, false);
			case MOG_PARSE_AGAIN:
				break;
			}
		}
		if (conn->eof)
			return MOG_NEXT_CLOSE;	/* EOF inside a head: nothing to answer */
		n = mog_conn_read(conn, HTTP_RBUF_MAX);
		if (n > 0) {
			conn->last_io = mog_conn_now();
			continue;
		}
		if (n == 0)
			return MOG_NEXT_CLOSE;
		if (errno == EAGAIN)
			break;
		if (errno == ENOBUFS)
			return respond(h, 400, false);
		return MOG_NEXT_CLOSE;
	}
	if (conn->rlen == 0) {
		/* idle between requests: hold no request state */
		http_free(conn, h);
		if (mog_shutting_down)
			return shutdown_idle(conn);
	}
	return MOG_NEXT_READ;
}

static enum mog_next job_result(struct mog_http *h)
{
	switch (h->result) {
	case HTTP_RES_RESPOND:
		h->state = HTTP_SEND;
		return flush(h);
	case HTTP_RES_WANT_WRITE:
		h->state = HTTP_SEND_BODY;
		return MOG_NEXT_WRITE;
	case HTTP_RES_WANT_READ:
		h->state = HTTP_PUT_READ;
		return MOG_NEXT_READ;
	case HTTP_RES_DROP:
		mog_loop_shared_lock();
		mog_dev_account(h->target.dev, h->job.err);
		mog_loop_shared_unlock();
		break;
	case HTTP_RES_NOFD:
		/* idle keep-alive clients give way to one with a request (--maxconns) */
		if (mog_http_make_room(h)) {
			mog_http_submit(h, h->job.run, true);
			return MOG_NEXT_JOB;
		}
		if (h->req.method == MOG_HTTP_PUT)
			h->keep = false;	/* the body was not read */
		mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_READ, EMFILE));
		h->state = HTTP_SEND;
		return flush(h);
	}
	return MOG_NEXT_CLOSE;
}

static enum mog_next step_once(struct mog_conn *conn, int revents)
{
	struct mog_http *h = conn->req;

	if (h == NULL) {
		if (conn->rlen == 0 && mog_shutting_down)
			return shutdown_idle(conn);	/* idle at shutdown */
		if (conn->rlen == 0 && !(revents & EV_READ))
			return MOG_NEXT_READ;
		h = http_new(conn);
	}
	switch (h->state) {
	case HTTP_HEAD:
		return read_head(h);
	case HTTP_SEND:
		return flush(h);
	case HTTP_SEND_BODY:
		if (!(revents & EV_WRITE))
			return MOG_NEXT_WRITE;
		mog_http_submit(h, mog_http_get_send, false);
		return MOG_NEXT_JOB;
	case HTTP_PUT_READ:
		if (!(revents & EV_READ))
			return MOG_NEXT_READ;
		mog_http_submit(h, mog_http_put_body, false);
		return MOG_NEXT_JOB;
	case HTTP_JOB:
		return job_result(h);
	}
	return MOG_NEXT_CLOSE;
}

static enum mog_next http_step(struct mog_conn *conn, int revents)
{
	enum mog_next next;

	/* pipelined requests already buffered are served in a loop, not by recursion */
	while ((next = step_once(conn, revents)) == MOG_NEXT_AGAIN)
		revents = 0;
	return next;
}

/* No progress for the slow-client timeout (mog_conn_start_sweep). */
static enum mog_next http_timeout(struct mog_conn *conn)
{
	struct mog_http *h = conn->req;

	switch (h->state) {
	case HTTP_HEAD:
		if (conn->rlen == 0)
			return MOG_NEXT_READ;
		return respond(h, 408, false);	/* a head trickling forever */
	case HTTP_PUT_READ:
		mog_http_put_timeout(h);
		return MOG_NEXT_CLOSE;		/* a body stalled: drop it, nothing committed */
	case HTTP_SEND:
	case HTTP_SEND_BODY:
		return MOG_NEXT_WRITE;
	case HTTP_JOB:
		break;
	}
	return MOG_NEXT_IDLE;
}

static const struct mog_conn_ops http_ops = {
	.step = http_step,
	.release = http_release,
	.timeout = http_timeout,
};

void mog_http_start(struct mog_conn *conn)
{
	mog_conn_set_ops(conn, &http_ops);
	mog_conn_next(conn, MOG_NEXT_READ);
}
