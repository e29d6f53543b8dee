/* scrub.c: the scrubber threads: start and stop, byte-rate budget, progress file, report. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "xalloc.h"
#include "../core/log.h"
#include "../net/loop.h"
#include "dev.h"
#include "integrity.h"
#include "scrub_int.h"
#include "scrub.h"

#define PROGRESS ".scrub"		/* devNNN/.scrub: pass number and position */
#define CATCH_UP 0.25			/* seconds of lateness the pacing makes up */
#define PASS_INTERVAL 600.		/* seconds from one pass's start to the next's, at least */

pthread_mutex_t mog_scrub_lock = PTHREAD_MUTEX_INITIALIZER;
unsigned long long mog_scrub_rate = 10ull << 20;
static pthread_cond_t wake;		/* on CLOCK_MONOTONIC, set up by mog_scrub_start() */
static bool stopping;
static struct scrubber *scrubbers;	/* loop thread (and main, at stop) */
static ev_timer timer;

void mog_scrub_set_rate(unsigned long long bytes_per_s)
{
	mog_scrub_rate = bytes_per_s;
}

bool mog_scrub_stopping(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait on the condition until the monotonic time t.  Caller holds mog_scrub_lock. */
static void wait_until_locked(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	pthread_cond_timedwait(&wake, &mog_scrub_lock, &ts);
}

bool mog_scrub_pace(struct scrubber *sc, size_t n)
{
	double now = now_mono();
	bool ok;

	pthread_mutex_lock(&mog_scrub_lock);
	sc->bytes += n;
	sc->pass_bytes += n;
	/* idle time is not saved up for a burst, but a late wake-up (a busy CPU, the
	 * timer's slack) is made up, or a pass of many small files would take
	 * longer than bytes / rate */
	if (sc->next_read < now - CATCH_UP)
		sc->next_read = now - CATCH_UP;
	sc->next_read += (double)n / (double)mog_scrub_rate;
	while (!stopping && sc->present && (now < sc->next_read || sc->busy)) {
		sc->paused = sc->busy;
		wait_until_locked(sc->paused ? now + 0.1 : sc->next_read);
		now = now_mono();
		if (sc->paused && sc->next_read < now)
			sc->next_read = now;
	}
	sc->paused = false;
	ok = !stopping && sc->present;	/* a device gone away ends the pass */
	pthread_mutex_unlock(&mog_scrub_lock);
	return ok;
}

/*
 * The position as devNNN/.scrub says it (len 0: nothing to save yet, an empty
 * device is left untouched).  Scrubber thread, holding mog_scrub_lock.
 */
static int progress_text_locked(struct scrubber *sc, char *text, size_t size)
{
	int len;

	if (sc->files == 0 || sc->dir_fd < 0)
		return 0;
	sc->last_save = now_mono();
	len = snprintf(text, size, "evmogstored-scrub 1\npass %llu\nposition %s\n",
		       sc->passes, sc->position);
	return len > 0 && (size_t)len < size ? len : 0;
}

/*
 * Write devNNN/.scrub.  Scrubber thread, not holding mog_scrub_lock: the loop
 * takes that lock, and these calls wait as long as the disk does.
 */
static void write_progress(struct scrubber *sc, const char *text, int len)
{
	int fd;

	if (len == 0)
		return;
	fd = openat(sc->dir_fd, PROGRESS ".new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)len) != len || close(fd) < 0 ||
	    renameat(sc->dir_fd, PROGRESS ".new", sc->dir_fd, PROGRESS) < 0)
		mog_log_errno("dev%u: saving the scrub position failed", sc->devid);
}

void mog_scrub_save(struct scrubber *sc, bool force)
{
	char text[PATH_MAX + 64];
	int len;

	if (!force && now_mono() - sc->last_save < 5)
		return;
	pthread_mutex_lock(&mog_scrub_lock);
	len = progress_text_locked(sc, text, sizeof(text));
	pthread_mutex_unlock(&mog_scrub_lock);
	write_progress(sc, text, len);
}

/* Read devNNN/.scrub, if any: where the interrupted pass stopped. */
static void load_progress(struct scrubber *sc)
{
	char text[PATH_MAX + 64], *pos;
	unsigned long long pass;
	ssize_t n;
	int fd = openat(sc->dir_fd, PROGRESS, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	if (sscanf(text, "evmogstored-scrub 1\npass %llu\n", &pass) != 1 ||
	    (pos = strstr(text, "\nposition ")) == NULL) {
		mog_log(LOG_WARNING, "dev%u/%s: not understood; scrubbing from the start",
			sc->devid, PROGRESS);
		return;
	}
	pos += strlen("\nposition ");
	pos[strcspn(pos, "\n")] = '\0';
	pthread_mutex_lock(&mog_scrub_lock);	/* the status page reads passes and position */
	sc->passes = pass;
	snprintf(sc->resume, sizeof(sc->resume), "%s", pos);
	snprintf(sc->position, sizeof(sc->position), "%s", pos);
	pthread_mutex_unlock(&mog_scrub_lock);
}

/*
 * Wait while the device is away; then open its directory for a pass (-1:
 * stopping).  The open is made without mog_scrub_lock: a hung disk holds up
 * this thread only.
 */
static int open_dir(struct scrubber *sc)
{
	char name[32];
	struct stat st;
	int fd = -1;

	snprintf(name, sizeof(name), "dev%u", sc->devid);
	pthread_mutex_lock(&mog_scrub_lock);
	while (!stopping) {
		if (sc->present) {
			pthread_mutex_unlock(&mog_scrub_lock);
			fd = openat(mog_docroot_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0 && fstat(fd, &st) < 0) {
				close(fd);
				fd = -1;
			}
			pthread_mutex_lock(&mog_scrub_lock);
			if (fd >= 0) {
				sc->st_dev = st.st_dev;
				break;
			}
		}
		wait_until_locked(now_mono() + 1);
	}
	pthread_mutex_unlock(&mog_scrub_lock);
	sc->dir_fd = fd;
	return fd;
}

/* The pass's end.  dir_fd is the scrubber thread's alone: no lock. */
static void close_dir(struct scrubber *sc)
{
	close(sc->dir_fd);
	sc->dir_fd = -1;
}

/* After a complete pass: count it, save it, and wait for the next one. */
static void pass_done(struct scrubber *sc, double started)
{
	unsigned long long pass, files, bytes, corrupt, adopted;
	char text[PATH_MAX + 64];
	int len;

	pthread_mutex_lock(&mog_scrub_lock);
	pass = ++sc->passes;
	files = sc->pass_files;
	bytes = sc->pass_bytes;
	corrupt = sc->corrupt;
	adopted = sc->adopted;
	sc->pass_bytes = sc->pass_files = 0;
	sc->position[0] = '\0';
	len = progress_text_locked(sc, text, sizeof(text));
	pthread_mutex_unlock(&mog_scrub_lock);
	if (files > 0)		/* an empty device has nothing to say */
		mog_log(LOG_INFO, "dev%u: scrub pass %llu done: %llu files, %llu bytes, "
			"%llu corrupt so far, %llu adopted so far", sc->devid, pass, files, bytes,
			corrupt, adopted);
	write_progress(sc, text, len);
	close_dir(sc);
	/* a small device is not read over and over */
	pthread_mutex_lock(&mog_scrub_lock);
	while (!stopping && now_mono() < started + PASS_INTERVAL)
		wait_until_locked(started + PASS_INTERVAL);
	pthread_mutex_unlock(&mog_scrub_lock);
}

/*
 * The device directory is open only during a pass (an idle device pins no
 * filesystem); a device that goes away ends the pass where it was, to be
 * resumed from devN/.scrub once it is back.
 */
static void *scrub_main(void *arg)
{
	struct scrubber *sc = arg;
	char name[16];

	snprintf(name, sizeof(name), "scrub%u", sc->devid);
	pthread_setname_np(pthread_self(), name);
	/* idle I/O class (3) for this thread: the disk serves requests first */
	syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 3 << 13);
	sc->buf = xmalloc(MOG_SCRUB_PIECE);
	while (open_dir(sc) >= 0) {
		double started = now_mono();

		load_progress(sc);
		if (sc->resume[0])
			mog_log(LOG_INFO, "dev%u: scrub pass %llu resumes after %s", sc->devid,
				sc->passes + 1, sc->resume);
		if (mog_scrub_pass(sc)) {
			pass_done(sc, started);
			continue;
		}
		mog_scrub_save(sc, true);
		close_dir(sc);
	}
	free(sc->buf);
	return NULL;
}

/* Loop thread: a scrubber for every device, and each one's busy flag. */
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	size_t ndevs, i;
	struct mog_dev **devs = mog_dev_list(&ndevs);
	struct scrubber *sc;
	struct mog_dev_pool_stats st;

	(void)loop, (void)w, (void)revents;
	pthread_mutex_lock(&mog_scrub_lock);
	for (sc = scrubbers; sc; sc = sc->next)
		sc->present = false;
	for (i = 0; i < ndevs; i++) {
		for (sc = scrubbers; sc && sc->devid != devs[i]->devid; sc = sc->next)
			;
		if (sc == NULL) {
			sc = xzalloc(sizeof(*sc));
			sc->devid = devs[i]->devid;
			sc->dir_fd = -1;
			sc->next = scrubbers;
			scrubbers = sc;
			sc->started = pthread_create(&sc->thread, NULL, scrub_main, sc) == 0;
		}
		mog_dev_pool_stats(&devs[i]->pool, &st);	/* pool threads change them */
		sc->present = devs[i]->present && !devs[i]->unavailable;
		sc->busy = st.busy > 0 || st.queued > 0;
	}
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&mog_scrub_lock);
}

