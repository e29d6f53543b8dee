/* status.c: what an operator sees: Prometheus metrics, an HTML page, a health check.
 * Everything here runs on the loop thread and reads only memory and procfs. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "xalloc.h"
#include "../core/accesslog.h"
#include "../core/metrics.h"
#include "../dev/dev.h"
#include "../dev/scrub.h"
#include "../mgmt/mgmt.h"
#include "../http/body_cache.h"
#include "../http/http.h"
#include "../http/http_date.h"
#include "../http/http_parser.h"
#include "../net/listen.h"
#include "../net/loop.h"
#include "status.h"

struct status_req {
	struct mog_http_req req;
	char *out;
	size_t olen, ooff, ocap;
	bool keep;
	bool sending;
};

static void put(struct status_req *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct status_req *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->out + s->olen, s->ocap - s->olen, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < s->ocap - s->olen)
			break;
		s->ocap = s->ocap * 2 + (size_t)n;
		s->out = xrealloc(s->out, s->ocap);
	}
	s->olen += (size_t)n;
}

/* "123" figures from the usage text (KiB), 0 if absent */
static unsigned long long usage_kib(const struct mog_dev *dev, const char *key)
{
	const char *p = dev->usage, *end = dev->usage + dev->usage_len;
	size_t klen = strlen(key);

	while (p < end) {
		if ((size_t)(end - p) > klen + 2 && memcmp(p, key, klen) == 0 && p[klen] == ':')
			return strtoull(p + klen + 2, NULL, 10);
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			break;
		p++;
	}
	return 0;
}

static void hist(struct status_req *s, const char *name, const char *labels,
		 const struct mog_hist *h)
{
	unsigned long long cum = 0;
	unsigned i;

	for (i = 0; i < MOG_HIST_BUCKETS; i++) {
		cum += h->count[i];
		put(s, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, mog_hist_bounds[i], cum);
	}
	cum += h->count[MOG_HIST_BUCKETS];
	put(s, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, cum);
	put(s, "%s_sum{%s} %.6f\n", name, labels, h->sum);
	put(s, "%s_count{%s} %llu\n", name, labels, h->n);
}

/* The per-device families of /metrics. */
static void per_device(struct status_req *s)
{
	static const char *const ops[3] = { "GET", "PUT", "digest" };
	static const char *const classes[4] = { "EIO", "ENOSPC", "EACCES", "other" };
	size_t ndevs, i;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	struct mog_dev_pool_stats *st;
	unsigned a;

#define PER_DEV(name, type, help) \
	put(s, "# HELP evmogstored_device_" name " " help "\n# TYPE evmogstored_device_" name " " type "\n")
	PER_DEV("total_bytes", "gauge", "Size of the device's filesystem (usage file total).");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_total_bytes{device=\"dev%u\"} %llu\n", devs[i]->devid,
		    usage_kib(devs[i], "total") * 1024);
	PER_DEV("used_bytes", "gauge", "Used bytes (usage file used).");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_used_bytes{device=\"dev%u\"} %llu\n", devs[i]->devid,
		    usage_kib(devs[i], "used") * 1024);
	PER_DEV("available_bytes", "gauge", "Bytes available to the daemon (usage file available).");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_available_bytes{device=\"dev%u\"} %llu\n", devs[i]->devid,
		    usage_kib(devs[i], "available") * 1024);
	PER_DEV("utilization_percent", "gauge", "Disk utilisation in percent, as sent to watch (NaN when unknown).");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_utilization_percent{device=\"dev%u\"} %s\n",
		    devs[i]->devid, strcmp(devs[i]->util, "-") ? devs[i]->util : "NaN");
	/* one locked snapshot per pool: its threads change these counters */
	st = xnmalloc(ndevs ? ndevs : 1, sizeof(*st));
	for (i = 0; i < ndevs; i++)
		mog_dev_pool_stats(&devs[i]->pool, &st[i]);
	PER_DEV("queue_depth", "gauge", "Jobs waiting for the device's I/O threads.");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_queue_depth{device=\"dev%u\"} %u\n", devs[i]->devid,
		    st[i].queued);
	PER_DEV("threads", "gauge", "I/O threads of the device's pool.");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_threads{device=\"dev%u\"} %u\n", devs[i]->devid,
		    st[i].nthreads);
	PER_DEV("threads_busy", "gauge", "I/O threads running a job.");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_threads_busy{device=\"dev%u\"} %u\n", devs[i]->devid,
		    st[i].busy);
	free(st);
	PER_DEV("unavailable", "gauge", "1 when the device is refused: not mounted, or wrong identity.");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_unavailable{device=\"dev%u\"} %d\n", devs[i]->devid,
		    devs[i]->unavailable);
	PER_DEV("failing", "gauge", "1 when the device is fenced for EIO (usage reports it full).");
	for (i = 0; i < ndevs; i++)
		put(s, "evmogstored_device_failing{device=\"dev%u\"} %d\n", devs[i]->devid,
		    devs[i]->failing);
	PER_DEV("errors_total", "counter", "Failed requests by errno class.");
	for (i = 0; i < ndevs; i++)
		for (a = 0; a < 4; a++)
			put(s, "evmogstored_device_errors_total{device=\"dev%u\",class=\"%s\"} %llu\n",
			    devs[i]->devid, classes[a], devs[i]->metrics.errors[a]);
	PER_DEV("request_duration_seconds", "histogram", "Request latency by operation.");
	for (i = 0; i < ndevs; i++) {
		for (a = 0; a < 3; a++) {
			char labels[64];

			snprintf(labels, sizeof(labels), "device=\"dev%u\",op=\"%s\"", devs[i]->devid,
				 ops[a]);
			hist(s, "evmogstored_device_request_duration_seconds", labels,
			     &devs[i]->metrics.latency[a]);
		}
	}
	PER_DEV("fsync_duration_seconds", "histogram", "Time to make a PUT durable.");
	for (i = 0; i < ndevs; i++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "device=\"dev%u\"", devs[i]->devid);
		hist(s, "evmogstored_device_fsync_duration_seconds", labels, &devs[i]->metrics.fsync);
	}
