/* mgmt.h: the sideband ("mgmt") line protocol, PROTOCOL.md 3 and 5. */
#ifndef MOG_MGMT_H
#define MOG_MGMT_H

#include "../net/conn.h"

/* Make conn speak the sideband and start reading.  Loop thread. */
void mog_mgmt_start(struct mog_conn *conn);

/* Send one utilisation round to every `watch` subscriber.  Loop thread. */
void mog_mgmt_watch_round(const char *round, size_t len);

/* Shutdown: close every `watch` subscriber, start every queued fsck digest.  Loop thread. */
void mog_mgmt_shutdown(void);

/* fsck digests waiting for their filesystem's slot.  Loop thread. */
size_t mog_mgmt_fsck_queued(void);

/* Called for sideband `shutdown` (set by main).  Loop thread. */
extern void (*mog_mgmt_on_shutdown)(void);

#endif /* MOG_MGMT_H */