void mog_scrub_start(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &attr);
	pthread_condattr_destroy(&attr);
	if (mog_scrub_rate == 0)
		return;
	ev_timer_init(&timer, on_timer, 0., 0.25);
	ev_timer_start(mog_loop, &timer);
	ev_unref(mog_loop);		/* the timer alone does not keep the loop alive */
}

void mog_scrub_stop(void)
{
	struct scrubber *sc;

	pthread_mutex_lock(&mog_scrub_lock);
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&mog_scrub_lock);
	while ((sc = scrubbers) != NULL) {
		struct timespec until;

		scrubbers = sc->next;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		/* a scrubber stuck in a read of a hung disk must not hold up the exit:
		 * after 2 s it is left to die with the process */
		if (sc->started && pthread_timedjoin_np(sc->thread, NULL, &until) != 0)
			continue;
		if (sc->dir_fd >= 0)
			close(sc->dir_fd);
		free(sc);
	}
}

/* One per-device scrub family in Prometheus text. */
static void report_family(FILE *out, const char *name, const char *type, const char *help,
			  size_t field)
{
	struct scrubber *sc;

	fprintf(out, "# HELP evmogstored_scrub_%s %s\n# TYPE evmogstored_scrub_%s %s\n", name,
		help, name, type);
	for (sc = scrubbers; sc; sc = sc->next)
		fprintf(out, "evmogstored_scrub_%s{device=\"dev%u\"} %llu\n", name, sc->devid,
			*(unsigned long long *)((char *)sc + field));
}