#undef PER_DEV
}

static void metrics(struct status_req *s)
{
	struct mog_http_metrics *m = &mog_http_metrics;
	struct mog_loop_stats c;		/* every loop's connections */
	unsigned a, b;

	mog_conn_totals(&c);

	put(s, "# HELP evmogstored_build_info Build information.\n"
	       "# TYPE evmogstored_build_info gauge\n"
	       "evmogstored_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	put(s, "# HELP evmogstored_uptime_seconds Seconds since the daemon started.\n"
	       "# TYPE evmogstored_uptime_seconds gauge\n"
	       "evmogstored_uptime_seconds %.3f\n", ev_now(mog_loop) - mog_start_time);
	put(s, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	       "# TYPE process_resident_memory_bytes gauge\n"
	       "process_resident_memory_bytes %ld\n", mog_metrics_rss_bytes());
	put(s, "# HELP process_open_fds Number of open file descriptors.\n"
	       "# TYPE process_open_fds gauge\n"
	       "process_open_fds %ld\n", mog_metrics_open_fds());
	put(s, "# HELP evmogstored_http_requests_total HTTP responses by method and status.\n"
	       "# TYPE evmogstored_http_requests_total counter\n");
	for (a = 0; a < MOG_HTTP_M_N; a++)
		for (b = 0; b < MOG_HTTP_S_N; b++)
			if (m->requests[a][b])
				put(s, "evmogstored_http_requests_total{method=\"%s\",status=\"%d\"} %llu\n",
				    mog_http_metric_method_names[a], mog_http_metric_status_codes[b],
				    m->requests[a][b]);
	put(s, "# HELP evmogstored_http_received_bytes_total Bytes of HTTP requests (heads and bodies).\n"
	       "# TYPE evmogstored_http_received_bytes_total counter\n"
	       "evmogstored_http_received_bytes_total %llu\n", m->bytes_in);
	put(s, "# HELP evmogstored_http_sent_bytes_total Bytes of HTTP responses (heads and bodies).\n"
	       "# TYPE evmogstored_http_sent_bytes_total counter\n"
	       "evmogstored_http_sent_bytes_total %llu\n", m->bytes_out);
	put(s, "# HELP evmogstored_http_get_served_total GET and HEAD responses by where they "
	       "were served: on the event loop from memory, or through a device pool.\n"
	       "# TYPE evmogstored_http_get_served_total counter\n"
	       "evmogstored_http_get_served_total{via=\"memory\"} %llu\n"
	       "evmogstored_http_get_served_total{via=\"pool\"} %llu\n", m->get_memory, m->get_pool);
	put(s, "# HELP evmogstored_connections Open client connections.\n"
	       "# TYPE evmogstored_connections gauge\n"
	       "evmogstored_connections{state=\"open\"} %llu\n"
	       "evmogstored_connections{state=\"idle\"} %llu\n", c.conns, c.idle);
	put(s, "# HELP evmogstored_connections_accepted_total Connections accepted.\n"
	       "# TYPE evmogstored_connections_accepted_total counter\n"
	       "evmogstored_connections_accepted_total %llu\n", c.accepted);
	put(s, "# HELP evmogstored_sideband_commands_total Sideband commands by type.\n"
	       "# TYPE evmogstored_sideband_commands_total counter\n");
	for (a = 0; a < MOG_MGMT_C_N; a++)
		put(s, "evmogstored_sideband_commands_total{command=\"%s\"} %llu\n",
		    mog_mgmt_command_names[a], mog_mgmt_commands[a]);
	if (mog_accesslog_on())
		put(s, "# HELP evmogstored_accesslog_dropped_lines_total Access log lines dropped "
		       "because the log disk fell behind.\n"
		       "# TYPE evmogstored_accesslog_dropped_lines_total counter\n"
		       "evmogstored_accesslog_dropped_lines_total %lu\n", mog_accesslog_dropped());
	put(s, "# HELP evmogstored_fsck_queue_length fsck digests waiting for their filesystem.\n"
	       "# TYPE evmogstored_fsck_queue_length gauge\n"
	       "evmogstored_fsck_queue_length %zu\n", mog_mgmt_fsck_queued());

	per_device(s);
}

