/* notify.h: the systemd readiness protocol (sd_notify), without libsystemd.  Main/loop thread. */
#ifndef MOG_NOTIFY_H
#define MOG_NOTIFY_H

/*
 * Send state (e.g. "READY=1\nMAINPID=123") to $NOTIFY_SOCKET, a Unix datagram
 * socket path (or "@name" for the abstract namespace).  Does nothing when the
 * variable is unset; failures are logged, never fatal.
 */
void mog_notify(const char *state);

#endif /* MOG_NOTIFY_H */
