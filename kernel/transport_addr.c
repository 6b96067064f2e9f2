// SPDX-License-Identifier: GPL-2.0
/*
 * transport_addr.c - node addresses: the 64-byte blob kept in the Raft
 * configuration, and the "10.0.0.1:7789" / "[fd00::1]:7789" notation
 * (layout in transport.h).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "transport.h"

#define BLOB_FORMAT	0
#define BLOB_FAMILY	1
#define BLOB_PORT	2
#define BLOB_SCOPE	4
#define BLOB_ADDR	8
#define BLOB_USED	24

static bool zero(const u8 *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

int rb_addr_encode(const struct sockaddr_storage *ss, u8 blob[RAFT_ADDR_LEN])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	memset(blob, 0, RAFT_ADDR_LEN);
	blob[BLOB_FORMAT] = RB_ADDR_FORMAT;
	switch (ss->ss_family) {
	case AF_INET:
		if (!s4->sin_port)
			return -EINVAL;
		blob[BLOB_FAMILY] = 4;
		memcpy(blob + BLOB_PORT, &s4->sin_port, 2);
		memcpy(blob + BLOB_ADDR, &s4->sin_addr, 4);
		return 0;
	case AF_INET6:
		if (!s6->sin6_port)
			return -EINVAL;
		blob[BLOB_FAMILY] = 6;
		memcpy(blob + BLOB_PORT, &s6->sin6_port, 2);
		put_unaligned_le32(s6->sin6_scope_id, blob + BLOB_SCOPE);
		memcpy(blob + BLOB_ADDR, &s6->sin6_addr, 16);
		return 0;
	}
	memset(blob, 0, RAFT_ADDR_LEN);
	return -EINVAL;
}

int rb_addr_decode(const u8 blob[RAFT_ADDR_LEN], struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (zero(blob, RAFT_ADDR_LEN))
		return -ENOENT;
	if (blob[BLOB_FORMAT] != RB_ADDR_FORMAT ||
	    !zero(blob + BLOB_USED, RAFT_ADDR_LEN - BLOB_USED) ||
	    (!blob[BLOB_PORT] && !blob[BLOB_PORT + 1]))
		return -EINVAL;
	switch (blob[BLOB_FAMILY]) {
	case 4:
		if (!zero(blob + BLOB_SCOPE, 4) ||
		    !zero(blob + BLOB_ADDR + 4, 12))
			return -EINVAL;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_port, blob + BLOB_PORT, 2);
		memcpy(&s4->sin_addr, blob + BLOB_ADDR, 4);
		return 0;
	case 6:
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_port, blob + BLOB_PORT, 2);
		s6->sin6_scope_id = get_unaligned_le32(blob + BLOB_SCOPE);
		memcpy(&s6->sin6_addr, blob + BLOB_ADDR, 16);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -EINVAL;
}

static int parse_port(const char *s, __be16 *port)
{
	u16 v;

	if (!*s || kstrtou16(s, 10, &v) || !v)
		return -EINVAL;
	*port = htons(v);
	return 0;
}

int rb_addr_parse(const char *str, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	const char *end;
	size_t len;

	memset(ss, 0, sizeof(*ss));
	if (!str)
		return -EINVAL;
	len = strnlen(str, RB_ADDR_STRLEN);
	if (!len || len == RB_ADDR_STRLEN)
		return -EINVAL;
	if (str[0] == '[') {
		/* "[v6]:port"; no scope ids in this notation. */
		if (!in6_pton(str + 1, len - 1, (u8 *)&s6->sin6_addr, ']',
			      &end) || end[0] != ']' || end[1] != ':')
			goto err_clear_addr;
		s6->sin6_family = AF_INET6;
		if (parse_port(end + 2, &s6->sin6_port))
			goto err_clear_addr;
		return 0;
	}
	if (!in4_pton(str, len, (u8 *)&s4->sin_addr, ':', &end) ||
	    end[0] != ':')
		goto err_clear_addr;
	s4->sin_family = AF_INET;
	if (parse_port(end + 1, &s4->sin_port))
		goto err_clear_addr;
	return 0;
err_clear_addr:
	memset(ss, 0, sizeof(*ss));
	return -EINVAL;
}

void rb_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		snprintf(buf, len, "%pI4:%u", &s4->sin_addr,
			 ntohs(s4->sin_port));
		break;
	case AF_INET6:
		if (s6->sin6_scope_id)
			snprintf(buf, len, "[%pI6c%%%u]:%u", &s6->sin6_addr,
				 s6->sin6_scope_id, ntohs(s6->sin6_port));
		else
			snprintf(buf, len, "[%pI6c]:%u", &s6->sin6_addr,
				 ntohs(s6->sin6_port));
		break;
	default:
		snprintf(buf, len, "-");
		break;
	}
}
