/* path_test.c: device, PUT-path and traversal rules (doc/protocol.md, Request line,
 * PUT paths). */
#include <config.h>
#include <string.h>
#include "tap.h"
#include "util/path.h"

static bool devid_of(const char *p, unsigned *devid, size_t *rest)
{
	size_t n = p[0] == '/' ? mog_path_dev_scan(p + 1, strlen(p) - 1, devid) : 0;

	*rest = n + 1;
	return n > 0 && *devid != MOG_DEVID_NONE;
}

int main(void)
{
	static const char *const put_ok[] = {
		"/dev1/x", "/dev1//xy", "/dev123/foo.fid", "/dev16777215/0/000/000/0123456789.fid",
		"/dev1/test-write/test-write-7", "/dev1/a/b/c/d/e",
	};
	static const char *const put_bad[] = {
		"/foo", "/dev/abc", "/devx/abc", "/dev123/foo/", "/dev123//", "///", "/wtf//", "/dev1",
		"/dev1/", "/",
	};
	unsigned devid = 0;
	size_t i, rest = 0;

	for (i = 0; i < sizeof(put_ok) / sizeof(put_ok[0]); i++)
		ok(mog_path_is_put(put_ok[i], strlen(put_ok[i])), "PUT path %s accepted", put_ok[i]);
	for (i = 0; i < sizeof(put_bad) / sizeof(put_bad[0]); i++)
		ok(!mog_path_is_put(put_bad[i], strlen(put_bad[i])), "H118/H119 PUT path %s refused",
		   put_bad[i]);

	ok(mog_path_has_dotdot("/dev1/../x", 10), "F90 /dev1/../x has ..");
	ok(mog_path_has_dotdot("/a..b", 5), "a..b counts as traversal (substring rule)");
	ok(!mog_path_has_dotdot("/a.b/c.d", 8), "single dots are fine");
	ok(!mog_path_has_dotdot("/.", 2), "/. is fine");

	ok(devid_of("/dev1/x", &devid, &rest) && devid == 1 && rest == 5, "/dev1/x is device 1");
	ok(devid_of("/dev666", &devid, &rest) && devid == 666 && rest == 7, "/dev666 alone");
	ok(devid_of("/dev0/a", &devid, &rest) && devid == 0, "dev0 is canonical");
	ok(devid_of("/dev16777215/a", &devid, &rest) && devid == 16777215, "largest devid");
	ok(!devid_of("/dev16777216/a", &devid, &rest), "devid above MEDIUMINT UNSIGNED");
	ok(!devid_of("/dev007/a", &devid, &rest), "leading zeros are not a device name");
	ok(!devid_of("/devx/a", &devid, &rest), "devx is not a device");
	ok(!devid_of("/dev1.old/a", &devid, &rest), "dev1.old is not a device");
	ok(!devid_of("/dev/a", &devid, &rest), "dev without digits");
	ok(!devid_of("/usage", &devid, &rest), "docroot-level path");
	return done_testing();
}
