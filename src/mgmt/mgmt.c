/* mgmt.c: sideband connections: one line at a time, in order; size, digests, watch. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../dev/target.h"
#include "../net/loop.h"
#include "../util/digest.h"
#include "../util/fs.h"
#include "mgmt_parser.h"
#include "mgmt.h"

#define MGMT_RBUF_MAX (16 * 1024)
#define DIGEST_SLICE (8 * 1024 * 1024)	/* read per pool turn: no file monopolises a thread */
#define DIGEST_BUF (256 * 1024)

void (*mog_mgmt_on_shutdown)(void);
unsigned long long mog_mgmt_commands[MOG_MGMT_C_N];
const char *const mog_mgmt_command_names[MOG_MGMT_C_N] = {
	"size", "MD5", "SHA-1", "watch", "shutdown", "aio_threads", "blank", "bad_uri", "unknown"
};

enum mgmt_state {
	MGMT_LINE,		/* reading and parsing lines (loop) */
	MGMT_JOB,		/* a pool thread has the request */
	MGMT_FSCK_WAIT,		/* queued behind another fsck digest on this filesystem */
	MGMT_SEND,		/* reply in out: the loop flushes it */
	MGMT_WATCH		/* a `watch` subscriber */
};

enum digest_phase { PHASE_OPEN, PHASE_READ, PHASE_REPLY };

struct mog_mgmt {
	struct mog_job job;
	struct mog_conn *conn;
	struct mog_mgmt_req req;
	enum mgmt_state state;
	enum mog_mgmt_cmd cmd;
	double started;			/* ev_now() when the command was parsed */
	char path[MOG_PATH_MAX + 1];
	struct mog_target target;	/* which device, and where the path below it starts */

	/* MD5 / SHA-1 */
	enum digest_phase phase;
	bool fsck;
	bool fsck_holding;		/* this request holds its filesystem's fsck slot */
	int fd;
	off_t off;
	dev_t st_dev;
	struct mog_digest digest;
	struct mog_mgmt *fsck_next;

	/* reply (or the pending watch round) */
	char *out;
	size_t olen, ooff, ocap;
	struct mog_mgmt *watch_prev, *watch_next;
};

/* one FIFO per filesystem: at most one fsck digest reads at a time (PROTOCOL.md 3.3) */
struct fsck_queue {
	dev_t st_dev;
	bool busy;
	struct mog_mgmt *head, *tail;
};
static struct fsck_queue *fsck_queues;
static size_t nfsck_queues;
static struct mog_mgmt *watchers;

static enum mog_next flush(struct mog_mgmt *m);
static void mgmt_submit(struct mog_mgmt *m, void (*run)(struct mog_job *));
static void digest_read(struct mog_job *job);

static void out_set(struct mog_mgmt *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_set(struct mog_mgmt *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->out, m->ocap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= m->ocap) {
		m->ocap = (size_t)n + 1;
		m->out = xrealloc(m->out, m->ocap);
		va_start(ap, fmt);
		vsnprintf(m->out, m->ocap, fmt, ap);
		va_end(ap);
	}
	m->olen = n > 0 ? (size_t)n : 0;
	m->ooff = 0;
}

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

static struct fsck_queue *fsck_queue(dev_t st_dev)
{
	size_t i;

	for (i = 0; i < nfsck_queues; i++)
		if (fsck_queues[i].st_dev == st_dev)
			return &fsck_queues[i];
	fsck_queues = xreallocarray(fsck_queues, nfsck_queues + 1, sizeof(*fsck_queues));
	memset(&fsck_queues[nfsck_queues], 0, sizeof(*fsck_queues));
	fsck_queues[nfsck_queues].st_dev = st_dev;
	return &fsck_queues[nfsck_queues++];
}


/* Give up m's fsck slot and start the next waiter.  Loop thread. */
static void fsck_release(struct mog_mgmt *m)
{
	struct fsck_queue *q;
	struct mog_mgmt *next;

	if (!m->fsck_holding)
		return;
	m->fsck_holding = false;
	q = fsck_queue(m->st_dev);
	q->busy = false;
	if ((next = q->head) != NULL) {
		q->head = next->fsck_next;
		if (q->head == NULL)
			q->tail = NULL;
		q->busy = true;
		next->fsck_holding = true;
		mgmt_submit(next, digest_read);
		mog_conn_next(next->conn, MOG_NEXT_JOB);
	}
}

