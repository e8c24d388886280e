#!/usr/bin/env python3
"""The coordinator's dashboard in a real browser (ctest browser_dashboard): a real coordinator and
four agency daemons on 127.0.0.1 route referrals carrying households' personal data, so cases
exist; then Debian's Chromium, driven by playwright-core (dashboard.js), is refused without a
login, logs in, finds the live case in ケース一覧, filters, opens it, records a case event, is
refused a form without its CSRF token, switches to English and back, downloads the report CSV
and checks its bytes against /v1/stats, logs out, and is locked out after repeated wrong
passwords; a viewer sees no event form.  A screenshot of each page at 1366x768 goes to
TSUNAGU_BROWSER_ARTIFACTS (the build folder's artifacts/browser).

playwright-core comes from tests/browser/node_modules (scripts/lib/deps.sh runs npm ci there);
when that is missing, `npm ci` installs it into TSUNAGU_BROWSER_NPM_DIR (in the build folder)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
BROWSER_DEADLINE = 150  # seconds for the whole browser session (dashboard.js keeps 120)
NPM_DEADLINE = 180
CHROMIUM = os.environ.get("TSUNAGU_CHROMIUM", "/usr/bin/chromium")

STAFF = ("aoki", "coordinator", "aoki-browser-pass-1")
VIEWER = ("mori", "viewer", "mori-browser-pass-2")
LOCKED = ("ueda", "coordinator", "ueda-browser-pass-3")


def locked_version():
    with open(os.path.join(HERE, "package-lock.json"), encoding="utf-8") as f:
        return json.load(f)["packages"]["node_modules/playwright-core"]["version"]


def installed_version(folder):
    try:
        with open(os.path.join(folder, "node_modules", "playwright-core", "package.json"),
                  encoding="utf-8") as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def playwright_dir():
    """The folder whose node_modules holds the pinned playwright-core: tests/browser when
    scripts/lib/deps.sh installed it there, else the build folder's, installed now."""
    want = locked_version()
    if installed_version(HERE) == want:
        return HERE
    folder = os.environ.get("TSUNAGU_BROWSER_NPM_DIR")
    check(folder, "playwright-core %s is not in %s/node_modules (run scripts/lib/deps.sh's "
          "tsunagu_install_deps) and TSUNAGU_BROWSER_NPM_DIR is not set" % (want, HERE))
    if installed_version(folder) == want:
        return folder
    npm = shutil.which("npm")
    check(npm, "npm is not installed (scripts/lib/deps.sh installs it)")
    os.makedirs(folder, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(folder, name))
    print("     npm ci in %s" % folder, flush=True)
    r = harness.run([npm, "ci", "--prefix", folder, "--no-audit", "--no-fund",
                     "--loglevel=error"], timeout=NPM_DEADLINE)
    check(r.returncode == 0 and installed_version(folder) == want,
          "npm ci of playwright-core %s in %s failed (%d):\n%s\n%s" % (
              want, folder, r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return folder


def add_user(cluster, name, role, password):
    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add",
                     "--name", name, "--role", role, "--password-stdin"],
                    input=password + "\n", env=cluster.env)
    check(r.returncode == 0, "tsunaguctl user add --name %s exited %d: %s%s" % (
        name, r.returncode, r.stdout, r.stderr))


def send(sender, recipient, h, case_id=None, ref=None):
    """sender refers household h (its whole sheet: names, address, birth dates, phone, free
    text) to recipient under a consent granted first; waits until delivered.  The answer."""
    sheet = harness.sheet_for_sender(h, sender.type, {"referral_note": "%sへの相談のお願い（%s）" % (
        recipient.name, h["summary"][:20])})
    req = harness.consented_request(sender, h, to_agency=recipient.id, sheet=sheet,
                                    client_ref=ref, case_id=case_id)
    r = sender.post("/v1/referrals", req)
    check(r.status == 202, "POST /v1/referrals %s %s → %s: %r" % (h["id"], sender.id,
                                                                   recipient.id, r))
    harness.wait_delivered(sender, r.json["referral_id"], WAIT, alive=sender.cluster.alive)
    return r.json