static void html_escape_put(struct status_req *s, const char *t)
{
	for (; *t; t++) {
		switch (*t) {
		case '<': put(s, "&lt;"); break;
		case '>': put(s, "&gt;"); break;
		case '&': put(s, "&amp;"); break;
		default: put(s, "%c", *t); break;
		}
	}
}

/* A latency quantile as "1.0 ms", or "-" with no data. */
static const char *ms(char *buf, const struct mog_hist *h, double q)
{
	if (h->n == 0)
		return "-";
	snprintf(buf, 16, "%.1f ms", mog_hist_quantile(h, q) * 1e3);
	return buf;
}

static void page(struct status_req *s)
{
	size_t ndevs, i;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	struct mog_loop_stats c;


	put(s, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	       "<meta http-equiv=\"refresh\" content=\"5\"><title>evmogstored ");
	html_escape_put(s, mog_docroot);
	put(s, "</title><style>"
	       "body{font:14px sans-serif;margin:1.5em;color:#222}"
	       "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;"
	       "text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}"
	       ".bar{width:160px;height:12px;background:#eee;display:inline-block;vertical-align:middle}"
	       ".fill{height:12px;background:#4a8}.hot{background:#d84}"
	       ".failing{color:#b00;font-weight:bold}"
	       "</style></head><body>\n<h1>evmogstored %s</h1>\n<p>docroot <code>", PACKAGE_VERSION);
	html_escape_put(s, mog_docroot);
	mog_conn_totals(&c);
	put(s, "</code> &middot; up <span id=\"uptime\">%.0f</span> s &middot; "
	       "connections: <span id=\"conns\">%llu</span> open, <span id=\"idle\">%llu</span> idle"
	       " &middot; fsck queue %zu &middot; refreshes every 5 s</p>\n",
	    ev_now(mog_loop) - mog_start_time, c.conns, c.idle, mog_mgmt_fsck_queued());
	put(s, "<table id=\"devices\"><tr><th class=\"l\">device</th><th class=\"l\">usage</th>"
	       "<th>used</th><th>total</th><th>%%util</th><th>GET p50</th><th>GET p99</th>"
	       "<th>PUT p50</th><th>PUT p99</th><th>queue</th><th>busy</th><th>errors</th>"
	       "<th class=\"l\">state</th></tr>\n");
	for (i = 0; i < ndevs; i++) {
		struct mog_dev *d = devs[i];
		unsigned long long used = usage_kib(d, "used"), total = usage_kib(d, "total");
		unsigned long long errs = d->metrics.errors[0] + d->metrics.errors[1] +
					  d->metrics.errors[2] + d->metrics.errors[3];
		unsigned pct = total ? (unsigned)((used * 100 + total - 1) / total) : 0;
		const char *state = d->unavailable ? "unavailable" : d->failing ? "failing" : "ok";
		struct mog_dev_pool_stats st;
		char q[4][16];

		mog_dev_pool_stats(&d->pool, &st);
		put(s, "<tr id=\"dev%u\"><td class=\"l\">dev%u</td><td class=\"l\">"
		       "<span class=\"bar\"><span class=\"fill%s\" style=\"display:block;width:%u%%\">"
		       "</span></span> %u%%</td><td>%.1f GiB</td><td>%.1f GiB</td><td>%s</td>"
		       "<td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		       "<td>%u</td><td>%u/%u</td><td>%llu</td><td class=\"l%s\">%s</td></tr>\n",
		    d->devid, d->devid, pct >= 90 ? " hot" : "", pct > 100 ? 100 : pct, pct,
		    used / 1048576.0, total / 1048576.0, d->util,
		    ms(q[0], &d->metrics.latency[0], 0.5), ms(q[1], &d->metrics.latency[0], 0.99),
		    ms(q[2], &d->metrics.latency[1], 0.5), ms(q[3], &d->metrics.latency[1], 0.99),
		    st.queued, st.busy, st.nthreads, errs,
		    d->failing || d->unavailable ? " failing" : "", state);
	}
	put(s, "</table>\n%s<p>Latencies are histogram bucket bounds; the same numbers are at "
	       "<a href=\"/metrics\">/metrics</a>; health at <a href=\"/health\">/health</a>.</p>\n"
	       "</body></html>\n", mog_scrub_report_cstr(true));
}

