/* devid.c: the optional identity file of a device directory (devid, filesystem id, checksum). */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include "../util/digest.h"
#include "devid.h"

/* FS_IOC_GETFSUUID (Linux 6.5), declared here for older kernel headers */
struct fsuuid2_arg {
	uint8_t len;
	uint8_t uuid[16];
};
#define GETFSUUID _IOR(0x15, 0, struct fsuuid2_arg)

#define MAGIC "evmogstored device identity\n"

void mog_devid_fs(int dir_fd, char *out, size_t n)
{
	struct fsuuid2_arg u = { 0 };
	struct statfs sf;
	unsigned i;

	if (ioctl(dir_fd, GETFSUUID, &u) == 0 && u.len > 0 && u.len <= sizeof(u.uuid)) {
		bool zero = true;

		for (i = 0; i < u.len; i++)
			zero = zero && u.uuid[i] == 0;
		if (!zero) {
			char hex[33];

			mog_digest_hex(u.uuid, u.len, hex);
			snprintf(out, n, "uuid:%s", hex);
			return;
		}
	}
	/* no UUID (old kernel, overlay, some network filesystems): the statfs id */
	if (fstatfs(dir_fd, &sf) == 0) {
		unsigned char raw[sizeof(sf.f_fsid)];
		char hex[2 * sizeof(raw) + 1];

		memcpy(raw, &sf.f_fsid, sizeof(raw));
		mog_digest_hex(raw, sizeof(raw), hex);
		snprintf(out, n, "fsid:%s", hex);
		return;
	}
	snprintf(out, n, "unknown");
}

/* The file's text for devid on filesystem fs; returns its length. */
static size_t format(unsigned devid, const char *fs, char *buf, size_t cap)
{
	unsigned char md5[20];
	struct mog_digest d;
	char hex[41];
	int len;

	len = snprintf(buf, cap, MAGIC "devid: %u\nfilesystem: %s\n", devid, fs);
	mog_digest_init(&d, MOG_DIGEST_MD5);
	mog_digest_update(&d, buf, (size_t)len);
	mog_digest_hex(md5, mog_digest_final(&d, md5), hex);
	len += snprintf(buf + len, cap - (size_t)len, "checksum: md5:%s\n", hex);
	return (size_t)len;
}

/* Parse and verify text (checksum first); 0, or -1 with why set. */
static int verify(const char *text, unsigned devid, const char *fs, char *why, size_t n)
{
	char want_fs[80], expect[512];
	unsigned file_devid;

	if (strncmp(text, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    sscanf(text + sizeof(MAGIC) - 1, "devid: %u\nfilesystem: %79s\n", &file_devid,
		   want_fs) != 2) {
		snprintf(why, n, "identity file %s is not one we wrote", MOG_DEVID_FILE);
		return -1;
	}
	format(file_devid, want_fs, expect, sizeof(expect));
	if (strcmp(text, expect) != 0) {
		snprintf(why, n, "identity file %s is corrupt (checksum mismatch)", MOG_DEVID_FILE);
		return -1;
	}
	if (file_devid != devid) {
		snprintf(why, n, "identity file says this disk is dev%u (moved to the wrong slot, "
			 "or two device directories on one disk?)", file_devid);
		return -1;
	}
	if (strcmp(want_fs, fs) != 0) {
		snprintf(why, n, "identity file names filesystem %s but this is %s (a copied "
			 "file, or the wrong disk?)", want_fs, fs);
		return -1;
	}
	return 0;
}

/* Read the file: 1 read into buf, 0 absent, -1 error (errno). */
static int read_id(int dir_fd, char *buf, size_t cap)
{
	int fd = openat(dir_fd, MOG_DEVID_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t len;
	int err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	len = pread(fd, buf, cap - 1, 0);
	err = errno;
	close(fd);
	if (len < 0) {
		errno = err;
		return -1;
	}
	buf[len] = '\0';
	return 1;
}

/* Write the file for the first time: temp file, fsync, link (never replaces one). */
static int create_id(int dir_fd, const char *text, size_t len)
{
	char tmp[64];
	int fd, rc = -1, err;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", MOG_DEVID_FILE, (long)getpid());
	unlinkat(dir_fd, tmp, 0);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		rc = linkat(dir_fd, tmp, dir_fd, MOG_DEVID_FILE, 0);
	err = errno;
	close(fd);
	unlinkat(dir_fd, tmp, 0);
	if (rc == 0)
		fsync(dir_fd);
	errno = err;
	return rc;
}

int mog_devid_check(int dir_fd, unsigned devid, char *why, size_t n)
{
	char fs[80], text[512], mine[512];
	size_t len;
	int tries;

	mog_devid_fs(dir_fd, fs, sizeof(fs));
	len = format(devid, fs, mine, sizeof(mine));
	for (tries = 0; tries < 2; tries++) {
		switch (read_id(dir_fd, text, sizeof(text))) {
		case 1:
			return verify(text, devid, fs, why, n);
		case 0:
			if (create_id(dir_fd, mine, len) == 0) {
				snprintf(why, n, "identity file %s written (%s)", MOG_DEVID_FILE,
					 fs);
				return 1;
			}
			if (errno == EEXIST)	/* another process wrote it first: read theirs */
				continue;
			/* a full or read-only disk still serves what it holds */
			snprintf(why, n, "identity file %s cannot be written (%s): not checked",
				 MOG_DEVID_FILE, strerror(errno));
			return 1;
		default:
			snprintf(why, n, "identity file %s: %s", MOG_DEVID_FILE, strerror(errno));
			return -1;
		}
	}
	snprintf(why, n, "identity file %s keeps changing", MOG_DEVID_FILE);
	return -1;
}
