/* proctitle.c: rewrite the argv+environ area so ps shows what the process is doing. */
#include <config.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include "xalloc.h"
#include "log.h"
#include "proctitle.h"

extern char **environ;
static char *area;		/* argv[0] as the kernel placed it */
static size_t area_len;		/* contiguous argv+environ strings from there */
static size_t argv_len;		/* the argv part of it */
/* kept reachable for leak checkers: unsetenv() drops strings from environ, and
 * glibc's exit-time cleanup (clearenv) sets environ to NULL; volatile, or the
 * compiler drops these write-only copies */
static char **volatile env_array, **volatile env_copy, **volatile argv_copy;
static char role[256];		/* ": master ...", ": worker[N]" or "" */

void mog_proctitle_init(int argc, char **argv)
{
	char *end, **env, **copy;
	size_t n = 0;
	int i;

	if (argc < 1 || argv[0] == NULL)
		return;
	area = argv[0];
	end = area + strlen(area) + 1;
	/* the kernel lays argv then environ strings out back to back; stop at any gap */
	for (i = 1; i < argc && argv[i] == end; i++)
		end += strlen(end) + 1;
	argv_len = (size_t)(end - area);
	while (environ[n])
		n++;
	for (i = 0; (size_t)i < n && environ[i] == end; i++)
		end += strlen(end) + 1;
	area_len = (size_t)(end - area);
	env = xnmalloc(n + 1, sizeof(*env));
	copy = xnmalloc(n + 1, sizeof(*copy));
	for (i = 0; (size_t)i < n; i++)
		env[i] = copy[i] = xstrdup(environ[i]);
	env[n] = copy[n] = NULL;
	environ = env_array = env;
	env_copy = copy;
	copy = xnmalloc((size_t)argc + 1, sizeof(*copy));
	for (i = 0; i < argc; i++)
		argv[i] = copy[i] = xstrdup(argv[i]);
	copy[argc] = NULL;
	argv_copy = copy;
}

static const char *skip_separators(const char *s)
{
	while (*s == ',' || *s == ':' || *s == ' ')
		s++;
	return s;
}

void mog_proctitle_role(const char *r)
{
	snprintf(role, sizeof(role), "%s", r);
	mog_proctitle_set("");
}

void mog_proctitle_set(const char *suffix)
{
	char full[512], comm[16];
	const char *tail;
	size_t len, room;

	snprintf(full, sizeof(full), "%s%s%s", mog_progname, role, suffix);
	/* comm (pgrep, pidof) keeps the program name except to show a state, in
	 * 15 bytes: the end of the suffix */
	if (*suffix) {
		tail = skip_separators(suffix);
		len = strlen(tail);
		if (len > sizeof(comm) - 1)
			tail = skip_separators(tail + len - (sizeof(comm) - 1));
		snprintf(comm, sizeof(comm), "%s", tail);
		prctl(PR_SET_NAME, comm);
	}
	if (area == NULL || argv_len < 2)
		return;
	/* a role alone stays within argv, so /proc/<pid>/environ stays readable; a state
	 * ("shutting down") must show even after a short argv[0]: it may use environ's area */
	room = *suffix ? area_len : argv_len;
	len = strlen(full);
	if (len > room - 1)
		len = room - 1;
	/* NUL to the end of argv at least, so /proc/<pid>/cmdline stops inside our title */
	memset(area, 0, len + 1 > argv_len ? len + 1 : argv_len);
	memcpy(area, full, len);
}
