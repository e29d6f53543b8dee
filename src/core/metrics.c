/* metrics.c: the loop thread's counters and histograms. */
#include <config.h>
#include <errno.h>
#include "metrics.h"

struct mog_metrics mog_metrics;

const double mog_hist_bounds[MOG_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

const char *const mog_metric_method_names[MOG_M_NMETHODS] = {
	"GET", "HEAD", "PUT", "DELETE", "MKCOL", "other"
};

const int mog_metric_status_codes[MOG_S_NSTATUS] = {
	200, 201, 204, 206, 400, 403, 404, 405, 408, 416, 500, 503, 507
};

const char *const mog_metric_cmd_names[MOG_C_NCMDS] = {
	"size", "MD5", "SHA-1", "watch", "shutdown", "aio_threads", "blank", "bad_uri", "unknown"
};

void mog_hist_add(struct mog_hist *h, double seconds)
{
	unsigned i;

	for (i = 0; i < MOG_HIST_BUCKETS && seconds > mog_hist_bounds[i]; i++)
		;
	h->count[i]++;
	h->n++;
	h->sum += seconds;
}

double mog_hist_quantile(const struct mog_hist *h, double q)
{
	unsigned long long want, seen = 0;
	unsigned i;

	if (h->n == 0)
		return 0;
	want = (unsigned long long)(q * (double)h->n + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < MOG_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			return mog_hist_bounds[i];
	}
	return mog_hist_bounds[MOG_HIST_BUCKETS - 1] * 2;	/* beyond the last bound */
}

void mog_metrics_http(int method, int status)
{
	/* enum mog_http_method: 1 GET, 2 HEAD, 3 PUT, 4 DELETE, 5 MKCOL */
	unsigned m = method >= 1 && method <= 5 ? (unsigned)method - 1 : MOG_M_OTHER;
	unsigned s;

	for (s = 0; s < MOG_S_NSTATUS; s++)
		if (mog_metric_status_codes[s] == status)
			break;
	if (s == MOG_S_NSTATUS)
		s = MOG_S_500;
	mog_metrics.http_requests[m][s]++;
}

void mog_dev_metrics_error(struct mog_dev_metrics *m, int err)
{
	switch (err) {
	case 0:
	case ENOENT:		/* a missing file is an answer, not a disk error */
	case ENOTDIR:
	case EAGAIN:
	case ETIMEDOUT:
		return;
	case EIO:
		m->errors[0]++;
		break;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		m->errors[1]++;
		break;
	case EACCES:
	case EPERM:
	case ELOOP:
	case EXDEV:
		m->errors[2]++;
		break;
	default:
		m->errors[3]++;
		break;
	}
}
