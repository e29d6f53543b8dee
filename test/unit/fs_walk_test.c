/* fs_walk_test.c: the O_NOFOLLOW component walk that replaces openat2 on kernels without it
 * (src/util/fs.c) refuses and accepts exactly what openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) does, on a real directory tree.  The .c is included so the test can
 * switch openat2 off (no_openat2) as a kernel without it would. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "util/fs.c"

/* What an open must give: an fd of the inode at want (relative to the test dir), or errno. */
struct open_case {
	const char *rel;
	int flags;
	const char *want;	/* NULL: must fail with err */
	int err;
};

static const struct open_case cases[] = {
	{ "file", O_RDONLY, "root/file", 0 },
	{ "/file", O_RDONLY, "root/file", 0 },
	{ "//file", O_RDONLY, "root/file", 0 },
	{ "d/f", O_RDONLY, "root/d/f", 0 },
	{ "d//f", O_RDONLY, "root/d/f", 0 },
	{ "./d/./f", O_RDONLY, "root/d/f", 0 },
	{ "d/e/g", O_RDONLY, "root/d/e/g", 0 },
	{ "d", O_RDONLY | O_DIRECTORY, "root/d", 0 },
	{ "d/", O_RDONLY, "root/d", 0 },
	{ "", O_RDONLY | O_DIRECTORY, "root", 0 },
	{ "/", O_RDONLY | O_DIRECTORY, "root", 0 },
	{ "d/../file", O_RDONLY, "root/file", 0 },	/* ".." that stays below is fine */
	{ "d/e/../f", O_RDONLY, "root/d/f", 0 },
	{ "file", O_PATH, "root/file", 0 },
	{ "file/", O_RDONLY, NULL, ENOTDIR },
	{ "file/x", O_RDONLY, NULL, ENOTDIR },
	{ "missing", O_RDONLY, NULL, ENOENT },
	{ "d/missing", O_RDONLY, NULL, ENOENT },
	{ "missing/f", O_RDONLY, NULL, ENOENT },
	{ "lnk_file", O_RDONLY, NULL, ELOOP },		/* a symlink, even to a file below */
	{ "lnk_file", O_PATH, NULL, ELOOP },
	{ "lnk_dir", O_RDONLY | O_DIRECTORY, NULL, ELOOP },
	{ "lnk_dir/f", O_RDONLY, NULL, ELOOP },
	{ "d/lnk_up/file", O_RDONLY, NULL, ELOOP },
	{ "out", O_RDONLY, NULL, ELOOP },
	{ "..", O_RDONLY | O_DIRECTORY, NULL, EXDEV },	/* leaving the directory */
	{ "../outside", O_RDONLY, NULL, EXDEV },
	{ "d/../../outside", O_RDONLY, NULL, EXDEV },
	{ "d/e/../../../outside", O_RDONLY, NULL, EXDEV },
};

static char top[64];
static int top_fd;

static void mk(const char *rel, const char *what)
{
	int fd;

	if (strcmp(what, "dir") == 0) {
		mkdirat(top_fd, rel, 0755);
	} else if (strncmp(what, "->", 2) == 0) {
		symlinkat(what + 2, top_fd, rel);
	} else {
		fd = openat(top_fd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			(void)!write(fd, what, strlen(what));
			close(fd);
		}
	}
}

static ino_t ino_of(const char *rel)
{
	struct stat st;

	return fstatat(top_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino : 0;
}

/* Run every case through mog_fs_open_beneath(); how names the code path. */
static void check_cases(int root_fd, const char *how)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct open_case *c = &cases[i];
		int fd = mog_fs_open_beneath(root_fd, c->rel, c->flags, 0);
		int err = errno;
		struct stat st;

		if (c->want) {
			ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ino_of(c->want),
			   "%s: \"%s\" (flags %#x) opens %s", how, c->rel, (unsigned)c->flags, c->want);
			if (fd < 0)
				printf("#   failed: %s\n", strerror(err));
		} else {
			ok(fd < 0 && err == c->err, "%s: \"%s\" (flags %#x) fails with %s", how, c->rel,
			   (unsigned)c->flags, strerror(c->err));
			if (fd >= 0)
				printf("#   opened fd %d\n", fd);
			else if (err != c->err)
				printf("#   got %s\n", strerror(err));
		}
		if (fd >= 0)
			close(fd);
	}
}

