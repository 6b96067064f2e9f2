// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: control raftblk replicated block devices.
 *
 *   raftctl [--help | --version]
 *   raftctl VERB [ARGS...]        (raftctl VERB --help for each verb)
 *
 * Every verb is one entry of the verb table below. Exit codes: 0 ok,
 * 1 error (the kernel refused, or a system error), 2 usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/raftblk.h>
#include "raftctl.h"

const char *prog = "raftctl";

static const struct verb verbs[] = {
	{
		.name = "create",
		.run = cmd_create,
		.args = "NAME --disk PATH",
		.summary = "create the device /dev/NAME over a backing disk",
		.help =
"Create the replicated block device /dev/NAME over the block device PATH.\n"
"NAME is \"raftblk\" followed by digits, at most 31 characters. PATH is\n"
"opened exclusively: it must not be mounted or in use by anything else.\n"
"Without replication configured the device is standalone: all I/O passes\n"
"straight through to PATH.\n"
"\n"
"Options:\n"
"  -d, --disk PATH   the backing block device (required)\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "destroy",
		.run = cmd_destroy,
		.args = "NAME",
		.summary = "destroy a device (it must not be open or mounted)",
		.help =
"Destroy the device /dev/NAME and release its backing disk. Fails while\n"
"the device is open (mounted, or held by another program).\n"
"\n"
"Options:\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "status",
		.run = cmd_status,
		.args = "[NAME] [--json]",
		.summary = "show one device, or all devices of this network namespace",
		.help =
"Show the device NAME, or every device of the current network namespace,\n"
"as a table (NAME, ROLE, DISK, SIZE, OPEN), or as JSON with --json (the\n"
"schema is in raftctl(8)). Prints nothing when there is no device.\n"
"\n"
"Options:\n"
"  -j, --json        print JSON\n"
"  -h, --help        show this help\n",
	},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

void verb_help(const struct verb *v, FILE *f)
{
	fprintf(f, "Usage: %s %s %s\n\n%s", prog, v->name, v->args, v->help);
}

int usage_error(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (v)
		fprintf(stderr, "%s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (v)
		fprintf(stderr, " (see '%s %s --help')\n", prog, v->name);
	else
		fprintf(stderr, " (see '%s --help')\n", prog);
	return EXIT_USAGE;
}

int option_error(const struct verb *v, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error(v, "option '%s' needs an argument", arg);
	if (optopt)	/* an unknown short option, maybe among others */
		return usage_error(v, "unknown option '-%c'", optopt);
	return usage_error(v, "unknown option '%s'", arg);
}

static void main_help(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: %s VERB [ARGS...]\n"
		"       %s VERB --help\n"
		"       %s --help | --version\n\n"
		"Control raftblk replicated block devices.\n\nVerbs:\n",
		prog, prog, prog);
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %-8s %-20s %s\n", verbs[i].name, verbs[i].args,
			verbs[i].summary);
	fprintf(f,
		"\nExit status: 0 ok, 1 error (the kernel refused, or a system\n"
		"error), 2 usage error. See raftctl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			main_help(stdout);
			return EXIT_OK;
		case 'V':
			printf("%s %s (netlink family %s version %d)\n", prog,
			       RAFTCTL_VERSION, RAFTBLK_GENL_NAME,
			       RAFTBLK_GENL_VERSION);
			return EXIT_OK;
		default:
			return option_error(NULL, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(NULL, "missing verb");

	for (i = 0; i < NVERBS; i++)
		if (!strcmp(argv[optind], verbs[i].name))
			return verbs[i].run(&verbs[i], argc - optind,
					    argv + optind);
	return usage_error(NULL, "unknown verb '%s'", argv[optind]);
}
