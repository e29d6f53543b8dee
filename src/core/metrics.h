/* metrics.h: histograms for /metrics.  Each layer owns its own counters (net/listen.h,
 * http/http.h, mgmt/mgmt.h, dev/dev.h); all of them are loop thread only: pool threads
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

/* Count one observation in h.  The thread that owns h (the loop, for every metric). */
void mog_hist_add(struct mog_hist *h, double seconds);

/* The value below which a fraction q (0..1) of observations fall, by bucket
 * (upper bound of the bucket holding the q-quantile); 0 with no data. */
double mog_hist_quantile(const struct mog_hist *h, double q);

/* The process's resident memory in bytes (procfs).  Any thread. */
long mog_metrics_rss_bytes(void);

/* The process's open descriptors (procfs), or -1.  Any thread. */
long mog_metrics_open_fds(void);

/* ev_now() when the daemon started (set by main).  Loop thread. */
extern double mog_start_time;

#endif /* MOG_METRICS_H */
