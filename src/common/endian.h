/*
 * endian.h: big-endian integers read from bytes (PostgreSQL's binary COPY and send formats are
 * big-endian), independent of the host's byte order and alignment.
 */
#ifndef EBB_COMMON_ENDIAN_H
#define EBB_COMMON_ENDIAN_H

#include <stdint.h>

static inline uint16_t
read_be16(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint16_t) (u[0] << 8 | u[1]);
}

static inline uint32_t
read_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint32_t) u[0] << 24 | (uint32_t) u[1] << 16 | (uint32_t) u[2] << 8 | u[3];
}

static inline uint64_t
read_be64(const char *p)
{
	return (uint64_t) read_be32(p) << 32 | read_be32(p + 4);
}

#endif