/* 200 "ok" when every listener and device pool works; 503 and the reasons otherwise. */
static int health(struct status_req *s)
{
	size_t ndevs, i;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	struct mog_dev_pool_stats root;
	bool ok = true;

	if (mog_shutting_down) {
		put(s, "shutting down\n");
		ok = false;
	}
	for (i = 0; i < ndevs; i++) {
		struct mog_dev_pool_stats st;

		mog_dev_pool_stats(&devs[i]->pool, &st);
		if (st.nthreads == 0) {
			put(s, "dev%u: no I/O threads\n", devs[i]->devid);
			ok = false;
		}
		if (devs[i]->failing) {
			put(s, "dev%u: failing (EIO)\n", devs[i]->devid);
			ok = false;
		}
		if (devs[i]->unavailable) {
			put(s, "dev%u: unavailable: %s\n", devs[i]->devid, devs[i]->why);
			ok = false;
		}
	}
	mog_dev_pool_stats(mog_dev_root_pool(), &root);
	if (root.nthreads == 0) {
		put(s, "docroot: no I/O threads\n");
		ok = false;
	}
	if (ok)
		put(s, "ok\n");
	return ok ? 200 : 503;
}

#define TEXT "text/plain; charset=utf-8"
#define PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define HTML "text/html; charset=utf-8"

/* Put the response head in front of the body built in s->out. */
static void respond(struct status_req *s, const char *type, int status)
{
	char head[512], *body;
	size_t blen = s->olen;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Length: %zu\r\nContent-Type: %s\r\n"
		     "Cache-Control: no-store\r\nConnection: %s\r\n\r\n",
		     status, status == 200 ? "OK" : status == 404 ? "Not Found" :
		     status == 405 ? "Method Not Allowed" : status == 503 ? "Service Unavailable" :
		     "Bad Request", mog_http_date_now(), blen, type, s->keep ? "keep-alive" : "close");
	body = s->out;
	s->out = xmalloc((size_t)n + blen + 1);
	memcpy(s->out, head, (size_t)n);
	if (s->req.method != MOG_HTTP_HEAD)
		memcpy(s->out + n, body, blen);
	else
		blen = 0;
	s->olen = (size_t)n + blen;
	s->ocap = s->olen + 1;
	s->ooff = 0;
	free(body);
	s->sending = true;
}

