/* loop.c: the libev loops; finished jobs come back to their owner through one ev_async each. */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include "xalloc.h"
#include "../core/log.h"
#include "loop.h"

/* One loop's share of a mog_loop_ask_others() call. */
struct ask_node {
	struct ask *ask;
	struct ask_node *next;
};

struct ask {
	size_t (*fn)(double arg);
	double arg;
	unsigned left;			/* nodes not answered (nor withdrawn) yet */
	size_t sum;
};

struct mog_loop_ctx {
	struct ev_loop *ev;
	ev_async ask_wakeup;		/* another loop asks something of this one */
	struct ask_node *asks;		/* under ask_lock */
	ev_async done_wakeup;		/* finished jobs are waiting */
	ev_async stop_wakeup;		/* loop threads: the main thread asks for shutdown */
	pthread_mutex_t done_lock;
	struct mog_job *done_head, *done_tail;	/* under done_lock */
	unsigned idx;			/* 0: main */
	pthread_t thread;
	bool stop;			/* atomic: shutdown asked */
	bool ended;			/* atomic: the thread's loop has ended */
	struct mog_loop_stats stats;	/* atomics: written by the owner, read by main */
};

__thread struct ev_loop *mog_loop;
static __thread struct mog_loop_ctx *self;

static struct mog_loop_ctx main_ctx;
static struct mog_loop_ctx *threads;	/* set before any thread starts, then constant */
static unsigned nthreads;
static void (*thread_start)(void), (*thread_stop)(void), (*threads_done)(void);
static ev_async ended_wakeup;		/* main loop: a loop thread ended */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ask_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ask_cond = PTHREAD_COND_INITIALIZER;

struct mog_loop_ctx *mog_loop_current(void)
{
	return self;
}

unsigned mog_loop_index(void)
{
	return self ? self->idx : 0;
}

struct mog_loop_ctx *mog_loop_main(void)
{
	return &main_ctx;
}

struct ev_loop *mog_loop_main_ev(void)
{
	return main_ctx.ev;
}

void mog_loop_complete(struct mog_job *job)	/* any thread */
{
	struct mog_loop_ctx *ctx = job->owner ? job->owner : &main_ctx;
	bool was_empty;

	job->next = NULL;
	pthread_mutex_lock(&ctx->done_lock);
	was_empty = ctx->done_head == NULL;
	/* FIFO: a device pool's digests resubmit themselves; keep their order fair */
	if (ctx->done_tail)
		ctx->done_tail->next = job;
	else
		ctx->done_head = job;
	ctx->done_tail = job;
	pthread_mutex_unlock(&ctx->done_lock);
	if (was_empty)
		ev_async_send(ctx->ev, &ctx->done_wakeup);
}

static void on_jobs_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mog_loop_ctx *ctx = mog_container_of(w, struct mog_loop_ctx, done_wakeup);
	struct mog_job *job, *next;

	pthread_mutex_lock(&ctx->done_lock);
	job = ctx->done_head;
	ctx->done_head = ctx->done_tail = NULL;
	pthread_mutex_unlock(&ctx->done_lock);
	for (; job != NULL; job = next) {
		next = job->next;	/* done() may free or resubmit job */
		job->done(job);
	}
}

static void on_ask(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mog_loop_ctx *ctx = mog_container_of(w, struct mog_loop_ctx, ask_wakeup);
	struct ask_node *node;

	for (;;) {
		pthread_mutex_lock(&ask_lock);
		node = ctx->asks;
		if (node)
			ctx->asks = node->next;
		pthread_mutex_unlock(&ask_lock);
		if (node == NULL)
			return;
		/* taken: the asker waits for this answer (it can no longer withdraw it) */
		size_t r = node->ask->fn(node->ask->arg);

		pthread_mutex_lock(&ask_lock);
		node->ask->sum += r;
		node->ask->left--;
		pthread_cond_broadcast(&ask_cond);
		pthread_mutex_unlock(&ask_lock);
	}
}

