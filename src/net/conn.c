/* conn.c: client connections: buffers, the connection list, and mog_next -> libev. */
#include <config.h>
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../util/thread_exit.h"
#include "loop.h"
#include "conn.h"

/* one set per loop thread: every connection belongs to the loop that accepted it */
__thread bool mog_shutting_down;
__thread size_t mog_conn_count;
__thread unsigned long mog_conn_closed;
__thread void (*mog_conn_on_all_closed)(void);
static __thread struct mog_conn *conns;
static __thread unsigned long long accepted;
static __thread size_t idle_seen;	/* idle connections at the latest sweep */

/* A loop thread's figures for the status listener (nothing on the main loop). */
static void publish(void)
{
	struct mog_loop_stats st = { mog_conn_count, idle_seen, mog_conn_closed, accepted };

	mog_loop_stats_publish(&st);
}

/* Every connection of a kind speaks one protocol: its table is kept per kind, not in
 * each connection (8 bytes less per idle connection).  Written once per kind. */
static const struct mog_conn_ops *kind_ops[MOG_CONN_STATUS + 1];
#define OPS(conn) __atomic_load_n(&kind_ops[(conn)->kind], __ATOMIC_RELAXED)

void mog_conn_set_ops(struct mog_conn *conn, const struct mog_conn_ops *ops)
{
	if (OPS(conn) != ops)
		__atomic_store_n(&kind_ops[conn->kind], ops, __ATOMIC_RELAXED);
}

/*
 * Connections are carved from 64 KiB blocks and recycled through a free list
 * (per thread): no malloc header and rounding per connection (8-16 bytes of
 * an idle connection's ~100).  Blocks are kept for the next connections and
 * freed when the thread ends; each starts with a link to the one before.
 */
#define CONN_BLOCK (64 * 1024)
#define BLOCK_HEAD _Alignof(max_align_t)	/* the link, rounded up */
static __thread struct mog_conn *conn_free_list;
static __thread char *block_next, *block_end, *blocks;
static __thread char *spare_rbuf;	/* see rbuf_free() */

/* What a thread keeps (blocks, a spare read buffer), freed when it ends. */
static void free_kept(void *unused)
{
	while (blocks) {
		char *prev;

		memcpy(&prev, blocks, sizeof(prev));
		free(blocks);
		blocks = prev;
	}
	block_next = block_end = NULL;
	conn_free_list = NULL;
	free(spare_rbuf);
	spare_rbuf = NULL;
}

static struct mog_conn *conn_alloc(void)
{
	struct mog_conn *conn = conn_free_list;

	if (conn) {
		conn_free_list = conn->next;
	} else {
		if (block_next == NULL || (size_t)(block_end - block_next) < sizeof(*conn)) {
			char *block = xmalloc(CONN_BLOCK);

			if (blocks == NULL)	/* the thread's first: free them all when it ends */
				mog_thread_at_exit(free_kept, NULL);
			memcpy(block, &blocks, sizeof(blocks));
			blocks = block;
			block_next = block + BLOCK_HEAD;
			block_end = block + CONN_BLOCK;
		}
		conn = (struct mog_conn *)(void *)block_next;
		block_next += sizeof(*conn);
	}
	memset(conn, 0, sizeof(*conn));
	return conn;
}

static void conn_dealloc(struct mog_conn *conn)
{
	conn->next = conn_free_list;
	conn_free_list = conn;
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mog_conn *conn = mog_container_of(w, struct mog_conn, io);

	mog_conn_next(conn, OPS(conn)->step(conn, revents));
}

static void watch(struct mog_conn *conn, int events)
{
	if (ev_is_active(&conn->io)) {
		if (conn->io.events == events)
			return;
		ev_io_stop(mog_loop, &conn->io);
	}
	ev_io_set(&conn->io, conn->io.fd, events);
	ev_io_start(mog_loop, &conn->io);
}

