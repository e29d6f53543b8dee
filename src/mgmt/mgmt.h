/* mgmt.h: the sideband ("mgmt") line protocol (doc/protocol.md, Sideband and watch). */
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

/* Sideband commands counted by type, for /metrics.  Loop thread. */
enum mog_mgmt_metric {
	MOG_MGMT_C_SIZE, MOG_MGMT_C_MD5, MOG_MGMT_C_SHA1, MOG_MGMT_C_WATCH, MOG_MGMT_C_SHUTDOWN,
	MOG_MGMT_C_AIO_THREADS, MOG_MGMT_C_BLANK, MOG_MGMT_C_BAD_URI, MOG_MGMT_C_UNKNOWN,
	MOG_MGMT_C_N
};
extern unsigned long long mog_mgmt_commands[MOG_MGMT_C_N];
extern const char *const mog_mgmt_command_names[MOG_MGMT_C_N];

/* Called for sideband `shutdown` (set by main).  Loop thread. */
extern void (*mog_mgmt_on_shutdown)(void);

#endif /* MOG_MGMT_H */
