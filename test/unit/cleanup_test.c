/* cleanup_test.c: which names are our own orphaned PUT temp files (issue: crash hygiene). */
#include <config.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "dev/cleanup.h"

static void touch(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0)
		close(fd);
}

int main(void)
{
	static const char *const yes[] = {
		"0000000001.fid.0123abcd.12345.tmp", "x.deadbeef.1.tmp", "test-md5.00000000.999999999.tmp",
	};
	static const char *const no[] = {
		"0000000001.fid", ".0123abcd.12345.tmp", "x.0123ABCD.12345.tmp", "x.0123abc.12345.tmp",
		"x.0123abcd..tmp", "x.0123abcd.12a45.tmp", "x.0123abcd.12345.tmpx", "x.0123abcd.12345",
		"x0123abcd.12345.tmp", "x.0123abcd.12345678901.tmp", "usage.1f2e", "x.0123abcd.0.tmp",
	};
	char dir[] = "/tmp/cleanup_test.XXXXXX", name[64];
	long pid = 0;
	size_t i;
	int dfd, sub;
	struct stat st;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(mog_cleanup_is_temp(yes[i], &pid), "temp pattern: %s", yes[i]);
	ok(mog_cleanup_is_temp("a.0123abcd.4321.tmp", &pid) && pid == 4321, "pid parsed");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!mog_cleanup_is_temp(no[i], &pid), "not a temp file of ours: %s", no[i]);

	/* a real tree: dead pid removed, live pid (ours) and other names kept */
	if (mkdtemp(dir) == NULL)
		return 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	mkdirat(dfd, "0", 0700);
	sub = openat(dfd, "0", O_RDONLY | O_DIRECTORY);
	touch(sub, "f.fid.0123abcd.2147483646.tmp");	/* beyond pid_max: dead */
	snprintf(name, sizeof(name), "g.fid.0123abcd.%ld.tmp", (long)getpid());
	touch(sub, name);
	touch(sub, "h.fid");
	touch(dfd, "i.fid.0123abcd.2147483645.tmp");
	is(mog_cleanup_walk(dfd), 2, "two orphans removed");
	ok(fstatat(sub, "f.fid.0123abcd.2147483646.tmp", &st, 0) < 0, "dead writer's file gone");
	ok(fstatat(sub, name, &st, 0) == 0, "a live writer's file is kept");
	ok(fstatat(sub, "h.fid", &st, 0) == 0, "ordinary files are kept");
	unlinkat(sub, name, 0);
	unlinkat(sub, "h.fid", 0);
	close(sub);
	unlinkat(dfd, "0", AT_REMOVEDIR);
	close(dfd);
	rmdir(dir);
	return done_testing();
}
