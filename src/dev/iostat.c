/* iostat.c: %util per device from /proc/diskstats (or an iostat child), rounds for `watch`. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../net/loop.h"
#include "dev.h"
#include "iostat_parser.h"
#include "usage.h"
#include "iostat.h"

static void (*send_round)(const char *text, size_t len);
static ev_timer sample_timer;

/* ---- /proc/diskstats ---- */

struct disk_sample {
	dev_t dev;
	unsigned long long io_ticks;	/* ms spent doing I/O */
	double at_ms;			/* CLOCK_BOOTTIME when read */
};
static struct disk_sample *prev;
static size_t nprev;

static double boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The previous sample of dev, or a zero one taken at boot (the first round
 * then shows the average since boot, as iostat's first report does). */
static struct disk_sample *prev_of(dev_t dev)
{
	size_t i;

	for (i = 0; i < nprev; i++)
		if (prev[i].dev == dev)
			return &prev[i];
	prev = xreallocarray(prev, nprev + 1, sizeof(*prev));
	prev[nprev].dev = dev;
	prev[nprev].io_ticks = 0;
	prev[nprev].at_ms = 0;
	return &prev[nprev++];
}

/* Read /proc/diskstats: procfs, so this never waits on a disk. */
static int sample_diskstats(void)
{
	char line[512];
	double now = boottime_ms();
	size_t ndevs, i;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	FILE *fp = fopen("/proc/diskstats", "re");

	if (fp == NULL)
		return -1;
	for (i = 0; i < ndevs; i++)
		strcpy(devs[i]->util, "-");
	while (fgets(line, sizeof(line), fp)) {
		unsigned maj, min;
		unsigned long long ticks;
		struct disk_sample *p;
		char util[8];
		unsigned hundredths;
		double pct;
		dev_t dev;

		/* major minor name reads . . . writes . . . in_flight io_ticks ... */
		if (sscanf(line, "%u %u %*s %*u %*u %*u %*u %*u %*u %*u %*u %*u %llu",
			   &maj, &min, &ticks) != 3)
			continue;
		dev = makedev(maj, min);
		for (i = 0; i < ndevs; i++)
			if (devs[i]->st_dev == dev)
				break;
		if (i == ndevs)
			continue;
		p = prev_of(dev);
		pct = now > p->at_ms ? (double)(ticks - p->io_ticks) * 100.0 / (now - p->at_ms) : 0;
		if (pct > 100.0)
			pct = 100.0;
		if (pct < 0)
			pct = 0;
		hundredths = (unsigned)(pct * 100.0 + 0.5);
		snprintf(util, sizeof(util), "%u.%02u", hundredths / 100 % 1000, hundredths % 100);
		p->io_ticks = ticks;
		p->at_ms = now;
		for (i = 0; i < ndevs; i++)
			if (devs[i]->st_dev == dev)
				snprintf(devs[i]->util, sizeof(devs[i]->util), "%s", util);
	}
	fclose(fp);
	return 0;
}

/* Format one round ("<devid>\t<util>\n" per device, ascending, then ".\n"). */
static void emit_round(void)
{
	size_t ndevs, i, len = 0;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	char *buf = xmalloc(ndevs * 20 + 3);

	for (i = 0; i < ndevs; i++)
		if (!devs[i]->unavailable)	/* refused devices leave the round, as if removed */
			len += (size_t)sprintf(buf + len, "%u\t%s\n", devs[i]->devid, devs[i]->util);
	memcpy(buf + len, ".\n", 2);
	len += 2;
	send_round(buf, len);
	free(buf);
}

static void on_sample(struct ev_loop *loop, ev_timer *w, int revents)
{
	if (sample_diskstats() == 0)
		emit_round();
}

/* ---- iostat(1) child, for MOG_IOSTAT_CMD ---- */

static pid_t child;
static double child_started;		/* ev_now() when it was forked */
static double backoff_s;		/* delay before restarting a child that exited at once */
static bool child_reported;		/* the running child completed a report */
static ev_io child_io;
static ev_child child_watch;
static ev_timer restart_timer;
static struct mog_iostat_parser parser;
static bool stopping;

/* Each present device's mount source, rebuilt only when mog_dev_generation
 * moves (a device or the mount table changed), not per report line. */
struct dev_source {
	struct mog_dev *dev;
	char src[256];
};
static struct dev_source *sources;
static size_t nsources;
static unsigned long sources_gen;
static bool sources_valid;

static void sources_refresh(void)
{
	size_t ndevs, i;
	struct mog_dev **devs;

	if (sources_valid && sources_gen == mog_dev_generation)
		return;
	devs = mog_dev_list(&ndevs);
	sources = xreallocarray(sources, ndevs ? ndevs : 1, sizeof(*sources));
	for (i = 0; i < ndevs; i++) {
		sources[i].dev = devs[i];
		mog_usage_mount_source(devs[i]->st_dev, sources[i].src, sizeof(sources[i].src));
	}
	nsources = ndevs;
	sources_gen = mog_dev_generation;
	sources_valid = true;
}

/* A report line for name applies to every device whose filesystem's mount
 * source starts with /dev/<name> (doc/protocol.md, watch). */
static void on_line(void *arg, const char *name, const char *util)
{
	char want[96];
	size_t i, len;

	len = (size_t)snprintf(want, sizeof(want), "/dev/%s", name);
	sources_refresh();
	for (i = 0; i < nsources; i++)
		if (strncmp(sources[i].src, want, len) == 0)
			snprintf(sources[i].dev->util, sizeof(sources[i].dev->util), "%s", util);
}

static void on_report_end(void *arg)
{
	child_reported = true;
	emit_round();
}

static const struct mog_iostat_cb parser_cb = { on_line, on_report_end, NULL };

static void on_child_output(struct ev_loop *loop, ev_io *w, int revents)
{
	char buf[4096];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	if (n > 0) {
		mog_iostat_feed(&parser, buf, (size_t)n, &parser_cb);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	ev_io_stop(loop, w);
	close(w->fd);
}

/* The child is gone: take what it wrote, then close its pipe (SIGCHLD may
 * come before the pipe's EOF; a restart must not leak or re-init it). */
static void output_close(struct ev_loop *loop)
{
	char buf[4096];
	ssize_t n;
	int i;

	if (!ev_is_active(&child_io))
		return;
	/* the writer is dead: this ends at EOF (or EAGAIN if a grandchild holds it) */
	for (i = 0; i < 64 && (n = read(child_io.fd, buf, sizeof(buf))) > 0; i++)
		mog_iostat_feed(&parser, buf, (size_t)n, &parser_cb);
	ev_io_stop(loop, &child_io);
	close(child_io.fd);
}

static void start_child(void);

static void on_restart(struct ev_loop *loop, ev_timer *w, int revents)
{
	start_child();
}

static void on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	int status = w->rstatus;

	ev_child_stop(loop, w);
	child = 0;
	output_close(loop);
	if (stopping)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* a run that reported ("iostat -dx 1 30") restarts at once (at most
		 * twice a second); one that exits without a report is retried after
		 * 1, 2, 4 .. 10 s, never in a tight loop */
		double ran = ev_now(loop) - child_started, delay;

		if (child_reported) {
			backoff_s = 0;
			delay = ran < 0.5 ? 0.5 - ran : 0;
		} else {
			backoff_s = backoff_s < 1. ? 1. : backoff_s * 2 > 10. ? 10. : backoff_s * 2;
			delay = backoff_s;
		}
		if (delay <= 0) {
			start_child();
			return;
		}
		ev_timer_set(&restart_timer, delay, 0.);
		ev_timer_start(loop, &restart_timer);
		return;
	}
	mog_log(LOG_WARNING, "iostat done (pid=%d, status=%d), will retry in 10s",
		(int)w->rpid, status);
	ev_timer_set(&restart_timer, 10., 0.);
	ev_timer_start(loop, &restart_timer);
}

