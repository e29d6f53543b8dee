/* thread_exit.h: what a thread keeps for its whole life, given back when it ends. */
#ifndef MOG_THREAD_EXIT_H
#define MOG_THREAD_EXIT_H

/*
 * Call fn in the calling thread when that thread ends (a loop or pool thread
 * returning from its start routine), after every function registered before
 * it.  For a module's per-thread free lists and buffers allocated on first
 * use: once the thread's __thread variables are gone nothing points to them,
 * and valgrind rightly calls them lost.  fn runs while the thread's __thread
 * variables still hold their values.  Registering the same fn twice in one
 * thread calls it once.  At most MOG_THREAD_EXIT_MAX functions per thread.
 * Not for the main thread, whose memory lasts until exit().
 */
#define MOG_THREAD_EXIT_MAX 8
void mog_thread_at_exit(void (*fn)(void));

#endif /* MOG_THREAD_EXIT_H */
