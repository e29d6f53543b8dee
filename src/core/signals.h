/* signals.h: signal handling on the loop (doc/evmogstored.8, SIGNALS).  Main thread, at startup. */
#ifndef MOG_SIGNALS_H
#define MOG_SIGNALS_H

#include <ev.h>

/*
 * Watch signals on loop: SIGQUIT, SIGTERM and SIGINT call on_quit() on the loop thread; SIGUSR2
 * calls on_upgrade(); SIGHUP calls on_hup() (ignored when NULL); SIGPIPE,
 * SIGUSR1 and SIGWINCH are ignored.
 * Signals are blocked in every other thread (pools block them themselves).
 */
void mog_signals_init(struct ev_loop *loop, void (*on_quit)(void), void (*on_upgrade)(void),
		      void (*on_hup)(void));

/*
 * Stop every watcher mog_signals_init() started on loop (a forked worker
 * leaves its master's loop this way).  Thread that runs loop.
 */
void mog_signals_stop(struct ev_loop *loop);

#endif /* MOG_SIGNALS_H */
