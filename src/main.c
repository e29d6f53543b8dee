/* main.c: startup order only: cli -> config -> listen -> devices -> loop -> exit. */
#include <config.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "core/accesslog.h"
#include "core/cli.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/notify.h"
#include "core/pidfile.h"
#include "core/proctitle.h"
#include "core/signals.h"
#include "core/upgrade.h"
#include "core/workers.h"
#include "dev/dev.h"
#include "dev/devdir.h"
#include "dev/iostat.h"
#include "dev/usage.h"
#include "dev/integrity.h"
#include "dev/scrub.h"
#include "http/body_cache.h"
#include "http/http.h"
#include "mgmt/mgmt.h"
#include "net/conn.h"
#include "net/listen.h"
#include "net/loop.h"
#include "status/status.h"
#include "util/fs.h"

static struct mog_opts opts;
static ev_timer shutdown_timer;
static int worker_idx = -1;	/* --worker-processes: this worker's index */

/* Raise the soft descriptor limit to maxconns (--maxconns); never fatal. */
static void raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		mog_log(LOG_WARNING, "RLIMIT_NOFILE hard limit %llu is below maxconns=%lu",
			(unsigned long long)rl.rlim_max, want);
		want = rl.rlim_max;
	}
	for (; want > rl.rlim_cur; want = want > 64 ? want - 64 : 0) {
		struct rlimit nrl = { want, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &nrl) == 0)
			return;
		mog_log(LOG_WARNING, "setrlimit(RLIMIT_NOFILE, %lu) failed, trying lower", want);
	}
}

/* --multi: each worker serves one site, so the largest site's budget is enough. */
static unsigned long max_maxconns(const struct mog_opts *o)
{
	unsigned long m = 0;

	for (; o; o = o->next)
		if (o->maxconns > m)
			m = o->maxconns;
	return m;
}

/* The main loop's connections are closed: stop once every loop thread has ended too. */
static void on_all_closed(void)
{
	if (mog_loop_threads_ended())
		ev_break(mog_loop, EVBREAK_ALL);
}

/* A loop thread ended: the main loop may be done already. */
static void on_threads_ended(void)
{
	if (mog_conn_count == 0)
		ev_break(mog_loop, EVBREAK_ALL);
}

/* --loops: a loop thread's own part of startup and of a graceful shutdown. */
static void loop_thread_start(void)
{
	mog_conn_on_all_closed = mog_loop_break;
	mog_conn_start_sweep(opts.slow_timeout_s);
	mog_listen_start_loop(mog_loop_index());
}

static void loop_thread_stop(void)
{
	mog_listen_stop_loop(mog_loop_index());
	mog_conn_shutdown();
}

/* HTTP loop threads: --loops, else one per usable CPU (one per worker process). */
static unsigned count_loops(void)
{
	cpu_set_t set;
	long cpus;

	if (opts.loops > 0)
		return opts.loops;
	if (opts.workers > 0 || opts.next || (opts.http == NULL && opts.httpget == NULL))
		return 1;
	/* the CPUs this process may run on (taskset, cgroup cpusets), else all online */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	else
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 1 ? (unsigned)(cpus < 256 ? cpus : 256) : 1;
}

/* Graceful shutdown (doc/evmogstored.8, SIGNALS): stop accepting, drain, exit 0. */
static void begin_shutdown(void)
{

	if (mog_shutting_down)
		return;
	mog_log(LOG_INFO, "shutting down");
	mog_notify("STOPPING=1");
	/* the reference tests look for "shutting down" in ps output */
	mog_proctitle_set(", shutting down");
	mog_listen_close_all();
	mog_loop_threads_stop(loop_thread_stop, on_threads_ended);
	mog_iostat_stop();
	mog_mgmt_shutdown();
	mog_conn_shutdown();
}

static void on_shutdown_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	begin_shutdown();
}

/* Sideband `shutdown`: start shutting down on the next loop turn, not inside the caller. */
static void request_shutdown(void)
{
	/* a worker's sideband stops the whole tree: the master sends us SIGQUIT */
	if (!mog_workers_stop_all())
		ev_timer_start(mog_loop, &shutdown_timer);
}

/* SIGUSR2: re-execute with our listeners inherited. */
static void upgrade(void)
{
	mog_upgrade_start(mog_listen_fd_list(false));
}

/* Listeners, each given its protocol; returns true if any socket was inherited. */
static bool listen_all(void)
{
	bool inherited = mog_listen_inherit();
	const struct mog_opts *o;
	unsigned site = 0;

	for (o = &opts; o; o = o->next) {	/* --multi: one set per --config file */
		mog_listen_set_site(site++);
		if (o->mgmt)
			mog_listen_add(o->mgmt, MOG_CONN_MGMT, mog_mgmt_start);
		if (o->http)
			mog_listen_add(o->http, MOG_CONN_HTTP, mog_http_start);
		if (o->httpget)
			mog_listen_add(o->httpget, MOG_CONN_HTTPGET, mog_http_start);
		if (o->status)
			mog_listen_add(o->status, MOG_CONN_STATUS, mog_status_start);
	}
	mog_listen_close_unused();
	return inherited;
}

/* --multi: this process serves site n; its settings move to the head of the list, which
 * still holds every site (freed at exit) */
static void select_site(unsigned n)
{
	struct mog_opts *o = &opts, tmp, *next;
	unsigned i;

	mog_listen_keep_site(n);
	for (i = 0; i < n; i++)
		o = o->next;
	if (o == &opts)
		return;
	tmp = opts;
	next = o->next;
	opts = *o;
	opts.next = tmp.next;
	*o = tmp;
	o->next = next;
}

