/* conn.h: one client connection: its socket watcher, input buffer and protocol state. */
#ifndef MOG_CONN_H
#define MOG_CONN_H

#include <ev.h>
#include <sys/uio.h>
#include "../mog.h"
#include "loop.h"

enum mog_conn_kind {
	MOG_CONN_HTTP,		/* read/write HTTP listener */
	MOG_CONN_HTTPGET,	/* get-only HTTP listener */
	MOG_CONN_MGMT,		/* sideband */
	MOG_CONN_STATUS		/* status listener: /metrics, /, /health */
};

struct mog_conn;

/* What a protocol does with its connections (one static table per protocol). */
struct mog_conn_ops {
	/* advance the protocol on readiness (revents) or after a job (0) */
	enum mog_next (*step)(struct mog_conn *conn, int revents);
	/* free req's resources (fds, temp files); may be NULL */
	void (*release)(struct mog_conn *conn);
	/* a request made no progress for the slow-client timeout; may be NULL */
	enum mog_next (*timeout)(struct mog_conn *conn);
};

/*
 * Kept small: tens of thousands of idle keep-alive connections hold only this.
 * Owned by the loop thread, except while job_out is set: then the pool thread
 * running the connection's job owns it (rbuf and req included) until the
 * job's done() runs on the loop.  The connection owns io.fd, rbuf and req.
 */
struct mog_conn {
	ev_io io;			/* io.fd is the socket (non-blocking) */
	void *req;			/* protocol state of the request in progress, or NULL;
					 * freed with free() by mog_conn_free() after release() */
	char *rbuf;			/* unparsed input; NULL while there is none */
	uint32_t rlen, rcap;		/* bytes in rbuf, and its size (at most ~70 KiB) */
	struct mog_conn *prev, *next;	/* every open connection (for shutdown) */
	uint32_t last_io;		/* second (mog_conn_now()) bytes last moved either way */
	unsigned char kind;		/* enum mog_conn_kind */
	bool job_out;			/* a pool thread owns the connection */
	bool eof;			/* the peer shut down its write side */
	bool fresh;			/* no request completed on it yet */
};

/*
 * Give conn's kind its protocol (every connection of one kind speaks the same;
 * the table is kept per kind, not per connection).  The listener's start
 * function calls it before arming conn.  Loop thread.
 */
void mog_conn_set_ops(struct mog_conn *conn, const struct mog_conn_ops *ops);

/* The loop's clock in whole seconds, the unit of last_io.  Loop thread. */
#define mog_conn_now() ((uint32_t)ev_now(mog_loop))

/* At shutdown, a connection that has not sent its first request keeps it while
 * mog_conn_now() - last_io is below this: last_io counts whole seconds, so 2
 * gives it over one second wherever in a second it was accepted. */
#define MOG_CONN_FRESH_GRACE 2

/* Take ownership of the accepted socket fd (closed by mog_conn_free).  Loop thread. */
struct mog_conn *mog_conn_new(int fd, enum mog_conn_kind kind);

/* Act on next: arm the watcher, leave it to a job, or free the connection.  Loop thread. */
void mog_conn_next(struct mog_conn *conn, enum mog_next next);

/* Called by a protocol's job->done(): the connection is back on the loop.  Loop thread. */
void mog_conn_resume(struct mog_conn *conn);

/*
 * Read what the socket has into rbuf (growing it to at most max bytes).
 * Returns bytes read, 0 on EOF (conn->eof set), or -1 with errno (EAGAIN when
 * there is nothing).  The thread that owns the connection.
 */
ssize_t mog_conn_read(struct mog_conn *conn, size_t max);

/*
 * Send buf[*off..len) without blocking, advancing *off; flags are added to
 * MSG_NOSIGNAL|MSG_DONTWAIT (e.g. MSG_MORE).  Returns 1 when all is sent, 0
 * when the socket is full, -1 on an error (the peer is gone).  The thread
 * that owns the connection.
 */
int mog_conn_send(struct mog_conn *conn, const char *buf, size_t len, size_t *off, int flags);

/* As mog_conn_send(), for iovcnt (at most 4) buffers sent as one; *off counts across them. */
int mog_conn_sendv(struct mog_conn *conn, const struct iovec *iov, int iovcnt, size_t *off,
		   int flags);

/* Drop the first n bytes of rbuf; frees it when empty.  The owning thread. */
void mog_conn_consume(struct mog_conn *conn, size_t n);

/* Close the socket and free conn and its buffers.  Loop thread. */
void mog_conn_free(struct mog_conn *conn);

/* Graceful shutdown: close every idle connection now, the rest as they go idle.  Loop thread. */
void mog_conn_shutdown(void);

/*
 * Out of descriptors (accept failed): shut down HTTP connections idle (no
 * request, nothing moved) for more than idle_s seconds (doc/protocol.md,
 * Timeouts and overload), at most once a second.  Management connections are
 * never expired.  Returns how many were closed.  Loop thread.
 */
size_t mog_conn_expire_idle(double idle_s);

/*
 * The same without the once-a-second limit, for a request that could not open
 * its file (EMFILE/ENFILE): one walk of the list per such request.  Loop thread.
 */
size_t mog_conn_shed_idle(double idle_s);

/* Idle time after which a connection may be shed when descriptors run out. */
#define MOG_CONN_SHED_IDLE_S 5.0

/*
 * Check every connection once a second: one with a request in progress and
 * no bytes moved for timeout_s seconds gets conn->timeout().  Idle keep-alive
 * connections are never timed out (the tracker pools them).  Loop thread.
 */
void mog_conn_start_sweep(unsigned timeout_s);

/*
 * Each loop thread (--loops) has its own connections, so the following are
 * per loop thread (thread-local): each loop reads and writes only its own.
 */

/* True once this loop's shutdown has begun. */
extern __thread bool mog_shutting_down;

/* Number of this loop's connections with no request in progress (walks its list). */
size_t mog_conn_idle_count(void);

/* Number of this loop's open client connections. */
extern __thread size_t mog_conn_count;

/* This loop's connections closed so far (a descriptor came free when it changes). */
extern __thread unsigned long mog_conn_closed;

/* Called when this loop's mog_conn_count drops to 0 during shutdown (set on each loop). */
extern __thread void (*mog_conn_on_all_closed)(void);

/*
 * Every loop's figures summed: open, idle, closed and accepted connections
 * (loop threads' as they last published them; idle once a second).  Main thread.
 */
void mog_conn_totals(struct mog_loop_stats *st);

#endif /* MOG_CONN_H */
