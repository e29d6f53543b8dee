/* sum.h: the checksum record kept with every stored file (MD5 and per-block CRC-32C). */
#ifndef MOG_SUM_H
#define MOG_SUM_H

#include <stdint.h>
#include "digest.h"
#include "../mog.h"

#define MOG_SUM_VERSION 1
#define MOG_SUM_BASE_SHIFT 16		/* blocks are 64 KiB ... */
#define MOG_SUM_MAX_BLOCKS 960		/* ... or larger, so the record fits one 4 KiB xattr block */
#define MOG_SUM_HEAD_LEN 56
#define MOG_SUM_MAX_LEN (MOG_SUM_HEAD_LEN + 4 * MOG_SUM_MAX_BLOCKS + 4)

/*
 * Encoded (all integers little-endian):
 *   0 "MOGS"  4 version  5 block_shift  6 flags (u16)  8 size (u64)
 *  16 mtime_sec (i64)  24 mtime_nsec (u32)  28 nblocks (u32)  32 ino (u64)
 *  40 md5[16]  56 crc[nblocks] (u32 each)  then CRC-32C of all bytes before it (u32).
 * size, mtime and ino bind the record to the file it was made for.  Flag
 * MOG_SUM_F_NO_MD5: md5 is not filled in yet (zeros); the CRCs are.
 */
#define MOG_SUM_F_NO_MD5 1
struct mog_sum {
	unsigned block_shift;		/* block = 1 << block_shift bytes; the last may be short */
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t ino;
	unsigned char md5[16];
	bool has_md5;			/* false: md5 is unknown (MOG_SUM_F_NO_MD5) */
	uint32_t nblocks;
	uint32_t crc[MOG_SUM_MAX_BLOCKS];
};

enum mog_sum_decode {
	MOG_SUM_OK,
	MOG_SUM_BAD,			/* not a record of ours, or damaged */
	MOG_SUM_NEWER			/* a later version: leave it alone */
};

/* Encode s into out (MOG_SUM_MAX_LEN bytes); returns the length.  Any thread. */
size_t mog_sum_encode(const struct mog_sum *s, unsigned char *out);

/* Decode buf[0..len) into s.  Any thread. */
enum mog_sum_decode mog_sum_decode(struct mog_sum *s, const unsigned char *buf, size_t len);

/* The block size used for a file of size bytes (a power of two, at least 64 KiB). */
unsigned mog_sum_shift_for(uint64_t size);

/* Streaming computation of a record: 64 KiB CRCs, joined at the end, and the
 * MD5 if asked for. */
struct mog_sum_builder {
	bool md5_on;
	struct mog_digest md5;
	uint64_t len;
	uint32_t cur;			/* CRC of the bytes of the current 64 KiB block */
	uint32_t *crcs;			/* heap: finished 64 KiB blocks */
	size_t ncrcs, cap;
};

/* Start (with the MD5 or without it), add bytes, finish into s (size, CRCs and
 * md5/has_md5; the caller sets the binding), and free.  mog_sum_builder_destroy()
 * may be called at any time, also twice. */
void mog_sum_builder_init(struct mog_sum_builder *b, bool md5);
void mog_sum_builder_update(struct mog_sum_builder *b, const void *buf, size_t len);
void mog_sum_builder_finish(struct mog_sum_builder *b, struct mog_sum *s);
void mog_sum_builder_destroy(struct mog_sum_builder *b);

/* Checks bytes fed in order from offset 0 against a record. */
struct mog_sum_check {
	const struct mog_sum *sum;
	uint64_t pos;			/* bytes fed so far */
	uint32_t crc;			/* CRC of the current block's bytes so far */
};

void mog_sum_check_init(struct mog_sum_check *c, const struct mog_sum *s);
/* Feed the next bytes; returns false as soon as a finished block does not match
 * (or the bytes run past the recorded size). */
bool mog_sum_check_update(struct mog_sum_check *c, const void *buf, size_t len);

#endif /* MOG_SUM_H */
