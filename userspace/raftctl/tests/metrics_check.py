#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Validate tests/metrics_test's output as Prometheus text format 0.0.4.

Reads the exposition on stdin; prints TAP. Checks what a scraper and
node_exporter's textfile collector rely on: valid UTF-8, every family
announced once (HELP, TYPE) before its samples and never split, sample
names that belong to their family's type, label values escaped so they
parse back to the original, histograms with increasing bounds, cumulative
counts and a +Inf bucket equal to _count, state sets with exactly one 1,
and the values metrics_test.c set.
"""
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

n = 0
failed = 0


def check(ok, name, why=""):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not ok:
        failed += 1
        if why:
            print(f"# {why}")


raw = sys.stdin.buffer.read()
try:
    text = raw.decode("utf-8")
    check(True, "output is valid UTF-8")
except UnicodeDecodeError as e:
    check(False, "output is valid UTF-8", str(e))
    text = raw.decode("utf-8", "replace")

# The layout: each family contiguous, HELP and TYPE once, before samples.
seen, current, layout_ok, why = set(), None, True, ""
types = {}
for line in text.splitlines():
    m = re.match(r"# (HELP|TYPE) (\w+) (.*)$", line)
    if m:
        kind, name, rest = m.groups()
        if kind == "HELP":
            if name in seen:
                layout_ok, why = False, f"family {name} announced twice"
            seen.add(name)
            current = name
        else:
            if name != current or name in types:
                layout_ok, why = False, f"TYPE of {name} out of place"
            types[name] = rest
        continue
    if not line or line.startswith("#"):
        layout_ok, why = False, f"unexpected line {line!r}"
        continue
    sname = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    fam = current
    allowed = {fam}
    if types.get(fam) == "histogram":
        allowed = {fam + "_bucket", fam + "_sum", fam + "_count"}
    if sname not in allowed:
        layout_ok, why = False, f"sample {sname} in family {fam}"
check(layout_ok, "every family once, HELP and TYPE before its samples", why)
check(all(t in ("gauge", "counter", "histogram") for t in types.values()),
      "every TYPE is gauge, counter or histogram")
check(all(n.endswith("_total") == (t == "counter") for n, t in types.items()),
      "counters and only counters end in _total")

try:
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    check(True, "the prometheus_client parser accepts it")
except Exception as e:  # noqa: BLE001 - any parse error is the failure
    check(False, "the prometheus_client parser accepts it", repr(e))
    fams = {}


def samples(name):
    for f in fams.values():
        for s in f.samples:
            if s.name == name:
                yield s


def value(name, **labels):
    for s in samples(name):
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


# Histograms.
hist_ok, why, nhist = True, "", 0
for s_count in samples("raftblk_request_duration_seconds_count"):
    nhist += 1
    lbl = s_count.labels
    buckets = [s for s in samples("raftblk_request_duration_seconds_bucket")
               if all(s.labels.get(k) == v for k, v in lbl.items())]
    les = [float(b.labels["le"]) for b in buckets]
    counts = [b.value for b in buckets]
    if les != sorted(les) or len(set(les)) != len(les):
        hist_ok, why = False, f"{lbl}: bounds not increasing"
    elif counts != sorted(counts):
        hist_ok, why = False, f"{lbl}: counts not cumulative"
    elif not les or not math.isinf(les[-1]) or counts[-1] != s_count.value:
        hist_ok, why = False, f"{lbl}: +Inf bucket != _count"
    elif len(les) != 24:
        hist_ok, why = False, f"{lbl}: {len(les)} buckets"
check(hist_ok and nhist == 8, "request histograms: 8, increasing bounds, "
      "cumulative counts, +Inf = _count", why or f"{nhist} histograms")
ph = [s for s in samples("raftblk_phase_duration_seconds_count")]
check(len(ph) == 2 and
      value("raftblk_phase_duration_seconds_count", device="raftblk1",
            phase="write-commit") == 5 and
      value("raftblk_phase_duration_seconds_bucket", device="raftblk1",
            phase="log-append", le="0.000512") == 0 and
      value("raftblk_phase_duration_seconds_bucket", device="raftblk1",
            phase="log-append", le="0.001024") == 3 and
      value("raftblk_phase_duration_seconds_sum", device="raftblk1",
            phase="write-commit") == 0.005,
      "phase histograms: write-commit and log-append as set", str(ph))
check(value("raftblk_request_duration_seconds_bucket", device="raftblk0",
            op="read", le="0.000001") == 2,
      "bucket 0 (< 1 us) has the read bucket 0's count")
check(value("raftblk_request_duration_seconds_bucket", device="raftblk0",
            op="read", le="0.000032") == 4,
      "le=0.000032 (2^5 us) adds bucket 5")
got = value("raftblk_request_duration_seconds_sum", device="raftblk1",
            op="write")
check(got is not None and
      abs(got - (3 * 1 + 2 * 32 + 2 * 4096 + 2 * 8388608) * 1e-6) < 1e-9,
      "_sum is the latency sum in seconds", f"got {got}")

# Labels survive escaping.
check(value("raftblk_device_info", device="raftblk1",
            disk="/dev/odd\"na\\me\nx\ufffdy") == 1,
      "a disk path with a quote, backslash, newline and a non-UTF-8 byte "
      "parses back (the byte as U+FFFD)")

# State sets: exactly one 1 per device / peer.
for fam, key in (("raftblk_role", ("device",)),
                 ("raftblk_disk_state", ("device",)),
                 ("raftblk_peer_state", ("device", "peer")),
                 ("raftblk_resync_state", ("device", "peer", "direction"))):
    groups = {}
    for s in samples(fam):
        groups.setdefault(tuple(s.labels[k] for k in key), []).append(s.value)
    check(groups and all(sorted(v)[-1] == 1 and sum(v) == 1
                         for v in groups.values()),
          f"{fam}: exactly one state is 1 per {'/'.join(key)}", str(groups))

# Values metrics_test.c set.
expect = [
    ("raftblk_requests_total", dict(device="raftblk0", op="read"), 7),
    ("raftblk_request_errors_total", dict(device="raftblk0", op="flush"), 1),
    ("raftblk_request_bytes_total", dict(device="raftblk0", op="discard"),
     1 << 20),
    ("raftblk_requests_total", dict(device="raftblk1", op="write"), 9),
    ("raftblk_role", dict(device="raftblk1", role="leader"), 1),
    ("raftblk_role", dict(device="raftblk0", role="standalone"), 1),
    ("raftblk_term", dict(device="raftblk1"), 7),
    ("raftblk_commit_index", dict(device="raftblk1"), 1000),
    ("raftblk_applied_index", dict(device="raftblk1"), 998),
    ("raftblk_network_sent_bytes_total", dict(device="raftblk1"),
     123456789012),
    ("raftblk_network_direct_frames_total", dict(device="raftblk1"), 4242),
    ("raftblk_log_area_used_bytes", dict(device="raftblk1"), 3 << 20),
    ("raftblk_log_area_size_bytes", dict(device="raftblk1"), 64 << 20),
    ("raftblk_log_area_written_bytes_total", dict(device="raftblk1"),
     5 << 30),
    ("raftblk_log_record_block_bytes", dict(device="raftblk1"), 512),
    ("raftblk_peer_lag_entries", dict(device="raftblk1", peer="2"), 10),
    ("raftblk_peer_lag_entries", dict(device="raftblk1", peer="3"), 1000),
    ("raftblk_peer_last_heard_seconds", dict(device="raftblk1", peer="3"),
     6.5),
    ("raftblk_peer_state", dict(device="raftblk1", peer="3",
                                state="unreachable"), 1),
    ("raftblk_peer_info", dict(device="raftblk1", peer="2",
                               address="10.0.0.2:7789", role="voter"), 1),
    ("raftblk_resync_done_bytes", dict(device="raftblk1", peer="3",
                                       direction="send", kind="full"),
     100 << 20),
    ("raftblk_resync_eta_seconds", dict(device="raftblk1", peer="3"), 8),
    ("raftblk_resync_running", dict(device="raftblk1", peer="3"), 1),
    ("raftblk_resync_pace_bytes_per_second", dict(device="raftblk1", peer="3"),
     24 << 20),
    ("raftblk_resync_index", dict(device="raftblk1", peer="3"), 900),
    ("raftblk_resync_base_index", dict(device="raftblk1", peer="3"), 0),
    ("raftblk_resync_state", dict(device="raftblk1", peer="3",
                                  state="running"), 1),
    ("raftblk_resync_running", dict(device="raftblk1", peer="2"), 0),
    ("raftblk_resync_state", dict(device="raftblk1", peer="2", kind="delta",
                                  state="failed"), 1),
    ("raftblk_resync_state", dict(device="raftblk1", peer="2",
                                  state="finished"), 0),
    ("raftblk_resync_base_index", dict(device="raftblk1", peer="2"), 650),
    ("raftblk_resync_pace_bytes_per_second", dict(device="raftblk1", peer="2"),
     0),
    ("raftblk_secret_set", dict(device="raftblk1"), 1),
]
for name, labels, want in expect:
    got = value(name, **labels)
    check(got == want, f"{name}{labels} = {want}", f"got {got}")
check(value("raftblk_term", device="raftblk0") is None,
      "a standalone device has no replication metrics")

print(f"1..{n}")
sys.exit(1 if failed else 0)
