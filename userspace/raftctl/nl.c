// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the client side of the raftblk generic netlink family.
 *
 * Extended acks are switched on (NETLINK_EXT_ACK) so that a refused
 * request comes back with the kernel's message, the offset of the
 * attribute at fault and, for policy violations, the policy itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/raftblk.h>
#include "raftctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct rb_nl {
	struct nl_sock *sk;
	int family;
};

/* State of one request while its answers come in. */
struct rb_req {
	struct nl_msg *sent;
	struct rb_error *err;
	int (*cb)(struct nl_msg *reply, void *arg);
	void *arg;
	bool done;
	bool failed;
	bool interrupted;	/* the dump saw the list change (DUMP_INTR) */
};

static void rb_error_set(struct rb_error *err, int errnum, const char *msg)
{
	memset(err, 0, sizeof(*err));
	err->err = errnum;
	err->max_len = -1;
	if (msg)
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

struct rb_nl *rb_nl_open(struct rb_error *err)
{
	struct rb_nl *nl;
	int one = 1;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		rb_error_set(err, ENOMEM, NULL);
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		rb_error_set(err, ENOMEM, NULL);
		goto free;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		rb_error_set(err, EIO, "cannot open a generic netlink socket");
		goto free_sock;
	}
	/* Both exist since Linux 4.12; without them errors are terse. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, RAFTBLK_GENL_NAME);
	if (nl->family < 0) {
		if (nl->family == -NLE_OBJ_NOTFOUND)
			rb_error_set(err, ENOENT, "raftblk module not loaded");
		else
			rb_error_set(err, EIO, nl_geterror(nl->family));
		goto free_sock;
	}
	return nl;

free_sock:
	nl_socket_free(nl->sk);
free:
	free(nl);
	return NULL;
}

void rb_nl_close(struct rb_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

struct nl_msg *rb_nl_msg(struct rb_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, RAFTBLK_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The top-level attribute of SENT that starts OFF bytes into it. */
static void rb_blame_attr(struct nl_msg *sent, uint32_t off,
			  struct rb_error *err)
{
	struct nlmsghdr *nlh = nlmsg_hdr(sent);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		if ((uint32_t)((char *)nla - (char *)nlh) != off)
			continue;
		err->bad_attr = nla_type(nla);
		/* Only string attributes have a value worth quoting. */
		if ((err->bad_attr == RAFTBLK_ATTR_NAME ||
		     err->bad_attr == RAFTBLK_ATTR_DISK_PATH) &&
		    nla_len(nla) > 0 &&
		    memchr(nla_data(nla), '\0', nla_len(nla)))
			snprintf(err->bad_value, sizeof(err->bad_value), "%s",
				 (char *)nla_data(nla));
		return;
	}
}

/* Extended-ack attributes after the (capped) original message. */
static void rb_parse_ext_ack(struct rb_req *req, struct nlmsghdr *nlh,
			     struct nlmsgerr *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *pol[NL_POLICY_TYPE_ATTR_MAX + 1];
	struct rb_error *err = req->err;
	size_t ack_len = sizeof(*e);
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)ack_len;
	if (len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + ack_len), len, NULL))
		return;

	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(err->msg, sizeof(err->msg), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS] && req->sent)
		rb_blame_attr(req->sent, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
			      err);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		err->missing_attr = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_POLICY] &&
	    !nla_parse_nested(pol, NL_POLICY_TYPE_ATTR_MAX,
			      tb[NLMSGERR_ATTR_POLICY], NULL) &&
	    pol[NL_POLICY_TYPE_ATTR_MAX_LENGTH])
		err->max_len = nla_get_u32(pol[NL_POLICY_TYPE_ATTR_MAX_LENGTH]);
}

static int rb_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct rb_req *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)who;
	req->done = true;
	if (!e->error)
		return NL_STOP;
	req->failed = true;
	rb_error_set(req->err, -e->error, NULL);
	rb_parse_ext_ack(req, nlh, e);
	return NL_STOP;
}

static int rb_on_ack(struct nl_msg *msg, void *arg)
{
	struct rb_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE of a dump: an error while dumping is in its payload. */
static int rb_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rb_req *req = arg;
	int e;

	req->done = true;
	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0) {
			req->failed = true;
			rb_error_set(req->err, -e, NULL);
		}
	}
	return NL_STOP;
}

