/* proctitle.h: the title ps shows for this process (master, worker, shutting down). */
#ifndef MOG_PROCTITLE_H
#define MOG_PROCTITLE_H

/*
 * Make the whole argv+environ area writable for titles: copies environ and
 * every argv[i] string to the heap and points environ and argv[i] at the
 * copies (argv itself stays where it is).  Call first in main(), before
 * anything keeps a pointer into argv.  Main thread.
 */
void mog_proctitle_init(int argc, char **argv);

/*
 * Name this process's role in every later title (": master <args>",
 * ": worker[0]"; "" by default) and show "<progname><role>" now.  Main thread.
 */
void mog_proctitle_role(const char *role);

/*
 * Show "<progname><role><suffix>" in ps and /proc/<pid>/cmdline, and unless
 * suffix is "", as the thread name (15 bytes, "ps -o comm").  Truncated to
 * the argv area when suffix is "" (environ stays readable), else to the argv
 * and environ area, so a state shows whatever the length of argv[0].
 * Any thread; not reentrant.
 */
void mog_proctitle_set(const char *suffix);

#endif /* MOG_PROCTITLE_H */
