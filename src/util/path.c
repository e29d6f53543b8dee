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

size_t mog_path_dev_scan(const char *s, size_t len, unsigned *devid)
{
	unsigned long n = 0;
	size_t i;

	if (len < 4 || memcmp(s, "dev", 3) != 0)
		return 0;
	for (i = 3; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (n <= MOG_DEVID_MAX)
			n = n * 10 + (unsigned long)(s[i] - '0');
	if (i == 3 || (i < len && s[i] != '/'))
		return 0;
	/* "dev007" is not a canonical name; the tracker's ids are MEDIUMINT UNSIGNED */
	*devid = (s[3] == '0' && i > 4) || n > MOG_DEVID_MAX ? MOG_DEVID_NONE : (unsigned)n;
	return i;
}

bool mog_path_is_put(const char *path, size_t len)
{
	unsigned devid;
	size_t i;

	/* any digits: a non-canonical device name such as dev007 is still a
	 * valid PUT path (the directory then must exist) */
	if (len < 1 || path[0] != '/' || (i = mog_path_dev_scan(path + 1, len - 1, &devid)) == 0)
		return false;
	i++;
	if (i >= len)
		return false;
	while (i < len && path[i] == '/')
		i++;
	if (i >= len)
		return false;
	return path[len - 1] != '/';
}
