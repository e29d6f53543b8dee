/* http.h: the HTTP side of a connection (PROTOCOL.md 2). */
#ifndef MOG_HTTP_H
#define MOG_HTTP_H

#include "../net/conn.h"
#include "../core/cli.h"

/* Settings read by the HTTP code; set once at startup. */
struct mog_http_cfg {
	enum mog_fsync fsync;
	bool usage_in_memory;		/* serve GET /devN/usage from memory (sideband on) */
	unsigned slow_timeout_s;
};
extern struct mog_http_cfg mog_http_cfg;

/* Make conn speak HTTP (get_only for the get-only listener) and start reading.  Loop thread. */
void mog_http_start(struct mog_conn *conn, bool get_only);

#endif /* MOG_HTTP_H */
