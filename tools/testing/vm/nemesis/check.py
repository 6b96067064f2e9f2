#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checker of a nemesis run's history (tools/testing/vm/nemesis/README.md).

    check.py DIR [--blocks N] [--failover-out FILE]

DIR is the run's shared/nemesis folder: hist-*.log (one per workload
process, written by nemesis-wl in the VMs), events-*.json (`raftctl events
--json` of every node and boot) and faults.log (what the host's driver
did, one JSON object a line). Prints TAP and exits 0 only when every check
passed:

* no corrupt block was read (bad magic, checksum or block number);
* every value a read returned was written by some write of the history;
* no read returned a value written after the read ended;
* no stale read: a read of block B returning the write V is stale when an
  acknowledged write W of B ended before the read started and began after
  V ended (V acknowledged, or the block's initial zeroes). Writes that
  failed or whose outcome is unknown may have taken effect at any time
  after they began, so they never end;
* no acknowledged write lost: the same rule for the final reads (every
  block read once after the faults healed), which must cover every block;
* election safety: no two nodes are leader, or named leader, in one term
  (from every node's event stream);
* the history is not empty: acknowledged writes and reads, reads in both
  read modes when the driver switched modes.

Times: every record carries the VM's CLOCK_MONOTONIC; "C" records tie it
to the host's clock (a file on the 9p share touched between T0 and T1 got
the host's mtime). An event at time t of a file is placed in the host
interval spanned by the calibrations before and after it, widened by the
host's timestamp granularity: operations only ever grow, so the checker
may miss an anomaly within those bounds but never reports one that did not
happen.

Also prints the failover times (fault on the leader -> first write
acknowledged by another node) with median, p99 and max, and writes them
to --failover-out.
"""
import bisect
import glob
import json
import os
import statistics
import sys

TICK = 10_000_000  # host mtime granularity (coarse clock), generously
INF = float("inf")


def writer_name(w):
    return "n%d.b%d.w%d" % (w >> 24, (w >> 8) & 0xFFFF, w & 0xFF)


class File:
    """One history file: its clock calibrations and operations."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.final = "final" in self.name
        self.cal = []  # (t0, t1, off_lo, off_hi), by t0
        self.ops = {}
        self.bad = []  # lines that did not parse
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
        # A power-cut may leave a last line without its newline: a record
        # is written with one write(2), so a partial one cannot exist,
        # but be strict and ignore a line without its end.
        for ln in lines[:-1]:
            self.parse(ln)
        self.cal.sort()

    def parse(self, ln):
        p = ln.split()
        if not p:
            return
        try:
            if p[0] == "C":
                t0, t1, host = int(p[1]), int(p[2]), int(p[3])
                self.cal.append((t0, t1, host - t1, host + TICK - t0))
            elif p[0] == "I":
                op = {"file": self, "id": int(p[1]), "inv": int(p[2]),
                      "kind": p[3], "block": int(p[4]), "status": None,
                      "line": ln}
                if p[3] == "W":
                    op["stamp"] = (int(p[5]), int(p[6]))
                elif p[3] != "R":
                    raise ValueError
                self.ops[op["id"]] = op
            elif p[0] in ("O", "F"):
                op = self.ops[int(p[1])]
                op["cmp"] = int(p[2])
                op["status"] = "ok" if p[0] == "O" else "fail"
                op["rest"] = p[3:]
            elif p[0] != "N":
                raise ValueError
        except (ValueError, IndexError, KeyError):
            self.bad.append(ln)

    def host(self, t):
        """Host-time interval (lo, hi) of monotonic time t of this file."""
        if not self.cal:
            return (-INF, INF)
        i = bisect.bisect_right(self.cal, (t, INF, INF, INF))
        near = self.cal[max(0, i - 1):i + 1]
        return (t + min(c[2] for c in near), t + max(c[3] for c in near))


def load(d):
    files = [File(p) for p in sorted(glob.glob(os.path.join(d, "hist-*.log")))]
    ops = []
    for f in files:
        for op in f.ops.values():
            op["inv_lo"] = f.host(op["inv"])[0]
            if op["status"] is None:
                op["cmp_hi"] = INF
            else:
                op["cmp_hi"] = f.host(op["cmp"])[1]
                op["cmp_lo"] = f.host(op["cmp"])[0]
            ops.append(op)
    return files, ops


def describe(op):
    return "%s: %s" % (op["file"].name, op["line"])


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diags=()):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        if not ok:
            self.failed += 1
            for d in list(diags)[:12]:
                print("# " + d)
            if len(diags) > 12:
                print("# ... and %d more" % (len(diags) - 12))


def check_reads(tap, files, ops, blocks):
    writes = {}
    dup = []
    for op in ops:
        if op["kind"] == "W":
            if op["stamp"] in writes:
                dup.append(describe(op))
            writes[op["stamp"]] = op
    tap.result(not dup, "every write stamp is unique", dup)
    # Per block: acknowledged writes by completion, with the latest start
    # among those that completed no later (prefix maximum).
    acked = {}
    for op in ops:
        if op["kind"] == "W" and op["status"] == "ok":
            acked.setdefault(op["block"], []).append(op)
    index = {}
    for b, ws in acked.items():
        ws.sort(key=lambda w: w["cmp_hi"])
        ends = [w["cmp_hi"] for w in ws]
        pre, best, m = [], None, -INF
        for w in ws:
            if w["inv_lo"] > m:
                m, best = w["inv_lo"], w
            pre.append((m, best))
        index[b] = (ends, pre)

    corrupt, phantom, future, stale, lost = [], [], [], [], []
    reads = [op for op in ops if op["kind"] == "R" and op["status"] == "ok"]
    for r in reads:
        rest = r["rest"]
        if rest and rest[0] == "X":
            corrupt.append(describe(r))
            continue
        if rest == ["0"]:
            v, v_end, vname = None, -INF, "the initial zeroes"
        else:
            try:
                stamp = (int(rest[0]), int(rest[1]))
            except (ValueError, IndexError):
                corrupt.append(describe(r) + " (unparsable value)")
                continue
            v = writes.get(stamp)
            if v is None or v["block"] != r["block"]:
                phantom.append(describe(r) + " (no write of %s seq %d to "
                               "this block)" % (writer_name(stamp[0]),
                                                stamp[1]))
                continue
            if v["inv_lo"] > r["cmp_hi"]:
                future.append(describe(r) + " <- " + describe(v))
                continue
            v_end = v["cmp_hi"] if v["status"] == "ok" else INF
            vname = describe(v)
        ends, pre = index.get(r["block"], ([], []))
        i = bisect.bisect_left(ends, r["inv_lo"])
        if i == 0:
            continue
        latest_start, w = pre[i - 1]
        if v_end < latest_start:
            msg = ("%s returned %s, but %s was acknowledged before the "
                   "read started (%.3f s earlier) and began after it" %
                   (describe(r), vname, describe(w),
                    (r["inv_lo"] - w["cmp_hi"]) / 1e9))
            (lost if r["file"].final else stale).append(msg)

    tap.result(not corrupt, "no corrupt block read (magic, checksum, "
               "block number)", corrupt)
    tap.result(not phantom, "every value read was written to that block",
               phantom)
    tap.result(not future, "no read returned a write that began after "
               "the read ended", future)
    mid = [r for r in reads if not r["file"].final]
    tap.result(not stale, "no stale read (%d reads, %d acknowledged "
               "writes)" % (len(mid), sum(len(v) for v in acked.values())),
               stale)
    final = [r for r in reads if r["file"].final]
    tap.result(not lost, "no acknowledged write lost (final reads of %d "
               "blocks)" % len(final), lost)
    if blocks is not None:
        seen = {r["block"] for r in final}
        missing = sorted(set(range(blocks)) - seen)
        tap.result(not missing, "the final reads cover all %d blocks" %
                   blocks, ["blocks never read at the end: %s" %
                            " ".join(map(str, missing[:40]))])
    return reads


def check_events(tap, d):
    claims = {}
    nfiles = 0
    for p in sorted(glob.glob(os.path.join(d, "events-*.json"))):
        nfiles += 1
        name = os.path.basename(p)
        with open(p, errors="replace") as f:
            for ln in f:
                try:
                    e = json.loads(ln)
                except ValueError:
                    continue
                if e.get("object") != "device" or "term" not in e:
                    continue
                t = e["term"]
                if e.get("leader"):
                    claims.setdefault(t, {}).setdefault(e["leader"], name)
                if e.get("role") == "leader" and e.get("node_id"):
                    claims.setdefault(t, {}).setdefault(e["node_id"], name)
    two = ["term %d: leaders %s" % (t, ", ".join(
        "%d (%s)" % (n, f) for n, f in sorted(c.items())))
        for t, c in sorted(claims.items()) if len(c) > 1]
    tap.result(nfiles > 0 and not two,
               "election safety: at most one leader per term (%d terms "
               "seen in %d event streams)" % (len(claims), nfiles),
               two or ["no event stream found"])


def load_faults(d):
    out = []
    p = os.path.join(d, "faults.log")
    if os.path.exists(p):
        with open(p) as f:
            for ln in f:
                try:
                    out.append(json.loads(ln))
                except ValueError:
                    pass
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def failovers(ops, faults, out):
    """Fault on the leader -> first write acknowledged by another node
    before the next fault began (writes the old leader completed after the
    fault are ignored: some were in flight when it struck)."""
    acks = sorted(((op["cmp_lo"] + op["cmp_hi"]) / 2, op["stamp"][0] >> 24)
                  for op in ops
                  if op["kind"] == "W" and op["status"] == "ok"
                  and op["cmp_hi"] != INF)
    starts = sorted(f["t"] for f in faults if f.get("phase") == "start")
    res, none = [], 0
    for f in faults:
        if f.get("phase") != "start" or not f.get("on_leader"):
            continue
        t0 = f["t"]
        nxt = bisect.bisect_right(starts, t0)
        t_end = starts[nxt] if nxt < len(starts) else INF
        hit = next((t for t, node in acks[bisect.bisect_left(
            acks, (t0, -1)):] if node != f["leader"]), None)
        if hit is None or hit >= t_end:
            none += 1
            continue
        res.append(((hit - t0) / 1e9, f["fault"]))
    lines = ["%.2f %s" % r for r in res]
    if res:
        xs = [r[0] for r in res]
        summary = ("failover: n=%d median=%.2fs p99=%.2fs max=%.2fs "
                   "(faults on the leader without another leader's write "
                   "before the next fault: %d)" % (
                       len(xs), statistics.median(xs), pct(xs, 0.99), max(xs),
                       none))
    else:
        summary = ("failover: none measured (faults on the leader without "
                   "another leader's write before the next fault: %d)" % none)
    print("# " + summary)
    for ln in lines:
        print("#   failover %s" % ln)
    if out:
        with open(out, "w") as f:
            f.write(summary + "\n" + "\n".join(lines) + "\n")


def main(argv):
    d, blocks, fo = None, None, None
    i = 1
    while i < len(argv):
        if argv[i] == "--blocks":
            blocks = int(argv[i + 1])
            i += 2
        elif argv[i] == "--failover-out":
            fo = argv[i + 1]
            i += 2
        elif d is None and not argv[i].startswith("-"):
            d = argv[i]
            i += 1
        else:
            print("usage: check.py DIR [--blocks N] [--failover-out FILE]",
                  file=sys.stderr)
            return 2
    if d is None or not os.path.isdir(d):
        print("check.py: no history folder %r" % d, file=sys.stderr)
        return 2
    tap = Tap()
    files, ops = load(d)
    bad = ["%s: %s" % (f.name, b) for f in files for b in f.bad]
    tap.result(files and not bad, "history: %d files parse (%d operations)"
               % (len(files), len(ops)), bad or ["no hist-*.log in " + d])
    nocal = [f.name for f in files if not f.cal]
    tap.result(not nocal, "every history file has clock records", nocal)
    reads = check_reads(tap, files, ops, blocks)
    nw = sum(1 for op in ops if op["kind"] == "W" and op["status"] == "ok")
    tap.result(nw > 0 and reads, "the workload made progress: %d acknowledged "
               "writes, %d reads" % (nw, len(reads)))
    faults = load_faults(d)
    modes = [(f["t"], f["mode"]) for f in faults if f.get("fault") == "read-mode"]
    if modes:
        per = {}
        for r in reads:
            if r["file"].final:
                continue
            m = "readindex"
            for t, mode in modes:
                if r["inv_lo"] >= t:
                    m = mode
            per[m] = per.get(m, 0) + 1
        tap.result(per.get("lease", 0) > 0 and per.get("readindex", 0) > 0,
                   "reads in both read modes (%s)" % ", ".join(
                       "%s %d" % kv for kv in sorted(per.items())))
    check_events(tap, d)
    failovers(ops, faults, fo)
    print("# checker: %d checks, %d failed" % (tap.n, tap.failed))
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