def traffic(cluster, agencies, households):
    """Live referrals between the daemons: H001 eldercare → poverty and then → disability on the
    same case (three agencies: a 会議候補), H002 child → disability, H003 child → eldercare,
    H007 poverty → child, and a hand-over (担当交代) by eldercare on H003's case.  Returns
    {household id: case id}, waited until the coordinator knows every case with all its
    referrals and the hand-over."""
    by_id = {h["id"]: h for h in households}
    elder, dis, child, pov = (agencies[t] for t in ("eldercare", "disability", "child",
                                                     "poverty"))
    cases = {}
    first = send(elder, pov, by_id["H001"], ref="browser-H001-pov")
    cases["H001"] = first["case_id"]
    send(elder, dis, by_id["H001"], case_id=first["case_id"], ref="browser-H001-dis")
    for hid, sender, recipient in (("H002", child, dis), ("H003", child, elder),
                                   ("H007", pov, child)):
        cases[hid] = send(sender, recipient, by_id[hid], ref="browser-" + hid)["case_id"]
    harness.wait_json(lambda: cluster.coordinator_case(cases["H001"]),
                      lambda c: len(c.get("agencies") or []) == 3
                      and len(c.get("referrals") or []) == 2, WAIT,
                      "the coordinator's case of H001 with three agencies and two referrals",
                      alive=cluster.alive)
    for hid, case_id in cases.items():
        harness.wait_json(lambda case_id=case_id: cluster.coordinator_case(case_id),
                          lambda c: len(c.get("referrals") or []) >= 1, WAIT,
                          "the coordinator knows the case of %s" % hid, alive=cluster.alive)
    # 担当交代: eldercare's staff on H003's case changes (codes and a day, no note): the one
    # case the 担当交代あり filter finds.
    copy = harness.wait_json(lambda: elder.case(cases["H003"]),
                             lambda c: (c.get("version") or 0) > 0, WAIT,
                             "eldercare's copy of H003's case", alive=cluster.alive)
    r = elder.case_event(cases["H003"], {
        "type": "handover", "base_version": copy["version"],
        "handover": {"staff_code": "S-0123", "previous_staff_code": "S-0042",
                     "effective_on": harness.today_jst_plus(0)}})
    check(r.status == 202, "eldercare's hand-over on H003's case: %r" % r)
    harness.wait_json(lambda: cluster.coordinator_case(cases["H003"]),
                      lambda c: c.get("handed_over") is True, WAIT,
                      "the coordinator applies the hand-over", alive=cluster.alive)
    return cases


