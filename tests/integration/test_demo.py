#!/usr/bin/env python3
"""scripts/demo --no-wait sets up, runs and stops a whole demo on its own data dir and ports,
says it is ready, and leaves no daemon behind."""

import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

DEMO_DEADLINE = 300
PORTS = 100  # the demo uses base, base+80 and base+81..base+84; keep the whole span clear


def processes_using(path):
    """{pid: cmdline} of processes whose command line or working dir mentions path."""
    found = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % entry)
        except OSError:
            cwd = ""
        if path in cmd or cwd == path or cwd.startswith(path + os.sep):
            found[int(entry)] = cmd or "(cwd %s)" % cwd
    return found


def listening(port):
    """True when something accepts connections on 127.0.0.1:port.  (A port merely in TIME_WAIT
    after the demo closed its connections cannot be bound without SO_REUSEADDR, but nothing
    listens there.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def body(cluster, results, args):
    demo = os.path.join(harness.REPO_ROOT, "scripts", "demo")
    check(os.access(demo, os.X_OK), "%s does not exist or is not executable" % demo)
    data = os.path.join(cluster.root, "demo-data")
    base = harness.free_port_block(PORTS)
    log_path = os.path.join(cluster.logs, "demo.log")
    argv = [demo, "--no-wait", "--data", data, "--base-port", str(base)]
    # The demo runs the executables under test (the build ctest was given, e.g. a sanitizer
    # build) unless TSUNAGU_DEMO_BUILD=1 asks it to build the tree itself, as a first run does.
    if os.environ.get("TSUNAGU_DEMO_BUILD") != "1":
        argv += ["--bin", os.path.abspath(args.bin)]
    print("     running %s (log %s)" % (" ".join(argv), log_path), flush=True)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=harness.REPO_ROOT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=DEMO_DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            rc = "timeout"
    elapsed = time.monotonic() - started
    with open(log_path, "rb") as f:
        output = f.read().decode("utf-8", "replace")

    def exit_zero():
        check(rc == 0, "scripts/demo %s after %.0f s; last output:\n%s" % (
            "did not finish within %d s" % DEMO_DEADLINE if rc == "timeout" else "exited %s" % rc,
            elapsed, harness.tail(log_path, 40)))

    results.check("scripts/demo --no-wait exits 0 within %d s (took %.0f s)" % (
        DEMO_DEADLINE, elapsed), exit_zero)
    results.expect("its output says \"tsunagu demo ready\"", "tsunagu demo ready" in output,
                   "not in the output; last lines:\n" + harness.tail(log_path, 40))
    results.expect("it used the data dir it was given", os.path.isdir(data),
                   "%s was not created" % data)

    def nothing_left():
        state = {}

        def gone():
            state["procs"] = processes_using(data)
            state["ports"] = [p for p in range(base, base + PORTS) if listening(p)]
            return not state["procs"] and not state["ports"]

        try:
            harness.wait_for(gone, 10, "the demo's daemons to be gone", interval=0.2)
        except harness.TestFailure:
            leftovers = state.get("procs", {})
            for pid in leftovers:  # started (indirectly) by this test: stop them by pid
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            fail("left running after the demo exited: %s; ports still listening: %s" % (
                ["%d: %s" % kv for kv in leftovers.items()], state.get("ports")))

    results.check("no daemon left running and no demo port listening afterwards", nothing_left)


if __name__ == "__main__":
    harness.main("demo", __doc__, body)
