/* dev.c: registry of device directories: devNNN <-> st_dev <-> pool, rescanned on a timer. */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../net/loop.h"
#include "../util/path.h"
#include "cleanup.h"
#include "devdir.h"
#include "dev.h"
#include "dev_int.h"

const char *mog_docroot;
int mog_docroot_fd = -1;

static struct mog_dev **devs;		/* every device ever seen, ascending devid */
static size_t ndevs;
unsigned long mog_dev_generation;
static struct mog_dev **present;	/* the present ones, ascending; rebuilt per scan */
static size_t npresent;
static struct mog_dev_pool root_pool;	/* paths outside devices, scans */
static unsigned pool_threads;
static bool usage_on;
static unsigned usage_interval = 10;
static ev_timer scan_timer;
static ev_timer tick_timer;		/* once a second: deadlines, mount changes */
static unsigned io_deadline;
static unsigned tick_count;
static int mountinfo_fd = -1;

struct scan_entry {
	unsigned devid;
	struct mog_devdir_probe probe;
};

struct scan_job {
	struct mog_job job;
	struct scan_entry *ents;
	size_t n;
	unsigned *must_mount;		/* devids that must be mount points */
	size_t nmust;
};
static bool scan_busy;

/* A docroot entry naming a device: "dev" + canonical decimal digits. */
static bool parse_dev_name(const char *name, unsigned *devid)
{
	size_t len = strlen(name);

	return mog_path_dev_scan(name, len, devid) == len && *devid != MOG_DEVID_NONE;
}

static bool must_mount(const struct scan_job *sj, unsigned devid)
{
	size_t i;

	if (mog_devdir_require_mount)
		return true;
	for (i = 0; i < sj->nmust; i++)
		if (sj->must_mount[i] == devid)
			return true;
	return false;
}

/* Read the docroot; look at each device directory (and close it again: an
 * open descriptor would keep its disk from being unmounted).  Pool thread
 * (or main at startup). */