/* Creation through both paths: O_CREAT on the last component, and mog_fs_open_parent(). */
static void check_create(int root_fd, const char *how)
{
	size_t base_off = 0;
	int fd;

	fd = mog_fs_open_beneath(root_fd, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0 && ino_of("root/d/new") != 0, "%s: O_CREAT makes d/new", how);
	if (fd >= 0)
		close(fd);
	unlinkat(top_fd, "root/d/new", 0);

	fd = mog_fs_open_beneath(root_fd, "lnk_dir/new", O_WRONLY | O_CREAT, 0600);
	ok(fd < 0 && errno == ELOOP && ino_of("root/d/new") == 0,
	   "%s: O_CREAT through a symlinked directory fails with ELOOP, nothing made", how);
	if (fd >= 0)
		close(fd);

	fd = mog_fs_open_parent(root_fd, "/n1/n2/base", &base_off, false);
	ok(fd >= 0 && base_off == 6 && ino_of("root/n1/n2") != 0,
	   "%s: open_parent creates n1/n2 and points at base", how);
	if (fd >= 0)
		close(fd);
	unlinkat(top_fd, "root/n1/n2", AT_REMOVEDIR);
	unlinkat(top_fd, "root/n1", AT_REMOVEDIR);

	fd = mog_fs_open_parent(root_fd, "lnk_dir/x/base", &base_off, false);
	ok(fd < 0 && errno == ELOOP && ino_of("root/d/x") == 0,
	   "%s: open_parent refuses a symlinked component and creates nothing behind it", how);
	if (fd >= 0)
		close(fd);

	fd = mog_fs_open_parent(root_fd, "d/../../escape/base", &base_off, false);
	ok(fd < 0 && ino_of("escape") == 0,
	   "%s: open_parent never creates outside the directory (existing d)", how);
	if (fd >= 0)
		close(fd);
	unlinkat(top_fd, "escape", AT_REMOVEDIR);

	fd = mog_fs_open_parent(root_fd, "nx/../../escape/base", &base_off, false);
	ok(fd < 0 && errno == EXDEV && ino_of("escape") == 0,
	   "%s: open_parent never creates outside the directory (new nx)", how);
	if (fd >= 0)
		close(fd);
	unlinkat(top_fd, "escape", AT_REMOVEDIR);
	unlinkat(top_fd, "root/nx", AT_REMOVEDIR);
}

int main(void)
{
	static const char *const tree[][2] = {
		{ "root", "dir" }, { "root/d", "dir" }, { "root/d/e", "dir" },
		{ "root/file", "x" }, { "root/d/f", "f" }, { "root/d/e/g", "g" },
		{ "root/lnk_file", "->file" }, { "root/lnk_dir", "->d" },
		{ "root/d/lnk_up", "->.." }, { "root/out", "->../outside" },
		{ "outside", "secret" },
	};
	size_t i;
	int root_fd, probe;

	snprintf(top, sizeof(top), "/tmp/fs_walk_test.XXXXXX");
	if (mkdtemp(top) == NULL || (top_fd = open(top, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		mk(tree[i][0], tree[i][1]);
	root_fd = openat(top_fd, "root", O_RDONLY | O_DIRECTORY);

	/* openat2 itself, when the kernel has it: the reference the walk must match */
	probe = mog_fs_open_beneath(root_fd, "file", O_RDONLY, 0);
	if (probe >= 0)
		close(probe);
	if (no_openat2)
		printf("# this kernel has no openat2: only the walk is checked\n");
	else {
		check_cases(root_fd, "openat2");
		check_create(root_fd, "openat2");
	}

	no_openat2 = true;	/* as on a kernel without the syscall */
	check_cases(root_fd, "walk");
	check_create(root_fd, "walk");

	close(root_fd);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		(void)!system(cmd);
	}
	return done_testing();
}