/* Every docroot must exist at startup. */
static void check_docroots(void)
{
	const struct mog_opts *o;

	for (o = &opts; o; o = o->next) {
		char *real = realpath(o->docroot, NULL);

		if (real == NULL)
			mog_die("docroot=%s failed to resolve", o->docroot);
		free(real);
	}
}

static unsigned count_sites(void)
{
	const struct mog_opts *o;
	unsigned n = 0;

	for (o = &opts; o; o = o->next)
		n++;
	return n;
}

/* Devices, their pools and timers, and the loop's own timers.  Once the loop exists. */
static void start_services(void)
{
	mog_http_cfg.fsync = opts.fsync;
	mog_http_cfg.usage_in_memory = opts.mgmt != NULL;
	mog_http_cfg.slow_timeout_s = opts.slow_timeout_s;
	mog_devdir_require_mount = opts.require_mount;
	mog_devdir_idfile = opts.device_id_file;
	mog_dev_init(opts.docroot, opts.threads_per_dev, opts.mgmt != NULL);
	mog_dev_set_deadline(opts.io_deadline_s);
	mog_dev_set_fence(opts.fence_pct);
	mog_integrity_verify = opts.verify_reads;
	mog_integrity_put_md5 = opts.put_md5;
	mog_body_cache_init((size_t)opts.body_cache);
	mog_scrub_set_rate(mog_usage_writer ? opts.scrub_rate : 0);	/* one scrubber per docroot */
	mog_dev_start();
	mog_scrub_start();
	mog_conn_start_sweep(opts.slow_timeout_s);
	if (opts.mgmt && opts.iostat)
		mog_iostat_start(mog_mgmt_watch_round);
	mog_conn_on_all_closed = on_all_closed;
	mog_mgmt_on_shutdown = request_shutdown;
	ev_timer_init(&shutdown_timer, on_shutdown_timer, 0., 0.);
}

/* QUIT/TERM/INT (and the ignored ones) wait until their watchers exist: the kernel accepts
 * connections as soon as we listen, and a harness may signal right then */
static void block_signals(sigset_t *quits)
{
	static const int sigs[] = { SIGQUIT, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH };
	size_t i;

	sigemptyset(quits);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(quits, sigs[i]);
	sigprocmask(SIG_BLOCK, quits, NULL);
}

static void ready(void)
{
	char state[64];

	snprintf(state, sizeof(state), "READY=1\nMAINPID=%ld", (long)getpid());
	mog_notify(state);
}

/* --worker-processes: the master is ready once the listeners are bound; it returns -1 when
 * the tree has stopped, a worker returns its index and goes on starting up */
static int run_workers(bool inherited, char **argv, const sigset_t *quits)
{
	static const struct mog_workers_ops ops = { mog_listen_close_all, upgrade };
	unsigned per_site = opts.workers ? opts.workers : 1;	/* --multi alone: one each */
	int idx;

	if (opts.daemonize && !inherited)
		mog_daemon_ready();
	ready();
	idx = mog_workers_run(per_site * count_sites(), argv, quits, &ops);
	if (idx < 0)
		return idx;
	mog_usage_writer = (unsigned)idx % per_site == 0;	/* one writer per docroot */
	if (opts.next)
		select_site((unsigned)idx / per_site);
	return idx;
}

int main(int argc, char **argv)
{
	bool inherited;
	sigset_t quits;
	mode_t mask;
	unsigned nloops;

	mog_proctitle_init(argc, argv);
	mog_cli_parse(&opts, argc, argv);
	mog_log_open();
	mask = umask(0);
	umask(mask);
	mog_umask = mask;
	check_docroots();
	block_signals(&quits);

	inherited = listen_all();
	if (opts.pidfile)
		mog_pidfile_prepare(opts.pidfile);
	/* the new binary of an upgrade stays where its parent put it */
	if (opts.daemonize && !inherited)
		mog_daemon_start();
	mog_pidfile_write();
	atexit(mog_pidfile_remove);	/* also after a fatal error from here on */
	raise_nofile(max_maxconns(&opts));
	if ((opts.workers > 0 || opts.next) && (worker_idx = run_workers(inherited, argv, &quits)) < 0) {
		mog_cli_destroy(&opts);
		return 0;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	nloops = count_loops();

	mog_loop_init();
	mog_start_time = ev_now(mog_loop);
	if (opts.accesslog)
		mog_accesslog_open(opts.accesslog);
	start_services();
	mog_upgrade_init(mog_loop, argv);
	/* workers ignore SIGUSR2: the master upgrades */
	mog_signals_init(mog_loop, begin_shutdown, worker_idx < 0 ? upgrade : NULL,
			 opts.accesslog ? mog_accesslog_reopen : NULL);
	sigprocmask(SIG_UNBLOCK, &quits, NULL);
	if (nloops > 1)
		mog_listen_prepare_loops(nloops);
	mog_listen_start();
	if (nloops > 1)
		mog_loop_threads_start(nloops, loop_thread_start);
	if (worker_idx < 0) {
		if (opts.daemonize && !inherited)
			mog_daemon_ready();
		ready();
	}

	ev_run(mog_loop, 0);

	mog_loop_threads_join();
	mog_scrub_stop();
	mog_dev_shutdown();
	mog_body_cache_destroy();
	mog_cli_destroy(&opts);
	return 0;
}