void mog_conn_next(struct mog_conn *conn, enum mog_next next)
{
	switch (next) {
	case MOG_NEXT_READ:
		watch(conn, EV_READ);
		break;
	case MOG_NEXT_WRITE:
		watch(conn, EV_WRITE);
		break;
	case MOG_NEXT_JOB:
		conn->job_out = true;
		ev_io_stop(mog_loop, &conn->io);
		break;
	case MOG_NEXT_IDLE:
		ev_io_stop(mog_loop, &conn->io);
		break;
	case MOG_NEXT_CLOSE:
		mog_conn_free(conn);
		break;
	case MOG_NEXT_AGAIN:
		assert(!"MOG_NEXT_AGAIN escaped a protocol's step loop");
		break;
	}
}

void mog_conn_resume(struct mog_conn *conn)
{
	conn->job_out = false;
	conn->last_io = mog_conn_now();	/* a job round trip means bytes moved */
	mog_conn_next(conn, OPS(conn)->step(conn, 0));
}

struct mog_conn *mog_conn_new(int fd, enum mog_conn_kind kind)
{
	struct mog_conn *conn = conn_alloc();

	conn->kind = (unsigned char)kind;
	conn->fresh = true;
	conn->last_io = mog_conn_now();
	ev_io_init(&conn->io, on_conn_io, fd, EV_READ);
	conn->next = conns;
	if (conns)
		conns->prev = conn;
	conns = conn;
	mog_conn_count++;
	accepted++;
	publish();
	return conn;
}

/* One freed first-size read buffer per thread, for the next request's head. */
#define RBUF_FIRST 4096

static void rbuf_free(struct mog_conn *conn)
{
	/* only a loop thread, which reads heads, keeps a spare (freed with its
	 * blocks); a pool thread consumes a PUT body's first bytes, and frees them */
	if (conn->rcap == RBUF_FIRST && spare_rbuf == NULL && mog_loop != NULL)
		spare_rbuf = conn->rbuf;
	else
		free(conn->rbuf);
	conn->rbuf = NULL;
	conn->rlen = conn->rcap = 0;
}

