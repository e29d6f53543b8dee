/* listen.h: listening sockets and accepting on them. */
#ifndef MOG_LISTEN_H
#define MOG_LISTEN_H

#include "../util/addr.h"
#include "conn.h"

/*
 * Collect inherited listening sockets from CMOGSTORED_FD and (when LISTEN_PID
 * is our pid) LISTEN_FDS (doc/evmogstored.8, ENVIRONMENT).  Dies on a malformed list, a
 * descriptor that is not a socket, or two bound to one address.  Unsets the
 * socket-activation variables.  Returns true if any socket was inherited.
 * Main thread, at startup, before mog_listen_add().
 */
bool mog_listen_inherit(void);

/* Close inherited sockets that no mog_listen_add() claimed.  Main thread. */
void mog_listen_close_unused(void);

/*
 * The listening descriptors, management first, then HTTP, then get-only,
 * comma-separated, for CMOGSTORED_FD in an upgrade; with close-on-exec
 * cleared when for_exec.  Returns a malloc'd string that the caller frees.
 * Main or loop thread (the listeners are theirs).
 */
char *mog_listen_fd_list(bool for_exec);

/*
 * Bind and listen on addr for kind (or reuse an inherited socket of the same
 * address).  Each accepted connection is handed to start(conn), which gives
 * it its protocol (mog_conn_set_ops) and arms it; start then owns conn.  Dies with
 * "addr=<ip:port> failed to bind+listen: <error>".  Main thread, at startup.
 */
void mog_listen_add(const struct mog_addr *addr, enum mog_conn_kind kind,
		    void (*start)(struct mog_conn *conn));

/* Start accepting on every listener (not the HTTP ones when there are loop threads).
 * Main thread, once the loop exists, after mog_listen_prepare_loops(). */
void mog_listen_start(void);

/*
 * --loops=n: give each loop thread its own descriptor of every HTTP listener
 * (the same socket: every loop accepts from it; the one that loses the race
 * gets EAGAIN).  Main thread, before the loop threads start.
 */
void mog_listen_prepare_loops(unsigned n);

/* Start accepting on loop idx's (1..n) copies.  That loop thread. */
void mog_listen_start_loop(unsigned idx);

/* Stop accepting and close loop idx's copies (shutdown).  That loop thread. */
void mog_listen_stop_loop(unsigned idx);

/* Close every listening socket now (shutdown: new connections are refused).  Loop thread. */
void mog_listen_close_all(void);

/*
 * --multi: listeners added from now on belong to site (0 until called).
 * Main thread, at startup.
 */
void mog_listen_set_site(unsigned site);

/* Close the listeners of every other site (a site's process).  Main thread, before the loop. */
void mog_listen_keep_site(unsigned site);

#endif /* MOG_LISTEN_H */