static void fsck_unqueue(struct mog_mgmt *m)
{
	struct fsck_queue *q = fsck_queue(m->st_dev);
	struct mog_mgmt **pp;

	for (pp = &q->head; *pp; pp = &(*pp)->fsck_next) {
		if (*pp == m) {
			*pp = m->fsck_next;
			break;
		}
	}
	q->tail = NULL;
	for (pp = &q->head; *pp; pp = &(*pp)->fsck_next)
		q->tail = *pp;
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
		fsck_unqueue(m);
	fsck_release(m);
	if (m->fd >= 0)
		close(m->fd);
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

	mog_conn_resume(m->conn);
}

/* The command waited longer than --io-deadline for its device's pool. */
static void mgmt_expire(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);

	out_set(m, "ERROR: %s timed out waiting for its device\r\n", m->path);
	m->phase = PHASE_REPLY;
}

static void mgmt_submit(struct mog_mgmt *m, void (*run)(struct mog_job *))
{
	m->job.run = run;
	m->job.expire = run == digest_read ? NULL : mgmt_expire;
	m->job.done = mgmt_job_done;
	m->state = MGMT_JOB;
	mog_dev_pool_submit(mog_target_pool(&m->target), &m->job);
}

static void size_run(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	const char *rel;
	int dir_fd = mog_target_open_dir(&m->target, m->path, &rel), fd = -1;
	struct stat st;

	if (dir_fd >= 0) {
		fd = mog_fs_open_beneath(dir_fd, rel, O_PATH, 0);
		mog_target_close_dir(&m->target, dir_fd);
	}
	if (fd >= 0 && fstat(fd, &st) == 0)
		out_set(m, "%s %lld\r\n", m->path, (long long)st.st_size);
	else
		out_set(m, "%s -1\r\n", m->path);
	if (fd >= 0)
		close(fd);
	m->phase = PHASE_REPLY;
}

static const char *alg_name(const struct mog_mgmt *m)
{
	return m->cmd == MOG_MGMT_MD5 ? "MD5" : "SHA-1";
}

