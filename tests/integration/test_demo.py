#!/usr/bin/env python3
"""scripts/demo --no-wait sets up, runs and stops a whole demo on its own data dir and ports,
says it is ready, and leaves no daemon behind.  It prints the dashboard's URL and a demo login;
run again on the same data dir and left running, the dashboard takes that login (the login
form's CSRF cookie and field, then the session cookie) and ケース一覧 lists the demo's cases,
the same as the coordinator's /v1/cases; SIGTERM (as Ctrl-C) stops it all, exit status 0."""

import html
import http.client
import os
import re
import urllib.parse
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

    login = re.search(r"^  login: (\S+)   password: (\S+) ", output, re.M)
    url = re.search(r"^  (http://127\.0\.0\.1:(\d+)/)$", output, re.M)
    results.expect("it prints the dashboard's URL and a demo login", login and url and
                   int(url.group(2)) == base + 80, "not in the output:\n" + output[-1500:])
    if not (login and url):
        return

    # --- again on the same data dir, left running: the dashboard shows the demo's cases -----
    log2 = os.path.join(cluster.logs, "demo-running.log")
    argv2 = [a for a in argv if a != "--no-wait"]
    print("     running %s (log %s)" % (" ".join(argv2), log2), flush=True)
    with open(log2, "wb") as log:
        proc = subprocess.Popen(argv2, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=harness.REPO_ROOT,
                                start_new_session=True)
    try:
        def running_output():
            with open(log2, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if proc.poll() is not None:
                fail("scripts/demo exited %s before it was ready:\n%s" % (
                    proc.returncode, harness.tail(log2, 40)))
            return text if "Press Ctrl-C to stop." in text else None

        text = harness.wait_for(running_output, DEMO_DEADLINE, "the demo to be ready again",
                                interval=0.2)

        def dashboard_shows_cases():
            m = re.search(r"^  login: (\S+)   password: (\S+) ", text, re.M)
            check(m, "the second run printed no login:\n" + text[-1500:])
            user, password = m.group(1), m.group(2)
            check(m.group(2) != login.group(2), "the second run printed the same password")
            port = int(url.group(2))
            cookies = {}

            def get(method, path, body=None):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    headers = {"Cookie": "; ".join("%s=%s" % kv for kv in cookies.items())}
                    if body is not None:
                        headers["Content-Type"] = "application/x-www-form-urlencoded"
                    conn.request(method, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    for name, value in resp.getheaders():
                        if name.lower() == "set-cookie":
                            k, _, v = value.split(";", 1)[0].partition("=")
                            cookies[k] = v
                    return resp.status, resp.getheader("Location"), resp.read()
                finally:
                    conn.close()

            status, _, page = get("GET", "/login")
            csrf = re.search(rb'name="csrf" value="([^"]+)"', page)
            check(status == 200 and csrf, "GET /login: %d" % status)
            form = urllib.parse.urlencode({"csrf": html.unescape(csrf.group(1).decode()),
                                           "name": user, "password": password})
            status, location, _ = get("POST", "/login", form)
            check(status == 303 and location == "/", "the demo login answered %d (to %r)" % (
                status, location))
            status, _, page = get("GET", "/cases")
            rows = sorted(set(re.findall(rb'<tr data-case-id="([0-9a-f-]{36})"', page)))
            check(status == 200 and rows, "/cases as %s: %d, rows %r" % (user, status, rows))
            with open(os.path.join(data, "coordinator", "http.token"), encoding="utf-8") as f:
                token = f.read().strip()
            r = harness.http_request(port, "GET", "/v1/cases", token=token)
            ids = sorted(c["case_id"].encode() for c in r.json["cases"])
            check(rows == ids, "ケース一覧 lists %r, /v1/cases %r" % (rows, ids))
            print("     %s sees %d cases in ケース一覧" % (user, len(rows)))

        results.check("left running, the demo's dashboard takes the printed login and lists "
                      "the demo's cases", dashboard_shows_cases)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the demo's own group, by its pid
        try:
            rc2 = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            rc2 = proc.wait()
    results.expect("SIGTERM stops the running demo, exit status 0", rc2 == 0,
                   "exit status %s; last output:\n%s" % (rc2, harness.tail(log2, 20)))
    results.check("no daemon left running after the running demo stopped", nothing_left)


if __name__ == "__main__":
    harness.main("demo", __doc__, body)
