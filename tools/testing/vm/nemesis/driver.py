#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The host's fault driver of a nemesis run (see README.md here).

    driver.py --results DIR --nodes N --seed S --seconds T
              [--faults kill,stop,partition,asym,netem,disk]
              [--election-ms MS] [--run-pid PID]

Waits until every VM of the run (tools/testing/vm/run --results DIR
nemesis) has its workload going, then injects one fault at a time for T
seconds, drawn from a random.Random(S) schedule; halfway through it
switches every node to lease reads. Then it heals everything, waits for
every node to run again and writes shared/nemesis/stop.

The sequence of draws (fault kind, whether it hits the leader or a
follower, which follower, how long, netem parameters) depends on the seed
only: the same seed replays the same schedule, with the leader resolved
when the fault starts. Timing under TCG is not reproducible.

How faults are made:
  kill       power-cut (SIGKILL of QEMU through the harness's host
             request "kill"), later "boot": the node recovers from its disk
  stop       SIGSTOP of the QEMU process for 2-4 election timeouts, SIGCONT
  partition  symmetric: a minority (the target, plus one more node with 5
             nodes) and the rest drop every packet to each other
             (blackhole routes on both sides)
  asym       one direction only: the target cannot send to the others, or
             the others cannot send to it
  netem      every node's eth0 delays (10-80 ms, jitter), loses (0-10 %)
             and reorders (0-30 %) packets
  disk       dm-delay (50-300 ms) under the target's whole raftblk disk
             (log and data area)
  diskerr    every write to the target's disk fails (dm-flakey
             error_writes) for the hold time; the node reports its disk
             failed and stops serving, so the disk is then healed and the
             node power-cut and booted again (what an administrator does)