static void build(struct status_req *s, struct mog_conn *conn)
{
	char path[MOG_PATH_MAX + 1];

	memcpy(path, conn->rbuf + s->req.path_off, s->req.path_len);
	path[s->req.path_len] = '\0';
	mog_conn_consume(conn, s->req.off);
	s->keep = s->req.persistent && !mog_shutting_down;
	s->ocap = 4096;
	s->olen = 0;
	s->out = xmalloc(s->ocap);
	s->out[0] = '\0';
	if (s->req.method != MOG_HTTP_GET && s->req.method != MOG_HTTP_HEAD) {
		s->keep = false;	/* a body might follow: never parse it as a request */
		respond(s, TEXT, 405);
	} else if (s->req.chunked || s->req.chunked_and_length ||
		   (s->req.has_content_length && s->req.content_length > 0)) {
		/* this port takes no bodies: refuse, and close rather than parse one */
		s->keep = false;
		put(s, "request bodies are not accepted\n");
		respond(s, TEXT, 400);
	} else if (strcmp(path, "/metrics") == 0) {
		metrics(s);
		put(s, "%s%s", mog_body_cache_report(), mog_scrub_report_cstr(false));
		respond(s, PROMETHEUS, 200);
	} else if (strcmp(path, "/") == 0) {
		page(s);
		respond(s, HTML, 200);
	} else if (strcmp(path, "/health") == 0) {
		int status = health(s);

		respond(s, TEXT, status);
	} else {
		put(s, "not found\n");
		respond(s, TEXT, 404);
	}
}

/* The reply is built: send it, then go on with the next request, if any. */
static enum mog_next send_reply(struct status_req *s, struct mog_conn *conn)
{
	switch (mog_conn_send(conn, s->out, s->olen, &s->ooff, 0)) {
	case 0:
		return MOG_NEXT_WRITE;
	case -1:
		return MOG_NEXT_CLOSE;
	}
	if (!s->keep)
		return MOG_NEXT_CLOSE;
	free(s->out);
	free(s);
	conn->req = NULL;
	if (conn->rlen == 0)
		return mog_shutting_down ? MOG_NEXT_CLOSE : MOG_NEXT_READ;
	return MOG_NEXT_AGAIN;
}

static enum mog_next step_once(struct mog_conn *conn, int revents)
{
	struct status_req *s = conn->req;
	ssize_t n;

	if (s == NULL) {
		if (conn->rlen == 0 && (mog_shutting_down || !(revents & EV_READ)))
			return mog_shutting_down ? MOG_NEXT_CLOSE : MOG_NEXT_READ;
		s = xzalloc(sizeof(*s));
		mog_http_req_init(&s->req);
		conn->req = s;
	}
	if (s->sending)
		return send_reply(s, conn);
	if (conn->rlen > 0) {
		switch (mog_http_parse(&s->req, conn->rbuf, conn->rlen)) {
		case MOG_PARSE_DONE:
			build(s, conn);
			return MOG_NEXT_AGAIN;
		case MOG_PARSE_ERROR:
			s->keep = false;
			s->ocap = 64;
			s->out = xmalloc(s->ocap);
			s->olen = 0;
			mog_conn_consume(conn, conn->rlen);
			respond(s, TEXT, 400);
			return MOG_NEXT_AGAIN;
		case MOG_PARSE_AGAIN:
			break;
		}
	}
	if (conn->eof)
		return MOG_NEXT_CLOSE;
	n = mog_conn_read(conn, MOG_HEAD_MAX + 1);
	if (n > 0)
		return MOG_NEXT_AGAIN;
	if (n < 0 && errno == EAGAIN)
		return MOG_NEXT_READ;
	return MOG_NEXT_CLOSE;
}

static enum mog_next status_step(struct mog_conn *conn, int revents)
{
	enum mog_next next;

	/* pipelined requests already buffered are served in a loop, not by recursion */
	while ((next = step_once(conn, revents)) == MOG_NEXT_AGAIN)
		revents = 0;
	return next;
}

static void status_release(struct mog_conn *conn)
{
	struct status_req *s = conn->req;

	free(s->out);
}

static const struct mog_conn_ops status_ops = {
	.step = status_step,
	.release = status_release,
};

void mog_status_start(struct mog_conn *conn)
{
	mog_conn_set_ops(conn, &status_ops);
	mog_conn_next(conn, MOG_NEXT_READ);
}
