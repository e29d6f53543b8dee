/* digest.h: MD5 and SHA-1 behind one interface (gnulib, or OpenSSL through gnulib). */
#ifndef MOG_DIGEST_H
#define MOG_DIGEST_H

#include "md5.h"
#include "sha1.h"
#include "../mog.h"

enum mog_digest_alg { MOG_DIGEST_MD5, MOG_DIGEST_SHA1 };

struct mog_digest {
	enum mog_digest_alg alg;
	union {
		struct md5_ctx md5;
		struct sha1_ctx sha1;
	} u;
};

/* Any thread, on its own struct. */
void mog_digest_init(struct mog_digest *d, enum mog_digest_alg alg);
void mog_digest_update(struct mog_digest *d, const void *buf, size_t len);
/* Finish into out (16 or 20 bytes); returns the length. */
size_t mog_digest_final(struct mog_digest *d, unsigned char out[20]);
/* Lower-case hex of bin[0..len) into hex (2*len+1 bytes, NUL-terminated). */
void mog_digest_hex(const unsigned char *bin, size_t len, char *hex);

#endif /* MOG_DIGEST_H */
