/* accesslog.h: one line per request (--accesslog), written by its own thread. */
#ifndef MOG_ACCESSLOG_H
#define MOG_ACCESSLOG_H

#include "../mog.h"

/* Start logging to dest: a file path (appended to) or "syslog".  Dies if the
 * file cannot be opened.  Main thread, at startup. */
void mog_accesslog_open(const char *dest);

/* True when an access log is configured.  Any thread. */
bool mog_accesslog_on(void);

/*
 * Queue one line: "<time> <peer> <method> <path> <status> <bytes> <ms>".
 * Never blocks on the disk (a writer thread does the I/O; if it falls more
 * than 1 MiB behind, lines are dropped and counted).  Loop thread.
 */
void mog_accesslog(const char *peer, const char *method, const char *path, int status,
		   unsigned long long bytes, double seconds);

/* Lines dropped because the writer fell behind.  Any thread. */
unsigned long mog_accesslog_dropped(void);

/* Reopen the file (log rotation, SIGHUP).  Loop thread. */
void mog_accesslog_reopen(void);

#endif /* MOG_ACCESSLOG_H */
