/* crc32c.h: CRC-32C (Castagnoli), with the SSE4.2 instruction when the CPU has it. */
#ifndef MOG_CRC32C_H
#define MOG_CRC32C_H

#include <stdint.h>
#include "../mog.h"

/*
 * The CRC-32C of buf[0..len) continuing crc (0 to start a new one), in the
 * usual convention: mog_crc32c(0, "123456789", 9) == 0xe3069283.  The
 * implementation (instruction or table) is chosen on the first call.  Any thread.
 */
uint32_t mog_crc32c(uint32_t crc, const void *buf, size_t len);

/* The CRC-32C of A followed by B, from crc_a, crc_b and the length of B.  Any thread. */
uint32_t mog_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

/* "sse4.2" or "table": what mog_crc32c() uses on this machine.  Any thread. */
const char *mog_crc32c_impl(void);

#endif /* MOG_CRC32C_H */