def stop_pid_group(pid):
    """Stops what is left of a process started for the browser (by its pid and group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def run_browser(cluster, results, config, folder):
    """Runs dashboard.js on config; relays its "ok"/"FAIL"/"note" lines into results."""
    config_path = os.path.join(cluster.root, "browser.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    node = shutil.which("node")
    check(node, "node is not installed (scripts/lib/deps.sh installs nodejs)")
    env = dict(os.environ, TSUNAGU_PLAYWRIGHT_DIR=folder)
    log_path = os.path.join(cluster.logs, "browser.log")
    proc = subprocess.Popen([node, os.path.join(HERE, "dashboard.js"), config_path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + BROWSER_DEADLINE
    pending = None  # a FAIL line waiting for its reason lines
    try:
        with open(log_path, "wb") as log:
            os.set_blocking(proc.stdout.fileno(), True)
            import selectors
            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            buf = b""
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("the browser session did not finish within %d s (log %s)" % (
                        BROWSER_DEADLINE, log_path))
                if not sel.select(timeout=min(left, 1.0)):
                    cluster.alive()
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                log.write(chunk)
                log.flush()
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode("utf-8", "replace")
                    if text.startswith("     ") and pending is not None:
                        pending[1].append(text.strip())
                        continue
                    if pending is not None:
                        results.bad(pending[0], "\n".join(pending[1]))
                        pending = None
                    if text.startswith("ok   "):
                        results.ok("browser: " + text[5:])
                    elif text.startswith("FAIL "):
                        pending = ("browser: " + text[5:], [])
                    else:
                        print("     " + text if text else "", flush=True)
            if pending is not None:
                results.bad(pending[0], "\n".join(pending[1]))
            rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            stop_pid_group(proc.pid)
            proc.wait(timeout=10)
        pid_file = config["pid_file"]
        if os.path.exists(pid_file):  # Chromium runs in a group of its own: stop it by pid
            with open(pid_file, encoding="utf-8") as f:
                text = f.read().strip()
            if text.isdigit():
                stop_pid_group(int(text))
    check(rc == 0, "dashboard.js exited %s (log %s)" % (rc, log_path))


def body(cluster, results, args):
    folder = playwright_dir()
    results.ok("playwright-core %s is installed (%s)" % (locked_version(), folder))
    check(os.access(CHROMIUM, os.X_OK), "%s is not installed (scripts/lib/deps.sh installs "
          "Debian's chromium)" % CHROMIUM)
    artifacts = os.environ.get("TSUNAGU_BROWSER_ARTIFACTS") or os.path.join(cluster.root,
                                                                            "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    for name in os.listdir(artifacts):
        if name.endswith(".png"):
            os.remove(os.path.join(artifacts, name))

    households = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    for name, role, password in (STAFF, VIEWER, LOCKED):
        add_user(cluster, name, role, password)
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    cases = traffic(cluster, agencies, households)
    results.ok("live referrals between the agency daemons made %d cases" % len(cases))

    config = {
        "base": "http://127.0.0.1:%d" % cluster.http_port,
        "token": cluster.coordinator_token(),
        "chromium": CHROMIUM,
        "artifacts": artifacts,
        "pid_file": os.path.join(cluster.root, "chromium.pid"),
        "deadline_s": BROWSER_DEADLINE - 30,
        "staff": {"name": STAFF[0], "password": STAFF[2]},
        "viewer": {"name": VIEWER[0], "password": VIEWER[2]},
        "locked": {"name": LOCKED[0], "password": LOCKED[2]},
        "case": cases["H001"],
        "cases": cases,
        "agencies": {t: a.id for t, a in agencies.items()},
    }
    run_browser(cluster, results, config, folder)

    def audited():
        records = []
        with open(cluster.audit_path(), "rb") as f:
            for line in f.read().split(b"\n"):
                if line:
                    records.append(json.loads(line.split(b" ", 4)[4]))

        def has(event, **details):
            return any(r.get("event") == event and all(
                (r.get("details") or {}).get(k) == v for k, v in details.items())
                for r in records)

        for event, details in (("staff-login", {"user": STAFF[0], "via": "dashboard"}),
                               ("staff", {"user": STAFF[0], "change": "case-event",
                                          "case_id": cases["H001"], "outcome": "applied"}),
                               ("staff-login", {"user": VIEWER[0]}),
                               ("staff-logout", {"user": STAFF[0]}),
                               ("staff-login-failed", {"user": LOCKED[0]}),
                               ("staff-locked", {"user": LOCKED[0]})):
            check(has(event, **details), "no %s record with %r in the audit log" % (event,
                                                                                  details))
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s%s" % (r.stdout, r.stderr))

    results.check("the audit log names the staff member for the login, the case event recorded "
                  "from the page, the logout, and the failures and lock of the locked name; "
                  "audit verify passes", audited)
    shots = sorted(n for n in os.listdir(artifacts) if n.endswith(".png"))
    results.expect("screenshots saved in %s: %s" % (artifacts, ", ".join(shots)),
                   {"login.png", "overview.png", "cases.png", "case.png", "agencies.png",
                    "reports.png", "overview-en.png"} <= set(shots), "only %r" % shots)


if __name__ == "__main__":
    harness.main("browser_dashboard", __doc__, body)
