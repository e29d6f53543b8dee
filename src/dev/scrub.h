/* scrub.h: one background thread per device reading every file against its checksum record. */
#ifndef MOG_SCRUB_H
#define MOG_SCRUB_H

#include <stdio.h>
#include "../mog.h"

/* Bytes per second each scrubber may read (0: no scrubbing).  Main thread, before start. */
void mog_scrub_set_rate(unsigned long long bytes_per_s);

/* Start the timer that starts a scrubber per device and tells it when the device's
 * pool is busy.  Main thread, once the loop and the device registry exist. */
void mog_scrub_start(void);

/* Stop and join every scrubber (progress is saved).  Main thread, after the loop ended. */
void mog_scrub_stop(void);

/* Append the integrity counters and each scrubber's numbers to out, as Prometheus
 * text (html false) or as an HTML section of the status page.  Loop thread. */
void mog_scrub_report(FILE *out, bool html);

/* The same as a string, valid until the next call ("" if out of memory).  Loop thread. */
const char *mog_scrub_report_cstr(bool html);

#endif /* MOG_SCRUB_H */