static void report_metrics(FILE *out)
{
	struct scrubber *sc;
	int i;

	fprintf(out, "# HELP evmogstored_integrity_events_total Checksum records written by PUT, "
		"whole-file reads verified, files adopted, corrupt files found, quarantined, "
		"records not stored.\n# TYPE evmogstored_integrity_events_total counter\n");
	for (i = 0; i < MOG_IC_N; i++)
		fprintf(out, "evmogstored_integrity_events_total{event=\"%s\"} %llu\n",
			mog_integrity_counter_names[i], mog_integrity_get(i));
	report_family(out, "bytes_total", "counter", "Bytes read by the scrubber.",
		      offsetof(struct scrubber, bytes));
	report_family(out, "files_total", "counter", "Files checked by the scrubber.",
		      offsetof(struct scrubber, files));
	report_family(out, "corrupt_total", "counter", "Corrupt files the scrubber found.",
		      offsetof(struct scrubber, corrupt));
	report_family(out, "adopted_total", "counter",
		      "Files without a checksum record the scrubber gave one.",
		      offsetof(struct scrubber, adopted));
	report_family(out, "passes_total", "counter", "Complete scrub passes.",
		      offsetof(struct scrubber, passes));
	report_family(out, "pass_bytes", "gauge", "Bytes read so far in the current pass.",
		      offsetof(struct scrubber, pass_bytes));
	fprintf(out, "# HELP evmogstored_scrub_paused 1 while the scrubber waits for a busy "
		"device.\n# TYPE evmogstored_scrub_paused gauge\n");
	for (sc = scrubbers; sc; sc = sc->next)
		fprintf(out, "evmogstored_scrub_paused{device=\"dev%u\"} %d\n", sc->devid,
			sc->paused);
}

