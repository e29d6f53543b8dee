/* signals.c: ev_signal watchers that only record the event; work happens in the loop. */
#include <config.h>
#include <signal.h>
#include <string.h>
#include "signals.h"

static void (*quit_cb)(void);
static void (*upgrade_cb)(void);
static void (*hup_cb)(void);
static ev_signal quit_w[3], usr2_w, hup_w;

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	hup_cb();
}

static void on_quit(struct ev_loop *loop, ev_signal *w, int revents)
{
	quit_cb();	/* a second QUIT/TERM during shutdown changes nothing */
}

static void on_usr2(struct ev_loop *loop, ev_signal *w, int revents)
{
	if (upgrade_cb)
		upgrade_cb();
}

void mog_signals_init(struct ev_loop *loop, void (*on_quit_fn)(void), void (*on_upgrade)(void),
		      void (*on_hup_fn)(void))
{
	static const int quits[3] = { SIGQUIT, SIGTERM, SIGINT };
	static const int ignored[] = { SIGPIPE, SIGUSR1, SIGWINCH };
	struct sigaction sa;
	size_t i;

	quit_cb = on_quit_fn;
	upgrade_cb = on_upgrade;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		sigaction(ignored[i], &sa, NULL);
	for (i = 0; i < 3; i++) {
		ev_signal_init(&quit_w[i], on_quit, quits[i]);
		ev_signal_start(loop, &quit_w[i]);
		ev_unref(loop);	/* signal watchers alone do not keep the loop alive */
	}
	/* SIGHUP: ignored, unless it has a use; never ignore it first, which
	 * would discard one that arrived while it was blocked at startup */
	if (!on_hup_fn)
		sigaction(SIGHUP, &sa, NULL);
	if (on_hup_fn) {
		hup_cb = on_hup_fn;
		ev_signal_init(&hup_w, on_hup, SIGHUP);
		ev_signal_start(loop, &hup_w);
		ev_unref(loop);
	}
	ev_signal_init(&usr2_w, on_usr2, SIGUSR2);
	ev_signal_start(loop, &usr2_w);
	ev_unref(loop);
}

void mog_signals_stop(struct ev_loop *loop)
{
	size_t i;

	/* each was unref'd when started: ref again before stopping, as libev asks */
	for (i = 0; i < 3; i++) {
		if (ev_is_active(&quit_w[i])) {
			ev_ref(loop);
			ev_signal_stop(loop, &quit_w[i]);
		}
	}
	if (ev_is_active(&hup_w)) {
		ev_ref(loop);
		ev_signal_stop(loop, &hup_w);
	}
	if (ev_is_active(&usr2_w)) {
		ev_ref(loop);
		ev_signal_stop(loop, &usr2_w);
	}
}