static void ctx_init(struct mog_loop_ctx *ctx, struct ev_loop *ev, unsigned idx)
{
	ctx->ev = ev;
	ctx->idx = idx;
	pthread_mutex_init(&ctx->done_lock, NULL);
	ev_async_init(&ctx->done_wakeup, on_jobs_done);
	ev_async_start(ev, &ctx->done_wakeup);
	ev_async_init(&ctx->ask_wakeup, on_ask);
	ev_async_start(ev, &ctx->ask_wakeup);
	ev_unref(ev);		/* it alone does not keep a loop alive */
}

/* Take node out of ctx's list if no loop took it yet; true if it was there. */
static bool withdraw_locked(struct mog_loop_ctx *ctx, struct ask_node *node)
{
	struct ask_node **pp;

	for (pp = &ctx->asks; *pp; pp = &(*pp)->next)
		if (*pp == node) {
			*pp = node->next;
			return true;
		}
	return false;
}

size_t mog_loop_ask_others(size_t (*fn)(double arg), double arg, double timeout_s)
{
	struct ask ask = { fn, arg, 0, 0 };
	struct ask_node *nodes;
	struct mog_loop_ctx *ctx;
	struct timespec until;
	unsigned i;

	if (nthreads == 0 || self == &main_ctx)
		return 0;	/* the main loop holds the shared lock: it never waits for a loop */
	nodes = xcalloc(nthreads + 1, sizeof(*nodes));
	pthread_mutex_lock(&ask_lock);
	for (i = 0; i <= nthreads; i++) {
		ctx = i == 0 ? &main_ctx : &threads[i - 1];
		if (ctx == self)
			continue;
		nodes[i].ask = &ask;
		nodes[i].next = ctx->asks;
		ctx->asks = &nodes[i];
		ask.left++;
	}
	pthread_mutex_unlock(&ask_lock);
	for (i = 0; i <= nthreads; i++) {
		ctx = i == 0 ? &main_ctx : &threads[i - 1];
		if (ctx != self)
			ev_async_send(ctx->ev, &ctx->ask_wakeup);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(timeout_s * 1e9);
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&ask_lock);
	while (ask.left > 0)
		if (pthread_cond_timedwait(&ask_cond, &ask_lock, &until) == ETIMEDOUT)
			break;
	/* a loop that has not taken its share (it may be asking us) is not waited for;
	 * one that took it is answering now */
	for (i = 0; i <= nthreads; i++) {
		ctx = i == 0 ? &main_ctx : &threads[i - 1];
		if (ctx != self && withdraw_locked(ctx, &nodes[i]))
			ask.left--;
	}
	while (ask.left > 0)
		pthread_cond_wait(&ask_cond, &ask_lock);
	pthread_mutex_unlock(&ask_lock);
	free(nodes);
	return ask.sum;
}

void mog_loop_init(void)
{
	struct ev_loop *ev = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);

	if (ev == NULL)
		mog_die("cannot initialise libev");
	mog_loop = ev;
	self = &main_ctx;
	ctx_init(&main_ctx, ev, 0);
}

void mog_loop_shared_lock(void)
{
	if (self != &main_ctx && nthreads > 0)
		pthread_mutex_lock(&shared_lock);
}

void mog_loop_shared_unlock(void)
{
	if (self != &main_ctx && nthreads > 0)
		pthread_mutex_unlock(&shared_lock);
}

/* The main loop holds the shared lock except while it waits for events. */
static void main_release(struct ev_loop *loop)
{
	pthread_mutex_unlock(&shared_lock);
}

static void main_acquire(struct ev_loop *loop)
{
	pthread_mutex_lock(&shared_lock);
}

static void on_stop(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mog_loop_ctx *ctx = mog_container_of(w, struct mog_loop_ctx, stop_wakeup);

	if (!__atomic_load_n(&ctx->stop, __ATOMIC_ACQUIRE))
		return;
	ev_async_stop(loop, w);
	thread_stop();
}

static void *loop_main(void *arg)
{
	struct mog_loop_ctx *ctx = arg;
	char name[16];

	snprintf(name, sizeof(name), "loop%u", ctx->idx);
	prctl(PR_SET_NAME, name);
	mog_loop = ctx->ev;
	self = ctx;
	thread_start();
	ev_run(ctx->ev, 0);
	__atomic_store_n(&ctx->ended, true, __ATOMIC_RELEASE);
	ev_async_send(main_ctx.ev, &ended_wakeup);
	return NULL;
}