static void start_child(void)
{
	const char *cmd = getenv("MOG_IOSTAT_CMD");
	char *shcmd;
	int pfd[2], devnull;
	pid_t pid;

	if (cmd == NULL || *cmd == '\0')
		cmd = "iostat -dx 1 30";
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		mog_log_errno("iostat pipe");
		return;
	}
	if (asprintf(&shcmd, "exec %s", cmd) < 0)
		xalloc_die();
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(pfd[1], 1);
		execl("/bin/sh", "sh", "-c", shcmd, (char *)NULL);
		_exit(127);
	}
	free(shcmd);
	close(pfd[1]);
	if (pid < 0) {
		mog_log_errno("iostat(1) not available/running: fork");
		close(pfd[0]);
		return;
	}
	child = pid;
	child_started = ev_now(mog_loop);
	child_reported = false;
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	mog_iostat_init(&parser);
	ev_io_init(&child_io, on_child_output, pfd[0], EV_READ);
	ev_io_start(mog_loop, &child_io);
	ev_child_init(&child_watch, on_child_exit, pid, 0);
	ev_child_start(mog_loop, &child_watch);
}

void mog_iostat_start(void (*round)(const char *text, size_t len))
{
	send_round = round;
	if (getenv("MOG_IOSTAT_CMD") == NULL && access("/proc/diskstats", R_OK) == 0) {
		ev_timer_init(&sample_timer, on_sample, 1., 1.);
		ev_timer_start(mog_loop, &sample_timer);
		ev_unref(mog_loop);
		return;
	}
	ev_timer_init(&restart_timer, on_restart, 10., 0.);
	start_child();
}

void mog_iostat_stop(void)
{
	stopping = true;
	if (child > 0)
		kill(child, SIGTERM);
}
