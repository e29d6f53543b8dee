/* log.h: one front door to syslog and stderr.  Any thread may call these. */
#ifndef MOG_LOG_H
#define MOG_LOG_H

#include <syslog.h>
#include <stdnoreturn.h>

/* Program name used as the prefix of every stderr line ("evmogstored"). */
extern const char *mog_progname;

/* Open syslog (ident = progname, LOG_PID, facility daemon) and keep copying to stderr. */
void mog_log_open(void);

/* Stop copying messages to stderr (after daemonizing). */
void mog_log_stderr_off(void);

/* Log one message at prio (LOG_ERR, LOG_WARNING, LOG_INFO, ...). */
void mog_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log like mog_log(LOG_ERR) with ": strerror(errno)" appended. */
void mog_log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fatal startup error: "<progname>: <message>" on stderr (and syslog), exit status 1. */
noreturn void mog_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As mog_die() with ": strerror(errno)" appended. */
noreturn void mog_die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MOG_LOG_H */