static void on_thread_ended(struct ev_loop *loop, ev_async *w, int revents)
{
	if (mog_loop_threads_ended() && threads_done)
		threads_done();
}

void mog_loop_threads_start(unsigned n, void (*start)(void))
{
	sigset_t all, old;
	unsigned i;

	threads = xcalloc(n, sizeof(*threads));
	nthreads = n;
	thread_start = start;
	ev_async_init(&ended_wakeup, on_thread_ended);
	ev_async_start(main_ctx.ev, &ended_wakeup);
	ev_unref(main_ctx.ev);	/* it alone does not keep the main loop alive */
	for (i = 0; i < n; i++) {
		struct ev_loop *ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);

		if (ev == NULL)
			mog_die("cannot initialise libev for loop %u", i + 1);
		ctx_init(&threads[i], ev, i + 1);
		ev_async_init(&threads[i].stop_wakeup, on_stop);
		ev_async_start(ev, &threads[i].stop_wakeup);
	}
	/* the main thread takes the lock before the others can, and keeps it
	 * except while it waits for events */
	pthread_mutex_lock(&shared_lock);
	ev_set_loop_release_cb(main_ctx.ev, main_release, main_acquire);
	/* signals are the main loop's: loop threads never see them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n; i++) {
		int rc = pthread_create(&threads[i].thread, NULL, loop_main, &threads[i]);

		if (rc != 0)
			mog_die("cannot start loop thread %u: %s", i + 1, strerror(rc));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

unsigned mog_loop_nthreads(void)
{
	return nthreads;
}

void mog_loop_threads_stop(void (*stop)(void), void (*all_done)(void))
{
	unsigned i;

	thread_stop = stop;
	threads_done = all_done;
	for (i = 0; i < nthreads; i++) {
		__atomic_store_n(&threads[i].stop, true, __ATOMIC_RELEASE);
		ev_async_send(threads[i].ev, &threads[i].stop_wakeup);
	}
}

bool mog_loop_threads_ended(void)
{
	unsigned i;

	for (i = 0; i < nthreads; i++)
		if (!__atomic_load_n(&threads[i].ended, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

void mog_loop_break(void)
{
	ev_break(mog_loop, EVBREAK_ALL);
}

void mog_loop_threads_join(void)
{
	unsigned i;

	if (nthreads == 0)
		return;
	/* first: a loop thread still draining may need it */
	ev_set_loop_release_cb(main_ctx.ev, NULL, NULL);
	pthread_mutex_unlock(&shared_lock);
	for (i = 0; i < nthreads; i++) {
		pthread_join(threads[i].thread, NULL);
		ev_loop_destroy(threads[i].ev);
	}
	nthreads = 0;
}

void mog_loop_stats_publish(const struct mog_loop_stats *st)
{
	if (self == NULL || self == &main_ctx)
		return;
	__atomic_store_n(&self->stats.conns, st->conns, __ATOMIC_RELAXED);
	__atomic_store_n(&self->stats.idle, st->idle, __ATOMIC_RELAXED);
	__atomic_store_n(&self->stats.closed, st->closed, __ATOMIC_RELAXED);
	__atomic_store_n(&self->stats.accepted, st->accepted, __ATOMIC_RELAXED);
}

void mog_loop_stats_sum(struct mog_loop_stats *st)
{
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nthreads; i++) {
		st->conns += __atomic_load_n(&threads[i].stats.conns, __ATOMIC_RELAXED);
		st->idle += __atomic_load_n(&threads[i].stats.idle, __ATOMIC_RELAXED);
		st->closed += __atomic_load_n(&threads[i].stats.closed, __ATOMIC_RELAXED);
		st->accepted += __atomic_load_n(&threads[i].stats.accepted, __ATOMIC_RELAXED);
	}
}

bool mog_loop_lighter_exists(unsigned long long conns)
{
	unsigned i;

	for (i = 0; i < nthreads; i++)
		if (&threads[i] != self &&
		    __atomic_load_n(&threads[i].stats.conns, __ATOMIC_RELAXED) + 1 < conns)
			return true;
	return false;
}
