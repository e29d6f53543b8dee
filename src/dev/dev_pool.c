/* dev_pool.c: per-device worker threads pulling jobs from a FIFO. */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "../net/loop.h"
#include "dev_pool.h"

static void *pool_main(void *arg)
{
	struct mog_dev_pool *pool = arg;
	struct mog_job *job;

	pthread_setname_np(pthread_self(), pool->name);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->head == NULL && pool->nthreads <= pool->want) {
			pool->idle++;
			pthread_cond_wait(&pool->cond, &pool->lock);
			pool->idle--;
			if (pool->waking > 0)
				pool->waking--;
		}
		if (pool->head == NULL)
			break;			/* shrinking: leave when idle */
		job = pool->head;
		pool->head = job->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		pool->queued--;
		pool->busy++;
		pthread_mutex_unlock(&pool->lock);

		job->run(job);
		mog_loop_complete(job);

		pthread_mutex_lock(&pool->lock);
		pool->busy--;
	}
	pool->nthreads--;
	pthread_cond_broadcast(&pool->exited);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static int spawn(struct mog_dev_pool *pool, unsigned n)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t thr;
	int rc = 0;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* pool threads never take signals: the loop's ev_signal watchers do */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (n-- > 0) {
		if ((rc = pthread_create(&thr, &attr, pool_main, pool)) != 0)
			break;
		pool->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

int mog_dev_pool_start(struct mog_dev_pool *pool, unsigned nthreads, const char *name)
{
	int rc;

	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_cond_init(&pool->exited, NULL);
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	pthread_mutex_lock(&pool->lock);
	pool->want = nthreads;
	rc = spawn(pool, nthreads);
	pthread_mutex_unlock(&pool->lock);
	if (rc != 0) {
		errno = rc;		/* pthread_* return errors, not errno */
		return -1;
	}
	return 0;
}

void mog_dev_pool_stats(struct mog_dev_pool *pool, struct mog_dev_pool_stats *st)
{
	pthread_mutex_lock(&pool->lock);
	st->nthreads = pool->nthreads;
	st->busy = pool->busy;
	st->queued = pool->queued;
	pthread_mutex_unlock(&pool->lock);
}

static void submit(struct mog_dev_pool *pool, struct mog_job *job, struct mog_loop_ctx *owner)
{
	bool wake;

	job->owner = owner;
	job->next = NULL;
	job->submitted = ev_now(mog_loop);
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pool->queued++;
	/* Wake a sleeper only if the queue outgrew the wake-ups already sent:
	 * a busy thread takes the job when it loops, without a futex round trip. */
	wake = pool->idle > pool->waking && pool->queued > pool->waking;
	if (wake)
		pool->waking++;
	pthread_mutex_unlock(&pool->lock);
	if (wake)	/* outside the lock: the woken thread does not block on it at once */
		pthread_cond_signal(&pool->cond);
}

void mog_dev_pool_submit(struct mog_dev_pool *pool, struct mog_job *job)
{
	submit(pool, job, mog_loop_current());
}

void mog_dev_pool_submit_main(struct mog_dev_pool *pool, struct mog_job *job)
{
	submit(pool, job, mog_loop_main());
}

struct mog_job *mog_dev_pool_expire(struct mog_dev_pool *pool, double cutoff)
{
	struct mog_job *expired = NULL, **pp, *job;

	pthread_mutex_lock(&pool->lock);
	pool->tail = NULL;
	for (pp = &pool->head; (job = *pp) != NULL;) {
		if (job->expire && job->submitted < cutoff) {
			*pp = job->next;
			job->next = expired;
			expired = job;
			pool->queued--;
			continue;
		}
		pool->tail = job;
		pp = &job->next;
	}
	pthread_mutex_unlock(&pool->lock);
	return expired;
}

void mog_dev_pool_resize(struct mog_dev_pool *pool, unsigned nthreads)
{
	pthread_mutex_lock(&pool->lock);
	pool->want = nthreads;
	if (pool->nthreads < nthreads)
		spawn(pool, nthreads - pool->nthreads);
	else
		pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

void mog_dev_pool_stop(struct mog_dev_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->want = 0;
	pthread_cond_broadcast(&pool->cond);
	while (pool->nthreads > 0)
		pthread_cond_wait(&pool->exited, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}
