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
#include <unistd.h>
#include <linux/raftblk.h>
#include "raftctl.h"

const char *prog = "raftctl";

static const struct verb verbs[] = {
	{
		.name = "create",
		.run = cmd_create,
		.args = "NAME --disk PATH [--node-id N --listen ADDR:PORT ...]",
		.summary = "create the device /dev/NAME over a backing disk",
		.help =
"Create the replicated block device /dev/NAME over the block device PATH.\n"
"NAME is \"raftblk\" followed by digits, at most 31 characters. PATH is\n"
"opened exclusively: it must not be mounted or in use by anything else.\n"
"Without --node-id the device is standalone: all I/O passes straight\n"
"through to PATH.\n"
"\n"
"With --node-id the device is replicated with Raft, listening for its\n"
"peers on --listen. A disk that already holds a raftblk log restarts the\n"
"node from it (term, vote, log and membership). A blank disk either\n"
"starts a new one-node cluster (--bootstrap), or waits until the leader\n"
"of a cluster adds this node ('raftctl peer add' there). A disk that\n"
"holds no raftblk log but a filesystem, a partition table or another\n"
"driver's metadata is refused unless --force: the node would format it.\n"
"\n"
"Options:\n"
"  -d, --disk PATH              the backing block device (required)\n"
"  -n, --node-id N              this node's id, 1..4294967295\n"
"  -l, --listen ADDR:PORT       address for the peers, e.g. 10.0.0.1:7789\n"
"                               or [fd00::1]:7789 (required with --node-id)\n"
"  -b, --bootstrap              format the blank disk, start a new cluster\n"
"      --heartbeat-ms N         leader heartbeat interval, 50..60000\n"
"                               (default 100)\n"
"      --election-timeout-ms N  election timeout, 150..600000, at least 3\n"
"                               heartbeats (default 1000)\n"
"      --force                  format a disk that holds a filesystem,\n"
"                               partition table or other signature\n"
"      --secret-file FILE       the cluster's shared secret, 16..128 bytes\n"
"                               from FILE (- : stdin): peers must prove it\n"
"                               and every message is authenticated\n"
"      --read-mode MODE         readindex or lease (the default): how the\n"
"                               leader serves reads ('raftctl set --help')\n"
"      --snapshot-pool DEV      copy-on-write space for snapshots: the data\n"
"                               area then goes through device-mapper\n"
"                               (see 'raftctl snapshot --help')\n"
"  -h, --help                   show this help\n",
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
"For a replicated device it adds the node id, role, term, leader, commit\n"
"and applied index, and a table of its peers (ID, ADDRESS, ROLE, STATE,\n"
"MATCH, and on the leader LAG = commit index - match index).\n"
"\n"
"Options:\n"
"  -j, --json        print JSON\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "metrics",
		.run = cmd_metrics,
		.args = "[NAME] [--output FILE]",
		.summary = "print the devices' metrics for Prometheus",
		.help =
"Print every device of the current network namespace (or only NAME) in the\n"
"Prometheus text exposition format: role, term, commit and applied index,\n"
"disk state, counters, request counts, bytes and latency histograms by\n"
"kind (read, write, flush, discard), and per peer its state, match index,\n"
"lag and time since last heard, and each copy of the data area. The\n"
"metrics are listed in raftctl(8).\n"
"\n"
"Options:\n"
"  -o, --output FILE  write FILE atomically (FILE.tmp, then renamed), as\n"
"                     node_exporter's textfile collector needs\n"
"  -h, --help         show this help\n",
	},
	{
		.name = "top",
		.run = cmd_top,
		.args = "[NAME] [--interval SECONDS] [--count N] [--batch]",
		.summary = "a live view of the devices, their peers and copies",
		.help =
"Show every device of the current network namespace (or only NAME),\n"
"refreshed in place: role, term, leader, commit and applied index, disk\n"
"state, read and write rates with their median latency, each peer's\n"
"state, match index, lag and time since last heard, and each copy of the\n"
"data area as a progress bar with its rate and time left. q quits.\n"
"\n"
"Options:\n"
"  -i, --interval SECONDS  time between refreshes, 0.1..3600 (default 1)\n"
"  -c, --count N           stop after N frames\n"
"  -b, --batch             print frames one after the other, without\n"
"                          terminal control (also when not on a terminal)\n"
"  -h, --help              show this help\n",
	},
	{
		.name = "peer",
		.run = cmd_peer,
		.args = "add|remove|list NAME ...",
		.summary = "change or list the members of a replicated device's cluster",
		.help =
"  peer add NAME ID ADDR:PORT\n"
"  peer remove NAME ID\n"
"  peer list NAME [--json]\n"
"\n"
"add: on the leader, add node ID listening on ADDR:PORT (10.0.0.2:7789 or\n"
"[fd00::2]:7789). It joins as a learner, catches up, and is promoted to\n"
"voter automatically. Create the device on that node first (without\n"
"--bootstrap). remove: on the leader, remove node ID from the cluster.\n"
"One membership change at a time. list: the peers as 'status' shows\n"
"them, or as JSON (schema in raftctl(8)).\n"
"\n"
"Options:\n"
"  -j, --json        print JSON (list only)\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "transfer-leader",
		.run = cmd_transfer_leader,
		.args = "NAME ID [--force]",
		.summary = "on the leader, hand leadership to voter ID",
		.help =
"On the leader of the device NAME, hand leadership over to the voter ID\n"
"(it is brought up to date, then starts an election at once). Check the\n"
"result with 'raftctl status'. Refused (EBUSY) while the device is open\n"
"for writing on this node, e.g. mounted: its writes would fail once this\n"
"node is no longer the leader. Unmount first, or give --force.\n"
"\n"
"Options:\n"
"      --force       hand over even while the device is open for writing\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "set",
		.run = cmd_set,
		.args = "NAME [--heartbeat-ms N] [--election-timeout-ms N] [--max-batch N] [--read-mode MODE] [--resync-rate RATE] [--log-memory SIZE] [--auto-promote yes|no] [--auto-promote-timeout-ms N] [--secret-file FILE|--no-secret] [--promote-secret|--retire-secret] [--defaults]",
		.summary = "change options of a running replicated device",
		.help =
"Change options of the replicated device NAME while it runs; the others\n"
"keep their values (with --defaults: go back to their defaults). They\n"
"apply to this node only and last until the device is destroyed (put\n"
"them in the resource file to keep them). 'status' shows them; 'events'\n"
"announces the change.\n"
"\n"
"Options:\n"
"      --heartbeat-ms N         leader heartbeat interval, 50..60000\n"
"      --election-timeout-ms N  election timeout, 150..600000, at least 3\n"
"                               heartbeats\n"
"      --max-batch N            most writes proposed as one batch, 1..64\n"
"      --read-mode MODE         lease (the default: no round trip while\n"
"                               the leader's lease holds; assumes clocks\n"
"                               drift less than 1/8 of the election\n"
"                               timeout: give every node the same\n"
"                               timeout) or readindex (a heartbeat round\n"
"                               per read barrier, no clock assumption)\n"
"      --resync-rate RATE       most bytes per second the leader sends to\n"
"                               each resyncing peer: 1M..1T (K, M, G, T are\n"
"                               powers of 1024), or 0 for the dynamic\n"
"                               default (as fast as the link and disks\n"
"                               allow, yielding to waiting application\n"
"                               writes); applies at once to running copies\n"
"      --log-memory SIZE        most payload the in-memory log keeps beyond\n"
"                               what this node still has to apply, 4M..1T\n"
"                               (K, M, G, T: binary units; default the\n"
"                               smaller of 64M and 1/8 of the RAM); a\n"
"                               member further behind is caught up by a\n"
"                               resync\n"
"      --auto-promote yes|no    opening the device for writing on this\n"
"                               node while a follower asks the leader to\n"
"                               hand over and waits for it (yes, the\n"
"                               default), or fails with EROFS (no)\n"
"      --auto-promote-timeout-ms N\n"
"                               how long such an open waits, 100..600000\n"
"                               (default 5000), then fails with EBUSY\n"
"      --secret-file FILE       install the next shared secret (FILE, - :\n"
"                               stdin), accepted from now on: rotation\n"
"                               step 1, on every node\n"
"      --promote-secret         use the next secret; the old one is still\n"
"                               accepted: step 2, once all nodes have it\n"
"      --retire-secret          forget the old secret, close connections\n"
"                               proven with it: step 3, once all promoted\n"
"      --no-secret              install \"no secret\" as the next one:\n"
"                               unauthenticated peers are accepted too;\n"
"                               then --promote-secret, --retire-secret\n"
"                               switch authentication off\n"
"      --defaults               every option not given here goes back to\n"
"                               its default (the secret excepted): what\n"
"                               'up' does with the options of the file\n"
"  -h, --help                   show this help\n",
	},
	{
		.name = "events",
		.run = cmd_events,
		.args = "[NAME] [--json] [--now] [--timestamps]",
		.summary = "print the current state, then every change as it happens",
		.help =
"Print one line per device and peer as it is now ('exists ...'), then\n"
"'exists -', then one line per change as it happens, until interrupted:\n"
"\n"
"  exists device raftblk0 role:leader term:7 leader:1 disk:/dev/vdb ...\n"
"  exists peer raftblk0 peer:2 role:voter connection:connected ...\n"
"  exists -\n"
"  change device raftblk0 role:follower term:8 leader:2\n"
"  change peer raftblk0 peer:2 connection:disconnected\n"
"  create peer raftblk0 peer:3 role:learner connection:disconnected ...\n"
"  change peer raftblk0 peer:3 match:1500 lag:12\n"
"  change resync raftblk0 peer:3 direction:send kind:full state:running ...\n"
"  destroy device raftblk0\n"
"\n"
"Nothing is missed between the initial state and the stream. If events\n"
"were lost (the reader was too slow), 'resync -' is printed and the\n"
"initial state again. With NAME only that device's lines are printed.\n"
"\n"
"Options:\n"
"  -j, --json        one JSON object per line (schema in raftctl(8)); each\n"
"                    carries \"time\", when raftctl received it (UTC)\n"
"      --timestamps  start each line with that time\n"
"      --now         print the initial state and 'exists -', then exit\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "up",
		.run = cmd_up,
		.args = "RESOURCE|all [--config-dir DIR] [--node-id N] [--timeout S] [--force] [--dry-run]",
		.summary = "bring up this node of a resource from DIR/RESOURCE.conf",
		.help =
"Read the resource file /etc/raftblk/RESOURCE.conf (the same file on\n"
"every node; format in raftctl(8)), find this node by its host name\n"
"(uname -n) or --node-id, and create its device over its disk, listening\n"
"on its address. The node named by bootstrap-node starts the cluster if\n"
"its disk is blank; a disk that holds a raftblk log is never formatted\n"
"again, the node restarts from it. Then the options of the file are set\n"
"and, if this node is the leader (waiting up to --timeout seconds for an\n"
"election), every node of the file that is not a member yet is added.\n"
"Running it again does only what is left to do, and applies a changed\n"
"file: the leader removes members the file no longer has; a member whose\n"
"address changed is refused (remove it, then up adds it at the new one).\n"
"A disk holding a filesystem or other signature is refused unless --force;\n"
"a file without bootstrap-node is refused. RESOURCE 'all': every\n"
"DIR/*.conf in name order.\n"
"\n"
"Options:\n"
"      --config-dir DIR  where the resource files are (default\n"
"                        /etc/raftblk)\n"
"  -n, --node-id N       this node's id, instead of the host name\n"
"      --timeout S       wait at most S seconds for a leader (default 30)\n"
"      --force           format a disk that holds a filesystem or other\n"
"                        signature\n"
"      --dry-run         check the file and print what would be done\n"
"  -h, --help            show this help\n",
	},
	{
		.name = "down",
		.run = cmd_down,
		.args = "RESOURCE|all [--config-dir DIR] [--node-id N] [--dry-run]",
		.summary = "destroy this node's device of a resource",
		.help =
"Destroy this node's device of the resource (it must not be open). The\n"
"node stays a member of the cluster: 'raftctl up' brings it back from its\n"
"log; 'raftctl peer remove' on the leader removes it for good. Succeeds\n"
"when the device is already down. RESOURCE 'all': every DIR/*.conf.\n"
"\n"
"Options:\n"
"      --config-dir DIR  where the resource files are (default\n"
"                        /etc/raftblk)\n"
"  -n, --node-id N       this node's id, instead of the host name\n"
"      --dry-run         check the file and print what would be done\n"
"  -h, --help            show this help\n",
	},
	{
		.name = "verify",
		.run = cmd_verify,
		.args = "NAME [--json] [--timeout SECS] [--show]",
		.summary = "compare the replicas' data areas at one log index",
		.help =
"On the leader, append a verify entry to the log: every node hashes each\n"
"extent of its data area (crc32c) when it applies the entry, so all of\n"
"them hash the same point of the log, and sends the hashes to the leader,\n"
"which compares them with its own. Waits until every node answered\n"
"(progress on stderr), then prints, per node, how many extents differ from\n"
"the leader's and which. Writes go on during the verify: a write to an\n"
"extent not hashed yet waits until that extent is hashed.\n"
"\n"
"Exit status: 0 the replicas are the same, 3 some extents differ or a\n"
"node did not answer, 1 error.\n"
"\n"
"Options:\n"
"  -j, --json        the result as one JSON object\n"
"      --show        do not start one: show the last verify of this node\n"
"                    (waiting while it runs)\n"
"      --timeout SECS  wait at most SECS (default 600)\n"
"  -h, --help        show this help\n",
	},
	{
		.name = "resync-extents",
		.run = cmd_resync_extents,
		.args = "NAME NODE (EXTENT... | --all-differing) [--timeout SECS] [--no-wait]",
		.summary = "repair extents of a follower from the leader",
		.help =
"On the leader, have follower NODE caught up by a copy from the leader\n"
"(a delta resync) of the given extents (numbers as 'raftctl verify'\n"
"prints them) or of those the last verify found differing on it\n"
"(--all-differing), and of what was written since its applied index.\n"
"The follower stops applying until the copy is in. Waits until the copy\n"
"is done.\n"
"\n"
"Options:\n"
"      --all-differing  the extents the last verify found differing\n"
"      --no-wait        do not wait for the copy\n"
"      --timeout SECS   wait at most SECS (default 300)\n"
"  -h, --help           show this help\n",
	},
	{
		.name = "snapshot",
		.run = cmd_snapshot,
		.args = "create|list|delete NAME [SNAPSHOT] ...",
		.summary = "snapshots taken at the same log index on every node",
		.help =
"  snapshot create NAME SNAPSHOT [--size SIZE | --cow DEVICE] [--timeout SECS]\n"
"  snapshot list NAME [--json]\n"
"  snapshot delete NAME SNAPSHOT [--timeout SECS]\n"
"\n"
"create: on the leader, append a snapshot entry to the log. Every node\n"
"with a COW pool (create --snapshot-pool, or snapshot-pool in the resource\n"
"file) takes a device-mapper snapshot of its data area when it applies\n"
"the entry, so every node's snapshot holds the same bytes:\n"
"/dev/mapper/NAME-snap-SNAPSHOT, read-only. Waits until this node applied\n"
"the entry and prints its index and term. SNAPSHOT: 1 to 47 letters,\n"
"digits or _.+-, starting with a letter or digit.\n"
"delete: on the leader, append an entry that deletes SNAPSHOT everywhere.\n"
"list: this node's snapshots (index, term, time, copy-on-write use,\n"
"state: active; invalid once its COW area overflowed; missing when the\n"
"entry was applied without room or COW device here), what this node made\n"
"of the last snapshot entry it applied, and whether it joined by a copy\n"
"(the snapshots before it are missing here). On the leader, then each\n"
"node's state of each snapshot (active, invalid, inactive, missing,\n"
"pending, unknown) with how old that node's report is.\n"
"\n"
"Options:\n"
"  -s, --size SIZE     COW area per node (K, M, G, T suffixes; default a\n"
"                      quarter of the pool, or what is left of it)\n"
"      --cow DEVICE    COW device of this snapshot instead, the same path\n"
"                      on every node (e.g. an LV); the pool keeps its\n"
"                      record; with SNAPSHOT at most 46 bytes\n"
"      --timeout SECS  wait at most SECS for this node to apply the\n"
"                      entry (default 60)\n"
"  -j, --json          print JSON (list only)\n"
"  -h, --help          show this help\n",
	},
	{
		.name = "helper",
		.run = cmd_helper,
		.args = "attach|detach|snapshot-create|snapshot-delete|snapshot-recover",
		.summary = "device-mapper work, run by the kernel (not by hand)",
		.help =
"Run by the raftblk module (module parameter snapshot_helper) with its\n"
"arguments in RAFTBLK_* environment variables: puts a node's data area\n"
"behind device-mapper (attach, detach) and takes or deletes its snapshots.\n"
"Its exit status is its answer to the kernel; what it does is logged to\n"
"the kernel log.\n",
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

static const struct option help_only_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int parse_no_options(const struct verb *v, int argc, char **argv)
{
	int c;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":h", help_only_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			verb_help(v, stdout);
			return -1;
		default:
			return option_error(v, c, argv);
		}
	}
	return EXIT_OK;
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
		fprintf(f, "  %s %s\n      %s\n", verbs[i].name,
			verbs[i].args, verbs[i].summary);
	fprintf(f,
		"\nExit status: 0 ok, 1 error (the kernel refused, or a system\n"
		"error), 2 usage error. See raftctl(8).\n");
}

/* raftctl's version, and the loaded module's (from sysfs) if any. */
static void print_version(void)
{
	char ver[64] = "";
	FILE *f;

	printf("%s %s (netlink family %s version %d)\n", prog,
	       RAFTCTL_VERSION, RAFTBLK_GENL_NAME, RAFTBLK_GENL_VERSION);
	f = fopen("/sys/module/raftblk/version", "r");
	if (f) {
		if (!fgets(ver, sizeof(ver), f))
			ver[0] = '\0';
		fclose(f);
		ver[strcspn(ver, "\n")] = '\0';
	}
	if (ver[0])
		printf("raftblk module %s (loaded)\n", ver);
	else if (access("/sys/module/raftblk", F_OK) == 0)
		printf("raftblk module loaded, version unknown\n");
	else
		printf("raftblk module not loaded\n");
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
			print_version();
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
