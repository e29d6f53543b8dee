/* metrics.c: histograms of seconds, for /metrics and the status page. */
#include <config.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>
#include "metrics.h"

double mog_start_time;

const double mog_hist_bounds[MOG_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
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

long mog_metrics_rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *fp = fopen("/proc/self/statm", "re");

	if (fp) {
		if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(fp);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

long mog_metrics_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* not the one opendir holds */
}
