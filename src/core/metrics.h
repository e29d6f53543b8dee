/* metrics.h: counters and histograms for /metrics.  Loop thread only: pool threads
 * measure into their job, and the loop adds the job's numbers when it finishes. */
#ifndef MOG_METRICS_H
#define MOG_METRICS_H

#include "../mog.h"

#define MOG_HIST_BUCKETS 14

/* A Prometheus histogram of seconds. */
struct mog_hist {
	unsigned long long count[MOG_HIST_BUCKETS + 1];	/* per bucket; last is +Inf */
	unsigned long long n;
	double sum;
};

/* Upper bounds (seconds) of the buckets, in ascending order. */
extern const double mog_hist_bounds[MOG_HIST_BUCKETS];

void mog_hist_add(struct mog_hist *h, double seconds);

/* The value below which a fraction q (0..1) of observations fall, by bucket
 * (upper bound of the bucket holding the q-quantile); 0 with no data. */
double mog_hist_quantile(const struct mog_hist *h, double q);

enum mog_metric_method {
	MOG_M_GET, MOG_M_HEAD, MOG_M_PUT, MOG_M_DELETE, MOG_M_MKCOL, MOG_M_OTHER, MOG_M_NMETHODS
};

enum mog_metric_status {	/* the statuses we send */
	MOG_S_200, MOG_S_201, MOG_S_204, MOG_S_206, MOG_S_400, MOG_S_403, MOG_S_404,
	MOG_S_405, MOG_S_408, MOG_S_416, MOG_S_500, MOG_S_503, MOG_S_507, MOG_S_NSTATUS
};

enum mog_metric_cmd {
	MOG_C_SIZE, MOG_C_MD5, MOG_C_SHA1, MOG_C_WATCH, MOG_C_SHUTDOWN, MOG_C_AIO_THREADS,
	MOG_C_BLANK, MOG_C_BAD_URI, MOG_C_UNKNOWN, MOG_C_NCMDS
};

struct mog_metrics {
	unsigned long long http_requests[MOG_M_NMETHODS][MOG_S_NSTATUS];
	unsigned long long http_bytes_in, http_bytes_out;
	unsigned long long connections_accepted;
	unsigned long long sideband_commands[MOG_C_NCMDS];
	double start_time;
};
extern struct mog_metrics mog_metrics;

extern const char *const mog_metric_method_names[MOG_M_NMETHODS];
extern const int mog_metric_status_codes[MOG_S_NSTATUS];
extern const char *const mog_metric_cmd_names[MOG_C_NCMDS];

/* Count one HTTP response.  method: enum mog_http_method (0 = unparsed). */
void mog_metrics_http(int method, int status);

/* Per-device numbers (embedded in struct mog_dev). */
struct mog_dev_metrics {
	struct mog_hist latency[3];	/* 0 GET/HEAD, 1 PUT, 2 sideband digest */
	struct mog_hist fsync;
	unsigned long long errors[4];	/* EIO, ENOSPC/EDQUOT, EACCES/EPERM, other */
	unsigned long long bytes_in, bytes_out;
};

/* Count a finished request's errno (0: none) in m. */
void mog_dev_metrics_error(struct mog_dev_metrics *m, int err);

#endif /* MOG_METRICS_H */
