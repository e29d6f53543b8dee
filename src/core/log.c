/* log.c: syslog plus a copy on stderr while the daemon has a terminal. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include "log.h"

const char *mog_progname = "evmogstored";
static bool to_stderr = true;
static bool syslog_open;

void mog_log_open(void)
{
	openlog(mog_progname, LOG_PID, LOG_DAEMON);
	syslog_open = true;
}

void mog_log_stderr_off(void)
{
	to_stderr = false;
}

static void vlog(int prio, const char *fmt, va_list ap, int err)
{
	char msg[1024];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	if (syslog_open)
		syslog(prio, "%s", msg);
	if (to_stderr)
		fprintf(stderr, "%s: %s\n", mog_progname, msg);
}

void mog_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap, 0);
	va_end(ap);
}

void mog_log_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, err);
	va_end(ap);
}

void mog_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void mog_die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, err);
	va_end(ap);
	exit(1);
}
