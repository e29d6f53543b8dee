/* http_metrics.c: HTTP responses counted by method and status, for /metrics. */
#include <config.h>
#include "http_int.h"

struct mog_http_metrics mog_http_metrics;

const char *const mog_http_metric_method_names[MOG_HTTP_M_N] = {
	"GET", "HEAD", "PUT", "DELETE", "MKCOL", "other"
};

const int mog_http_metric_status_codes[MOG_HTTP_S_N] = {
	200, 201, 204, 206, 400, 403, 404, 405, 408, 416, 500, 503, 507
};

void mog_http_metrics_count(enum mog_http_method method, int status)
{
	unsigned m, s;

	switch (method) {
	case MOG_HTTP_GET: m = MOG_HTTP_M_GET; break;
	case MOG_HTTP_HEAD: m = MOG_HTTP_M_HEAD; break;
	case MOG_HTTP_PUT: m = MOG_HTTP_M_PUT; break;
	case MOG_HTTP_DELETE: m = MOG_HTTP_M_DELETE; break;
	case MOG_HTTP_MKCOL: m = MOG_HTTP_M_MKCOL; break;
	default: m = MOG_HTTP_M_OTHER; break;
	}
	for (s = 0; s < MOG_HTTP_S_N; s++)
		if (mog_http_metric_status_codes[s] == status)
			break;
	if (s == MOG_HTTP_S_N)
		s = MOG_HTTP_S_500;
	mog_http_metrics.requests[m][s]++;
}