ssize_t mog_conn_read(struct mog_conn *conn, size_t max)
{
	ssize_t n;

	if (conn->rcap == 0 && spare_rbuf && max >= RBUF_FIRST) {
		conn->rbuf = spare_rbuf;	/* no malloc per request */
		conn->rcap = RBUF_FIRST;
		spare_rbuf = NULL;
	}
	if (conn->rlen >= conn->rcap) {
		size_t cap = conn->rcap ? (size_t)conn->rcap * 2 : RBUF_FIRST;

		if (cap > max)
			cap = max;
		if (cap <= conn->rlen) {
			errno = ENOBUFS;	/* the caller's limit is reached */
			return -1;
		}
		conn->rbuf = xrealloc(conn->rbuf, cap);
		conn->rcap = (uint32_t)cap;
	}
	do {
		n = read(conn->io.fd, conn->rbuf + conn->rlen, conn->rcap - conn->rlen);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		conn->rlen += (uint32_t)n;
	else if (n == 0)
		conn->eof = true;
	return n;
}

int mog_conn_sendv(struct mog_conn *conn, const struct iovec *iov, int iovcnt, size_t *off,
		   int flags)
{
	struct iovec left[4];
	struct msghdr msg = { .msg_iov = left };
	size_t total = 0, skip = *off;
	int i;

	assert(iovcnt <= 4 && "mog_conn_sendv: too many buffers");
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	while (*off < total) {
		ssize_t n;

		/* the part of iov not sent yet */
		msg.msg_iovlen = 0;
		skip = *off;
		for (i = 0; i < iovcnt; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			left[msg.msg_iovlen].iov_base = (char *)iov[i].iov_base + skip;
			left[msg.msg_iovlen++].iov_len = iov[i].iov_len - skip;
			skip = 0;
		}
		n = sendmsg(conn->io.fd, &msg, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			*off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return 0;
		else
			return -1;
	}
	return 1;
}

int mog_conn_send(struct mog_conn *conn, const char *buf, size_t len, size_t *off, int flags)
{
	struct iovec iov = { (char *)buf, len };

	return mog_conn_sendv(conn, &iov, 1, off, flags);
}

void mog_conn_consume(struct mog_conn *conn, size_t n)
{
	if (n >= conn->rlen) {
		rbuf_free(conn);	/* idle connections hold no buffer */
		return;
	}
	memmove(conn->rbuf, conn->rbuf + n, conn->rlen - n);
	conn->rlen -= (uint32_t)n;
}

void mog_conn_free(struct mog_conn *conn)
{
	if (conn == NULL)
		return;
	ev_io_stop(mog_loop, &conn->io);
	close(conn->io.fd);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	if (conn->req && OPS(conn) && OPS(conn)->release)
		OPS(conn)->release(conn);
	rbuf_free(conn);
	free(conn->req);
	conn_dealloc(conn);
	mog_conn_count--;
	mog_conn_closed++;
	publish();
	if (mog_shutting_down && mog_conn_count == 0 && mog_conn_on_all_closed)
		mog_conn_on_all_closed();
}

void mog_conn_shutdown(void)
{
	struct mog_conn *conn, *next;

	mog_shutting_down = true;
	for (conn = conns; conn; conn = next) {
		next = conn->next;
		/* step() with no events lets the protocol decide: idle ones close */
		if (!conn->job_out)
			mog_conn_next(conn, OPS(conn)->step(conn, 0));
	}
	if (mog_conn_count == 0 && mog_conn_on_all_closed)
		mog_conn_on_all_closed();
}

size_t mog_conn_expire_idle(double idle_s)
{
	static __thread ev_tstamp last_run;
	ev_tstamp now = ev_now(mog_loop);

	if (now - last_run < 1.0)	/* at most once per second */
		return 0;
	last_run = now;
	return mog_conn_shed_idle(idle_s);
}

/* Shed this loop's idle connections. */
static size_t shed_local(double idle_s)
{
	ev_tstamp now = ev_now(mog_loop);
	struct mog_conn *conn, *next;
	size_t n = 0;

	for (conn = conns; conn; conn = next) {
		next = conn->next;
		if (conn->kind == MOG_CONN_MGMT || conn->job_out ||
		    now - conn->last_io <= idle_s)
			continue;
		mog_conn_free(conn);
		n++;
	}
	if (n > 0)
		mog_log(LOG_INFO, "expired %zu idle connections (>%.0f sec)", n, idle_s);
	return n;
}

size_t mog_conn_shed_idle(double idle_s)
{
	/* descriptors are the process's: idle connections go on every loop */
	return shed_local(idle_s) + mog_loop_ask_others(shed_local, idle_s, 0.05);
}

static __thread ev_timer sweep_timer;
static double slow_timeout;	/* 0: no slow-client timeout; set before any loop thread starts */

static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_tstamp now = ev_now(loop);
	struct mog_conn *conn, *next;

	for (conn = conns; conn; conn = next) {
		next = conn->next;
		if (conn->req && !conn->job_out && OPS(conn)->timeout && slow_timeout > 0 &&
		    now - conn->last_io > slow_timeout)
			mog_conn_next(conn, OPS(conn)->timeout(conn));
		else if (mog_shutting_down && conn->req == NULL && !conn->job_out &&
			 now - conn->last_io >= MOG_CONN_FRESH_GRACE)
			mog_conn_free(conn);	/* its grace at shutdown is over */
	}
	if (mog_loop_current() != mog_loop_main()) {
		idle_seen = mog_conn_idle_count();
		publish();
	}
}

void mog_conn_start_sweep(unsigned timeout_s)
{
	if (mog_loop_current() == mog_loop_main())
		slow_timeout = timeout_s;	/* before any loop thread starts */
	/* a loop thread's sweep also publishes its idle count */
	if (timeout_s == 0 && mog_loop_current() == mog_loop_main())
		return;
	ev_timer_init(&sweep_timer, on_sweep, 1., 1.);
	ev_timer_start(mog_loop, &sweep_timer);
	ev_unref(mog_loop);	/* the sweep alone does not keep the loop alive */
}

size_t mog_conn_idle_count(void)
{
	struct mog_conn *conn;
	size_t n = 0;

	for (conn = conns; conn; conn = conn->next)
		n += conn->req == NULL && !conn->job_out;
	return n;
}

void mog_conn_totals(struct mog_loop_stats *st)
{
	mog_loop_stats_sum(st);
	st->conns += mog_conn_count;
	st->idle += mog_conn_idle_count();
	st->closed += mog_conn_closed;
	st->accepted += accepted;
}
