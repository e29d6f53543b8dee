/* usage.c: statvfs figures as the usage file, written to a temp file then renamed. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include "../util/fs.h"
#include "usage.h"

void mog_usage_mount_source(dev_t st_dev, char *out, size_t n)
{
	char line[4096], real[PATH_MAX];
	unsigned maj, min;
	bool found = false;
	FILE *fp;

	snprintf(out, n, "unknown");
	/* mountinfo carries each mount's st_dev ("major:minor"), so no mount
	 * point is ever stat()ed: a hung network mount cannot stall us here */
	fp = fopen("/proc/self/mountinfo", "re");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *sep, *src, *end;

		if (sscanf(line, "%*s %*s %u:%u", &maj, &min) != 2 ||
		    makedev(maj, min) != st_dev)
			continue;
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		src = strchr(sep + 3, ' ');	/* skip the filesystem type */
		if (src == NULL)
			continue;
		src++;
		if ((end = strchr(src, ' ')) != NULL)
			*end = '\0';
		if (*src == '\0' || strstr(src, ": ") != NULL)
			continue;
		if (found && src[0] != '/')
			continue;		/* prefer a source that is a path */
		if (src[0] == '/' && realpath(src, real) != NULL)
			src = real;
		snprintf(out, n, "%s", src);
		found = true;
		if (out[0] == '/')
			break;
	}
	fclose(fp);
}

ssize_t mog_usage_format(int dir_fd, dev_t st_dev, const char *disk, time_t now, bool failing,
			 char *out)
{
	unsigned long long used, avail, total, use;
	char source[256];
	struct statvfs sv;
	int n;

	if (fstatvfs(dir_fd, &sv) < 0)
		return -1;
	used = (unsigned long long)(sv.f_blocks - sv.f_bfree) * sv.f_frsize / 1024;
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize / 1024;
	/* total excludes the blocks reserved for root, as df does */
	total = (unsigned long long)(sv.f_blocks - (sv.f_bfree - sv.f_bavail)) * sv.f_frsize / 1024;
	if (failing) {
		used = total;
		avail = 0;
	}
	use = total ? (used * 100 + total - 1) / total : 0;
	if (use > 100)
		use = 100;
	mog_usage_mount_source(st_dev, source, sizeof(source));
	n = snprintf(out, MOG_USAGE_MAX,
		     "available: %llu\ndevice: %s\ndisk: %s\ntime: %lld\ntotal: %llu\n"
		     "use: %llu%%\nused: %llu\n",
		     avail, source, disk, (long long)now, total, use, used);
	if (n < 0 || n >= MOG_USAGE_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

bool mog_usage_writer = true;

int mog_usage_write(int dir_fd, const char *text, size_t len)
{
	char tmp[32];
	ssize_t w;
	int fd, err;

	if (!mog_usage_writer)
		return 0;
	snprintf(tmp, sizeof(tmp), "usage.%x", (unsigned)getpid());
	unlinkat(dir_fd, tmp, 0);		/* a stale one from a crash */
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if ((w = write(fd, text, len)) != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC;
		goto fail;
	}
	if (fchmod(fd, 0666 & ~mog_umask) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dir_fd, tmp, dir_fd, "usage") < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dir_fd, tmp, 0);
	errno = err;
	return -1;
}
