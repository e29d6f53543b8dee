/* path.h: request path rules (PROTOCOL.md 2.1, 2.6, 3.2).  Pure functions, any thread. */
#ifndef MOG_PATH_H
#define MOG_PATH_H

#include "../mog.h"

/* True if path[0..len) contains the two bytes "..": such paths are refused. */
bool mog_path_has_dotdot(const char *path, size_t len);

/*
 * If path[0..len) starts with a canonical device component "/devN" (N without
 * leading zeros, at most 16777215) followed by '/' or the end, store N in
 * *devid and the offset just past the component in *rest_off, and return true.
 */
bool mog_path_devid(const char *path, size_t len, unsigned *devid, size_t *rest_off);

/*
 * If path starts with "/dev" and one or more digits followed by '/' or the
 * end (any digits: "/dev01" too), store the offset past that component in
 * *rest_off and return true.  Such paths are resolved below that directory.
 */
bool mog_path_dev_component(const char *path, size_t len, size_t *rest_off);

/* True if path is a PUT path: "/devN", one or more '/', a non-'/' byte, and no trailing '/'. */
bool mog_path_is_put(const char *path, size_t len);

#endif /* MOG_PATH_H */
