/* mgmt.c: sideband connections: one line at a time, in order; commands, replies, watch. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../net/loop.h"
#include "mgmt.h"
#include "mgmt_int.h"

#define MGMT_RBUF_MAX (16 * 1024)

void (*mog_mgmt_on_shutdown)(void);
unsigned long long mog_mgmt_commands[MOG_MGMT_C_N];
const char *const mog_mgmt_command_names[MOG_MGMT_C_N] = {
	"size", "MD5", "SHA-1", "watch", "shutdown", "aio_threads", "blank", "bad_uri", "unknown"
};

static struct mog_mgmt *watchers;

static enum mog_next flush(struct mog_mgmt *m);

void mog_mgmt_out_set(struct mog_mgmt *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* after the replies not sent yet (pipelined lines are answered in one send) */
	va_start(ap, fmt);
	n = vsnprintf(m->out + m->olen, m->ocap - m->olen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= m->ocap - m->olen) {
		m->ocap = m->olen + (size_t)n + 1;
		m->out = xrealloc(m->out, m->ocap);
		va_start(ap, fmt);
		vsnprintf(m->out + m->olen, m->ocap - m->olen, fmt, ap);
		va_end(ap);
	}
	m->olen += n > 0 ? (size_t)n : 0;
}

/* Send what can be sent of the pending replies now; forget them once all are out. */
static int send_out(struct mog_mgmt *m)
{
	int rc = mog_conn_send(m->conn, m->out, m->olen, &m->ooff, 0);

	if (rc == 1)
		m->olen = m->ooff = 0;
	return rc;
}

/* Replies held back while more complete lines are buffered: up to this many bytes. */
#define OUT_BATCH (16 * 1024)

static struct mog_mgmt *mgmt_new(struct mog_conn *conn)
{
	struct mog_mgmt *m = xzalloc(sizeof(*m));

	m->conn = conn;
	m->fd = -1;
	m->ocap = 128;
	m->out = xmalloc(m->ocap);
	mog_mgmt_req_init(&m->req);
	conn->req = m;
	return m;
}

static void watch_unlink(struct mog_mgmt *m)
{
	if (m->watch_prev)
		m->watch_prev->watch_next = m->watch_next;
	else if (watchers == m)
		watchers = m->watch_next;
	if (m->watch_next)
		m->watch_next->watch_prev = m->watch_prev;
	m->watch_prev = m->watch_next = NULL;
}

static void mgmt_release(struct mog_conn *conn)
{
	struct mog_mgmt *m = conn->req;

	if (m->state == MGMT_WATCH)
		watch_unlink(m);
	if (m->state == MGMT_FSCK_WAIT)
		mog_mgmt_fsck_unqueue(m);
	mog_mgmt_fsck_release(m);
	mog_target_release(&m->target);
	if (m->fd >= 0)
		close(m->fd);
	free(m->fill);
	free(m->out);
}

/* Free m once the connection is idle again (idle connections hold nothing). */
static void mgmt_idle(struct mog_mgmt *m)
{
	struct mog_conn *conn = m->conn;

	mgmt_release(conn);
	free(m);
	conn->req = NULL;
}

static void mgmt_job_done(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);

	mog_target_release(&m->target);	/* only the first job resolves: do not hold the disk */
	mog_conn_resume(m->conn);
}

/* The command waited longer than --io-deadline for its device's pool. */
static void mgmt_expire(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);

	mog_mgmt_out_set(m, "ERROR: %s timed out waiting for its device\r\n", m->path);
	m->phase = PHASE_REPLY;
}

void mog_mgmt_submit(struct mog_mgmt *m, void (*run)(struct mog_job *))
{
	m->job.run = run;
	m->job.expire = run == mog_mgmt_digest_read ? NULL : mgmt_expire;
	m->job.done = mgmt_job_done;
	m->state = MGMT_JOB;
	mog_dev_pool_submit(mog_target_pool(&m->target), &m->job);
}

static enum mog_next job_result(struct mog_mgmt *m)
{
	if (m->phase == PHASE_REPLY) {
		mog_dev_account(m->target.dev, m->job.err);
		if (m->target.dev && m->cmd != MOG_MGMT_SIZE)
			mog_hist_add(&m->target.dev->metrics.latency[2], ev_now(mog_loop) - m->started);
		mog_mgmt_fsck_release(m);
		m->state = MGMT_SEND;
		return flush(m);
	}
	/* PHASE_READ: the file is open */
	if (m->fsck && !m->fsck_holding && !mog_shutting_down && mog_mgmt_fsck_wait(m))
		return MOG_NEXT_IDLE;
	mog_mgmt_submit(m, mog_mgmt_digest_read);
	return MOG_NEXT_JOB;
}

