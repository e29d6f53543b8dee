/* devid_test.c: the device identity file (--device-id-file): written once, checked, refused. */
#include <config.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "../../src/dev/devid.c"	/* format() and verify() are static */

static void put_file(int dir_fd, const char *text)
{
	int fd = openat(dir_fd, MOG_DEVID_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

int main(void)
{
	char dir[] = "/tmp/devid_test.XXXXXX", why[200], fs[80], text[512], other[512];
	int dfd;

	if (mkdtemp(dir) == NULL)
		return 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	mog_devid_fs(dfd, fs, sizeof(fs));
	ok(strncmp(fs, "uuid:", 5) == 0 || strncmp(fs, "fsid:", 5) == 0, "filesystem id: %s", fs);

	is(mog_devid_check(dfd, 7, why, sizeof(why)), 1, "first use: written (%s)", why);
	ok(read_id(dfd, text, sizeof(text)) == 1 && strstr(text, "devid: 7\n") != NULL,
	   "the file names devid 7");
	is(mog_devid_check(dfd, 7, why, sizeof(why)), 0, "then it matches");
	is(mog_devid_check(dfd, 8, why, sizeof(why)), -1, "another slot is refused");
	ok(strstr(why, "says this disk is dev7") != NULL, "why: %s", why);

	format(7, "uuid:00112233445566778899aabbccddeeff", other, sizeof(other));
	put_file(dfd, other);
	is(mog_devid_check(dfd, 7, why, sizeof(why)), -1, "a copy from another filesystem is refused");
	ok(strstr(why, "names filesystem uuid:0011") != NULL, "why: %s", why);

	strcpy(other, text);
	other[strlen(MAGIC) + 7] = '9';		/* "devid: 9": the checksum no longer fits */
	put_file(dfd, other);
	is(mog_devid_check(dfd, 7, why, sizeof(why)), -1, "a corrupt file is refused");
	ok(strstr(why, "corrupt") != NULL, "why: %s", why);

	put_file(dfd, "hello\n");
	is(mog_devid_check(dfd, 7, why, sizeof(why)), -1, "a foreign file is refused");

	unlinkat(dfd, MOG_DEVID_FILE, 0);
	is(mog_devid_check(dfd, 7, why, sizeof(why)), 1, "removed: written again");
	unlinkat(dfd, MOG_DEVID_FILE, 0);
	close(dfd);
	rmdir(dir);
	done_testing();
}
