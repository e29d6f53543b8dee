/* http_delete.c: DELETE of one file (doc/protocol.md, DELETE); directories are never removed. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../util/fs.h"
#include "../util/path.h"
#include "../dev/devdir.h"
#include "http_int.h"

static int unlink_below(int dir_fd, const char *rel)
{
	char dir[MOG_PATH_MAX + 1];
	const char *slash, *base;
	struct stat st;
	int pfd = dir_fd, rc = -1, err;

	while (*rel == '/')
		rel++;
	slash = strrchr(rel, '/');
	base = slash ? slash + 1 : rel;
	if (*base == '\0' || strcmp(base, ".") == 0) {
		errno = EISDIR;			/* "/dev1", "/dev1/", "/a/." */
		return -1;
	}
	if (slash) {
		memcpy(dir, rel, (size_t)(slash - rel));
		dir[slash - rel] = '\0';
		pfd = mog_fs_open_beneath(dir_fd, dir, O_RDONLY | O_DIRECTORY, 0);
		if (pfd < 0)
			return -1;
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	rc = unlinkat(pfd, base, 0);
out:
	err = errno;
	if (pfd != dir_fd)
		close(pfd);
	errno = err;
	return rc;
}

static void delete_run(struct mog_job *job)
{
	struct mog_http *h = mog_container_of(job, struct mog_http, job);
	int dir_fd, status = 204;
	const char *rel;

	h->result = HTTP_RES_RESPOND;
	if ((dir_fd = mog_target_open_dir(&h->target, h->path, &rel)) < 0) {
		if (!mog_http_out_of_fds(h, errno))
			mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_DELETE, errno));
		return;
	}
	if (unlink_below(dir_fd, rel) < 0)
		status = -errno;
	mog_target_close_dir(&h->target, dir_fd);
	if (status < 0 && mog_http_out_of_fds(h, -status))
		return;
	mog_http_respond_status(h, status < 0 ? mog_http_status_of(h, MOG_HTTP_OP_DELETE, -status)
					      : status);
}

void mog_http_delete(struct mog_http *h)
{
	if (h->path_len == 1 || mog_path_has_dotdot(h->path, h->path_len)) {
		mog_http_respond_status(h, 403);	/* "/" and traversal */
		h->state = HTTP_SEND;
		return;
	}
	if (mog_target_unavailable(&h->target)) {
		/* not 404, which the tracker would take as "deleted": 503, try later */
		mog_http_respond_status(h, mog_http_status_of(h, MOG_HTTP_OP_DELETE, ENODEV));
		mog_devdir_refused(h->target.dev, "DELETE", h->path, h->status);
		h->state = HTTP_SEND;
		return;
	}
	mog_http_submit(h, delete_run, true);
}
