/* accesslog.c: a buffer the loop fills and a thread that writes it out. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "xalloc.h"
#include "log.h"
#include "accesslog.h"

#define BUF_MAX (1024 * 1024)

static char *dest;
static bool to_syslog;
static int fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char *buf;
static size_t len;
static bool reopen;
static size_t reopen_at;		/* bytes of buf queued before the reopen was asked for */
static unsigned long dropped;

static void write_out(const char *out, size_t n)
{
	if (to_syslog) {
		const char *line = out, *nl;

		while ((nl = memchr(line, '\n', n - (size_t)(line - out))) != NULL) {
			syslog(LOG_INFO, "%.*s", (int)(nl - line), line);
			line = nl + 1;
		}
		return;
	}
	if (fd >= 0) {
		size_t off = 0;

		while (off < n) {
			ssize_t w = write(fd, out + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;	/* a full log disk loses lines, never requests */
			off += (size_t)w;
		}
	}
}

static int open_dest(void)
{
	int nfd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (nfd < 0)
		mog_log_errno("accesslog=%s", dest);
	return nfd;
}

static void *writer_main(void *arg)
{
	char *out = NULL;
	size_t n, split;

	pthread_setname_np(pthread_self(), "accesslog");
	for (;;) {
		bool want_reopen;

		pthread_mutex_lock(&lock);
		while (len == 0 && !reopen)
			pthread_cond_wait(&cond, &lock);
		out = buf;
		n = len;
		buf = xmalloc(BUF_MAX);
		len = 0;
		want_reopen = reopen;
		split = reopen_at;
		reopen = false;
		pthread_mutex_unlock(&lock);

		if (!want_reopen || to_syslog) {
			write_out(out, n);
		} else {
			/* lines queued before the SIGHUP belong to the rotated file */
			int nfd;

			write_out(out, split);
			if ((nfd = open_dest()) >= 0) {
				if (fd >= 0)
					close(fd);
				fd = nfd;
			}
			write_out(out + split, n - split);
		}
		free(out);
	}
	return NULL;
}

void mog_accesslog_open(const char *d)
{
	pthread_attr_t attr;
	pthread_t thr;
	sigset_t all, old;

	dest = xstrdup(d);
	to_syslog = strcmp(d, "syslog") == 0;
	if (!to_syslog && (fd = open_dest()) < 0)
		mog_die("cannot open accesslog=%s", d);
	buf = xmalloc(BUF_MAX);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&thr, &attr, writer_main, NULL) != 0)
		mog_die("cannot start the access log thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

bool mog_accesslog_on(void)
{
	return dest != NULL;
}

void mog_accesslog(const char *peer, const char *method, const char *path, int status,
		   unsigned long long bytes, double seconds)
{
	char line[512], when[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (dest == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s %s %s %d %llu %.3f\n", when, peer, method,
		     path[0] ? path : "-", status, bytes, seconds * 1000.0);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	pthread_mutex_lock(&lock);
	if (len + (size_t)n <= BUF_MAX) {
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
		pthread_cond_signal(&cond);
	} else {
		dropped++;
	}
	pthread_mutex_unlock(&lock);
}

unsigned long mog_accesslog_dropped(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = dropped;
	pthread_mutex_unlock(&lock);
	return n;
}

void mog_accesslog_reopen(void)
{
	if (dest == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (!reopen)
		reopen_at = len;
	reopen = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}