static void report_html(FILE *out)
{
	struct scrubber *sc;
	const char *p;
	int i;

	fprintf(out, "<h2>Integrity</h2>\n<table id=\"integrity\"><tr>");
	for (i = 0; i < MOG_IC_N; i++)
		fprintf(out, "<th>%s</th>", mog_integrity_counter_names[i]);
	fprintf(out, "</tr>\n<tr>");
	for (i = 0; i < MOG_IC_N; i++)
		fprintf(out, "<td id=\"integrity-%s\">%llu</td>", mog_integrity_counter_names[i],
			mog_integrity_get(i));
	fprintf(out, "</tr></table>\n<table id=\"scrub\"><tr><th class=\"l\">device</th>"
		"<th>passes</th><th>files</th><th>bytes</th><th>corrupt</th><th>adopted</th>"
		"<th class=\"l\">state</th><th class=\"l\">position</th></tr>\n");
	for (sc = scrubbers; sc; sc = sc->next) {
		fprintf(out, "<tr id=\"scrub-dev%u\"><td class=\"l\">dev%u</td><td>%llu</td>"
			"<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td class=\"l\">%s</td>"
			"<td class=\"l\"><code>", sc->devid, sc->devid, sc->passes, sc->files,
			sc->bytes, sc->corrupt, sc->adopted, sc->paused ? "paused" : "scrubbing");
		for (p = sc->position; *p; p++) {
			if (*p == '<' || *p == '>' || *p == '&')
				fputs(*p == '<' ? "&lt;" : *p == '>' ? "&gt;" : "&amp;", out);
			else
				fputc(*p, out);
		}
		fprintf(out, "</code></td></tr>\n");
	}
	fprintf(out, "</table>\n<p>Scrub rate %llu bytes/s per device%s.</p>\n", mog_scrub_rate,
		mog_scrub_rate ? "" : " (off)");
}

void mog_scrub_report(FILE *out, bool html)
{
	pthread_mutex_lock(&mog_scrub_lock);
	if (html)
		report_html(out);
	else
		report_metrics(out);
	pthread_mutex_unlock(&mog_scrub_lock);
}

const char *mog_scrub_report_cstr(bool html)
{
	static char *text;	/* loop thread only */
	size_t len = 0;
	FILE *f;

	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	if (f == NULL)
		return "";
	mog_scrub_report(f, html);
	if (fclose(f) != 0) {
		free(text);
		text = NULL;
	}
	return text ? text : "";
}
