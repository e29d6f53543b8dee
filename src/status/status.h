/* status.h: the status listener: /metrics (Prometheus), / (HTML), /health. */
#ifndef MOG_STATUS_H
#define MOG_STATUS_H

#include "../net/conn.h"

/* Make conn serve the status pages and start reading.  Loop thread. */
void mog_status_start(struct mog_conn *conn);

#endif /* MOG_STATUS_H */
