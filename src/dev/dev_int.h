/* dev_int.h: shared by the dev*.c files of the device registry only. */
#ifndef MOG_DEV_INT_H
#define MOG_DEV_INT_H

#include "dev.h"

/* dev_usage.c */
/* Queue a usage job on every present device's pool (at most one per device).  Loop thread. */
void mog_dev_usage_refresh(void);
/* Compute and write dev's usage file now, in this thread.  Main thread, at startup. */
void mog_dev_usage_sync(struct mog_dev *dev);

/* dev_fence.c */
/* Every 10 s: fence dev, or lift its fence, from its EIO share over 5 minutes.  Loop thread. */
void mog_dev_fence_check(struct mog_dev *dev);

#endif /* MOG_DEV_INT_H */