static void count_command(enum mog_mgmt_cmd cmd)
{
	static const enum mog_mgmt_metric map[] = {
		[MOG_MGMT_BLANK] = MOG_MGMT_C_BLANK, [MOG_MGMT_SIZE] = MOG_MGMT_C_SIZE,
		[MOG_MGMT_MD5] = MOG_MGMT_C_MD5, [MOG_MGMT_SHA1] = MOG_MGMT_C_SHA1,
		[MOG_MGMT_WATCH] = MOG_MGMT_C_WATCH, [MOG_MGMT_SHUTDOWN] = MOG_MGMT_C_SHUTDOWN,
		[MOG_MGMT_AIO_THREADS] = MOG_MGMT_C_AIO_THREADS,
		[MOG_MGMT_BAD_URI] = MOG_MGMT_C_BAD_URI, [MOG_MGMT_UNKNOWN] = MOG_MGMT_C_UNKNOWN,
	};

	if (cmd != MOG_MGMT_NONE && (size_t)cmd < sizeof(map) / sizeof(map[0]))
		mog_mgmt_commands[map[cmd]]++;
}

static enum mog_next command(struct mog_mgmt *m)
{
	struct mog_conn *conn = m->conn;
	struct mog_mgmt_req *req = &m->req;

	m->cmd = req->cmd;
	m->started = ev_now(mog_loop);
	count_command(req->cmd);
	if (req->path_len > 0 && req->path_len <= MOG_PATH_MAX) {
		memcpy(m->path, conn->rbuf + req->path_off, req->path_len);
		m->path[req->path_len] = '\0';
	}
	switch (req->cmd) {
	case MOG_MGMT_UNKNOWN:
		mog_mgmt_out_set(m, "ERROR: unknown command: %.*s\r\n", (int)req->token_len,
			conn->rbuf + req->token_off);
		break;
	case MOG_MGMT_BAD_URI:
		mog_mgmt_out_set(m, "ERROR: uri invalid (contains ..)\r\n");
		break;
	case MOG_MGMT_AIO_THREADS:
		if (req->aio_threads >= 1 && req->aio_threads <= 100) {
			mog_log(LOG_INFO, "server aio_threads=%lu", req->aio_threads);
			mog_dev_set_threads((unsigned)req->aio_threads);
		}
		/* fall through: the reply is always an empty line */
	case MOG_MGMT_BLANK:
		mog_mgmt_out_set(m, "\r\n");
		break;
	case MOG_MGMT_WATCH:
		mog_conn_consume(conn, conn->rlen);	/* ignored from now on */
		m->state = MGMT_WATCH;
		m->watch_next = watchers;
		if (watchers)
			watchers->watch_prev = m;
		watchers = m;
		mog_dev_refresh();
		return m->ooff < m->olen ? flush(m) : MOG_NEXT_READ;	/* earlier replies first */
	case MOG_MGMT_SHUTDOWN:
		mog_conn_consume(conn, conn->rlen);
		send_out(m);	/* best effort: earlier replies held back */
		if (mog_mgmt_on_shutdown)
			mog_mgmt_on_shutdown();
		return MOG_NEXT_CLOSE;
	case MOG_MGMT_SIZE:
	case MOG_MGMT_MD5:
	case MOG_MGMT_SHA1:
		mog_conn_consume(conn, req->line_len);
		m->job.err = 0;
		m->fsck = req->fsck;
		mog_target_release(&m->target);
		m->stored = req->stored;
		mog_target_lookup(&m->target, m->path, req->path_len);
		if (mog_mgmt_cached(m)) {	/* all in memory: no pool trip */
			mog_target_release(&m->target);
			m->state = MGMT_SEND;
			return flush(m);
		}
		if (m->ooff < m->olen && send_out(m) < 0)
			return MOG_NEXT_CLOSE;	/* earlier replies go out before the pool's turn */
		mog_mgmt_submit(m, req->cmd == MOG_MGMT_SIZE ? mog_mgmt_size_run : mog_mgmt_digest_open);
		return MOG_NEXT_JOB;
	case MOG_MGMT_NONE:
		break;
	}
	mog_conn_consume(conn, req->line_len);
	m->state = MGMT_SEND;
	return flush(m);
}

static enum mog_next read_lines(struct mog_mgmt *m)
{
	struct mog_conn *conn = m->conn;
	ssize_t n;

