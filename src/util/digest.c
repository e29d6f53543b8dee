/* digest.c: the MD5/SHA-1 used by Content-MD5 checks and sideband digests. */
#include <config.h>
#include "digest.h"

void mog_digest_init(struct mog_digest *d, enum mog_digest_alg alg)
{
	d->alg = alg;
	if (alg == MOG_DIGEST_MD5)
		md5_init_ctx(&d->u.md5);
	else
		sha1_init_ctx(&d->u.sha1);
}

void mog_digest_update(struct mog_digest *d, const void *buf, size_t len)
{
	if (d->alg == MOG_DIGEST_MD5)
		md5_process_bytes(buf, len, &d->u.md5);
	else
		sha1_process_bytes(buf, len, &d->u.sha1);
}

size_t mog_digest_final(struct mog_digest *d, unsigned char out[20])
{
	if (d->alg == MOG_DIGEST_MD5) {
		md5_finish_ctx(&d->u.md5, out);
		return 16;
	}
	sha1_finish_ctx(&d->u.sha1, out);
	return 20;
}

void mog_digest_hex(const unsigned char *bin, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[bin[i] >> 4];
		hex[2 * i + 1] = digits[bin[i] & 15];
	}
	hex[2 * len] = '\0';
}
