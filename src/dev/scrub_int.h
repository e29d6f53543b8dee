/* scrub_int.h: one scrubber's state, shared by scrub.c (thread, pace, report) and
 * scrub_walk.c (the walk and the check of one file). */
#ifndef MOG_SCRUB_INT_H
#define MOG_SCRUB_INT_H

#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include "../mog.h"

struct scrubber {
	unsigned devid;
	int dir_fd;			/* the device directory during a pass, else -1; scrubber thread */
	dev_t st_dev;			/* its filesystem: the walk stays on it */
	pthread_t thread;
	bool started;
	struct scrubber *next;		/* list of all scrubbers; loop thread */

	/* under lock */
	bool busy;			/* the device's pool has work: pause (set by the loop) */
	bool present;			/* the device is present and usable (set by the loop) */
	bool paused;			/* waiting for the pool to go idle */
	unsigned long long bytes, files, corrupt, adopted, passes;
	unsigned long long pass_bytes, pass_files;
	char position[PATH_MAX];	/* last file done in this pass ("" at its start) */

	/* scrubber thread only */
	char resume[PATH_MAX];		/* skip files up to this one (restart mid-pass) */
	double next_read;		/* CLOCK_MONOTONIC time the next read may start */
	double last_save;
	unsigned char *buf;
};

extern pthread_mutex_t mog_scrub_lock;
extern unsigned long long mog_scrub_rate;

/* scrub.c: account n bytes read and wait for the budget, and while the device is
 * busy.  Returns false when the daemon is stopping or the device went away.
 * Scrubber thread. */
bool mog_scrub_pace(struct scrubber *sc, size_t n);
/* scrub.c: save the position (at most every few seconds unless force).  Scrubber thread. */
void mog_scrub_save(struct scrubber *sc, bool force);
/* scrub.c: true once mog_scrub_stop() was called.  Any thread. */
bool mog_scrub_stopping(void);

/* scrub_walk.c: one pass over the device from sc->resume; false if stopped midway. */
bool mog_scrub_pass(struct scrubber *sc);

#define MOG_SCRUB_PIECE (1024 * 1024)	/* bytes read at a time */

#endif /* MOG_SCRUB_INT_H */