	for (;;) {
		if (conn->rlen > 0) {
			switch (mog_mgmt_parse(&m->req, conn->rbuf, conn->rlen)) {
			case MOG_PARSE_DONE:
				return command(m);
			case MOG_PARSE_ERROR:
				return MOG_NEXT_CLOSE;	/* overlong line: close, no reply */
			case MOG_PARSE_AGAIN:
				break;
			}
		}
		if (conn->eof)
			return MOG_NEXT_CLOSE;
		n = mog_conn_read(conn, MGMT_RBUF_MAX);
		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		return MOG_NEXT_CLOSE;
	}
	if (conn->rlen == 0) {
		if (mog_shutting_down)
			return MOG_NEXT_CLOSE;
		mgmt_idle(m);
	}
	return MOG_NEXT_READ;
}

static enum mog_next flush(struct mog_mgmt *m)
{
	struct mog_conn *conn = m->conn;

	if (m->state == MGMT_SEND && m->olen < OUT_BATCH && !mog_shutting_down &&
	    conn->rlen > 0 && memchr(conn->rbuf, '\n', conn->rlen)) {
		/* another line is here already: answer it too before sending */
		m->state = MGMT_LINE;
		mog_mgmt_req_init(&m->req);
		return MOG_NEXT_AGAIN;
	}
	switch (send_out(m)) {
	case 0:
		return MOG_NEXT_WRITE;
	case -1:
		return MOG_NEXT_CLOSE;
	}
	if (m->state == MGMT_WATCH)
		return MOG_NEXT_READ;
	/* the reply is out: next line */
	m->state = MGMT_LINE;
	mog_mgmt_req_init(&m->req);
	if (mog_shutting_down && conn->rlen == 0)
		return MOG_NEXT_CLOSE;
	return MOG_NEXT_AGAIN;		/* mgmt_step() goes on with read_lines() */
}

static enum mog_next watch_step(struct mog_mgmt *m, int revents)
{
	struct mog_conn *conn = m->conn;

	if (mog_shutting_down)
		return MOG_NEXT_CLOSE;
	if (revents & EV_READ) {
		/* anything a subscriber sends is ignored; EOF ends the subscription */
		for (;;) {
			ssize_t n = mog_conn_read(conn, 4096);

			mog_conn_consume(conn, conn->rlen);
			if (n > 0)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			return MOG_NEXT_CLOSE;
		}
	}
	if (m->ooff < m->olen)
		return flush(m);
	return MOG_NEXT_READ;
}

static enum mog_next step_once(struct mog_conn *conn, int revents)
{
	struct mog_mgmt *m = conn->req;

	if (m == NULL) {
		if (conn->rlen == 0 && (mog_shutting_down || !(revents & EV_READ)))
			return mog_shutting_down ? MOG_NEXT_CLOSE : MOG_NEXT_READ;
		m = mgmt_new(conn);
	}
	switch (m->state) {
	case MGMT_LINE:
		if (mog_shutting_down && conn->rlen == 0 && !(revents & EV_READ))
			return MOG_NEXT_CLOSE;
		return read_lines(m);
	case MGMT_JOB:
		return job_result(m);
	case MGMT_FSCK_WAIT:
		return MOG_NEXT_IDLE;
	case MGMT_SEND:
		return flush(m);
	case MGMT_WATCH:
		return watch_step(m, revents);
	}
	return MOG_NEXT_CLOSE;
}

static enum mog_next mgmt_step(struct mog_conn *conn, int revents)
{
	enum mog_next next;

	/* buffered lines are answered in a loop, not by recursion */
	while ((next = step_once(conn, revents)) == MOG_NEXT_AGAIN) {
		struct mog_mgmt *m = conn->req;

		revents = 0;
		if (conn->rlen == 0)
			return mog_shutting_down ? MOG_NEXT_CLOSE : (mgmt_idle(m), MOG_NEXT_READ);
	}
	return next;
}

static const struct mog_conn_ops mgmt_ops = {
	.step = mgmt_step,
	.release = mgmt_release,
};

void mog_mgmt_start(struct mog_conn *conn)
{
	mog_conn_set_ops(conn, &mgmt_ops);
	mog_conn_next(conn, MOG_NEXT_READ);
}

void mog_mgmt_watch_round(const char *round, size_t len)
{
	struct mog_mgmt *m, *next;

	for (m = watchers; m; m = next) {
		next = m->watch_next;
		if (m->ooff < m->olen)
			continue;	/* still draining the last round: skip this one */
		if (m->ocap < len) {
			m->ocap = len;
			m->out = xrealloc(m->out, m->ocap);
		}
		memcpy(m->out, round, len);	/* nothing is pending (checked above) */
		m->olen = len;
		m->ooff = 0;
		mog_conn_next(m->conn, flush(m));
	}
}

void mog_mgmt_shutdown(void)
{
	while (watchers)
		mog_conn_free(watchers->conn);	/* release unlinks it */
	mog_mgmt_fsck_start_all();
}
