/* integrity.h: checksum records kept in an xattr of each stored file, quarantine, counters. */
#ifndef MOG_INTEGRITY_H
#define MOG_INTEGRITY_H

#include <sys/stat.h>
#include "../util/sum.h"
#include "../mog.h"

#define MOG_INTEGRITY_XATTR "user.mog.sum"
#define MOG_QUARANTINE ".quarantine"	/* devNNN/.quarantine/: never served */

/* --verify-reads (default on): whole-file GETs check the CRCs.  Set at startup. */
extern bool mog_integrity_verify;

/* --put-checksums=full: every whole-file PUT (and a GET that adopts a file) also
 * computes the MD5 for its record; crc (default): only when the client sent
 * Content-MD5, others are filled in by the scrubber or `MD5 path stored`.  Set
 * at startup. */
extern bool mog_integrity_put_md5;

enum mog_integrity_load {
	MOG_INTEGRITY_LOADED,
	MOG_INTEGRITY_NONE,		/* no record: adopt the file */
	MOG_INTEGRITY_DAMAGED,		/* a record that does not decode: adopt (logged) */
	MOG_INTEGRITY_NEWER		/* a later format: neither check nor replace */
};

/* Read fd's record into s.  Pool thread (may read the disk). */
enum mog_integrity_load mog_integrity_load(int fd, struct mog_sum *s);

/*
 * Bind s to the file st describes (size, mtime, inode) and store it on fd.
 * Returns 0, or -1 with errno (ENOTSUP: the filesystem keeps no user xattrs,
 * which is remembered so later files on it are not tried).  Pool thread.
 */
int mog_integrity_store(int fd, struct mog_sum *s, const struct stat *st);

/* Remove fd's record (a Content-Range PUT changes the bytes).  0 or -1 with errno. */
int mog_integrity_drop(int fd);

/* True if s was made for exactly this file (size, mtime and inode): its MD5 can be trusted. */
bool mog_integrity_bound(const struct mog_sum *s, const struct stat *st);

/* If fd (st) has a record made for exactly this file, with its MD5, that MD5 in
 * lower-case hex (33 bytes with the NUL) and true.  Pool thread. */
bool mog_integrity_md5(int fd, const struct stat *st, char *hex);

/*
 * Filling in the MD5 of a record that has only CRCs, from a full read that
 * computes the MD5 anyway: start (NULL when fd (st) has no such record bound
 * to it), feed every byte in order, finish with the MD5 of them: stored only if
 * every byte matched the CRCs and the file is still the one the record is
 * bound to.  finish frees f (NULL is fine); so does free() alone.  Pool thread.
 */
struct mog_integrity_fill;
struct mog_integrity_fill *mog_integrity_fill_start(int fd, const struct stat *st);
void mog_integrity_fill_update(struct mog_integrity_fill *f, const void *buf, size_t len);
void mog_integrity_fill_finish(struct mog_integrity_fill *f, int fd,
			       const unsigned char md5[16]);

/* s (loaded from fd, checked against all of its bytes) gets md5: stored if fd is
 * still the file s is bound to.  True if stored.  Pool thread. */
bool mog_integrity_add_md5(int fd, struct mog_sum *s, const unsigned char md5[16]);

/*
 * True if a file without a record may be given one: modified at least
 * MOG_INTEGRITY_ADOPT_AGE seconds ago.  A younger file may still be being
 * written by someone else (a copy, a test, an operator); a record taken
 * half-way would later make the finished file look corrupt.  Any thread.
 */
#define MOG_INTEGRITY_ADOPT_AGE 60
bool mog_integrity_adoptable(const struct stat *st);

/* True if st's filesystem is known to refuse user xattrs.  Any thread. */
bool mog_integrity_unsupported(const struct stat *st);

/*
 * A corrupt file: count it, log why, and move rel (below the device directory
 * dev_fd) to devNNN/.quarantine/ if it is still the inode ino.  Returns 0 if
 * moved.  Pool thread.
 */
int mog_integrity_quarantine(int dev_fd, unsigned devid, const char *rel, ino_t ino,
			     const char *why);

/* The expected CRC of a one-block file verified or written before, or the news
 * that it has no record (*none): an in-memory cache, so the loop can answer small
 * cached files without reading an xattr.  False if st is not in it.  Any thread. */
bool mog_integrity_cache_get(const struct stat *st, uint32_t *crc, bool *none);
void mog_integrity_cache_put(const struct stat *st, uint32_t crc, bool none);

enum mog_integrity_counter {
	MOG_IC_WRITTEN,			/* records stored by PUT */
	MOG_IC_VERIFIED,		/* whole-file reads that matched */
	MOG_IC_ADOPTED,			/* files without a record, given one */
	MOG_IC_CORRUPT,			/* mismatches found */
	MOG_IC_QUARANTINED,		/* files moved away */
	MOG_IC_STORE_FAILED,		/* records that could not be stored */
	MOG_IC_N
};

extern const char *const mog_integrity_counter_names[MOG_IC_N];

/* Count one event / read a counter.  Any thread. */
void mog_integrity_count(enum mog_integrity_counter c);
unsigned long long mog_integrity_get(enum mog_integrity_counter c);

#endif /* MOG_INTEGRITY_H */
