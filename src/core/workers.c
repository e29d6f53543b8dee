/* workers.c: --worker-processes: a master that forks and supervises N copies of the daemon. */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "xalloc.h"
#include "log.h"
#include "proctitle.h"
#include "signals.h"
#include "upgrade.h"
#include "workers.h"

/* A worker that lived this long is restarted at once; one that died younger waits. */
#define STABLE_S 10.
#define BACKOFF_FIRST_S 0.1
#define BACKOFF_MAX_S 10.

struct worker {
	unsigned idx;
	pid_t pid;		/* 0: not running */
	ev_tstamp started;
	ev_tstamp backoff;	/* wait before the next start; 0: none */
	ev_child exit_w;
	ev_timer start_w;
};

static struct ev_loop *loop;	/* the master's; destroyed in a worker */
static struct worker *workers;
static unsigned nworkers, nrunning;
static const sigset_t *blocked;
static const struct mog_workers_ops *ops;
static pid_t master_pid;	/* in a worker: the master it was forked from */
static int my_idx = -1;		/* >= 0 in a worker */
static bool stopping;

/* In the new worker, still inside the master's loop: leave it at once. */
static void become_worker(struct worker *me)
{
	unsigned i;

	my_idx = (int)me->idx;
	/* the master's death stops us gracefully; it may have died before prctl */
	prctl(PR_SET_PDEATHSIG, SIGQUIT);
	if (getppid() != master_pid)
		raise(SIGQUIT);		/* blocked: handled once the worker's loop runs */
	for (i = 0; i < nworkers; i++) {
		ev_child_stop(loop, &workers[i].exit_w);
		ev_timer_stop(loop, &workers[i].start_w);
	}
	mog_signals_stop(loop);
	ev_break(loop, EVBREAK_ALL);
}

static void spawn(struct worker *w)
{
	sigset_t old;
	pid_t pid;

	/* the child keeps them blocked until its own watchers exist */
	sigprocmask(SIG_BLOCK, blocked, &old);
	pid = fork();
	if (pid == 0) {
		become_worker(w);
		return;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		mog_log_errno("worker[%u]: fork", w->idx);
		w->backoff = BACKOFF_MAX_S;
		ev_timer_set(&w->start_w, w->backoff, 0.);
		ev_timer_start(loop, &w->start_w);
		return;
	}
	w->pid = pid;
	w->started = ev_now(loop);
	nrunning++;
	ev_child_set(&w->exit_w, pid, 0);
	ev_child_start(loop, &w->exit_w);
	mog_log(LOG_INFO, "worker[%u] PID:%d started", w->idx, (int)pid);
}

static void on_start(struct ev_loop *l, ev_timer *t, int revents)
{
	if (my_idx < 0 && !stopping)
		spawn(mog_container_of(t, struct worker, start_w));
}

static void on_worker_exit(struct ev_loop *l, ev_child *c, int revents)
{
	struct worker *w = mog_container_of(c, struct worker, exit_w);

	if (my_idx >= 0)
		return;
	ev_child_stop(loop, c);
	w->pid = 0;
	nrunning--;
	if (stopping) {
		mog_log(LOG_INFO, "worker[%u] PID:%d exited with status=%d",
			w->idx, (int)c->rpid, c->rstatus);
		if (nrunning == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	mog_log(LOG_ERR, "worker[%u] PID:%d died with status=%d, respawning",
		w->idx, (int)c->rpid, c->rstatus);
	/* a worker that cannot stay up must not make the master spin */
	if (ev_now(loop) - w->started >= STABLE_S)
		w->backoff = 0.;
	else if (w->backoff == 0.)
		w->backoff = BACKOFF_FIRST_S;
	else if ((w->backoff *= 2) > BACKOFF_MAX_S)
		w->backoff = BACKOFF_MAX_S;
	ev_timer_set(&w->start_w, w->backoff, 0.);
	ev_timer_start(loop, &w->start_w);
}

/* SIGQUIT, SIGTERM, SIGINT: drain every worker, then exit (a second one changes nothing). */
static void on_quit(void)
{
	unsigned i;

	if (stopping || my_idx >= 0)
		return;
	stopping = true;
	mog_log(LOG_INFO, "shutting down %u worker(s)", nrunning);
	mog_proctitle_set(", shutting down");
	ops->close_listeners();
	for (i = 0; i < nworkers; i++) {
		ev_timer_stop(loop, &workers[i].start_w);
		if (workers[i].pid > 0 && kill(workers[i].pid, SIGQUIT) < 0)
			mog_log_errno("kill(worker[%u] PID:%d, QUIT)", i, (int)workers[i].pid);
	}
	if (nrunning == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* SIGHUP (reopen the access log) is the workers' business */
static void on_hup(void)
{
	unsigned i;

	for (i = 0; i < nworkers && my_idx < 0; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, SIGHUP);
}

static void on_upgrade(void)
{
	if (!stopping && my_idx < 0)
		ops->upgrade();
}

/* ": master" and the arguments, so ps still tells instances apart. */
static void master_title(char **argv)
{
	char title[256];
	size_t len;
	int n;

	len = (size_t)snprintf(title, sizeof(title), ": master");
	for (; *argv && len < sizeof(title) - 1; argv++, len += (size_t)n) {
		n = snprintf(title + len, sizeof(title) - len, " %s", *argv);
		if (n < 0)
			break;
	}
	mog_proctitle_role(title);
}

int mog_workers_run(unsigned n, char **argv, const sigset_t *blocked_sigs,
		    const struct mog_workers_ops *master_ops)
{
	char title[32];
	unsigned i;

	loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);
	if (loop == NULL)
		mog_die("cannot initialise libev");
	blocked = blocked_sigs;
	ops = master_ops;
	nworkers = n;
	master_pid = getpid();
	workers = xcalloc(n, sizeof(*workers));
	master_title(argv + 1);
	mog_upgrade_init(loop, argv);
	mog_signals_init(loop, on_quit, on_upgrade, on_hup);
	for (i = 0; i < n; i++) {
		workers[i].idx = i;
		ev_child_init(&workers[i].exit_w, on_worker_exit, 0, 0);
		ev_timer_init(&workers[i].start_w, on_start, 0., 0.);
		ev_timer_start(loop, &workers[i].start_w);
	}
	sigprocmask(SIG_UNBLOCK, blocked, NULL);
	ev_run(loop, 0);
	if (my_idx < 0) {
		free(workers);
		return -1;
	}
	/* the worker: nothing of the master's loop survives; the daemon makes its own */
	ev_loop_destroy(loop);
	loop = NULL;
	free(workers);
	workers = NULL;
	nworkers = nrunning = 0;
	snprintf(title, sizeof(title), ": worker[%d]", my_idx);
	mog_proctitle_role(title);
	return my_idx;
}

bool mog_workers_stop_all(void)
{
	if (my_idx < 0 || getppid() != master_pid)
		return false;
	return kill(master_pid, SIGQUIT) == 0;
}
