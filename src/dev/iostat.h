/* iostat.h: per-device %util once a second for `watch` (doc/protocol.md, watch). */
#ifndef MOG_IOSTAT_H
#define MOG_IOSTAT_H

#include "../mog.h"

/*
 * Start sampling: from /proc/diskstats by default, or from the command in
 * MOG_IOSTAT_CMD (iostat(1) output) when that variable is set or
 * /proc/diskstats is missing.  After each sample every present device's
 * util is updated and round(text, len) is called with the formatted
 * `watch` round.  Loop thread, once the loop exists.
 */
void mog_iostat_start(void (*round)(const char *text, size_t len));

/* Stop sampling and terminate an iostat child.  Loop thread. */
void mog_iostat_stop(void);

#endif /* MOG_IOSTAT_H */
