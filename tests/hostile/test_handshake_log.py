#!/usr/bin/env python3
"""Refused CURVE handshakes cannot flood the coordinator's log: 150 clients with fresh,
unregistered keys from one address and 30 from another each get refused, yet the log holds one
line per address while it goes on and one summary per address with the count when the
coordinator stops; honest agencies stay admitted throughout."""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

ATTEMPTS = {"127.0.0.1": 150, "127.0.0.5": 30}
HANDFUL = 4  # refusal lines allowed while the attempts go on (one per address expected)

REFUSED = re.compile(r"zap: refused")
FIRST = re.compile(r"zap: refused CURVE client \S+ from (\S+): not an active agency")
SUMMARY = re.compile(r"zap: refused (\d+) more clients from (\S+) in the last (\d+) s")


def this_run(log_path):
    """The coordinator log lines since its latest start."""
    text = harness.tail(log_path, 100000).splitlines()
    starts = [i for i, line in enumerate(text) if "===== harness: start #" in line]
    return text[starts[-1]:] if starts else text


def body(cluster, results, args):
    rogue_exe = cluster.exe("tsunagu-rogue-client")
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    cluster.start_all()
    cluster.wait_ready()
    server_key = cluster.coordinator_box_public()

    def attempts():
        for source, count in ATTEMPTS.items():
            # libzmq's "source;destination" form picks the client's address.
            endpoint = cluster.endpoint if source == "127.0.0.1" else "tcp://%s:0;127.0.0.1:%d" % (
                source, cluster.zmq_port)
            for i in range(count):
                r = harness.run([rogue_exe, "--fresh", "--endpoint", endpoint, "--server-key",
                                 server_key, "--timeout", "10"], timeout=30)
                out = r.stdout + r.stderr
                check(r.returncode == 0 and "refused: authentication failed" in out,
                      "fresh client %d from %s: exit %d (0 refused, 3 admitted):\n%s" % (
                          i + 1, source, r.returncode, out))
            cluster.alive()

    results.check("%d handshakes with fresh keys from two addresses are all refused" %
                  sum(ATTEMPTS.values()), attempts)

    def few_lines():
        lines = [line for line in this_run(cluster.coordinator.log_path) if REFUSED.search(line)]
        print("     %d \"zap: refused\" lines for %d refusals" % (len(lines),
                                                                sum(ATTEMPTS.values())))
        check(len(lines) <= HANDFUL, "%d lines (at most %d expected):\n%s" % (
            len(lines), HANDFUL, "\n".join(lines[:20])))
        firsts = {m.group(1) for m in (FIRST.search(line) for line in lines) if m}
        check(firsts == set(ATTEMPTS), "the first refusal from each address is not logged in "
              "full with its key and address: %r\n%s" % (sorted(firsts), "\n".join(lines)))

    results.check("while they go on, the log holds at most %d refusal lines, the first from "
                  "each address in full" % HANDFUL, few_lines)

    def honest_admitted():
        h = eld.healthz()
        check(h and h.get("coordinator") == "connected", "eldercare /healthz: %r" % h)

    results.check("the honest agency stays connected", honest_admitted)

    def counted_at_stop():
        rc = cluster.coordinator.stop()
        check(rc == 0, "the coordinator exited %r on SIGTERM" % rc)
        lines = [line for line in this_run(cluster.coordinator.log_path) if REFUSED.search(line)]
        counted = {source: 0 for source in ATTEMPTS}
        for line in lines:
            m = FIRST.search(line)
            if m and m.group(1) in counted:
                counted[m.group(1)] += 1
            m = SUMMARY.search(line)
            if m and m.group(2) in counted:
                counted[m.group(2)] += int(m.group(1))
        print("     refusals the log accounts for: %r in %d lines" % (counted, len(lines)))
        check(len(lines) <= 2 * len(ATTEMPTS), "%d refusal lines in all:\n%s" % (
            len(lines), "\n".join(lines[:20])))
        for source, count in ATTEMPTS.items():
            # A client may be refused twice if libzmq reconnects before it exits.
            check(count <= counted[source] <= 2 * count, "the log accounts for %d refusals "
                  "from %s, %d were made:\n%s" % (counted[source], source, count,
                                                  "\n".join(lines)))

    results.check("at shutdown one summary line per address counts the rest", counted_at_stop)


if __name__ == "__main__":
    harness.main("handshake_log", __doc__, body)
