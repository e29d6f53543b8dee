/* listen.h: listening sockets and accepting on them. */
#ifndef MOG_LISTEN_H
#define MOG_LISTEN_H

#include "../core/cli.h"
#include "conn.h"

/*
 * Bind and listen on addr for kind (or reuse an inherited socket of the same
 * address).  Dies with "addr=<ip:port> failed to bind+listen: <error>".
 * Main thread, at startup.
 */
void mog_listen_add(const struct mog_addr *addr, enum mog_conn_kind kind);

/* Start accepting on every listener.  Main thread, once the loop exists. */
void mog_listen_start(void);

/* Close every listening socket now (shutdown: new connections are refused).  Loop thread. */
void mog_listen_close_all(void);

#endif /* MOG_LISTEN_H */
