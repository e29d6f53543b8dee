/* http.h: the HTTP side of a connection (doc/protocol.md, HTTP). */
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

/* HTTP counters for /metrics.  Loop thread. */
enum mog_http_metric_method {
	MOG_HTTP_M_GET, MOG_HTTP_M_HEAD, MOG_HTTP_M_PUT, MOG_HTTP_M_DELETE, MOG_HTTP_M_MKCOL,
	MOG_HTTP_M_OTHER, MOG_HTTP_M_N
};
enum mog_http_metric_status {	/* the statuses we send */
	MOG_HTTP_S_200, MOG_HTTP_S_201, MOG_HTTP_S_204, MOG_HTTP_S_206, MOG_HTTP_S_400,
	MOG_HTTP_S_403, MOG_HTTP_S_404, MOG_HTTP_S_405, MOG_HTTP_S_408, MOG_HTTP_S_416,
	MOG_HTTP_S_500, MOG_HTTP_S_503, MOG_HTTP_S_507, MOG_HTTP_S_N
};
struct mog_http_metrics {
	unsigned long long requests[MOG_HTTP_M_N][MOG_HTTP_S_N];
	unsigned long long bytes_in, bytes_out;		/* heads and bodies */
	/* GET and HEAD answered on the loop from memory, and through a device pool */
	unsigned long long get_memory, get_pool;
};
extern struct mog_http_metrics mog_http_metrics;
extern const char *const mog_http_metric_method_names[MOG_HTTP_M_N];
extern const int mog_http_metric_status_codes[MOG_HTTP_S_N];

/*
 * Make conn speak HTTP (GET and HEAD only when conn->kind is
 * MOG_CONN_HTTPGET) and start reading; conn is the HTTP code's until it is
 * freed.  Loop thread.
 */
void mog_http_start(struct mog_conn *conn);

#endif /* MOG_HTTP_H */
