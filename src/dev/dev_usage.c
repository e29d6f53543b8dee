/* dev_usage.c: each device's usage text, written on its pool, kept for GET /devN/usage. */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xalloc.h"
#include "../core/log.h"
#include "devdir.h"
#include "usage.h"
#include "dev.h"
#include "dev_int.h"

struct usage_job {
	struct mog_job job;
	struct mog_dev *dev;
	struct mog_devdir *dir;		/* a reference, put by done */
	dev_t st_dev;
	time_t now;
	bool failing;
	char text[MOG_USAGE_MAX];
	ssize_t len;
	char disk[PATH_MAX];
};

static void usage_run(struct mog_job *job)
{
	struct usage_job *uj = mog_container_of(job, struct usage_job, job);

	job->err = 0;
	uj->len = mog_usage_format(uj->dir->fd, uj->st_dev, uj->disk, uj->now, uj->failing,
				   uj->text);
	if (uj->len < 0) {
		job->err = errno;
		return;
	}
	if (mog_usage_write(uj->dir->fd, uj->text, (size_t)uj->len) < 0)
		job->err = errno;	/* the in-memory copy still serves GET /devN/usage */
}

static void usage_done(struct mog_job *job)
{
	struct usage_job *uj = mog_container_of(job, struct usage_job, job);
	struct mog_dev *dev = uj->dev;

	dev->usage_busy = false;
	mog_devdir_put(uj->dir);
	if (uj->len > 0 && !dev->unavailable) {
		memcpy(dev->usage, uj->text, (size_t)uj->len);
		dev->usage_len = (size_t)uj->len;
		dev->usage_time = uj->now;
	}
	/* log a failure once, not every interval */
	if (job->err && job->err != dev->usage_err)
		mog_log(LOG_ERR, "%s/usage: %s", uj->disk, strerror(job->err));
	dev->usage_err = job->err;
	free(uj);
}

/* NULL when the device is unavailable: no usage file then (the tracker sees 404). */
static struct usage_job *usage_job_new(struct mog_dev *dev)
{
	struct mog_devdir *dir = mog_devdir_get(dev);
	struct usage_job *uj;

	if (dir == NULL)
		return NULL;
	uj = xzalloc(sizeof(*uj));
	uj->job.run = usage_run;
	uj->job.done = usage_done;
	uj->dev = dev;
	uj->failing = dev->failing;
	uj->dir = dir;
	uj->st_dev = dev->st_dev;
	uj->now = time(NULL);
	snprintf(uj->disk, sizeof(uj->disk), "%s/dev%u", mog_docroot, dev->devid);
	return uj;
}

void mog_dev_usage_refresh(void)
{
	size_t n, i;
	struct mog_dev **present = mog_dev_list(&n);

	for (i = 0; i < n; i++) {
		struct mog_dev *dev = present[i];
		struct usage_job *uj;

		if (dev->usage_busy)	/* a hung disk keeps at most one job queued */
			continue;
		if ((uj = usage_job_new(dev)) == NULL)
			continue;
		dev->usage_busy = true;
		mog_dev_pool_submit_main(&dev->pool, &uj->job);
	}
}

void mog_dev_usage_sync(struct mog_dev *dev)
{
	struct usage_job *uj = usage_job_new(dev);

	if (uj == NULL)
		return;
	usage_run(&uj->job);
	usage_done(&uj->job);
}