Every action is a line of shared/nemesis/faults.log (JSON, host time in
ns) and a "# nemesis:" line on stdout.
"""
import argparse
import json
import os
import random
import sys
import time

KINDS = ["kill", "stop", "partition", "asym", "netem", "disk", "diskerr"]
WEIGHTS = {"kill": 3, "stop": 2, "partition": 3, "asym": 2, "netem": 2,
           "disk": 2, "diskerr": 1}


class Driver:
    def __init__(self, a):
        self.a = a
        self.sh = os.path.join(a.results, "shared")
        self.nm = os.path.join(self.sh, "nemesis")
        self.n = a.nodes
        self.boot = {k: 1 for k in self.nodes()}
        self.seq = 0
        self.flog = open(os.path.join(self.nm, "faults.log"), "a")
        self.t0 = time.time()

    def nodes(self):
        return range(1, self.a.nodes + 1)

    def say(self, msg):
        print("# nemesis: %6.1fs %s" % (time.time() - self.t0, msg),
              flush=True)

    def log(self, **kw):
        kw["t"] = time.time_ns()
        self.flog.write(json.dumps(kw, sort_keys=True) + "\n")
        self.flog.flush()

    def run_alive(self):
        if not self.a.run_pid:
            return True
        try:
            os.kill(self.a.run_pid, 0)
            return True
        except OSError:
            return False

    def sleep(self, s):
        end = time.time() + s
        while time.time() < end:
            if not self.run_alive():
                raise SystemExit("driver: the VM run ended")
            time.sleep(min(0.2, max(0, end - time.time())))

    def wait(self, secs, cond):
        end = time.time() + secs
        while time.time() < end:
            if cond():
                return True
            if not self.run_alive():
                raise SystemExit("driver: the VM run ended")
            time.sleep(0.2)
        return cond()

    def host(self, action, node):
        """A host request of the harness (kill, boot, sigstop, sigcont)."""
        req = os.path.join(self.sh, "host", "%s-node%d" % (action, node))
        done = req + ".done"
        if os.path.exists(done):
            os.unlink(done)
        open(req, "w").close()
        if not self.wait(60, lambda: os.path.exists(done)):
            self.say("host request %s node%d: no answer" % (action, node))
            return False
        with open(done) as f:
            ans = f.read().strip()
        if not ans.startswith("ok"):
            self.say("host request %s node%d: %s" % (action, node, ans))
        return ans.startswith("ok")

    def cmd(self, nodes, text, wait=15):
        """A command for the agents of NODES; waits for their answers."""
        pending = []
        for k in nodes:
            self.seq += 1
            p = os.path.join(self.nm, "cmd", "n%d.%06d" % (k, self.seq))
            with open(p + ".tmp", "w") as f:
                f.write(text + "\n")
            os.rename(p + ".tmp", p)
            pending.append((k, p + ".done"))
        self.wait(wait, lambda: all(os.path.exists(d) for _, d in pending))
        for k, d in pending:
            if not os.path.exists(d):
                self.say("node%d did not answer '%s'" % (k, text))
                continue
            with open(d) as f:
                ans = f.read().strip()
            if not ans.startswith("rc=0"):
                self.say("node%d: '%s': %s" % (k, text, ans))

    def running(self, k):
        return os.path.exists(os.path.join(
            self.sh, "kv", "running-n%d-b%d" % (k, self.boot[k])))

    def status(self, k):
        """Role and term the agent of node K published in the last 10 s."""
        p = os.path.join(self.nm, "status-n%d" % k)
        try:
            if time.time() - os.stat(p).st_mtime > 10:
                return None, 0
            with open(p) as f:
                v = f.read().split()
            return v[0], int(v[1])
        except (OSError, ValueError, IndexError):
            return None, 0

    def leader(self):
        best, term = None, -1
        for k in self.nodes():
            role, t = self.status(k)
            if role == "leader" and t > term:
                best, term = k, t
        return best

    def addr(self, k):
        return "10.0.0.%d" % k

    def fault(self, rng):
        # Every draw is made whatever the state, so that a seed gives the
        # same sequence of draws on every run.
        kind = rng.choices(self.kinds, [WEIGHTS[k] for k in self.kinds])[0]
        hit_leader = rng.random() < 0.6
        pick = rng.randrange(1 << 30)
        extra = rng.randrange(1 << 30)
        hold = rng.uniform(self.a.hold_min, self.a.hold_max)
        direction = rng.choice(["out", "in"])
        delay, loss, reorder = (rng.randrange(10, 81), rng.randrange(0, 11),
                                rng.randrange(0, 31))
        disk_ms = rng.randrange(50, 301)

        self.wait(15, lambda: self.leader() is not None)
        leader = self.leader()
        if hit_leader and leader:
            target = leader
        else:
            others = [k for k in self.nodes() if k != leader]
            target = others[pick % len(others)]
        on_leader = target == leader
        rec = dict(fault=kind, node=target, leader=leader or 0,
                   on_leader=on_leader, hold=round(hold, 2))
        if kind == "stop":
            hold = max(hold, 2 * self.a.election_ms / 1000.0) + \
                2 * self.a.election_ms / 1000.0 * (extra % 100) / 100.0
            rec["hold"] = round(hold, 2)
        if kind == "kill":
            self.log(phase="start", **rec)
            self.say("power-cut node%d%s for %.1fs" % (
                target, " (leader)" if on_leader else "", hold))
            self.host("kill", target)
            self.sleep(hold)
            self.host("boot", target)
            self.boot[target] += 1
            self.log(phase="end", **rec)
            if not self.wait(300, lambda: self.running(target)):
                self.say("node%d boot %d did not start its workload" %
                         (target, self.boot[target]))
            return
        if kind == "stop":
            self.log(phase="start", **rec)
            self.say("SIGSTOP node%d%s for %.1fs" % (
                target, " (leader)" if on_leader else "", hold))
            self.host("sigstop", target)
            self.sleep(hold)
            self.host("sigcont", target)
            self.log(phase="end", **rec)
            return
        if kind == "partition":
            side = {target}
            if self.n >= 5:
                rest = [k for k in self.nodes() if k != target]
                side.add(rest[extra % len(rest)])
            other = [k for k in self.nodes() if k not in side]
            rec["minority"] = sorted(side)
            rec["on_leader"] = leader in side if leader else False
            self.log(phase="start", **rec)
            self.say("partition %s | %s for %.1fs" % (
                sorted(side), other, hold))
            for k in side:
                self.cmd([k], "part " + " ".join(self.addr(o) for o in other))
            for k in other:
                self.cmd([k], "part " + " ".join(self.addr(s) for s in side))
            self.sleep(hold)
            self.cmd(list(self.nodes()), "heal-net")
            self.log(phase="end", **rec)
            return
        if kind == "asym":
            other = [k for k in self.nodes() if k != target]
            rec["direction"] = direction
            self.log(phase="start", **rec)
            if direction == "out":
                self.say("node%d%s cannot send to the others for %.1fs" % (
                    target, " (leader)" if on_leader else "", hold))
                self.cmd([target],
                         "part " + " ".join(self.addr(o) for o in other))
            else:
                self.say("node%d%s hears nobody for %.1fs" % (
                    target, " (leader)" if on_leader else "", hold))
                self.cmd(other, "part " + self.addr(target))
            self.sleep(hold)
            self.cmd(list(self.nodes()), "heal-net")
            self.log(phase="end", **rec)
            return
        if kind == "netem":
            args = "delay %dms %dms loss %d%% reorder %d%% 50%%" % (
                delay, delay // 2, loss, reorder)
            rec.update(node=0, on_leader=False, netem=args)
            self.log(phase="start", **rec)
            self.say("netem on every node: %s for %.1fs" % (args, hold))
            self.cmd(list(self.nodes()), "netem " + args)
            self.sleep(hold)
            self.cmd(list(self.nodes()), "heal-net")
            self.log(phase="end", **rec)
            return
        if kind == "diskerr":
            self.log(phase="start", **rec)
            self.say("writes to the disk of node%d%s fail for %.1fs, then "
                     "it is power-cut and booted" % (
                         target, " (leader)" if on_leader else "", hold))
            self.cmd([target], "disk-error", wait=60)
            self.sleep(hold)
            self.host("kill", target)
            self.host("boot", target)
            self.boot[target] += 1
            self.log(phase="end", **rec)
            if not self.wait(300, lambda: self.running(target)):
                self.say("node%d boot %d did not start its workload" %
                         (target, self.boot[target]))
            return
        if kind == "disk":
            rec["disk_ms"] = disk_ms
            self.log(phase="start", **rec)
            self.say("disk of node%d%s delayed %d ms for %.1fs" % (
                target, " (leader)" if on_leader else "", disk_ms, hold))
            self.cmd([target], "disk-delay %d" % disk_ms, wait=60)
            self.sleep(hold)
            self.cmd([target], "disk-heal", wait=60)
            self.log(phase="end", **rec)
            return

    def read_mode(self, mode):
        with open(os.path.join(self.nm, "read-mode.tmp"), "w") as f:
            f.write(mode + "\n")
        os.rename(os.path.join(self.nm, "read-mode.tmp"),
                  os.path.join(self.nm, "read-mode"))
        self.log(fault="read-mode", mode=mode)
        self.say("read mode %s on every node" % mode)
        self.cmd(list(self.nodes()), "read-mode " + mode)

    def main(self):
        a = self.a
        self.kinds = [k for k in a.faults.split(",") if k]
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or not self.kinds:
            print("driver: unknown fault kinds %s (known: %s)" %
                  (bad, ",".join(KINDS)), file=sys.stderr)
            return 2
        self.say("seed %d, %d nodes, %ds of faults: %s" % (
            a.seed, self.n, a.seconds, ",".join(self.kinds)))
        if not self.wait(900, lambda: all(self.running(k)
                                          for k in self.nodes())):
            self.say("the workload did not start on every node")
            return 1
        self.t0 = time.time()
        self.log(fault="begin", seed=a.seed)
        rng = random.Random(a.seed)
        end = time.time() + a.seconds
        switched = False
        nfaults = 0
        while time.time() < end:
            self.sleep(rng.uniform(a.gap_min, a.gap_max))
            if not switched and time.time() > end - a.seconds / 2:
                self.read_mode("lease")
                switched = True
            if time.time() >= end:
                break
            self.fault(rng)
            nfaults += 1
        if not switched:
            self.read_mode("lease")
        self.say("%d faults injected; healing" % nfaults)
        self.cmd(list(self.nodes()), "heal-net")
        self.cmd(list(self.nodes()), "disk-heal", wait=60)
        self.log(fault="healed")
        # Let the cluster serve for a while without faults.
        self.sleep(a.settle)
        with open(os.path.join(self.nm, "stop"), "w") as f:
            f.write("stop\n")
        self.log(fault="stop")
        self.say("stop written")
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", required=True)
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--seconds", type=int, required=True)
    p.add_argument("--faults", default=",".join(KINDS))
    p.add_argument("--election-ms", type=int, default=1000)
    p.add_argument("--hold-min", type=float, default=3)
    p.add_argument("--hold-max", type=float, default=8)
    p.add_argument("--gap-min", type=float, default=2)
    p.add_argument("--gap-max", type=float, default=6)
    p.add_argument("--settle", type=float, default=5)
    p.add_argument("--run-pid", type=int, default=0)
    return Driver(p.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
