// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: node addresses. "10.0.0.1:7789" and "[fd00::1]:7789" on the
 * command line and in output; RAFTBLK_ADDR_ATTR_* nests on the wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <linux/raftblk.h>
#include "raftctl.h"

/* A port: 1..65535, decimal digits only. */
static const char *parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!*s)
		return "missing port after ':'";
	if (strspn(s, "0123456789") != strlen(s))
		return "port is not a number";
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v == 0 || v > 65535)
		return "port must be 1..65535";
	*port = (uint16_t)v;
	return NULL;
}

const char *addr_parse(const char *str, struct rb_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *err;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (str[0] == '[') {
		const char *close = strchr(str, ']');

		if (!close)
			return "missing ']' after the IPv6 address";
		if (close[1] != ':')
			return "missing ':PORT' after the IPv6 address";
		len = (size_t)(close - str - 1);
		if (len == 0 || len >= sizeof(host))
			return "not an IPv6 address";
		memcpy(host, str + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, &a->in6) != 1)
			return "not an IPv6 address";
		if (IN6_IS_ADDR_UNSPECIFIED(&a->in6) ||
		    IN6_IS_ADDR_MULTICAST(&a->in6) ||
		    IN6_IS_ADDR_V4MAPPED(&a->in6))
			return "not a unicast IPv6 address";
		a->family = AF_INET6;
		return parse_port(close + 2, &a->port);
	}
	colon = strrchr(str, ':');
	if (!colon)
		return "missing ':PORT'";
	if (strchr(str, ':') != colon)
		return "an IPv6 address needs brackets: [ADDR]:PORT";
	len = (size_t)(colon - str);
	if (len == 0 || len >= sizeof(host))
		return "not an IPv4 address";
	memcpy(host, str, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &a->in4) != 1)
		return "not an IPv4 address";
	{
		uint32_t h = ntohl(a->in4.s_addr);

		if ((h >> 24) == 0 || IN_MULTICAST(h) || h == INADDR_BROADCAST)
			return "not a unicast IPv4 address";
	}
	a->family = AF_INET;
	err = parse_port(colon + 1, &a->port);
	return err;
}

bool addr_equal(const struct rb_addr *a, const struct rb_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->in4.s_addr == b->in4.s_addr;
	return !memcmp(&a->in6, &b->in6, sizeof(a->in6));
}

void addr_format(const struct rb_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	switch (a->family) {
	case AF_INET:
		inet_ntop(AF_INET, &a->in4, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, a->port);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->in6, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, a->port);
		break;
	default:
		snprintf(buf, len, "-");
	}
}

int addr_put(struct nl_msg *msg, int type, const struct rb_addr *a)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -1;
	if (a->family == AF_INET) {
		if (nla_put(msg, RAFTBLK_ADDR_ATTR_IPV4, 4, &a->in4))
			return -1;
	} else if (nla_put(msg, RAFTBLK_ADDR_ATTR_IPV6, 16, &a->in6)) {
		return -1;
	}
	if (nla_put_u16(msg, RAFTBLK_ADDR_ATTR_PORT, htons(a->port)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

int addr_get(struct nlattr *nest, struct rb_addr *a)
{
	static struct nla_policy pol[RAFTBLK_ADDR_ATTR_MAX + 1] = {
		[RAFTBLK_ADDR_ATTR_IPV4] = { .type = NLA_U32 },
		[RAFTBLK_ADDR_ATTR_IPV6] = { .minlen = 16 },
		[RAFTBLK_ADDR_ATTR_PORT] = { .type = NLA_U16 },
	};
	struct nlattr *tb[RAFTBLK_ADDR_ATTR_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (nla_parse_nested(tb, RAFTBLK_ADDR_ATTR_MAX, nest, pol))
		return -1;
	if (tb[RAFTBLK_ADDR_ATTR_PORT])
		a->port = ntohs(nla_get_u16(tb[RAFTBLK_ADDR_ATTR_PORT]));
	if (tb[RAFTBLK_ADDR_ATTR_IPV4]) {
		a->family = AF_INET;
		memcpy(&a->in4, nla_data(tb[RAFTBLK_ADDR_ATTR_IPV4]), 4);
	} else if (tb[RAFTBLK_ADDR_ATTR_IPV6]) {
		a->family = AF_INET6;
		memcpy(&a->in6, nla_data(tb[RAFTBLK_ADDR_ATTR_IPV6]), 16);
	}
	return 0;
}
