"""Shared machinery for the end-to-end tests: a throw-away cluster of real daemons on 127.0.0.1.

Every wait is a poll loop with a deadline; every process started here runs in its own process
group and is stopped (SIGTERM, then SIGKILL) whatever happens.  Python 3 standard library only.
"""

import argparse
import base64
import datetime
import hashlib
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

AGENCY_TYPES = ("eldercare", "disability", "child", "poverty")

# Built-in response due days per agency type (the agency contract).
DUE_DAYS = {"eldercare": 7, "disability": 14, "child": 3, "poverty": 7}

# Agency names for the synthetic municipality つなぐ市 (no person's name in them).
AGENCY_NAMES = {
    "eldercare": "つなぐ市中央地域包括支援センター",
    "disability": "つなぐ市基幹相談支援センター",
    "child": "つなぐ市こども家庭センター",
    "poverty": "つなぐ市自立相談支援機関",
}

JST = datetime.timezone(datetime.timedelta(hours=9))

# The personal-data categories a letter may declare (header data_categories).
DATA_CATEGORIES = ("identity", "health", "disability", "finances", "family", "children",
                   "free-text")

# The intake fields each agency type requires in the sheets it sends (the agency policy table),
# with a synthetic value that satisfies them.
INTAKE_FIELDS = {
    "eldercare": ["sheet.eldercare.care_insurance"],
    "disability": ["sheet.disability.certificate"],
    "child": ["sheet.child.age", "sheet.child.school"],  # school or nursery
    "poverty": ["sheet.poverty.income_band"],
}
INTAKE_SAMPLE = {
    "eldercare": {"care_insurance": "要介護1"},
    "disability": {"certificate": "精神障害者保健福祉手帳2級"},
    "child": {"age": 10, "school": "つなぐ市立南小学校"},
    "poverty": {"income_band": "月10万円未満"},
}

# Each agency type's statutory meeting (the meeting kind's JSON name in case events).
STATUTORY_MEETING = {"eldercare": "chiiki-care", "disability": "kyogikai", "child": "yotaikyo",
                     "poverty": "konkyu"}

# The agency types that may send an emergency (abuse) report.
EMERGENCY_TYPES = ("eldercare", "disability", "child")

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class TestFailure(AssertionError):
    """A check failed; the message says what a user would notice."""


class DaemonDied(TestFailure):
    """A daemon that should be running has exited."""


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin", required=True, help="folder holding the built executables")
    parser.add_argument("--data", required=True, help="tests/integration/data")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir even on success")
    parser.add_argument("--quiet", action="store_true", help="start daemons without -v")
    return parser.parse_args()


def load_households(data_dir):
    with open(os.path.join(data_dir, "households.json"), encoding="utf-8") as f:
        return json.load(f)["households"]


def today_jst_plus(days, when=None):
    when = when or datetime.datetime.now(tz=JST)
    return (when.astimezone(JST).date() + datetime.timedelta(days=days)).isoformat()


def response_due_days(agency_type, urgency="normal", days=None):
    """Days to accept or reject a referral to an agency of agency_type (or one registered with
    --due-days days): high urgency halves them (rounded up, at least 1), emergency makes them 1."""
    days = days or DUE_DAYS[agency_type]
    if urgency == "high":
        return max(1, (days + 1) // 2)
    if urgency == "emergency":
        return 1
    return days


def receive_due_days(urgency="normal"):
    """Days to acknowledge (received): 1, or the same day for an emergency."""
    return 0 if urgency == "emergency" else 1


def expected_due_dates(days, before, after):
    """The due dates a referral created between before and after may carry (midnight JST)."""
    return {today_jst_plus(days, before), today_jst_plus(days, after)}


_handed_out = set()


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now (bind to port 0, then release)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port")


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count):
    """A base port P such that P..P+count-1 are all free right now."""
    import random

    rng = random.Random(os.getpid() ^ int(time.time()))
    for _ in range(200):
        base = rng.randrange(20000, 60000 - count)
        if all(port_is_free(base + i) for i in range(count)):
            for i in range(count):
                _handed_out.add(base + i)
            return base
    raise RuntimeError("no block of %d free ports" % count)


def wait_for(predicate, timeout, what, interval=0.1, alive=None):
    """Polls predicate() until it returns a truthy value, which is returned.

    Raises TestFailure naming what and the last value seen when timeout seconds pass.
    alive, when given, is called at every round and may raise (e.g. DaemonDied)."""
    deadline = time.monotonic() + timeout
    last = None
    last_error = None
    while True:
        if alive:
            alive()
        try:
            last = predicate()
            last_error = None
        except (OSError, http.client.HTTPException, ValueError) as e:
            last, last_error = None, e
        if last:
            return last
        if time.monotonic() >= deadline:
            detail = ("last error: %r" % (last_error,) if last_error
                      else "last value: %r" % (last,))
            raise TestFailure("timed out after %.0f s waiting for %s (%s)" % (
                timeout, what, detail))
        time.sleep(interval)


def tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def run(argv, timeout=30, env=None, input=None):
    """Runs a short command; returns CompletedProcess with text stdout/stderr.  Never hangs."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(input=input.encode() if input is not None else None,
                                    timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise TestFailure("%s did not finish within %d s\nstdout: %s\nstderr: %s" % (
            " ".join(argv), timeout, out.decode("utf-8", "replace")[-2000:],
            err.decode("utf-8", "replace")[-2000:]))
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def _killpg(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        pass


class Daemon:
    """One long-running process in its own process group, logging to a file."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.proc = None
        self.starts = 0
        self.expected_exit = False

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, self.name + " already running"
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(("\n===== harness: start #%d of %s: %s =====\n" % (
            self.starts, self.name, " ".join(self.argv))).encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         start_new_session=True)
        except OSError as e:
            raise TestFailure("cannot start %s: %s" % (self.argv[0], e))
        finally:
            log.close()
        self.expected_exit = False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def note(self, text):
        with open(self.log_path, "ab") as log:
            log.write(("===== harness: %s =====\n" % text).encode())

    def stop(self, timeout=15):
        """SIGTERM, wait up to timeout, then SIGKILL.  Returns the exit status
        (negative: killed by that signal) or None if it was not running."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.expected_exit = True
        self.note("SIGTERM")
        _killpg(self.proc.pid, signal.SIGTERM)
        _killpg(self.proc.pid, signal.SIGCONT)  # in case a test froze it
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.note("still running %d s after SIGTERM: SIGKILL" % timeout)
            _killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            return "hung"
        return self.proc.returncode

    def freeze(self):
        """SIGSTOP: the process keeps its sockets but handles nothing until thaw()."""
        self.note("SIGSTOP")
        _killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self):
        self.note("SIGCONT")
        _killpg(self.proc.pid, signal.SIGCONT)

    def kill9(self):
        """SIGKILL the whole process group and reap it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.expected_exit = True
        self.note("SIGKILL")
        _killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class HttpResult:
    def __init__(self, status, body, headers):
        self.status = status
        self.raw = body
        self.headers = headers
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text.strip() else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "HTTP %d %s" % (self.status, self.text[:400])