static void scan_run(struct mog_job *job)
{
	struct scan_job *sj = mog_container_of(job, struct scan_job, job);
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	sj->ents = NULL;
	sj->n = 0;
	job->err = 0;
	if ((fd = openat(mog_docroot_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (dir = fdopendir(fd)) == NULL) {
		job->err = errno;
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		struct scan_entry *e;
		unsigned devid;
		int dfd;

		if (!parse_dev_name(de->d_name, &devid))
			continue;
		/* device directories are often symlinks to mount points: follow */
		dfd = openat(mog_docroot_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		if (sj->n == cap)
			sj->ents = x2nrealloc(sj->ents, &cap, sizeof(*sj->ents));
		e = &sj->ents[sj->n++];
		e->devid = devid;
		mog_devdir_probe(dfd, devid, must_mount(sj, devid), &e->probe);
		close(dfd);
	}
	closedir(dir);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct mog_dev *x = *(struct mog_dev *const *)a, *y = *(struct mog_dev *const *)b;

	return x->devid < y->devid ? -1 : x->devid > y->devid;
}

static struct mog_dev *find(unsigned devid)
{
	size_t lo = 0, hi = ndevs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (devs[mid]->devid == devid)
			return devs[mid];
		if (devs[mid]->devid < devid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct cleanup_job {
	struct mog_job job;
	struct mog_dev *dev;
	struct mog_devdir *dir;		/* a reference, put by done */
	unsigned long removed;
};

static void cleanup_run(struct mog_job *job)
{
	struct cleanup_job *cj = mog_container_of(job, struct cleanup_job, job);

	cj->removed = mog_cleanup_walk(cj->dir->fd);
}

static void cleanup_done(struct mog_job *job)
{
	struct cleanup_job *cj = mog_container_of(job, struct cleanup_job, job);

	cj->dev->cleanup_busy = false;
	mog_devdir_put(cj->dir);
	if (cj->removed)
		mog_log(LOG_INFO, "dev%u: removed %lu orphaned temporary file(s)",
			cj->dev->devid, cj->removed);
	free(cj);
}

/* At first sight of a device and hourly: temp files of crashed PUTs. */
static void cleanup_maybe(struct mog_dev *dev)
{
	time_t now = time(NULL);
	struct cleanup_job *cj;
	struct mog_devdir *dir;

	if (dev->cleanup_busy || now < dev->next_cleanup || dev->unavailable)
		return;
	if ((dir = mog_devdir_get(dev)) == NULL)
		return;
	dev->next_cleanup = now + 3600;
	dev->cleanup_busy = true;
	cj = xzalloc(sizeof(*cj));
	cj->job.run = cleanup_run;
	cj->job.done = cleanup_done;
	cj->dev = dev;
	cj->dir = dir;
	mog_dev_pool_submit_main(&dev->pool, &cj->job);
}

/* Merge a scan into the registry.  Loop thread (or main at startup). */
static void scan_merge(struct scan_job *sj)
{
	size_t i;

	for (i = 0; i < ndevs; i++)
		devs[i]->present = false;
	for (i = 0; i < sj->n; i++) {
		struct scan_entry *e = &sj->ents[i];
		struct mog_dev *dev = find(e->devid);
		dev_t old_dev;
		ino_t old_ino;

		if (dev == NULL) {
			char name[16];

			dev = xzalloc(sizeof(*dev));
			dev->devid = e->devid;
			dev->spare_fd = -1;
			strcpy(dev->util, "-");
			snprintf(name, sizeof(name), "dev%u", e->devid);
			if (mog_dev_pool_start(&dev->pool, pool_threads, name) < 0)
				mog_log_errno("dev%u: cannot start I/O threads", e->devid);
			devs = xreallocarray(devs, ndevs + 1, sizeof(*devs));
			devs[ndevs++] = dev;
			qsort(devs, ndevs, sizeof(*devs), cmp_dev);
			mog_dev_generation++;
		}
		old_dev = dev->st_dev;
		old_ino = dev->st_ino;
		mog_devdir_apply(dev, &e->probe);
		if (dev->st_dev != old_dev || dev->st_ino != old_ino)
			mog_dev_generation++;	/* remounted or replaced */
		if (!dev->present_before)
			mog_dev_generation++;	/* (re)appeared */
		dev->present = true;
	}
	for (i = 0; i < ndevs; i++) {
		if (devs[i]->present_before && !devs[i]->present)
			mog_dev_generation++;	/* gone */
		devs[i]->present_before = devs[i]->present;
	}
	free(sj->ents);
	sj->ents = NULL;
	for (i = 0; i < ndevs; i++)
		if (!devs[i]->present)
			mog_devdir_drop(devs[i]);
	free(present);
	present = xnmalloc(ndevs ? ndevs : 1, sizeof(*present));
	npresent = 0;
	for (i = 0; i < ndevs; i++)
		if (devs[i]->present)
			present[npresent++] = devs[i];
	for (i = 0; i < npresent; i++)
		cleanup_maybe(present[i]);
}

static void scan_done(struct mog_job *job)
{
	struct scan_job *sj = mog_container_of(job, struct scan_job, job);

	scan_busy = false;
	free(sj->must_mount);
	if (job->err)
		mog_log(LOG_ERR, "cannot scan docroot %s: %s", mog_docroot, strerror(job->err));
	else
		scan_merge(sj);
	free(sj);
	if (usage_on)
		mog_dev_usage_refresh();
}

void mog_dev_refresh(void)
{
	struct scan_job *sj;
	size_t i;

	if (scan_busy)
		return;
	scan_busy = true;
	sj = xzalloc(sizeof(*sj));
	sj->must_mount = xnmalloc(ndevs ? ndevs : 1, sizeof(*sj->must_mount));
	for (i = 0; i < ndevs; i++)
		if (mog_devdir_must_mount(devs[i]))
			sj->must_mount[sj->nmust++] = devs[i]->devid;
	sj->job.run = scan_run;
	sj->job.done = scan_done;
	mog_dev_pool_submit_main(&root_pool, &sj->job);
}

static void on_scan_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	mog_dev_refresh();
}

void mog_dev_set_deadline(unsigned seconds)
{
	io_deadline = seconds;
}

void mog_dev_init(const char *docroot, unsigned threads, bool usage)
{
	struct scan_job sj = { .job = { .run = scan_run } };
	char real[PATH_MAX];
	const char *env;
	size_t i;

	if (realpath(docroot, real) == NULL)
		mog_die("docroot=%s failed to resolve: %s", docroot, strerror(errno));
	mog_docroot = xstrdup(real);
	mog_docroot_fd = open(mog_docroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mog_docroot_fd < 0)
		mog_die_errno("open docroot=%s", mog_docroot);
	pool_threads = threads;
	usage_on = usage;
	env = getenv("MOG_DISK_USAGE_INTERVAL");
	if (env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*env && *end == '\0' && v > 0 && v < 86400)
			usage_interval = (unsigned)v;
	}
	if (mog_dev_pool_start(&root_pool, 4, "docroot") < 0)
		mog_die_errno("cannot start I/O threads");

	/* startup: scan and write every usage file before serving, in this thread
	 * (harnesses poll for devN/usage right after launching us) */
	scan_run(&sj.job);
	if (sj.job.err)
		mog_die("cannot read docroot=%s: %s", mog_docroot, strerror(sj.job.err));
	scan_merge(&sj);
	if (!usage_on)
		return;
	for (i = 0; i < npresent; i++)
		mog_dev_usage_sync(present[i]);
}

/* Answer every job that waited longer than the deadline for its pool. */
static void expire_pool(struct mog_dev_pool *pool, double cutoff)
{
	struct mog_job *job = mog_dev_pool_expire(pool, cutoff), *next;

	for (; job; job = next) {
		next = job->next;
		job->err = ETIMEDOUT;
		job->expire(job);
		mog_loop_complete(job);	/* done() on the loop that owns its connection */
	}
}

/* poll(2) reports POLLPRI on /proc/self/mountinfo when the mount table
 * changes: a disk mounted on devN must be seen at once, not at the next scan. */
static bool mounts_changed(void)
{
	struct pollfd pfd = { .fd = mountinfo_fd, .events = POLLPRI };
	char buf[4096];

	if (mountinfo_fd < 0 || poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLPRI | POLLERR)))
		return false;
	/* procfs: reading it to the end re-arms the notification, and never blocks */
	lseek(mountinfo_fd, 0, SEEK_SET);
	while (read(mountinfo_fd, buf, sizeof(buf)) > 0)
		;
	return true;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	double cutoff = ev_now(loop) - io_deadline;
	size_t i;

	if (++tick_count % 10 == 0)
		for (i = 0; i < ndevs; i++)
			mog_dev_fence_check(devs[i]);

	if (mounts_changed()) {
		/* a disk mounted over a busy directory must not stay hidden behind it */
		mog_devdir_drop_all();
		mog_dev_generation++;
		mog_dev_refresh();
	}
	if (io_deadline == 0)
		return;
	for (i = 0; i < ndevs; i++)
		expire_pool(&devs[i]->pool, cutoff);
	expire_pool(&root_pool, cutoff);
}

void mog_dev_start(void)
{
	char buf[4096];

	mog_devdir_start();
	mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mountinfo_fd >= 0)
		while (read(mountinfo_fd, buf, sizeof(buf)) > 0)
			;
	ev_timer_init(&tick_timer, on_tick, 1., 1.);
	ev_timer_start(mog_loop, &tick_timer);
	ev_unref(mog_loop);
	ev_timer_init(&scan_timer, on_scan_timer, usage_interval, usage_interval);
	ev_timer_start(mog_loop, &scan_timer);
	ev_unref(mog_loop);		/* the timer alone does not keep the loop alive */
}

struct mog_dev *mog_dev_get(unsigned devid)
{
	struct mog_dev *dev = find(devid);

	return dev && dev->present ? dev : NULL;
}

struct mog_dev_pool *mog_dev_root_pool(void)
{
	return &root_pool;
}

struct mog_dev **mog_dev_list(size_t *n)
{
	*n = npresent;
	return present;
}

void mog_dev_set_threads(unsigned n)
{
	size_t i;

	for (i = 0; i < ndevs; i++)
		mog_dev_pool_resize(&devs[i]->pool, n);
	/* without a device yet, the docroot pool does all the disk work: it takes the size */
	if (ndevs == 0)
		mog_dev_pool_resize(&root_pool, n);
	pool_threads = n;
}

void mog_dev_shutdown(void)
{
	size_t i;

	for (i = 0; i < ndevs; i++)
		mog_dev_pool_stop(&devs[i]->pool);
	mog_dev_pool_stop(&root_pool);
}