static void digest_open(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	const char *rel;
	int dir_fd = mog_target_open_dir(&m->target, m->path, &rel), fd = -1;
	struct stat st;

	m->phase = PHASE_REPLY;
	if (dir_fd >= 0) {
		fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK | O_NOATIME, 0);
		if (fd < 0 && errno == EPERM)
			fd = mog_fs_open_beneath(dir_fd, rel, O_RDONLY | O_NONBLOCK, 0);
		mog_target_close_dir(&m->target, dir_fd);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		m->job.err = errno;
		out_set(m, "%s %s=-1\r\n", m->path, alg_name(m));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		out_set(m, "ERR read %s at 0 failed\r\n", m->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {	/* a FIFO or device would block or never end */
		out_set(m, "%s %s=-1\r\n", m->path, alg_name(m));
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	m->fd = fd;
	m->off = 0;
	m->st_dev = st.st_dev;
	mog_digest_init(&m->digest, m->cmd == MOG_MGMT_MD5 ? MOG_DIGEST_MD5 : MOG_DIGEST_SHA1);
	m->phase = PHASE_READ;
	return;
out:
	if (fd >= 0)
		close(fd);
}

/* fsck digests read at the lowest best-effort I/O priority (Linux ioprio). */
static void set_ioprio(bool low)
{
	/* IOPRIO_WHO_PROCESS = 1, who 0 = this thread; class BE = 2, level 7; 0 = default */
	syscall(SYS_ioprio_set, 1, 0, low ? (2 << 13) | 7 : 0);
}

static void digest_read(struct mog_job *job)
{
	struct mog_mgmt *m = mog_container_of(job, struct mog_mgmt, job);
	char *buf = xmalloc(DIGEST_BUF);
	size_t slice = 0;

	if (m->fsck)
		set_ioprio(true);
	while (slice < DIGEST_SLICE) {
		ssize_t n = pread(m->fd, buf, DIGEST_BUF, m->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			m->job.err = errno;
			out_set(m, "ERR read %s at %lld failed\r\n", m->path, (long long)m->off);
			goto finished;
		}
		if (n == 0) {
			unsigned char bin[20];
			char hex[41];
			size_t len = mog_digest_final(&m->digest, bin);

			mog_digest_hex(bin, len, hex);
			out_set(m, "%s %s=%s\r\n", m->path, alg_name(m), hex);
			goto finished;
		}
		mog_digest_update(&m->digest, buf, (size_t)n);
		m->off += n;
		slice += (size_t)n;
	}
	goto out;			/* more to read: back of the queue */
finished:
	close(m->fd);
	m->fd = -1;
	m->phase = PHASE_REPLY;
out:
	if (m->fsck)
		set_ioprio(false);
	free(buf);
}

static enum mog_next job_result(struct mog_mgmt *m)
{
	struct fsck_queue *q;

	if (m->phase == PHASE_REPLY) {
		mog_dev_account(m->target.dev, m->job.err);
		if (m->target.dev && m->cmd != MOG_MGMT_SIZE)
			mog_hist_add(&m->target.dev->metrics.latency[2], ev_now(mog_loop) - m->started);
		fsck_release(m);
		m->state = MGMT_SEND;
		return flush(m);
	}
	/* PHASE_READ: the file is open */
	if (m->fsck && !m->fsck_holding && !mog_shutting_down) {
		q = fsck_queue(m->st_dev);
		if (q->busy) {
			m->fsck_next = NULL;
			if (q->tail)
				q->tail->fsck_next = m;
			else
				q->head = m;
			q->tail = m;
			m->state = MGMT_FSCK_WAIT;
			return MOG_NEXT_IDLE;
		}
		q->busy = true;
		m->fsck_holding = true;
	}
	mgmt_submit(m, digest_read);
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
		out_set(m, "ERROR: unknown command: %.*s\r\n", (int)req->token_len,
			conn->rbuf + req->token_off);
		break;
	case MOG_MGMT_BAD_URI:
		out_set(m, "ERROR: uri invalid (contains ..)\r\n");
		break;
	case MOG_MGMT_AIO_THREADS:
		if (req->aio_threads >= 1 && req->aio_threads <= 100) {
			mog_log(LOG_INFO, "server aio_threads=%lu", req->aio_threads);
			mog_dev_set_threads((unsigned)req->aio_threads);
		}
		/* fall through: the reply is always an empty line */
	case MOG_MGMT_BLANK:
		out_set(m, "\r\n");
		break;
	case MOG_MGMT_WATCH:
		mog_conn_consume(conn, conn->rlen);	/* ignored from now on */
		m->state = MGMT_WATCH;
		m->olen = m->ooff = 0;
		m->watch_next = watchers;
		if (watchers)
			watchers->watch_prev = m;
		watchers = m;
		mog_dev_refresh();
		return MOG_NEXT_READ;
	case MOG_MGMT_SHUTDOWN:
		mog_conn_consume(conn, conn->rlen);
		if (mog_mgmt_on_shutdown)
			mog_mgmt_on_shutdown();
		return MOG_NEXT_CLOSE;
	case MOG_MGMT_SIZE:
	case MOG_MGMT_MD5:
	case MOG_MGMT_SHA1:
		mog_conn_consume(conn, req->line_len);
		m->job.err = 0;
		m->fsck = req->fsck;
		mog_target_lookup(&m->target, m->path, req->path_len);
		mgmt_submit(m, req->cmd == MOG_MGMT_SIZE ? size_run : digest_open);
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

	switch (mog_conn_send(conn, m->out, m->olen, &m->ooff, 0)) {
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
	return MOG_NEXT_IDLE;		/* step() goes on with read_lines() */
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

	/* IDLE after a reply means: go on with the next buffered line */
	while ((next = step_once(conn, revents)) == MOG_NEXT_IDLE) {
		struct mog_mgmt *m = conn->req;

		if (m && (m->state == MGMT_FSCK_WAIT))
			return MOG_NEXT_IDLE;
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
	conn->ops = &mgmt_ops;
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
		memcpy(m->out, round, len);
		m->olen = len;
		m->ooff = 0;
		mog_conn_next(m->conn, flush(m));
	}
}

size_t mog_mgmt_fsck_queued(void)
{
	size_t i, n = 0;
	struct mog_mgmt *m;

	for (i = 0; i < nfsck_queues; i++)
		for (m = fsck_queues[i].head; m; m = m->fsck_next)
			n++;
	return n;
}

void mog_mgmt_shutdown(void)
{
	size_t i;

	while (watchers)
		mog_conn_free(watchers->conn);	/* release unlinks it */
	/* the one-per-filesystem fsck limit is lifted: start every waiter */
	for (i = 0; i < nfsck_queues; i++) {
		struct fsck_queue *q = &fsck_queues[i];

		while (q->head) {
			struct mog_mgmt *m = q->head;

			q->head = m->fsck_next;
			mgmt_submit(m, digest_read);
			mog_conn_next(m->conn, MOG_NEXT_JOB);
		}
		q->tail = NULL;
	}
}
