/* path.c: which request paths are devices, PUT targets, or traversal attempts. */
#include <config.h>
#include <string.h>
#include "path.h"

bool mog_path_has_dotdot(const char *path, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (path[i] == '.' && path[i - 1] == '.')
			return true;
	return false;
}

bool mog_path_devid(const char *path, size_t len, unsigned *devid, size_t *rest_off)
{
	unsigned long n = 0;
	size_t i = 4;

	if (len < 5 || memcmp(path, "/dev", 4) != 0)
		return false;
	if (path[i] == '0' && len > 5 && path[5] >= '0' && path[5] <= '9')
		return false;			/* "dev007" is not a canonical name */
	for (; i < len && path[i] >= '0' && path[i] <= '9'; i++) {
		n = n * 10 + (unsigned long)(path[i] - '0');
		if (n > 16777215)		/* the tracker's MEDIUMINT UNSIGNED */
			return false;
	}
	if (i == 4 || (i < len && path[i] != '/'))
		return false;
	*devid = (unsigned)n;
	*rest_off = i;
	return true;
}

bool mog_path_dev_component(const char *path, size_t len, size_t *rest_off)
{
	size_t i;

	if (len < 5 || memcmp(path, "/dev", 4) != 0)
		return false;
	for (i = 4; i < len && path[i] >= '0' && path[i] <= '9'; i++)
		;
	if (i == 4 || (i < len && path[i] != '/'))
		return false;
	*rest_off = i;
	return true;
}

bool mog_path_is_put(const char *path, size_t len)
{
	size_t i;

	/* PROTOCOL.md 2.6 accepts any digits here; a non-canonical device name
	 * such as dev007 is still a valid PUT path (it then must exist). */
	if (len < 5 || memcmp(path, "/dev", 4) != 0)
		return false;
	for (i = 4; i < len && path[i] >= '0' && path[i] <= '9'; i++)
		;
	if (i == 4 || i >= len || path[i] != '/')
		return false;
	while (i < len && path[i] == '/')
		i++;
	if (i >= len)
		return false;
	return path[len - 1] != '/';
}
