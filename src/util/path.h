/* path.h: request path rules (doc/protocol.md, Request targets, PUT paths, Sideband paths).
 * Pure functions, any thread. */
#ifndef MOG_PATH_H
#define MOG_PATH_H

#include "../mog.h"

/* True if path[0..len) contains the two bytes "..": such paths are refused. */
bool mog_path_has_dotdot(const char *path, size_t len);

/*
 * The one scanner of device names.  If s[0..len) starts with "dev" and one or
 * more digits followed by '/' or the end ("dev12/..." in a request path after
 * its '/', or a docroot entry "dev12"), returns the length of that component
 * and sets *devid to its number if the name is canonical (no leading zero
 * except "dev0", at most MOG_DEVID_MAX), else to MOG_DEVID_NONE.  Returns 0
 * (and leaves *devid alone) when s does not start with such a component.
 */
size_t mog_path_dev_scan(const char *s, size_t len, unsigned *devid);

/* True if path is a PUT path: "/devN", one or more '/', a non-'/' byte, and no trailing '/'. */
bool mog_path_is_put(const char *path, size_t len);

#endif /* MOG_PATH_H */