def http_request(port, method, path, body=None, token=None, content_type="application/json",
                 timeout=15, headers=None):
    """One HTTP request to 127.0.0.1:port.  body may be a dict/list (sent as JSON), str or bytes.
    Connection errors raise OSError / http.client exceptions."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = body
            if content_type:
                hdrs["Content-Type"] = content_type
        if token:
            hdrs["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return HttpResult(resp.status, resp.read(), dict(resp.getheaders()))
    finally:
        conn.close()


class Agency:
    def __init__(self, cluster, agency_id, agency_type, name, http_port, bundle):
        self.cluster = cluster
        self.id = agency_id
        self.type = agency_type
        self.name = name
        self.http_port = http_port
        self.bundle = bundle
        self.token = None
        self.daemon = None

    @property
    def conf(self):
        return os.path.join(self.bundle, "agency.conf")

    @property
    def key_file(self):
        return os.path.join(self.bundle, "keys", "agency.key")

    def read_token(self):
        with open(os.path.join(self.bundle, "http.token"), encoding="utf-8") as f:
            self.token = f.read().strip()
        return self.token

    def http(self, method, path, body=None, token=True, **kw):
        tok = self.token if token is True else token
        return http_request(self.http_port, method, path, body=body, token=tok or None, **kw)

    def get(self, path, **kw):
        return self.http("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.http("POST", path, body=body, **kw)

    def healthz(self):
        r = http_request(self.http_port, "GET", "/healthz", timeout=5)
        return r.json if r.status == 200 and isinstance(r.json, dict) else None

    def inbox(self, page=500):
        """Every inbox item, following next_cursor until an empty page; checks cursor order."""
        items = []
        after = 0
        for _ in range(100000):
            r = self.get("/v1/inbox?after=%d&limit=%d" % (after, page))
            check(r.status == 200 and isinstance(r.json, dict) and "items" in r.json,
                  "%s GET /v1/inbox?after=%d: %r" % (self.id, after, r))
            batch = r.json["items"]
            if not batch:
                return items
            for item in batch:
                check(isinstance(item.get("cursor"), int) and item["cursor"] > after,
                      "%s inbox cursor %r not above %d" % (self.id, item.get("cursor"), after))
                after = item["cursor"]
            nxt = r.json.get("next_cursor")
            check(nxt == after, "%s inbox next_cursor %r != last cursor %d" % (self.id, nxt, after))
            items.extend(batch)
        fail("inbox pagination of %s never ended" % self.id)

    def public_key_z85(self, field="box-public"):
        return read_key_field(self.key_file, field)

    # --- closed-loop referrals and cases ---------------------------------------------------

    def referral(self, referral_id):
        """GET /v1/referrals/{id} as JSON (either role), or None when not 200."""
        r = self.get("/v1/referrals/" + referral_id)
        return r.json if r.status == 200 and isinstance(r.json, dict) else None

    def set_status(self, referral_id, status, reason=None, outcome=None, note=None,
                   base_version=None):
        """POST /v1/referrals/{id}/status; returns the HttpResult."""
        req = {"status": status}
        for key, value in (("reason", reason), ("outcome", outcome), ("note", note),
                           ("base_version", base_version)):
            if value is not None:
                req[key] = value
        return self.post("/v1/referrals/%s/status" % referral_id, req)

    def case(self, case_id):
        """GET /v1/cases/{id} (this agency's copy) as JSON, or None when not 200."""
        r = self.get("/v1/cases/" + case_id)
        return r.json if r.status == 200 and isinstance(r.json, dict) else None

    def case_event(self, case_id, event):
        """POST /v1/cases/{id}/events; returns the HttpResult."""
        return self.post("/v1/cases/%s/events" % case_id, event)

    def wait_outbox_empty(self, timeout=30):
        """Waits until /healthz shows nothing pending in the outbox (every letter stored at
        the coordinator or finally refused)."""
        return wait_for(lambda: (self.healthz() or {}).get("outbox_pending") == 0, timeout,
                        "%s's outbox to empty" % self.id, alive=self.cluster.alive)

    # --- consents ---------------------------------------------------------------------------

    def grant_consent(self, case_id, cover_agencies=(), cover_types=(),
                      categories=("identity",), subject="S-0001", purpose="referral",
                      method="written", valid_from=None, valid_until=None, form=None,
                      note=None, obtained_by=None, with_form=True):
        """POST /v1/consents; returns the HttpResult.  valid_from defaults to today (JST),
        valid_until to 180 days on; the signed form (synthetic bytes) travels as its SHA-256
        and, with with_form, base64."""
        form = form if form is not None else (
            "同意書（様式第1号）case %s subject %s" % (case_id, subject)).encode("utf-8")
        req = {
            "case_id": case_id,
            "subject": subject,
            "cover_agencies": list(cover_agencies),
            "cover_types": list(cover_types),
            "categories": list(categories),
            "purpose": purpose,
            "method": method,
            "valid_from": valid_from or today_jst_plus(0),
            "valid_until": valid_until or today_jst_plus(180),
            "form_sha256": hashlib.sha256(form).hexdigest(),
        }
        if with_form:
            req["form_base64"] = base64.b64encode(form).decode("ascii")
        if note is not None:
            req["note"] = note
        if obtained_by is not None:
            req["obtained_by"] = obtained_by
        return self.post("/v1/consents", req)

    def consent(self, case_id, **kw):
        """grant_consent that must be answered 202; returns the new consent id."""
        r = self.grant_consent(case_id, **kw)
        check(r.status == 202 and isinstance(r.json, dict)
              and isinstance(r.json.get("consent_id"), str) and r.json["consent_id"],
              "%s POST /v1/consents (case %s): expected 202 with a consent_id, got %r" % (
                  self.id, case_id, r))
        return r.json["consent_id"]

    def revoke_consent(self, consent_id, reason="本人から同意撤回の申出があった"):
        """DELETE /v1/consents/{id} with {"reason": ...}; returns the HttpResult."""
        return self.http("DELETE", "/v1/consents/" + consent_id, body={"reason": reason})

    def consents(self, case_id=None):
        """GET /v1/consents[?case=]: the list of consent records (fails unless 200)."""
        path = "/v1/consents" + ("?case=" + case_id if case_id else "")
        r = self.get(path)
        check(r.status == 200 and isinstance(r.json, (dict, list)),
              "%s GET %s: %r" % (self.id, path, r))
        if isinstance(r.json, list):
            return r.json
        for key in ("items", "consents"):
            if isinstance(r.json.get(key), list):
                return r.json[key]
        fail("%s GET %s: no items list in %r" % (self.id, path, r))

    def consent_record(self, consent_id, case_id=None):
        """This agency's record of one consent (from GET /v1/consents), or None."""
        for c in self.consents(case_id):
            if isinstance(c, dict) and c.get("consent_id") == consent_id:
                return c
        return None


def read_key_field(path, field):
    """The value of `field = value` in a tsunagu key file (box-public, sign-public, id...)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*([A-Za-z_-]+)\s*=\s*(\S+)\s*$", line)
            if m and m.group(1).replace("_", "-") == field:
                return m.group(2)
    raise TestFailure("%s has no %s line" % (path, field))


def read_ini(path):
    """A tiny INI reader for what the tests need: {section: {key: value}}."""
    out = {}
    section = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = out.setdefault(line[1:-1].strip(), {})
                continue
            if "=" in line and section is not None:
                key, value = line.split("=", 1)
                value = re.split(r"\s+[;#]", value.strip(), maxsplit=1)[0].strip()
                section[key.strip()] = value
    return out


class Cluster:
    """A coordinator data dir plus agency bundles under one temp dir, and the daemons on them."""

    def __init__(self, args, name):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        base = os.environ.get("TSUNAGU_TEST_TMP") or tempfile.gettempdir()
        os.makedirs(base, exist_ok=True)
        self.root = tempfile.mkdtemp(prefix="tsunagu-it-%s-" % name, dir=base)
        self.data_dir = os.path.join(self.root, "coordinator")
        self.logs = os.path.join(self.root, "logs")
        os.makedirs(self.logs)
        self.zmq_port = free_port()
        self.http_port = free_port()
        self.agencies = {}
        self.coordinator = None
        self.rogue_sequences = {}  # agency id → the last sequence rogue_send used for it
        self.env = dict(os.environ)
        self.env.pop("TSUNAGU_DATA_DIR", None)
        self.env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        self.failed = False

    # --- commands -----------------------------------------------------------------------

    def exe(self, name):
        path = os.path.join(self.bin, name)
        if not os.access(path, os.X_OK):
            fail("%s is not built (looked for %s)" % (name, path))
        return path

    def ctl(self, *argv, timeout=30, check_rc=True):
        r = run([self.exe("tsunaguctl"), "-d", self.data_dir] + list(argv), timeout=timeout,
                env=self.env)
        if check_rc and r.returncode != 0:
            fail("tsunaguctl %s exited %d\nstdout: %s\nstderr: %s" % (
                " ".join(argv), r.returncode, r.stdout, r.stderr))
        return r

    @property
    def endpoint(self):
        return "tcp://127.0.0.1:%d" % self.zmq_port

    def init(self):
        self.ctl("init", "--listen", self.endpoint, "--http", "127.0.0.1:%d" % self.http_port)
        check(os.path.isfile(self.coordinator_conf),
              "tsunaguctl init did not write %s" % self.coordinator_conf)
        self.coordinator = Daemon("coordinator",
                                  self.daemon_argv("tsunagu-coordinator", self.coordinator_conf),
                                  os.path.join(self.logs, "coordinator.log"), env=self.env)
        return self

    def daemon_argv(self, exe, conf):
        # Not checked here: a missing daemon is reported when something tries to start it.
        argv = [os.path.join(self.bin, exe), "-c", conf]
        if not self.args.quiet:
            argv.append("-v")
        return argv

    @property
    def coordinator_conf(self):
        return os.path.join(self.data_dir, "coordinator.conf")

    def coordinator_box_public(self):
        return read_key_field(os.path.join(self.data_dir, "keys", "coordinator.pub"), "box-public")

    # --- the coordinator's HTTP read side ---------------------------------------------------

    def coordinator_token(self):
        """The bearer token `tsunaguctl init` wrote to DATA_DIR/http.token."""
        path = os.path.join(self.data_dir, "http.token")
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except FileNotFoundError:
            raise TestFailure("tsunaguctl init wrote no %s (the coordinator's HTTP token)" % path)

    def coord_http(self, method, path, token=True, **kw):
        tok = self.coordinator_token() if token is True else token
        return http_request(self.http_port, method, path, token=tok or None, **kw)

    def coord_get(self, path, **kw):
        return self.coord_http("GET", path, **kw)

    def coord_json(self, path):
        """GET path on the coordinator; the JSON on 200, else TestFailure naming the answer."""
        r = self.coord_get(path)
        check(r.status == 200 and r.json is not None, "coordinator GET %s: %r" % (path, r))
        return r.json

    def coordinator_case(self, case_id):
        """The coordinator's GET /v1/cases/{id} as JSON, or None when not 200."""
        r = self.coord_get("/v1/cases/" + case_id)
        return r.json if r.status == 200 and isinstance(r.json, dict) else None

    def wait_coordinator_http(self, timeout=30):
        """Waits until the coordinator answers GET /healthz with 200."""
        def up():
            r = http_request(self.http_port, "GET", "/healthz", timeout=5)
            return r if r.status == 200 else None
        return wait_for(up, timeout, "coordinator /healthz on port %d" % self.http_port,
                        alive=self.alive)

    def staff_case_event(self, case_id, event_type, base_version, *extra, check_rc=True):
        """`tsunaguctl case event CASE --type T --base-version N ...` (the coordinator's staff,
        over the control socket of the running coordinator)."""
        return self.ctl("case", "event", case_id, "--type", event_type,
                        "--base-version", str(base_version), *extra, check_rc=check_rc)

    def alerts(self):
        """The coordinator's GET /v1/alerts: the list of alert records."""
        j = self.coord_json("/v1/alerts")
        if isinstance(j, list):
            return j
        for key in ("items", "alerts"):
            if isinstance(j.get(key), list):
                return j[key]
        fail("coordinator GET /v1/alerts: no list in %r" % (j,))

    def staff_meeting(self, case_id, attendees, kind="shien", decision="continue"):
        """The coordinator's staff record a meeting of kind on the case with these attendees
        (`tsunaguctl case event --type meeting`), based on the coordinator's current version;
        returns the version after it."""
        c = self.coordinator_case(case_id)
        check(c, "the coordinator does not know case %s" % case_id)
        base = c.get("version")
        extra = ["--meeting-kind", kind, "--held-on", today_jst_plus(0),
                 "--decision", decision]
        for a in attendees:
            extra += ["--attendee", a]
        self.staff_case_event(case_id, "meeting", base, *extra)
        wait_json(lambda: self.coordinator_case(case_id),
                  lambda c: c.get("version") == base + 1, 30,
                  "the coordinator applies the staff's meeting", alive=self.alive)
        return base + 1

    def audit_path(self):
        return os.path.join(self.data_dir, "audit.log")

    def audit_verify(self, data_dir=None):
        """`tsunaguctl -d DIR audit verify`; the CompletedProcess (never fails by itself)."""
        return run([self.exe("tsunaguctl"), "-d", data_dir or self.data_dir, "audit", "verify"],
                   timeout=60, env=self.env)

    # --- a registered agency that no daemon runs, speaking for itself (tsunagu-rogue-client) --

    def rogue_send(self, keys_agency, to_agency, expect, legal_basis="consent", case_id=None,
                   consent_id=None, categories=(), urgency="normal", urgent=False,
                   marker="rogue", timeout=10):
        """Sends one well-formed REFERRAL, sealed to to_agency, from keys_agency (registered,
        no daemon running on its keys) with the given header, and checks the coordinator
        answers `expect` (an error code name such as "missing_legal_basis", or "stored").
        Sequences count up per sender, as the protocol wants.  Returns the client's output."""
        seq = self.rogue_sequences.get(keys_agency.id, 0) + 1
        self.rogue_sequences[keys_agency.id] = seq
        argv = [self.exe("tsunagu-rogue-client"), "--endpoint", self.endpoint,
                "--server-key", self.coordinator_box_public(), "--keys", keys_agency.key_file,
                "--send", "--expect", expect, "--sequence", str(seq),
                "--to", to_agency.id, "--to-box-public", to_agency.public_key_z85(),
                "--claim-type", keys_agency.type, "--legal-basis", legal_basis,
                "--urgency", urgency, "--marker", marker, "--timeout", str(timeout)]
        if case_id:
            argv += ["--case-id", case_id]
        if consent_id:
            argv += ["--consent-id", consent_id]
        for c in categories:
            argv += ["--category", c]
        if urgent:
            argv.append("--urgent")
        r = run(argv, timeout=timeout + 20, env=self.env)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0, "rogue client from %s (%s, consent %s, categories %s) exit %d, "
              "expected %s:\n%s" % (keys_agency.id, legal_basis, consent_id, list(categories),
                                     r.returncode, expect, out))
        self.alive()
        return out

    def add_agency(self, agency_id, agency_type, name=None, extra=()):
        """Registers an agency (extra: more `agency add` options, e.g. ("--due-days", "10"))."""
        port = free_port()
        bundle = os.path.join(self.root, "bundles", agency_id)
        name = name or AGENCY_NAMES[agency_type]
        self.ctl("agency", "add", "--id", agency_id, "--type", agency_type, "--name", name,
                 "--out", bundle, "--http", "127.0.0.1:%d" % port, *extra)
        agency = Agency(self, agency_id, agency_type, name, port, bundle)
        check(os.path.isfile(agency.conf), "agency add did not write %s" % agency.conf)
        agency.read_token()
        agency.daemon = Daemon(agency_id, self.daemon_argv("tsunagu-" + agency_type, agency.conf),
                               os.path.join(self.logs, agency_id + ".log"), env=self.env)
        self.agencies[agency_id] = agency
        return agency

    def add_standard_agencies(self, types=AGENCY_TYPES):
        """One agency per type, id '<type>-chuo'."""
        return {t: self.add_agency(t + "-chuo", t) for t in types}

    # --- running --------------------------------------------------------------------------

    def daemons(self):
        out = [self.coordinator] if self.coordinator else []
        out += [a.daemon for a in self.agencies.values() if a.daemon]
        return out

    def start_coordinator(self):
        self.coordinator.start()

    def start_agency(self, agency_id):
        self.agencies[agency_id].daemon.start()

    def start_all(self, agency_ids=None):
        self.start_coordinator()
        for agency_id in agency_ids or list(self.agencies):
            self.start_agency(agency_id)

    def alive(self):
        """Raises DaemonDied if a daemon that should be running has exited."""
        for d in self.daemons():
            if d.proc is not None and not d.expected_exit and d.proc.poll() is not None:
                d.expected_exit = True
                raise DaemonDied("%s exited unexpectedly with status %s\n--- %s ---\n%s" % (
                    d.name, d.proc.returncode, d.log_path, tail(d.log_path)))

    def wait_ready(self, agency_ids=None, timeout=30):
        """Waits until each running agency reports the coordinator connected and a directory
        listing every registered agency."""
        want = len(self.agencies)
        for agency_id in agency_ids or [a for a in self.agencies
                                        if self.agencies[a].daemon.running()]:
            agency = self.agencies[agency_id]

            def ready():
                h = agency.healthz()
                if (h and h.get("coordinator") == "connected"
                        and h.get("directory_agencies") == want):
                    return h
                ready.last = h
                return None

            ready.last = None
            try:
                wait_for(ready, timeout,
                         "%s /healthz connected with %d agencies" % (agency_id, want),
                         interval=0.1, alive=self.alive)
            except TestFailure as e:
                raise TestFailure("%s (last /healthz: %r)" % (e, ready.last))
        self.wait_directory_settled(agency_ids)

    def wait_directory_settled(self, agency_ids=None, timeout=30):
        """Waits until the coordinator knows that each running daemon verifies batch proofs (its
        first HELLO says so, and the registry moves on once for it) and every running daemon
        holds the directory of the registry as it stands then: a test that compares directories
        before and after a step sees only what the step changed."""
        ids = agency_ids or [a for a in self.agencies if self.agencies[a].daemon.running()]

        def known():
            r = self.coord_get("/v1/agencies")
            if r.status != 200 or not isinstance(r.json, dict):
                return None
            flags = {a.get("id"): a.get("batch_proofs") for a in r.json.get("agencies", [])}
            return r.json if all(flags.get(i) for i in ids) else None

        serial = wait_for(known, timeout, "the coordinator knows the daemons' batch proofs",
                          interval=0.1, alive=self.alive)["serial"]
        for agency_id in ids:
            agency = self.agencies[agency_id]

            def holds(agency=agency):
                r = agency.get("/v1/directory")
                return r.status == 200 and (r.json or {}).get("serial", 0) >= serial

            wait_for(holds, timeout, "%s holds directory %d" % (agency_id, serial),
                     interval=0.1, alive=self.alive)

    def stop_all(self):
        """Stops every running daemon; returns a list of problems (unclean exits)."""
        problems = []
        for d in reversed(self.daemons()):
            if not d.running():
                continue
            rc = d.stop()
            if rc != 0:
                problems.append("%s did not exit cleanly on SIGTERM (status %s)" % (d.name, rc))
        return problems

    def dump_logs(self, lines=60):
        for d in self.daemons():
            if os.path.exists(d.log_path):
                print("----- last %d lines of %s -----" % (lines, d.log_path))
                print(tail(d.log_path, lines))

    def close(self, ok):
        problems = self.stop_all()
        if problems and ok:
            for p in problems:
                print("FAIL: " + p)
            ok = False
        if not ok:
            self.dump_logs()
            print("kept for inspection: %s" % self.root)
        elif self.args.keep:
            print("kept: %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        return ok


# --- referrals ------------------------------------------------------------------------------

def sheet_from_household(h, extra=None):
    """A つなぐシート holding every personal detail of household h."""
    sheet = {
        "household_id": h["id"],
        "pattern": h["pattern"],
        "members": [dict(m) for m in h["members"]],
        "address": h["address"],
        "phone": h["phone"],
        "summary": h["summary"],
    }
    for t in AGENCY_TYPES:
        if t in h:
            sheet[t] = h[t]
    if "consent" in h:
        sheet["consent"] = h["consent"]
    if extra:
        sheet.update(extra)
    return sheet


def sheet_for_sender(h, sender_type, extra=None):
    """sheet_from_household(h, extra), plus the sender type's intake fields (INTAKE_SAMPLE) when
    the household does not carry them: every sheet an agency sends must hold its own type's."""
    sheet = sheet_from_household(h, extra)
    if sender_type not in sheet:
        sheet[sender_type] = dict(INTAKE_SAMPLE[sender_type])
    return sheet


def sheet_categories(sheet):
    """The data categories a つなぐシート holds, in DATA_CATEGORIES order: identity (members,
    address, phone), family (more than one member), free-text (summary, notes), and one per
    type section (eldercare → health, disability, child → children, poverty → finances)."""
    cats = set()
    if any(k in sheet for k in ("members", "address", "phone")):
        cats.add("identity")
    if len(sheet.get("members") or []) > 1:
        cats.add("family")
    if any(k in sheet for k in ("summary", "referral_note", "note")):
        cats.add("free-text")
    for section, cat in (("eldercare", "health"), ("disability", "disability"),
                         ("child", "children"), ("poverty", "finances")):
        if section in sheet:
            cats.add(cat)
    return [c for c in DATA_CATEGORIES if c in cats]


def subject_id(h, member=1):
    """The pseudonymous subject id of a household member (never a name): "H001-1"."""
    return "%s-%d" % (h["id"], member)


def referral_request(h, to_agency=None, to_type=None, sheet=None, client_ref=None,
                     legal_basis=None, consent_id=None, case_id=None, data_categories=None,
                     urgency=None):
    """The POST /v1/referrals body for household h.

    legal_basis defaults to the household's own, else consent (then give consent_id: a consent
    that exists, e.g. from consented_request).  data_categories default to those the sheet
    holds, sent whenever the basis is not none."""
    body = {
        "urgency": urgency or h["urgency"],
        "tags": list(h["tags"]),
        "sheet": sheet if sheet is not None else sheet_from_household(h),
    }
    if to_agency:
        body["to"] = to_agency
    if to_type:
        body["to_type"] = to_type
    body["legal_basis"] = legal_basis or h.get("legal_basis") or "consent"
    if consent_id:
        body["consent_id"] = consent_id
    if case_id:
        body["case_id"] = case_id
    if body["legal_basis"] != "none":
        body["data_categories"] = list(data_categories if data_categories is not None
                                       else sheet_categories(body["sheet"]))
    if client_ref:
        body["client_ref"] = client_ref
    return body


def consented_request(sender, h, to_agency=None, to_type=None, sheet=None, client_ref=None,
                      case_id=None, **kw):
    """Grants, through sender's API, a consent on case_id (a new case when None) that covers
    the recipient (by id, or by type with to_type) and the sender itself (so the recipient's
    answers — a status change with a reason — may come back on it), and every data category
    of the sheet; returns the POST /v1/referrals body that relies on it.  kw goes to
    referral_request."""
    sheet = sheet if sheet is not None else sheet_from_household(h)
    case_id = case_id or str(uuid.uuid4())
    cats = sheet_categories(sheet)
    if "free-text" not in cats:
        cats = [c for c in DATA_CATEGORIES if c in cats or c == "free-text"]
    consent_id = sender.consent(case_id,
                                cover_agencies=([to_agency] if to_agency else []) + [sender.id],
                                cover_types=[to_type] if to_type else [], categories=cats,
                                subject=subject_id(h))
    return referral_request(h, to_agency=to_agency, to_type=to_type, sheet=sheet,
                            client_ref=client_ref, legal_basis="consent", consent_id=consent_id,
                            case_id=case_id, data_categories=sheet_categories(sheet), **kw)


def notice_sheet(h, sender_type):
    """A sheet without personal data: the household's pseudonymous id and the sender type's
    intake fields, so a case can be opened on legal basis none before a meeting is held."""
    sheet = {"household_id": h["id"], "pattern": h["pattern"]}
    sheet[sender_type] = dict(h.get(sender_type) or INTAKE_SAMPLE[sender_type])
    return sheet


def open_case(sender, recipient, h, client_ref=None, timeout=30):
    """sender refers household h to recipient on legal basis none with a notice sheet (no
    personal data), which opens a case; waits until it is delivered and the coordinator
    knows the case.  Returns the case id."""
    req = referral_request(h, to_agency=recipient.id, sheet=notice_sheet(h, sender.type),
                           legal_basis="none", client_ref=client_ref, urgency="normal")
    r = sender.post("/v1/referrals", req)
    check(r.status == 202, "%s opens a case for %s with a basis-none notice to %s: %r" % (
        sender.id, h["id"], recipient.id, r))
    wait_delivered(sender, r.json["referral_id"], timeout, alive=sender.cluster.alive)
    case_id = r.json["case_id"]
    wait_json(lambda: sender.cluster.coordinator_case(case_id), lambda c: True, timeout,
              "the coordinator opens case %s" % case_id, alive=sender.cluster.alive)
    return case_id


def agency_meeting(agency, case_id, kind, attendees, timeout=30):
    """agency records a meeting of kind (no minutes: nothing personal) on the case, based on
    the coordinator's current version, and waits until the coordinator applies it."""
    cluster = agency.cluster
    c = cluster.coordinator_case(case_id)
    check(c, "the coordinator does not know case %s" % case_id)
    base = c.get("version")
    r = agency.case_event(case_id, {"type": "meeting", "base_version": base,
                                    "meeting": {"kind": kind, "held_on": today_jst_plus(0),
                                                "attendees": list(attendees),
                                                "decision": "continue"}})
    check(r.status == 202, "%s records a %s meeting on %s: %r" % (agency.id, kind, case_id, r))
    wait_json(lambda: cluster.coordinator_case(case_id),
              lambda c: (c.get("version") or 0) > base, timeout,
              "the coordinator applies %s's %s meeting" % (agency.id, kind), alive=cluster.alive)


def basis_request(sender, h, recipient, sheet=None, client_ref=None):
    """The POST /v1/referrals body that sends household h's sheet to recipient on the
    household's own legal basis, after doing what that basis needs: a consent granted by the
    sender (households without a basis); for support-meeting, a case opened with a notice and
    a 支援会議 of the coordinator's staff with both agencies on its roster; for
    statutory-meeting, a case opened with a notice and the sender type's meeting with both on
    its roster; for emergency, nothing."""
    basis = h.get("legal_basis") or "consent"
    sheet = sheet if sheet is not None else sheet_from_household(h)
    if basis == "consent":
        return consented_request(sender, h, to_agency=recipient.id, sheet=sheet,
                                 client_ref=client_ref)
    if basis in ("support-meeting", "statutory-meeting"):
        case_id = open_case(sender, recipient, h,
                            client_ref=(client_ref + "-notice") if client_ref else None)
        if basis == "support-meeting":
            sender.cluster.staff_meeting(case_id, [sender.id, recipient.id])
        else:
            agency_meeting(sender, case_id, STATUTORY_MEETING[sender.type],
                           [sender.id, recipient.id])
        return referral_request(h, to_agency=recipient.id, sheet=sheet, client_ref=client_ref,
                                case_id=case_id)
    return referral_request(h, to_agency=recipient.id, sheet=sheet, client_ref=client_ref)


def personal_strings(h):
    """The personal data of household h the coordinator must never hold in cleartext."""
    out = []
    for m in h["members"]:
        for key in ("name", "kana", "birthdate"):
            out.append(m[key])
        for key in ("name", "kana"):
            parts = m[key].split()
            if len(parts) > 1:
                out.extend(p for p in parts if len(p) >= 2)
    out += [h["address"], h["phone"], h["summary"]]
    # Dedupe, keep order.
    seen = set()
    return [s for s in out if not (s in seen or seen.add(s))]


class Staff:
    """A staff member's browser on the dashboard at port, in http.client: cookies kept, the
    login form's CSRF field sent back."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            hdrs = dict(headers or {})
            if self.cookies:
                hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    k, _, v = pair.partition("=")
                    if "max-age=0" in value.lower():
                        self.cookies.pop(k.strip(), None)
                    else:
                        self.cookies[k.strip()] = v.strip()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), data
        finally:
            conn.close()

    def login(self, name, password):
        status, _, page = self.request("GET", "/login")
        check(status == 200, "GET /login answered %d" % status)
        m = re.search(rb'<form id="login".*?name="csrf" value="([^"]+)"', page, re.S)
        check(m and "tsunagu_login" in self.cookies,
              "the login page has no csrf field or sets no tsunagu_login cookie")
        form = urllib.parse.urlencode({"csrf": html.unescape(m.group(1).decode()),
                                       "name": name, "password": password})
        status, headers, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        check(status == 303 and headers.get("location") == "/"
              and "tsunagu_session" in self.cookies,
              "POST /login answered %d to %r, cookies %r" % (status, headers.get("location"),
                                                               sorted(self.cookies)))
        return page


def notice_referral(sender, recipient, h, marker):
    """POSTs a referral without personal data (a notice sheet with "marker") from sender to
    recipient; checks the 202 and returns its referral id."""
    sheet = notice_sheet(h, sender.type)
    sheet["marker"] = marker
    req = referral_request(h, to_agency=recipient.id, sheet=sheet, legal_basis="none",
                           urgency="normal")
    r = sender.post("/v1/referrals", req)
    check(r.status == 202, "%s POST /v1/referrals: %r" % (sender.id, r))
    return r.json["referral_id"]


def arrived(recipient, rids):
    """{referral id: [inbox items]} for rids in recipient's inbox."""
    got = {rid: [] for rid in rids}
    for item in recipient.inbox():
        if item.get("referral_id") in got:
            got[item["referral_id"]].append(item)
    return got


def wait_arrived(recipient, rids, alive, timeout=60):
    """Waits until every one of rids is in recipient's inbox; arrived()'s answer."""
    def all_there():
        got = arrived(recipient, rids)
        return got if all(got.values()) else None
    return wait_for(all_there, timeout, "%d referrals at %s" % (len(rids), recipient.id),
                    interval=0.2, alive=alive)


def wait_delivered(agency, referral_id, timeout, alive=None):
    """Polls the sender's GET /v1/referrals/{id} until delivery is "delivered"; returns the JSON."""
    state = {"last": None}

    def delivered():
        r = agency.get("/v1/referrals/" + referral_id)
        state["last"] = r
        if r.status == 200 and isinstance(r.json, dict) and r.json.get("delivery") == "delivered":
            return r.json
        if r.status == 200 and isinstance(r.json, dict) and r.json.get("delivery") in (
                "rejected", "refused"):
            fail("referral %s from %s was %s: %r" % (referral_id, agency.id,
                                                       r.json.get("delivery"), r.json))
        return None

    try:
        return wait_for(delivered, timeout, "referral %s delivered" % referral_id, interval=0.1,
                        alive=alive)
    except TestFailure as e:
        raise TestFailure("%s; last answer: %r" % (e, state["last"]))


def wait_delivery(agency, referral_id, states, timeout, alive=None):
    """Polls the sender's GET /v1/referrals/{id} until delivery is one of states; returns the
    JSON.  On timeout the failure shows the last answer."""
    return wait_json(lambda: agency.referral(referral_id),
                     lambda j: j.get("delivery") in states, timeout,
                     "%s's referral %s to be %s" % (agency.id, referral_id[:8],
                                                   " or ".join(states)), alive=alive)


def json_texts(obj):
    """Every way a JSON answer could show a string: as UTF-8 text and with \\u escapes."""
    return (json.dumps(obj, ensure_ascii=False), json.dumps(obj, ensure_ascii=True))


def texts_in(obj, texts):
    """The members of texts that occur anywhere in obj (a decoded JSON value)."""
    plain, escaped = json_texts(obj)
    return [t for t in texts if t in plain or json.dumps(t)[1:-1] in escaped]


def wait_json(fetch, predicate, timeout, what, alive=None):
    """Polls fetch() (a JSON value or None) until predicate(value) is true; returns the value.
    On timeout the failure shows the last value fetched."""
    state = {"last": None}

    def ready():
        value = fetch()
        state["last"] = value
        return value if value is not None and predicate(value) else None

    try:
        return wait_for(ready, timeout, what, interval=0.1, alive=alive)
    except TestFailure as e:
        last = json.dumps(state["last"], ensure_ascii=False)
        raise TestFailure("%s; last value: %s" % (e, last[:1500]))


# --- running a test file --------------------------------------------------------------------

class Results:
    """Collects named checks so one run reports every failing check, not only the first."""

    def __init__(self):
        self.passed = []
        self.failed = []

    def ok(self, name):
        self.passed.append(name)
        print("ok   %s" % name, flush=True)

    def bad(self, name, why):
        self.failed.append((name, why))
        print("FAIL %s\n     %s" % (name, str(why).replace("\n", "\n     ")), flush=True)

    def check(self, name, fn, *a, **kw):
        """Runs fn; records ok, or FAIL with the reason.  DaemonDied is re-raised."""
        try:
            value = fn(*a, **kw)
        except DaemonDied:
            raise
        except TestFailure as e:
            self.bad(name, e)
            return None
        except Exception as e:  # a harness bug or an unexpected answer shape
            self.bad(name, "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()))
            return None
        self.ok(name)
        return value

    def expect(self, name, condition, why=""):
        if condition:
            self.ok(name)
        else:
            self.bad(name, why or "condition false")
        return condition


def main(name, description, body):
    """Runs body(cluster, results, args) against a fresh Cluster; exits 0 only when every
    check passed.  The cluster is stopped and (on success) removed whatever happens."""
    args = parse_args(description)

    def terminated(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    # ctest's timeout and a user's kill still stop the daemons (the finally below).
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    started = time.monotonic()
    results = Results()
    cluster = Cluster(args, name)
    print("%s: temp dir %s" % (name, cluster.root), flush=True)
    ok = False
    try:
        body(cluster, results, args)
        ok = not results.failed
    except TestFailure as e:
        results.bad("%s (aborted)" % name, e)
    except Exception as e:
        results.bad("%s (aborted)" % name, "%s: %s\n%s" % (type(e).__name__, e,
                                                           traceback.format_exc()))
    except KeyboardInterrupt as e:
        results.bad("%s (aborted)" % name, "interrupted %s" % e)
    finally:
        ok = cluster.close(ok and not results.failed)
    print("%s: %s — %d checks passed, %d failed, %.1f s" % (
        name, "PASS" if ok else "FAIL", len(results.passed), len(results.failed),
        time.monotonic() - started), flush=True)
    sys.exit(0 if ok else 1)