/* Read the dump to its end anyway, so the socket is left clean. */
static int rb_on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct rb_req *req = arg;

	(void)msg;
	req->interrupted = true;
	return NL_OK;
}

static int rb_on_valid(struct nl_msg *msg, void *arg)
{
	struct rb_req *req = arg;

	if (!req->cb)
		return NL_OK;
	return req->cb(msg, req->arg);
}

int rb_nl_request(struct rb_nl *nl, struct nl_msg *msg,
		  int (*cb)(struct nl_msg *reply, void *arg), void *arg,
		  struct rb_error *err)
{
	struct rb_req req = {
		.sent = msg, .err = err, .cb = cb, .arg = arg,
	};
	struct nl_cb *nlcb;
	int ret;

	rb_error_set(err, 0, NULL);
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		nlmsg_free(msg);
		rb_error_set(err, ENOMEM, NULL);
		return -1;
	}
	nl_cb_err(nlcb, NL_CB_CUSTOM, rb_on_error, &req);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, rb_on_ack, &req);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, rb_on_finish, &req);
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, rb_on_valid, &req);
	nl_cb_set(nlcb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, rb_on_dump_intr, &req);

	rb_fail_nth_arm();
	ret = nl_send_auto(nl->sk, msg);
	if (ret < 0) {
		rb_error_set(err, EIO, nl_geterror(ret));
		req.failed = true;
		req.done = true;
	}
	while (!req.done) {
		ret = nl_recvmsgs(nl->sk, nlcb);
		if (ret < 0 && !req.done) {
			rb_error_set(err, EIO, nl_geterror(ret));
			req.failed = true;
			break;
		}
	}
	if (req.interrupted && !req.failed) {
		rb_error_set(err, EAGAIN, "the device list changed while it was read");
		req.failed = true;
	}
	nl_cb_put(nlcb);
	nlmsg_free(msg);
	return req.failed ? -1 : 0;
}

static const char *rb_attr_label(int attr)
{
	switch (attr) {
	case RAFTBLK_ATTR_NAME:
		return "device name";
	case RAFTBLK_ATTR_DISK_PATH:
		return "disk";
	case RAFTBLK_ATTR_NODE_ID:
		return "node id";
	case RAFTBLK_ATTR_LISTEN:
		return "listen address";
	case RAFTBLK_ATTR_BOOTSTRAP:
		return "--bootstrap";
	case RAFTBLK_ATTR_PEER:
		return "peer";
	case RAFTBLK_ATTR_HEARTBEAT_MS:
		return "heartbeat";
	case RAFTBLK_ATTR_ELECTION_TIMEOUT_MS:
		return "election timeout";
	case RAFTBLK_ATTR_MAX_BATCH:
		return "max batch";
	case RAFTBLK_ATTR_READ_MODE:
		return "read mode";
	default:
		return NULL;
	}
}

int rb_error_print(const char *context, const struct rb_error *err)
{
	const char *label = rb_attr_label(err->bad_attr);
	char detail[768];

	if (err->missing_attr) {
		label = rb_attr_label(err->missing_attr);
		if (label)
			snprintf(detail, sizeof(detail),
				 "missing %s: %s", label, err->msg);
		else
			snprintf(detail, sizeof(detail),
				 "missing attribute %d: %s",
				 err->missing_attr, err->msg);
	} else if (err->msg[0] && err->max_len >= 0 && label) {
		/* A policy violation, e.g. a name that is too long. */
		snprintf(detail, sizeof(detail),
			 "invalid %s (at most %lld bytes): %s", label,
			 (long long)err->max_len, err->msg);
	} else if (err->msg[0] && err->bad_value[0] &&
		   err->bad_attr != RAFTBLK_ATTR_NAME) {
		/* The device name is in the context already. */
		snprintf(detail, sizeof(detail), "%s: %s", err->msg,
			 err->bad_value);
	} else if (err->msg[0]) {
		snprintf(detail, sizeof(detail), "%s", err->msg);
	} else if (err->err == EPERM) {
		snprintf(detail, sizeof(detail),
			 "permission denied, CAP_NET_ADMIN required");
	} else {
		fprintf(stderr, "%s: %s%s%s\n", prog, context ? context : "",
			context ? ": " : "", strerror(err->err));
		return EXIT_ERROR;
	}
	fprintf(stderr, "%s: %s%s%s (%s)\n", prog, context ? context : "",
		context ? ": " : "", detail, strerror(err->err));
	return EXIT_ERROR;
}
