/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: shared declarations.
 */
#ifndef RAFTCTL_H
#define RAFTCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netlink/msg.h>

#define RAFTCTL_VERSION "0.1"

/* Exit codes (documented in raftctl.8). */
#define EXIT_OK		0
#define EXIT_ERROR	1	/* the kernel refused, or a system error */
#define EXIT_USAGE	2	/* bad command line */

/* A verb: "raftctl NAME ARGS...". */
struct verb {
	const char *name;
	/* argv[0] is the verb name; returns an exit code. */
	int (*run)(const struct verb *v, int argc, char **argv);
	const char *args;	/* synopsis after the verb name */
	const char *summary;	/* one line for raftctl --help */
	const char *help;	/* options, for raftctl VERB --help */
};

extern const char *prog;

int usage_error(const struct verb *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void verb_help(const struct verb *v, FILE *f);
/* After getopt_long() with opterr = 0 returned '?' or ':'. */
int option_error(const struct verb *v, int c, char **argv);

/* nl.c: talking to the raftblk generic netlink family. */

/* What the kernel said when it refused a request. */
struct rb_error {
	int err;		/* positive errno */
	char msg[256];		/* extended-ack message, or "" */
	int bad_attr;		/* RAFTBLK_ATTR_* the kernel blamed, or 0 */
	char bad_value[300];	/* its value if it is a string, or "" */
	int64_t max_len;	/* policy maximum length of it, or -1 */
	int missing_attr;	/* RAFTBLK_ATTR_* reported missing, or 0 */
};

struct rb_nl;

/* Opens a socket and resolves the family; NULL with *err set on failure. */
struct rb_nl *rb_nl_open(struct rb_error *err);
void rb_nl_close(struct rb_nl *nl);
/* A new request for CMD, flags as for genlmsg_put(); NULL on ENOMEM. */
struct nl_msg *rb_nl_msg(struct rb_nl *nl, uint8_t cmd, int flags);
/*
 * Sends MSG, calls CB for every reply message, waits for the ack or the end
 * of the dump. 0, or -1 with *err filled. Frees MSG. A dump during which
 * the kernel's list changed fails with EAGAIN: the caller may retry.
 */
int rb_nl_request(struct rb_nl *nl, struct nl_msg *msg,
		  int (*cb)(struct nl_msg *reply, void *arg), void *arg,
		  struct rb_error *err);
/* "raftctl: CONTEXT: cause (strerror)" on stderr; returns EXIT_ERROR. */
int rb_error_print(const char *context, const struct rb_error *err);

/* output.c: tables for people, JSON for scripts. */
struct table;
struct table *table_new(int ncols, const char *const *headers);
void table_add_row(struct table *t, const char *const *cells);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);
void json_string(FILE *f, const char *s);
void format_size(char *buf, size_t len, uint64_t bytes);

/* device.c: device verbs. */
int cmd_create(const struct verb *v, int argc, char **argv);
int cmd_destroy(const struct verb *v, int argc, char **argv);
int cmd_status(const struct verb *v, int argc, char **argv);

#endif /* RAFTCTL_H */
