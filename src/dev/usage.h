/* usage.h: the devNNN/usage files read by the tracker's monitor (doc/protocol.md, Usage files). */
#ifndef MOG_USAGE_H
#define MOG_USAGE_H

#include <time.h>
#include <sys/types.h>
#include "../mog.h"

#define MOG_USAGE_MAX 512

/*
 * Compute the usage text of the device directory dir_fd (filesystem st_dev)
 * whose canonical path is disk, at time now, into out (MOG_USAGE_MAX bytes).
 * A failing device reports available 0 and used = total (use 100%): the
 * tracker then sees no free space and stops placing files there, while
 * reads keep working.
 * Returns the text length, or -1 with errno if statvfs failed.  Pool thread.
 */
ssize_t mog_usage_format(int dir_fd, dev_t st_dev, const char *disk, time_t now, bool failing,
			 char *out);

/*
 * False in every worker process but the first (--worker-processes): the usage
 * files then have one writer, and mog_usage_write() only returns 0.  Set
 * before the devices start.
 */
extern bool mog_usage_writer;

/*
 * Replace dir_fd's "usage" file atomically (usage.<hexpid>, then rename).
 * Returns 0, or -1 with errno (the old file stays, the temp file is removed).
 * Pool thread.
 */
int mog_usage_write(int dir_fd, const char *text, size_t len);

/* The mount source of filesystem st_dev from /proc/self/mountinfo, symlinks
 * resolved, or "unknown", into out (size n).  Any thread. */
void mog_usage_mount_source(dev_t st_dev, char *out, size_t n);

#endif /* MOG_USAGE_H */
