/* loop.c: the libev loop; finished jobs come back through one ev_async. */
#include <config.h>
#include <pthread.h>
#include "../core/log.h"
#include "loop.h"

struct ev_loop *mog_loop;
static ev_async done_wakeup;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mog_job *done_head, *done_tail;

void mog_loop_complete(struct mog_job *job)	/* pool thread */
{
	bool was_empty;

	job->next = NULL;
	pthread_mutex_lock(&done_lock);
	was_empty = done_head == NULL;
	/* FIFO: a device pool's digests resubmit themselves; keep their order fair */
	if (done_tail)
		done_tail->next = job;
	else
		done_head = job;
	done_tail = job;
	pthread_mutex_unlock(&done_lock);
	if (was_empty)
		ev_async_send(mog_loop, &done_wakeup);
}

static void on_jobs_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mog_job *job, *next;

	pthread_mutex_lock(&done_lock);
	job = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&done_lock);
	for (; job != NULL; job = next) {
		next = job->next;	/* done() may free or resubmit job */
		job->done(job);
	}
}

void mog_loop_init(void)
{
	mog_loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);
	if (mog_loop == NULL)
		mog_die("cannot initialise libev");
	ev_async_init(&done_wakeup, on_jobs_done);
	ev_async_start(mog_loop, &done_wakeup);
}
