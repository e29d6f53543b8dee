/* dev_pool_test.c: a device pool's wake-up accounting (src/dev/dev_pool.c): a submit wakes
 * a sleeping thread only when no wake-up is already on its way for the queued jobs, the
 * counters (idle, waking, busy, queued) add up whenever the lock is free, and no job is
 * ever left queued while a thread sleeps.  Real threads and the real libev loop. */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "tap.h"
#include "dev/dev_pool.h"

#define NTHREADS 4
#define WAIT_S 20	/* only a hang takes this long: a bound, not a timing assertion */

static struct mog_dev_pool pool;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open = true;
static unsigned runs, dones;	/* runs: under gate_lock; dones: loop thread */
static bool broken;		/* an invariant failed while sampling */

struct counters {
	unsigned nthreads, idle, waking, busy, queued;
};

static struct counters snap(void)
{
	struct counters c;

	pthread_mutex_lock(&pool.lock);
	c = (struct counters){ pool.nthreads, pool.idle, pool.waking, pool.busy, pool.queued };
	pthread_mutex_unlock(&pool.lock);
	/* a wake-up in flight belongs to a sleeper that has not left idle yet */
	if (c.waking > c.idle || c.idle + c.busy > c.nthreads) {
		if (!broken)
			printf("# invariant broken: nthreads %u idle %u waking %u busy %u\n",
			       c.nthreads, c.idle, c.waking, c.busy);
		broken = true;
	}
	return c;
}

static void run_job(struct mog_job *job)
{
	pthread_mutex_lock(&gate_lock);
	runs++;
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	job->err = 0;
}

static void done_job(struct mog_job *job)
{
	(void)job;
	dones++;
}

static void set_gate(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static unsigned runs_now(void)
{
	unsigned n;

	pthread_mutex_lock(&gate_lock);
	n = runs;
	pthread_mutex_unlock(&gate_lock);
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the loop (finished jobs come back through it) until cond() or WAIT_S seconds. */
static bool wait_for(bool (*cond)(void *), void *arg)
{
	double end = now_s() + WAIT_S;
	struct timespec ms = { 0, 1000000 };

	for (;;) {
		ev_run(mog_loop, EVRUN_NOWAIT);
		snap();
		if (cond(arg))
			return true;
		if (now_s() > end)
			return false;
		nanosleep(&ms, NULL);
	}
}

static bool quiet(void *arg)
{
	struct counters c = snap();
	unsigned want_dones = *(unsigned *)arg;

	return dones == want_dones && c.busy == 0 && c.queued == 0 && c.idle == c.nthreads;
}

static bool runs_reach(void *arg)
{
	return runs_now() >= *(unsigned *)arg;
}

static bool threads_are(void *arg)
{
	struct counters c = snap();

	return c.nthreads == *(unsigned *)arg && c.idle == c.nthreads;
}

/*
 * One job into a pool whose threads all sleep must run.  A wake-up counted as on its way
 * that never arrives (a miscount, or a signal the C library lost) would leave it queued.
 */
static void lone_job(unsigned *total, const char *when)
{
	static struct mog_job job = { .run = run_job, .done = done_job };
	struct counters c = snap();

	if (c.waking > 0)
		printf("# %s: %u wake-up(s) counted as pending while every thread sleeps\n", when,
		       c.waking);
	mog_dev_pool_submit(&pool, &job);
	++*total;
	ok(wait_for(quiet, total), "%s: a lone job into the sleeping pool runs", when);
}

int main(void)
{
	static struct mog_job jobs[1000];
	struct counters c;
	unsigned i, want, total = 0;

	mog_loop_init();
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		jobs[i] = (struct mog_job){ .run = run_job, .done = done_job };
	ok(mog_dev_pool_start(&pool, NTHREADS, "test") == 0, "pool of %d threads started", NTHREADS);
	ok(wait_for(quiet, &total), "every thread goes to sleep");
	c = snap();
	is(c.waking, 0, "no wake-up pending in an idle pool");

	/* every thread busy on a closed gate, then more jobs than threads queue up */
	set_gate(false);
	for (i = 0; i < NTHREADS; i++)
		mog_dev_pool_submit(&pool, &jobs[i]);
	want = NTHREADS;
	ok(wait_for(runs_reach, &want), "%d jobs on %d sleeping threads: each is woken", NTHREADS,
	   NTHREADS);
	c = snap();
	is(c.busy, NTHREADS, "all threads busy");
	is(c.waking, 0, "every wake-up was consumed by the thread it woke");
	for (i = NTHREADS; i < NTHREADS + 6; i++)
		mog_dev_pool_submit(&pool, &jobs[i]);
	c = snap();
	is(c.queued, 6, "6 more jobs queue behind the busy threads");
	is(c.waking, 0, "no wake-up is sent when no thread sleeps");
	set_gate(true);
	total = NTHREADS + 6;
	ok(wait_for(quiet, &total), "the busy threads drain the queue; all done() ran");
	is(runs_now(), total, "each job ran exactly once");
	lone_job(&total, "after the queue drained");

	/* one job at a time into an idle pool: a lost or miscounted wake-up would strand it */
	for (i = 0; i < 300; i++) {
		mog_dev_pool_submit(&pool, &jobs[i]);
		total++;
		if (!wait_for(quiet, &total))
			break;
	}
	is(i, 300, "300 single jobs into a sleeping pool all ran");

	/* bursts larger than the pool, submitted while threads wake and finish */
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		mog_dev_pool_submit(&pool, &jobs[i]);
		if (i % 7 == 0)
			ev_run(mog_loop, EVRUN_NOWAIT);
		snap();
	}
	total += i;
	ok(wait_for(quiet, &total), "a burst of %u jobs all ran and came back", i);
	is(runs_now(), total, "no job ran twice, none was lost");
	lone_job(&total, "after the burst");

	/* shrinking wakes every sleeper (broadcast); the accounting must survive it */
	mog_dev_pool_resize(&pool, 1);
	want = 1;
	ok(wait_for(threads_are, &want), "resize to 1: the extra threads leave");
	for (i = 0; i < 50; i++) {
		mog_dev_pool_submit(&pool, &jobs[i]);
		total++;
	}
	ok(wait_for(quiet, &total), "one thread runs 50 jobs");
	lone_job(&total, "after shrinking");
	mog_dev_pool_resize(&pool, NTHREADS);
	want = NTHREADS;
	ok(wait_for(threads_are, &want), "resize back to %d threads", NTHREADS);
	for (i = 0; i < 200; i++)
		mog_dev_pool_submit(&pool, &jobs[i]);
	total += 200;
	ok(wait_for(quiet, &total), "200 more jobs after growing");
	lone_job(&total, "after growing");

	ok(!broken, "waking <= idle and idle + busy <= nthreads in every sample");
	mog_dev_pool_stop(&pool);
	is(snap().nthreads, 0, "stop: every thread exited");
	return done_testing();
}
