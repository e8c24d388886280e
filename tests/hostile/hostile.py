"""Shared machinery of the hostile-peer catalogue: drive tsunagu-hostile-peer (a registered agency
that is not to be trusted, speaking the wire protocol directly), snapshot what a refusal must leave
unchanged, and check that every daemon survived.

A case is one named function run through `run_case`: it takes a snapshot, lets the case attack
(the case asserts the refusal itself: an error code and its final flag, or an HTTP status and
error), waits until the cluster is quiet, takes a second snapshot and checks it equals the first
(except what the case says may change), that the audit log gained exactly the refusals the case
names, and that every daemon is alive and answering.  Python 3 standard library only.
"""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
from harness import TestFailure, check, fail  # noqa: E402

PEER_EXE = "tsunagu-hostile-peer"
SKEW_AHEAD_MS = 6 * 60 * 1000          # past the 5 minutes the coordinator accepts
SKEW_BEHIND_MS = 31 * 24 * 3600 * 1000  # past the 30 days it remembers message ids
ANSWER_MS = 10000                      # how long a peer waits for an answer it expects
QUIET_MS = 1500                        # how long it listens for answers it must not get


# --- the peer ----------------------------------------------------------------------------------

class Peer:
    """One tsunagu-hostile-peer process speaking for agency (its key file), driven line by line:
    each act() writes one action and returns the events printed up to its "done" line."""

    def __init__(self, cluster, agency, name=None, connect=True, ack="mail"):
        self.cluster = cluster
        self.agency = agency
        self.name = name or agency.id
        self.events = []
        self.log_path = os.path.join(cluster.logs, "peer-%s-%d.log" % (
            self.name, int(time.monotonic() * 1000)))
        argv = [cluster.exe(PEER_EXE), "--endpoint", cluster.endpoint,
                "--server-key", cluster.coordinator_box_public(), "--keys", agency.key_file]
        self.stderr = open(self.log_path + ".stderr", "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, start_new_session=True)
        self.buffer = b""
        self.index = 0
        if ack != "mail":
            self.act({"op": "auto_ack", "mode": ack})
        if connect:
            self.connect(0)

    # low level

    def _line(self, deadline):
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure("%s: the peer printed nothing for too long" % self.name)
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise TestFailure("%s: the peer exited with %s: %s" % (
                        self.name, self.proc.returncode, harness.tail(self.log_path + ".stderr")))
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise TestFailure("%s: the peer closed its output (exit %s)" % (
                    self.name, self.proc.poll()))
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        with open(self.log_path, "ab") as f:
            f.write(line + b"\n")
        return json.loads(line.decode("utf-8"))

    def act(self, action, timeout=None):
        """Runs one action; returns its events (the "done" line excluded).  A bad action fails."""
        wait_s = max(action.get("ms", 0), action.get("wait_ms", 0)) / 1000.0
        deadline = time.monotonic() + (timeout or wait_s + 30)
        data = (json.dumps(action, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except OSError as e:
            raise TestFailure("%s: cannot write to the peer: %s" % (self.name, e))
        index = self.index
        self.index += 1
        out = []
        for _ in range(1000000):
            ev = self._line(deadline)
            if ev.get("event") == "done" and ev.get("index") == index:
                break
            if ev.get("event") == "bad-action":
                raise TestFailure("%s: the peer refused action %s: %s" % (
                    self.name, json.dumps(action, ensure_ascii=False)[:300], ev.get("why")))
            out.append(ev)
        self.events.extend(out)
        return out

    def close(self):
        """Ends the script; the peer must exit 0."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                harness._killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                raise TestFailure("%s: the peer did not exit at the end of its script" % self.name)
        self.stderr.close()
        check(self.proc.returncode == 0, "%s: the peer exited %s" % (self.name,
                                                                    self.proc.returncode))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            harness._killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.stderr.close()
        return False

    # actions

    def connect(self, conn=0, hello=True, wait_ms=ANSWER_MS):
        evs = self.act({"op": "connect", "conn": conn, "hello": hello, "wait_ms": wait_ms})
        if hello:
            done = [e for e in evs if e.get("event") == "connected"]
            check(done and done[-1].get("hello_answered"),
                  "%s: the coordinator did not answer the HELLO of connection %d: %s" % (
                      self.name, conn, brief(evs)))
        return evs

    def wait(self, ms, labels=(), count=None):
        action = {"op": "wait", "ms": ms}
        if labels:
            action["for"] = list(labels)
        if count is not None:
            action["count"] = count
        return self.act(action)

    def send(self, letter=None, wait=True, ms=ANSWER_MS, **kw):
        """Sends one letter (a dict, see peer.c; kw merged in) and, with wait, waits until the
        coordinator answered it.  Returns every event of both actions."""
        action = dict(letter or {})
        action.update(kw)
        action["op"] = "send"
        label = action.setdefault("label", "l-" + uuid.uuid4().hex[:10])
        evs = self.act(action)
        if wait:
            pattern = label + ".*" if "copies" in action else label
            evs += self.wait(ms, [pattern])
        return evs

    def listen(self, ms=QUIET_MS):
        """Everything that arrives within ms."""
        return self.wait(ms)

    # sequences: the last one the coordinator counted for this agency lives on the cluster

    def _seqs(self):
        if not hasattr(self.cluster, "hostile_sequences"):
            self.cluster.hostile_sequences = {}
        return self.cluster.hostile_sequences

    def peek(self):
        """The sequence the coordinator expects next (not taken)."""
        return self._seqs().get(self.agency.id, 0) + 1

    def take(self):
        """The next sequence, counted as used (the letter is verified and will take it)."""
        seq = self.peek()
        self._seqs()[self.agency.id] = seq
        return seq

    def resync(self):
        """Learns the sequence the coordinator expects from the refusal of a letter far ahead
        (a gap takes no number), after a case whose letters took more or fewer numbers than
        it thought, so one failing case does not make the next ones fail."""
        evs = self.send({"kind": "referral", "recipient": "nobody-here", "sequence": 10 ** 12,
                         "header": {"case_id": new_id(), "referral_id": new_id(),
                                    "legal_basis": "none"}}, label="resync-" + new_id()[:8])
        for e in received(evs, "error"):
            m = re.search(r"expected sequence (\d+)", e.get("detail") or "")
            if e.get("code") == "out_of_order" and m:
                self._seqs()[self.agency.id] = int(m.group(1)) - 1
                return True
        return False


def run_script(cluster, agency, actions, timeout=120):
    """Runs tsunagu-hostile-peer once with actions (dicts) as its script (--script FILE) and
    the key file of agency; returns the events it printed (the "done" lines included).  The
    peer must exit 0 and accept every action."""
    path = os.path.join(cluster.root, "script-%s-%d.jsonl" % (agency.id,
                                                               int(time.monotonic() * 1000)))
    with open(path, "w", encoding="utf-8") as f:
        for action in actions:
            f.write(json.dumps(action, ensure_ascii=False) + "\n")
    r = harness.run([cluster.exe(PEER_EXE), "--endpoint", cluster.endpoint,
                     "--server-key", cluster.coordinator_box_public(), "--keys", agency.key_file,
                     "--script", path], timeout=timeout, env=cluster.env)
    check(r.returncode == 0, "the peer exited %d: %s" % (r.returncode, r.stderr[-1000:]))
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    bad = [e for e in events if e.get("event") == "bad-action"]
    check(not bad, "the peer refused actions: %s" % bad)
    return events


def brief(events, limit=12):
    """A short text of events for failure messages."""
    keep = []
    for e in events[-limit:]:
        e = dict(e)
        for k in ("message_id", "created_at_ms", "conn", "verified"):
            e.pop(k, None)
        keep.append(json.dumps(e, ensure_ascii=False)[:260])
    return "\n    " + "\n    ".join(keep) if keep else " (nothing)"


def received(events, kind=None):
    """The letters received among events (of kind, when given)."""
    return [e for e in events if e.get("event") == "recv"
            and (kind is None or e.get("kind") == kind)]


def answers(events, label):
    """The coordinator's answers (ERROR, RECEIPT, HELLO) about the letter labelled label."""
    return [e for e in received(events) if e.get("about_label") == label
            and e.get("from") == "coordinator"]


def sent_id(events, label):
    for e in events:
        if e.get("event") == "sent" and e.get("label") == label:
            return e["message_id"]
    fail("no letter labelled %s was sent" % label)


def expect_error(events, label, code, final, or_silent=False):
    """The coordinator answered the letter label with exactly one ERROR code/final (verified
    with its pinned key) and nothing else; or_silent also accepts no answer at all.  Returns
    the error event (None when silent)."""
    got = answers(events, label)
    if or_silent and not got:
        return None
    check(len(got) == 1, "letter %s: expected one ERROR %s (final=%s), got %d answers:%s" % (
        label, code, final, len(got), brief(events)))
    e = got[0]
    check(e.get("kind") == "error" and e.get("code") == code,
          "letter %s: expected ERROR %s, got %s %s: %s" % (
              label, code, e.get("kind"), e.get("code") or e.get("receipt") or "",
              e.get("detail", "")))
    check(final is None or e.get("final") is final,
          "letter %s: ERROR %s with final=%s, expected final=%s (%s)" % (
              label, code, e.get("final"), final, e.get("detail", "")))
    check(e.get("verified") is True, "letter %s: the ERROR does not verify with the "
          "coordinator's pinned key" % label)
    print("     refused %s: %s%s: %s" % (label, code, "" if final else " (not final)",
                                          e.get("detail", "")))
    return e


def expect_stored(events, label):
    got = answers(events, label)
    check(len(got) == 1 and got[0].get("receipt") == "stored" and got[0].get("verified") is True,
          "letter %s: expected one verified RECEIPT_STORED, got:%s" % (label, brief(events)))
    return got[0]


def nothing_else(events, allowed_labels=(), what="the peer"):
    """No letter arrived but answers about allowed_labels (and directories/hellos at connect)."""
    extra = [e for e in received(events)
             if e.get("about_label") not in allowed_labels
             and e.get("kind") not in ("directory", "hello")]
    check(not extra, "%s received letters it should not have:%s" % (what, brief(extra)))


# --- letters -----------------------------------------------------------------------------------

def new_id():
    return str(uuid.uuid4())


def notice(agency_type, household="H999"):
    """A body without personal data (basis none): the household's pseudonymous id and the
    sender type's intake fields."""
    sheet = {"household_id": household, "pattern": "hostile-test"}
    sheet[agency_type] = dict(harness.INTAKE_SAMPLE[agency_type])
    return sheet


def referral(sender, recipient, seq, case_id=None, referral_id=None, basis="none",
             categories=(), sender_type=None, body=True, tags=("hostile",), urgency="normal",
             urgent=False, consent_id=None, header=None, **kw):
    """A REFERRAL from sender (an Agency whose keys the peer holds) to recipient (an Agency or
    an id) with a sealed notice sheet (or content=...); body may also be False (none) or a body
    spec of peer.c ({"garbage": N})."""
    to = recipient if isinstance(recipient, str) else recipient.id
    h = {"case_id": case_id or new_id(), "referral_id": referral_id or new_id(),
         "tags": list(tags), "urgency": urgency, "legal_basis": basis,
         "sender_type": sender.type if sender_type is None else sender_type,
         "due_date": harness.today_jst_plus(7), "receive_due_date": harness.today_jst_plus(1)}
    if categories:
        h["data_categories"] = list(categories)
    if urgent:
        h["urgent"] = True
    if consent_id:
        h["consent_id"] = consent_id
    h.update(header or {})
    letter = {"kind": "referral", "recipient": to, "sequence": seq, "header": h}
    if isinstance(body, dict):
        letter["body"] = body
    elif body:
        content = kw.pop("content", None)
        seal_to = recipient.public_key_z85() if not isinstance(recipient, str) else to
        letter["body"] = {"seal_to": seal_to,
                          "content": content if content is not None else notice(sender.type)}
    letter.update(kw)
    return letter


def case_event(seq, case_id, base_version, event, sender_type=None, sealed=(), **kw):
    """A CASE_EVENT to the coordinator; event is the CaseEvent dict (event_id added)."""
    ev = dict(event)
    ev.setdefault("event_id", new_id())
    h = {"case_id": case_id, "base_version": base_version, "case_event": ev,
         "legal_basis": kw.pop("basis", "none")}
    if sender_type:
        h["sender_type"] = sender_type
    h.update(kw.pop("header", {}))
    letter = {"kind": "case-event", "recipient": "coordinator", "sequence": seq, "header": h}
    if sealed:
        letter["sealed_bodies"] = list(sealed)
    letter.update(kw)
    return letter


def consent_grant(seq, case_id, sender, cover_agencies=(), cover_types=(),
                  categories=("identity",), subject="S-0001", consent_id=None, **kw):
    cid = consent_id or new_id()
    info = {"consent_id": cid, "subject": subject, "cover_agencies": list(cover_agencies),
            "cover_types": list(cover_types), "categories": list(categories),
            "purpose": "referral", "method": "written", "obtained_by": sender.id,
            "valid_from": harness.today_jst_plus(0), "valid_until": harness.today_jst_plus(180)}
    info.update(kw.pop("info", {}))
    h = {"case_id": case_id, "consent_id": cid, "consent": info, "legal_basis": "none",
         "sender_type": sender.type}
    h.update(kw.pop("header", {}))
    letter = {"kind": "consent-grant", "recipient": "coordinator", "sequence": seq, "header": h}
    letter.update(kw)
    return letter


def consent_revoke(seq, case_id, consent_id, sender, **kw):
    h = {"case_id": case_id, "consent_id": consent_id, "legal_basis": "none",
         "sender_type": sender.type}
    h.update(kw.pop("header", {}))
    letter = {"kind": "consent-revoke", "recipient": "coordinator", "sequence": seq, "header": h}
    letter.update(kw)
    return letter


# --- state -------------------------------------------------------------------------------------

def _items(j):
    if isinstance(j, list):
        return j
    if isinstance(j, dict):
        for key in ("items", "cases", "consents"):
            if isinstance(j.get(key), list):
                return j[key]
    return j


def _strip(value, keys):
    """value without the volatile keys, at any depth."""
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_strip(v, keys) for v in value]
    return value


VOLATILE = ("as_of", "connected", "coordinator", "last_seen", "sessions")


def audit_records(cluster):
    """The coordinator's audit records (the JSON of each line)."""
    out = []
    try:
        with open(cluster.audit_path(), encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 4)
                if len(parts) == 5:
                    try:
                        out.append(json.loads(parts[4]))
                    except ValueError:
                        out.append({"unparsable": line[:200]})
    except FileNotFoundError:
        pass
    return out


def running_agencies(cluster):
    return [a for a in cluster.agencies.values() if a.daemon and a.daemon.running()]


def snapshot(cluster):
    """What a refusal must leave unchanged, as {where: value}: each running agency's /v1/inbox,
    /v1/cases (and each case), /v1/consents; the coordinator's /v1/cases (and each case),
    /v1/agencies with mailbox depths, /v1/stats, and the audit log's records."""
    snap = {}
    for a in running_agencies(cluster):
        snap["%s /v1/inbox" % a.id] = a.inbox()
        r = a.get("/v1/cases")
        check(r.status == 200, "%s GET /v1/cases: %r" % (a.id, r))
        cases = _items(r.json)
        snap["%s /v1/cases" % a.id] = _strip(cases, VOLATILE)
        for c in cases if isinstance(cases, list) else []:
            cid = c.get("case_id") if isinstance(c, dict) else None
            if cid:
                snap["%s /v1/cases/%s" % (a.id, cid)] = _strip(a.case(cid), VOLATILE)
        snap["%s /v1/consents" % a.id] = _strip(a.consents(), VOLATILE)
        r = a.get("/v1/directory")
        snap["%s /v1/directory" % a.id] = _strip(r.json, VOLATILE) if r.status == 200 else r.status
    cases = _items(cluster.coord_json("/v1/cases?limit=500"))
    snap["coordinator /v1/cases"] = _strip(cases, VOLATILE)
    for c in cases if isinstance(cases, list) else []:
        cid = c.get("case_id") if isinstance(c, dict) else None
        if cid:
            snap["coordinator /v1/cases/%s" % cid] = _strip(cluster.coordinator_case(cid),
                                                            VOLATILE)
    agencies = cluster.coord_json("/v1/agencies")
    snap["coordinator /v1/agencies"] = _strip(agencies, VOLATILE + ("serial", "mailbox_depth"))
    for e in agencies.get("agencies", []):
        snap["coordinator mailbox %s" % e.get("id")] = e.get("mailbox_depth")
    snap["coordinator /v1/stats"] = _strip(cluster.coord_json("/v1/stats"), VOLATILE)
    snap["coordinator /v1/alerts"] = _strip(cluster.coord_json("/v1/alerts"), VOLATILE)
    records = audit_records(cluster)
    snap["coordinator audit"] = records
    return snap


def _first_difference(a, b, path=""):
    if type(a) is not type(b):
        return "%s: %s → %s" % (path or "value", _short(a), _short(b))
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                return "%s.%s added: %s" % (path, k, _short(b[k]))
            if k not in b:
                return "%s.%s removed: %s" % (path, k, _short(a[k]))
            d = _first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            extra = b[len(a):] if len(b) > len(a) else a[len(b):]
            return "%s: %d items → %d (%s: %s)" % (path or "list", len(a), len(b),
                                                    "added" if len(b) > len(a) else "removed",
                                                    _short(extra))
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %s → %s" % (path or "value", _short(a), _short(b))


def _short(v):
    return json.dumps(v, ensure_ascii=False)[:400]


def assert_unchanged(before, after, except_=(), **kw):
    """Every entry of after equals before, except the wheres that contain one of except_ (or
    except=..., the same) ("audit" for the audit log, "mailbox child-chuo",
    "eldercare-chuo /v1/inbox", ...)."""
    except_ = tuple(except_) + tuple(kw.pop("except", ()))
    check(not kw, "assert_unchanged: unknown arguments %s" % sorted(kw))
    diffs = []
    for where in sorted(set(before) | set(after)):
        if any(x in where for x in except_):
            continue
        if where not in before:
            diffs.append("%s appeared: %s" % (where, _short(after[where])))
        elif where not in after:
            diffs.append("%s disappeared" % where)
        else:
            d = _first_difference(before[where], after[where])
            if d:
                diffs.append("%s changed: %s" % (where, d))
    check(not diffs, "state changed:\n    " + "\n    ".join(diffs))


def new_audit(before, after):
    old = before.get("coordinator audit") or []
    new = after.get("coordinator audit") or []
    check(new[:len(old)] == old, "the audit log's earlier records changed")
    return new[len(old):]


def assert_audit(before, after, refusals, sender=None, others=(), optional=(), maybe=()):
    """The audit log gained one "refused" record for each code of refusals, and at most one
    more for each code of maybe (refusals that prove nothing about the sender — an envelope
    that cannot be read, a bad signature, a kind an agency may not send — may be audited once
    per cause and window rather than each time); all from sender, when given.  Besides, it
    gained exactly the records whose events others names ("allowed", ...), leaving aside any
    record whose event optional names."""
    added = [r for r in new_audit(before, after) if r.get("event") not in optional]
    got = sorted(((r.get("details") or {}).get("code") or "?") for r in added
                 if r.get("event") == "refused")
    other = sorted(r.get("event") or "?" for r in added if r.get("event") != "refused")
    check(other == sorted(others), "the audit log gained records %s besides the refusals, "
          "expected %s: %s" % (other, sorted(others),
                               _short([r for r in added if r.get("event") != "refused"])))
    left = list(got)
    missing = []
    for code in refusals:
        if code in left:
            left.remove(code)
        else:
            missing.append(code)
    spare = list(maybe)
    unexpected = []
    for code in left:
        if code in spare:
            spare.remove(code)
        else:
            unexpected.append(code)
    check(not missing and not unexpected,
          "the audit log gained refusals %s; expected %s%s" % (
              got, sorted(refusals), " and at most %s" % sorted(maybe) if maybe else ""))
    if sender:
        wrong = [r for r in added if r.get("event") == "refused" and r.get("sender") != sender]
        check(not wrong, "refusals recorded for another sender than %s: %s" % (sender,
                                                                            _short(wrong)))


def settle(cluster, peers=(), timeout=30, offline=()):
    """Waits until the running agencies have nothing in their outboxes and nothing waiting in
    their mailboxes at the coordinator (what was let through has arrived).  Each of peers (open
    Peer sessions that acknowledge their mail) listens a moment each round, so what came for
    its agency is acknowledged too (best effort: a letter it does not acknowledge may stay).
    The agencies offline names (suspended or revoked on purpose) are not waited for."""
    ids = [a.id for a in running_agencies(cluster) if a.id not in offline]
    for _ in range(10):
        for p in peers:
            p.listen(60)
        depths = {e.get("id"): e.get("mailbox_depth")
                  for e in cluster.coord_json("/v1/agencies").get("agencies", [])}
        if not any(depths.get(p.agency.id) for p in peers):
            break

    def quiet():
        depths = {e.get("id"): e.get("mailbox_depth")
                  for e in cluster.coord_json("/v1/agencies").get("agencies", [])}
        if any(depths.get(i) for i in ids):
            return None
        for a in running_agencies(cluster):
            if a.id in offline:
                continue
            h = a.healthz() or {}
            if h.get("outbox_pending") not in (0, None):
                return None
        return True

    harness.wait_for(quiet, timeout, "the cluster to settle (outboxes and mailboxes empty)",
                     interval=0.2, alive=cluster.alive)


def assert_all_alive(cluster, timeout=20, offline=()):
    """Every daemon runs, answers /healthz, and every agency daemon but those offline names
    (suspended or revoked on purpose) is connected."""
    cluster.alive()
    harness.wait_for(lambda: harness.http_request(cluster.http_port, "GET", "/healthz",
                                                  timeout=5).status == 200,
                     timeout, "the coordinator's /healthz", alive=cluster.alive)
    for a in running_agencies(cluster):
        if a.id in offline:
            harness.wait_for(lambda a=a: a.healthz() is not None, timeout,
                             "%s /healthz" % a.id, alive=cluster.alive)
            continue
        harness.wait_for(lambda a=a: (a.healthz() or {}).get("coordinator") == "connected",
                         timeout, "%s connected to the coordinator" % a.id, alive=cluster.alive)


def run_case(cluster, results, name, fn, except_=(), audit=(), audit_sender=None,
             audit_others=(), audit_optional=(), audit_maybe=(), setup=None, peers=(),
             offline=()):
    """Runs one catalogue case: setup() (before the first snapshot), then fn() attacks and
    asserts the refusal; afterwards the state is unchanged (but the wheres except_ names), the
    audit log gained exactly the refusals audit names (codes; None: not checked), at most those
    audit_maybe names, and the other records audit_others names (records of the events
    audit_optional names may come or not), and every daemon is alive.  fn may return a dict with
    "except_", "audit", "audit_maybe" and "audit_others" to say that at run time.  peers are
    the open Peer sessions that acknowledge their mail (see settle); offline the agencies whose
    daemons need not be connected (assert_all_alive)."""
    def body():
        started = time.monotonic()
        if setup:
            setup()
        settle(cluster, peers, offline=offline)
        before = snapshot(cluster)
        extra = fn() or {}
        settle(cluster, peers, offline=offline)
        after = snapshot(cluster)
        ex = tuple(except_) + tuple(extra.get("except_", ()))
        assert_unchanged(before, after, except_=ex + ("coordinator audit",))
        want = extra.get("audit", audit)
        if want is not None:
            assert_audit(before, after, list(want), sender=audit_sender,
                         others=extra.get("audit_others", audit_others),
                         optional=audit_optional, maybe=extra.get("audit_maybe", audit_maybe))
        assert_all_alive(cluster, offline=offline)
        print("     (%.1f s)" % (time.monotonic() - started))

    failed = len(results.failed)
    value = results.check(name, body)
    if len(results.failed) > failed:
        for p in peers:
            p.resync()
    return value


def start_cluster(cluster, probes=(), honest_types=harness.AGENCY_TYPES, extra_agencies=()):
    """tsunaguctl init, one agency daemon per type, the probe agencies (registered, no daemon:
    the peer speaks with their keys) given as (id, type); starts and waits.  Returns
    (honest agencies by type, probes by id)."""
    cluster.init()
    agencies = cluster.add_standard_agencies(honest_types)
    probe_agencies = {pid: cluster.add_agency(pid, ptype, "つなぐ市検証用%s" % ptype)
                      for pid, ptype in probes}
    for aid, atype in extra_agencies:
        cluster.add_agency(aid, atype, "つなぐ市検証用%s" % atype)
    honest = [a.id for a in agencies.values()]
    cluster.start_all(honest)
    cluster.wait_ready(honest)
    cluster.wait_coordinator_http()
    return agencies, probe_agencies
