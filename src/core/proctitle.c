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

void mog_proctitle_init(int argc, char **argv)
{
	char *end, **env;
	size_t n = 0;
	int i;

	if (argc < 1 || argv[0] == NULL)
		return;
	area = argv[0];
	end = area + strlen(area) + 1;
	/* the kernel lays argv then environ strings out back to back; stop at any gap */
	for (i = 1; i < argc && argv[i] == end; i++)
		end += strlen(end) + 1;
	while (environ[n])
		n++;
	for (i = 0; (size_t)i < n && environ[i] == end; i++)
		end += strlen(end) + 1;
	area_len = (size_t)(end - area);
	env = xnmalloc(n + 1, sizeof(*env));
	for (i = 0; (size_t)i < n; i++)
		env[i] = xstrdup(environ[i]);
	env[n] = NULL;
	environ = env;
	for (i = 0; i < argc; i++)
		argv[i] = xstrdup(argv[i]);
}

static const char *skip_separators(const char *s)
{
	while (*s == ',' || *s == ':' || *s == ' ')
		s++;
	return s;
}

void mog_proctitle_set(const char *suffix)
{
	size_t plen = strlen(mog_progname), slen = strlen(suffix), len;
	const char *tail = skip_separators(suffix);
	char comm[16];

	/* comm holds 15 bytes: keep the end of the suffix, which says the state */
	len = strlen(tail);
	if (len > sizeof(comm) - 1)
		tail = skip_separators(tail + len - (sizeof(comm) - 1));
	snprintf(comm, sizeof(comm), "%s", tail);
	prctl(PR_SET_NAME, comm);
	if (area == NULL || area_len < 2)
		return;
	/* ends with at least one NUL, so /proc/<pid>/cmdline stops inside our area */
	memset(area, 0, area_len);
	len = plen < area_len - 1 ? plen : area_len - 1;
	memcpy(area, mog_progname, len);
	if (slen > area_len - 1 - len)
		slen = area_len - 1 - len;
	memcpy(area + len, suffix, slen);
}
