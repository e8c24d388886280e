#!/usr/bin/env python3
"""Chaos: all five daemons under referral, status and case traffic while a seeded schedule
SIGKILLs and restarts any of them.  At the end every referral answered 202 (or 200 to a retry)
is in its recipient's inbox exactly once and in per-sender order, its sender sees it delivered,
every status change answered 202 is applied at the sender, the recipient and the coordinator,
every case event answered 202 was applied or refused (never lost, never doubled), and the
coordinator's cases agree with every agency's copy (state, version, agencies).

The schedule is a function of --seed alone: which referral goes from whom to whom in which case,
the walk of states its recipient takes it through, and which daemon is killed after how many
acknowledged referrals for how long.  Thread timing still varies from run to run, so a failure
is reproduced by running the same seed again (usually, not always, at the same spot).

Python 3 standard library only; the daemons come from --bin, the cluster machinery from
tests/integration/harness.py."""

import argparse
import collections
import datetime
import hashlib
import http.client
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402

DEFAULT_SEED = 20261203
# Referrals draw their tags from this many of the households' tags, so no case collects more
# than 16: the coordinator keeps up to 32 tags per case while the agencies reject a CASE_UPDATE
# listing more than 16 ("the case update lists too much"), a bug this test found (README.md).
TAG_POOL = 0
DAEMONS = ("coordinator", "eldercare-chuo", "disability-chuo", "child-chuo", "poverty-chuo")

# The recipient's walks through the referral table, with their weights.  A step is a state, or
# (state, needs-reason, outcome-kind).  Reasons are personal free text: they travel under a
# consent the recipient grants on the case for the sender (one per case and recipient).
R, NO = True, None
WALKS = [
    (5, []),                                                        # left requested
    (10, [("received", False, NO)]),
    (15, [("received", False, NO), ("rejected", R, NO)]),
    (10, [("received", False, NO), ("accepted", False, NO)]),
    (10, [("received", False, NO), ("accepted", False, NO), ("in-progress", False, NO)]),
    (35, [("received", False, NO), ("accepted", False, NO), ("in-progress", False, NO),
          ("completed", False, "done")]),
    (8, [("received", False, NO), ("accepted", False, NO), ("in-progress", False, NO),
         ("on-hold", R, NO), ("in-progress", False, NO), ("completed", False, "done")]),
    (7, [("received", False, NO), ("accepted", False, NO), ("failed", R, "fail")]),
]
OUTCOMES = {"done": ["got-help", "referred-elsewhere", "got-help", "got-help"],
            "fail": ["could-not-contact", "declined", "no-capacity", "not-eligible"]}
REASONS = {  # synthetic free text (no real person)
    "rejected": "対象となる支援がないため受理できません（試験）",
    "on-hold": "本人が入院中のため面談を延期（試験）",
    "failed": "連絡がつかず支援に至らなかった（試験）",
}
# The next case state an agency moves a case to (the shared table allows each).
NEXT_CASE_STATE = {"open": "assessment", "multi-agency": "assessment", "assessment": "planning",
                   "planning": "support", "support": "monitoring", "monitoring": "support",
                   "watch": "assessment", "conference": "support"}


class Refused(Exception):
    """The daemon was not listening: the request certainly did nothing."""


class Ambiguous(Exception):
    """The connection broke after the request may have been read: it may have happened."""


def call(agency_or_port, method, path, body=None, token=None, timeout=20):
    """One HTTP request.  Raises Refused when nobody listens, Ambiguous when the connection
    broke later; returns harness.HttpResult otherwise."""
    port = agency_or_port if isinstance(agency_or_port, int) else agency_or_port.http_port
    if token is None and not isinstance(agency_or_port, int):
        token = agency_or_port.token
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError as e:
            raise Refused(str(e))
        except OSError as e:
            raise Ambiguous("connect: %r" % e)
        hdrs = {}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return harness.HttpResult(resp.status, resp.read(), dict(resp.getheaders()))
        except (OSError, http.client.HTTPException) as e:
            raise Ambiguous("%s %s: %r" % (method, path, e))
    finally:
        conn.close()


def seeded_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# --- the plan ---------------------------------------------------------------------------------

def make_plan(seed, total, kills, agencies, tags, new_cases=0.35):
    """Everything the run does, from the seed alone."""
    rng = random.Random(seed)
    ids = [a for a in agencies]
    referrals = []
    per_sender = collections.Counter()
    walk_weights = [w for w, _ in WALKS]
    for i in range(total):
        sender = rng.choice(ids)
        recipient = rng.choice([a for a in ids if a != sender])
        # A third (--new-cases) open a case of their own; the others refer about one of the
        # sender's recent cases (--case-window), chosen when it is posted among those the sender is on by then (only a case's
        # agencies may refer about it: it opened the case, or was referred to on it).
        new_case = rng.random() < new_cases
        case_id = seeded_uuid(rng)
        pick = rng.random()
        walk = list(rng.choices([w for _, w in WALKS], weights=walk_weights)[0])
        steps = []
        for state, reason, outcome in walk:
            steps.append({"status": state, "reason": REASONS[state] if reason else None,
                          "outcome": rng.choice(OUTCOMES[outcome]) if outcome else None})
        referrals.append({
            "i": i, "sender": sender, "recipient": recipient, "n": per_sender[sender],
            "new_case": new_case, "case_id": case_id, "pick": pick,
            "tags": rng.sample(tags, rng.choice((1, 1, 2))),
            "urgency": rng.choice(("normal",) * 8 + ("high",)),
            "steps": steps, "event": rng.random() < 0.10,
        })
        per_sender[sender] += 1
    # Kills: at referral counts spread over the run, any of the five daemons (each of them at
    # least once when there are five kills or more), each down for a short, seeded pause.
    schedule = []
    if kills:
        lo, hi = max(1, int(total * 0.03)), max(2, int(total * 0.92))
        points = sorted(rng.sample(range(lo, hi), min(kills, hi - lo)))
        targets = list(DAEMONS)
        rng.shuffle(targets)
        targets = targets[:min(kills, len(DAEMONS))]
        while len(targets) < len(points):
            targets.append(rng.choice(DAEMONS))
        for at, target in zip(points, targets):
            schedule.append({"at": at, "target": target,
                             "pause": round(rng.uniform(0.05, 1.5), 3),
                             "jitter": round(rng.uniform(0.0, 0.05), 3)})
    return referrals, schedule


# --- the run ----------------------------------------------------------------------------------

class Chaos:
    def __init__(self, cluster, args, agencies, referrals, schedule):
        self.cluster = cluster
        self.args = args
        self.agencies = agencies              # id -> harness.Agency
        self.referrals = referrals
        self.schedule = schedule
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stop = threading.Event()         # abort everything
        self.posting_done = threading.Event()
        self.problems = []                    # what went wrong during the traffic
        self.acked = {}                       # referral id -> record
        self.acked_by_i = {}                  # plan index -> referral id
        self.acked_count = 0
        self.seen = {}                        # referral id -> recipient's inbox cursor
        self.walks = {}                       # referral id -> walk record
        self.walk_queue = {a: collections.deque() for a in agencies}
        self.walk_busy = collections.Counter()
        self.member_cases = {a: [] for a in agencies}  # the cases each agency is on, in order
        self.member_set = {a: set() for a in agencies}
        self.consents = {}                    # (recipient, case, sender) -> consent id
        self.consent_count = 0
        self.events = []                      # case events answered 202
        self.event_jobs = {a: [] for a in agencies}
        self.event_outcomes = collections.Counter()
        self.counts = collections.Counter()
        self.kills = []                       # what the controller did
        self.throttled = False
        self.backlog = 0
        self.backlog_max = 0
        self.throttle_seconds = 0.0
        self.t_start = None
        self.t_posted = None
        self.t_walked = None
        self.known = {}                       # known bug -> its instances seen in the checks

    # --- helpers --------------------------------------------------------------------------

    def problem(self, text):
        with self.lock:
            self.problems.append(text)
            if len(self.problems) <= 20:
                print("PROBLEM: " + text, flush=True)
        if self.args.stop_on_problem:
            self.stop.set()

    def wait_throttle(self):
        t0 = time.monotonic()
        while self.throttled and not self.stop.is_set() and time.monotonic() - t0 < 60:
            time.sleep(0.02)
        dt = time.monotonic() - t0
        if dt > 0.01:
            with self.lock:
                self.throttle_seconds += dt

    def retry_pause(self, attempt):
        time.sleep(min(0.5, 0.02 * (2 ** min(attempt, 5))))

    def deadline(self):
        return time.monotonic() + self.args.request_deadline

    # --- posting referrals ------------------------------------------------------------------

    def poster(self, agency_id, queue):
        agency = self.agencies[agency_id]
        for plan in queue:
            if self.stop.is_set():
                return
            self.wait_throttle()
            self.post_referral(agency, plan)

    def case_for(self, agency_id, plan):
        """The case a referral goes into: a new one, or one of the sender's last cases."""
        with self.lock:
            mine = self.member_cases[agency_id][-self.args.case_window:]
        if plan["new_case"] or not mine:
            return plan["case_id"], True
        return mine[int(plan["pick"] * len(mine))], False

    def joined(self, agency_id, case_id):
        with self.lock:
            if case_id not in self.member_set[agency_id]:
                self.member_set[agency_id].add(case_id)
                self.member_cases[agency_id].append(case_id)

    def post_referral(self, agency, plan):
        sender_type = agency.type
        case_id, new_case = self.case_for(agency.id, plan)
        req = {
            "to": plan["recipient"],
            "case_id": case_id,
            "urgency": plan["urgency"],
            "tags": plan["tags"],
            "legal_basis": "none",
            "client_ref": "chaos-%d-%s-%d" % (self.args.seed, agency.id, plan["n"]),
            "sheet": {"i": plan["i"], "n": plan["n"], "from": agency.id,
                      sender_type: dict(harness.INTAKE_SAMPLE[sender_type])},
        }
        t_send = time.monotonic()
        deadline = self.deadline()
        attempt = 0
        ambiguous = 0
        refused = 0
        while not self.stop.is_set():
            attempt += 1
            try:
                r = call(agency, "POST", "/v1/referrals", req)
            except Refused:
                refused += 1
                r = None
            except Ambiguous:
                ambiguous += 1
                r = None
            if r is not None and r.status in (202, 200):
                if r.status == 200 and not ambiguous:
                    self.problem("referral %s: POST answered 200 (a known client_ref) though no "
                                 "earlier attempt reached %s: %r" % (req["client_ref"], agency.id,
                                                                     r))
                rid = (r.json or {}).get("referral_id")
                if not rid or (r.json or {}).get("case_id") != case_id:
                    self.problem("referral %s: answer %r" % (req["client_ref"], r))
                    return
                t_ack = time.monotonic()
                with self.cond:
                    if rid in self.acked:
                        self.problems.append("referral id %s handed out twice (%s and %s)" % (
                            rid, self.acked[rid]["client_ref"], req["client_ref"]))
                    self.acked[rid] = {"i": plan["i"], "sender": agency.id,
                                       "recipient": plan["recipient"], "case_id": case_id,
                                       "client_ref": req["client_ref"], "t_send": t_send,
                                       "t_ack": t_ack, "status": r.status, "attempts": attempt}
                    self.acked_by_i[plan["i"]] = rid
                    self.acked_count += 1
                    self.counts["referral_attempts"] += attempt
                    self.counts["referral_refused_retries"] += refused
                    self.counts["referral_ambiguous_retries"] += ambiguous
                    self.counts["referral_answered_%d" % r.status] += 1
                    self.cond.notify_all()
                if new_case:
                    self.joined(agency.id, case_id)
                if plan["event"]:
                    with self.lock:
                        self.event_jobs[agency.id].append(
                            {"case_id": case_id, "not_before": time.monotonic() + 1.0,
                             "tries": 0})
                return
            if r is not None and r.status not in (500, 503):
                self.problem("referral %s from %s: unexpected answer %r" % (
                    req["client_ref"], agency.id, r))
                return
            if time.monotonic() > deadline:
                self.problem("referral %s from %s: no 202 within %d s (%d attempts, last %r)" % (
                    req["client_ref"], agency.id, self.args.request_deadline, attempt, r))
                return
            self.retry_pause(attempt)

    # --- reading inboxes ---------------------------------------------------------------------

    def reader(self, agency_id):
        agency = self.agencies[agency_id]
        cursor = 0
        while not self.stop.is_set():
            try:
                r = call(agency, "GET", "/v1/inbox?after=%d&limit=500" % cursor)
            except (Refused, Ambiguous):
                time.sleep(0.1)
                continue
            if r.status != 200 or not isinstance(r.json, dict):
                time.sleep(0.1)
                continue
            items = r.json.get("items") or []
            for item in items:
                cursor = max(cursor, item.get("cursor") or 0)
                if item.get("kind") != "referral":
                    continue
                rid = item.get("referral_id")
                sheet = item.get("sheet") or {}
                i = sheet.get("i")
                if not isinstance(i, int) or not 0 <= i < len(self.referrals):
                    self.problem("%s inbox: referral %s with sheet %r" % (agency_id, rid, sheet))
                    continue
                with self.lock:
                    if rid in self.seen:
                        self.problems.append("%s inbox lists referral %s twice (cursors %s, %s)"
                                             % (agency_id, rid, self.seen[rid],
                                                item.get("cursor")))
                        continue
                    self.seen[rid] = item.get("cursor")
                    if item.get("case_id") not in self.member_set[agency_id]:
                        self.member_set[agency_id].add(item.get("case_id"))
                        self.member_cases[agency_id].append(item.get("case_id"))
                    steps = self.referrals[i]["steps"]
                    self.walks[rid] = {"i": i, "case_id": item.get("case_id"),
                                       "sender": item.get("from"), "recipient": agency_id,
                                       "steps": steps, "done": [], "next": 0, "gave_up": None}
                    if steps:
                        self.walk_queue[agency_id].append(rid)
            if not items:
                if self.walks_finished() and self.posting_done.is_set():
                    with self.lock:
                        mine = sum(1 for rec in self.acked.values()
                                   if rec["recipient"] == agency_id)
                        got = sum(1 for w in self.walks.values() if w["recipient"] == agency_id)
                    if got >= mine:
                        return
                time.sleep(0.15)

    # --- walking referrals through their states -------------------------------------------------

    def walks_finished(self):
        with self.lock:
            return not any(self.walk_queue.values()) and not any(self.walk_busy.values())

    def walker(self, agency_id):
        agency = self.agencies[agency_id]
        while not self.stop.is_set():
            with self.lock:
                rid = self.walk_queue[agency_id].popleft() if self.walk_queue[agency_id] else None
                if rid:
                    self.walk_busy[agency_id] += 1
            if rid is None:
                if self.posting_done.is_set() and self.all_seen() and self.walks_finished():
                    return
                time.sleep(0.05)
                continue
            try:
                self.wait_throttle()
                more = self.walk_step(agency, rid)
            except Exception as e:  # a test bug: say so, do not hang
                self.problem("walker %s: %s\n%s" % (agency_id, e, traceback.format_exc()))
                more = False
            with self.lock:
                if more:
                    self.walk_queue[agency_id].append(rid)
                self.walk_busy[agency_id] -= 1

    def all_seen(self):
        with self.lock:
            return len(self.seen) >= len(self.acked)

    def consent_for(self, agency, walk):
        key = (agency.id, walk["case_id"], walk["sender"])
        with self.lock:
            if key in self.consents:
                return self.consents[key]
        form = ("同意書（試験）case %s recipient %s" % (walk["case_id"], agency.id)).encode()
        req = {"case_id": walk["case_id"], "subject": "CHAOS-%d" % walk["i"],
               "cover_agencies": [walk["sender"]], "cover_types": [], "categories": ["free-text"],
               "purpose": "referral", "method": "written",
               "valid_from": harness.today_jst_plus(0), "valid_until": harness.today_jst_plus(180),
               "form_sha256": hashlib.sha256(form).hexdigest()}
        deadline = self.deadline()
        attempt = 0
        while not self.stop.is_set():
            attempt += 1
            try:
                r = call(agency, "POST", "/v1/consents", req)
            except (Refused, Ambiguous):
                r = None  # an ambiguous grant may leave a consent nobody uses: harmless
            if r is not None and r.status == 202 and (r.json or {}).get("consent_id"):
                with self.lock:
                    self.consents[key] = r.json["consent_id"]
                    self.consent_count += 1
                return r.json["consent_id"]
            if r is not None and r.status not in (500, 503):
                self.problem("%s POST /v1/consents for case %s: %r" % (agency.id, walk["case_id"],
                                                                      r))
                return None
            if time.monotonic() > deadline:
                self.problem("%s POST /v1/consents: no 202 within %d s" % (
                    agency.id, self.args.request_deadline))
                return None
            self.retry_pause(attempt)
        return None

    def walk_step(self, agency, rid):
        """Makes the next change of the walk; True when more steps remain."""
        walk = self.walks[rid]
        step = walk["steps"][walk["next"]]
        base = 1 + len(walk["done"])
        req = {"status": step["status"], "base_version": base}
        if step["outcome"]:
            req["outcome"] = step["outcome"]
        if step["reason"]:
            consent_id = self.consent_for(agency, walk)
            if not consent_id:
                walk["gave_up"] = "no consent"
                return False
            req.update(reason=step["reason"], legal_basis="consent", consent_id=consent_id,
                       data_categories=["free-text"])
        deadline = self.deadline()
        attempt = 0
        how = None
        while not self.stop.is_set():
            attempt += 1
            try:
                r = call(agency, "POST", "/v1/referrals/%s/status" % rid, req)
            except Refused:
                r = None
            except Ambiguous:
                # Did the change get committed before the connection broke?  Read it back.
                committed = self.committed_change(agency, rid, step["status"], base, deadline)
                if committed is None:
                    return False
                if committed:
                    how = "ambiguous"
                    break
                r = None
            if r is not None and r.status == 202:
                how = "202"
                break
            if r is not None and r.status not in (500, 503):
                self.problem("%s: status %s of referral %s at base %d refused: %r" % (
                    agency.id, step["status"], rid, base, r))
                walk["gave_up"] = "refused %d" % r.status
                return False
            if time.monotonic() > deadline:
                self.problem("%s: status %s of %s: no 202 within %d s" % (
                    agency.id, step["status"], rid, self.args.request_deadline))
                walk["gave_up"] = "deadline"
                return False
            self.retry_pause(attempt)
        if how is None:
            return False
        with self.lock:
            walk["done"].append((step["status"], how))
            walk["next"] += 1
            self.counts["status_%s" % how] += 1
            self.counts["status_to_%s" % step["status"]] += 1
        return walk["next"] < len(walk["steps"])

    def committed_change(self, agency, rid, status, base, deadline):
        """After an ambiguous POST: True when the change (status at base) is in the recipient's
        record (applied or pending), False when not, None on a problem."""
        attempt = 0
        while not self.stop.is_set():
            attempt += 1
            try:
                r = call(agency, "GET", "/v1/referrals/" + rid)
            except (Refused, Ambiguous):
                r = None
            if r is not None and r.status == 200 and isinstance(r.json, dict):
                j = r.json
                hist = j.get("state_history") or []
                if len(hist) > base:
                    return hist[base].get("state") == status
                for ch in j.get("pending_changes") or []:
                    if ch.get("base_version") == base:
                        return ch.get("status") == status
                return False
            if time.monotonic() > deadline:
                self.problem("%s GET /v1/referrals/%s after a broken POST: %r" % (
                    agency.id, rid, r))
                return None
            self.retry_pause(attempt)
        return None

    # --- case events -------------------------------------------------------------------------

    def eventer(self, agency_id):
        agency = self.agencies[agency_id]
        rng = random.Random("%d-%s" % (self.args.seed, agency_id))
        while not self.stop.is_set():
            now = time.monotonic()
            job = None
            with self.lock:
                jobs = self.event_jobs[agency_id]
                for k, j in enumerate(jobs):
                    if j["not_before"] <= now:
                        job = jobs.pop(k)
                        break
                idle = not jobs
            if job is None:
                if idle and self.posting_done.is_set():
                    return
                time.sleep(0.1)
                continue
            self.wait_throttle()
            self.case_event(agency, job, rng)

    def case_event(self, agency, job, rng):
        def later(what):
            job["tries"] += 1
            if job["tries"] >= 6:
                self.event_outcomes["skipped (%s)" % what] += 1
                return
            job["not_before"] = time.monotonic() + 1.0
            with self.lock:
                self.event_jobs[agency.id].append(job)

        try:
            r = call(agency, "GET", "/v1/cases/" + job["case_id"])
        except (Refused, Ambiguous):
            return later("down")
        if r.status != 200 or not isinstance(r.json, dict) or not r.json.get("synced"):
            return later("no copy yet")
        state = r.json.get("state")
        if state == "closed":
            self.event_outcomes["skipped (closed)"] += 1
            return
        if rng.random() < 0.3 or state not in NEXT_CASE_STATE:
            event = {"type": "note", "note": {"category": rng.choice(("visit", "call", "other")),
                                              "written_on": harness.today_jst_plus(0)}}
        else:
            event = {"type": "state", "state": NEXT_CASE_STATE[state]}
        try:
            r = call(agency, "POST", "/v1/cases/%s/events" % job["case_id"], event)
        except Refused:
            return later("down")
        except Ambiguous:
            self.event_outcomes["unknown (connection broke)"] += 1
            return
        if r.status == 202 and isinstance(r.json, dict) and r.json.get("event_id"):
            with self.lock:
                self.events.append({"event_id": r.json["event_id"], "case_id": job["case_id"],
                                    "by": agency.id, "type": event["type"],
                                    "state": event.get("state"),
                                    "base_version": r.json.get("base_version")})
                self.event_outcomes["answered 202"] += 1
            return
        if r.status in (409, 500, 503):
            return later("%d" % r.status)
        if r.status == 422 and (r.json or {}).get("error") == "illegal_transition":
            # Our own event still on its way moved the case already (the daemon counts it).
            self.event_outcomes["declined by the agency (illegal_transition)"] += 1
            return
        self.problem("%s POST /v1/cases/%s/events %r: %r" % (agency.id, job["case_id"], event, r))

    # --- pacing ------------------------------------------------------------------------------

    def pacer(self):
        """Keeps the letters waiting in outboxes and mailboxes under --backlog, as a sensible
        agency system would not pile up more than the hub forwards: the test is about crashes,
        not about overload (docs/benchmarks.md)."""
        token = self.cluster.coordinator_token()
        mailbox = 0
        while not self.stop.is_set():
            outbox = 0
            for a in self.agencies.values():
                try:
                    r = call(a.http_port, "GET", "/healthz", timeout=5)
                    if r.status == 200 and isinstance(r.json, dict):
                        outbox += r.json.get("outbox_pending") or 0
                except (Refused, Ambiguous):
                    pass
            try:
                r = call(self.cluster.http_port, "GET", "/metrics", token=token, timeout=5)
                if r.status == 200:
                    mailbox = sum(int(m) for m in re.findall(
                        r'^tsunagu_mailbox_depth\{[^}]*\} (\d+)', r.text, re.M))
            except (Refused, Ambiguous):
                pass  # keep the last value while the coordinator is down
            self.backlog = outbox + mailbox
            self.backlog_max = max(self.backlog_max, self.backlog)
            self.throttled = self.backlog > self.args.backlog
            if self.posting_done.is_set() and self.walks_finished() and self.all_seen():
                self.throttled = False
                return
            time.sleep(0.2)

    # --- the kill schedule -------------------------------------------------------------------

    def daemon_of(self, name):
        if name == "coordinator":
            return self.cluster.coordinator
        return self.agencies[name].daemon

    def http_port_of(self, name):
        if name == "coordinator":
            return self.cluster.http_port
        return self.agencies[name].http_port

    def wait_up(self, name, timeout=60):
        port = self.http_port_of(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.cluster.alive()
            try:
                r = call(port, "GET", "/healthz", timeout=5)
                if r.status == 200:
                    return time.monotonic()
            except (Refused, Ambiguous):
                pass
            time.sleep(0.05)
        raise harness.TestFailure("%s did not answer /healthz within %d s of its restart\n%s" % (
            name, timeout, harness.tail(self.daemon_of(name).log_path, 40)))

    def controller(self, traffic_threads):
        """Runs the schedule in the calling thread; returns when it is done and the posters
        have finished.  Checks every daemon stays up (except the one it killed)."""
        pending = list(self.schedule)
        give_up = time.monotonic() + self.args.traffic_deadline
        while True:
            self.cluster.alive()
            if self.stop.is_set():
                return
            if time.monotonic() > give_up:
                raise harness.TestFailure("the traffic did not finish within %d s (%d of %d "
                                          "referrals acknowledged, backlog %d)" % (
                                              self.args.traffic_deadline, self.acked_count,
                                              len(self.referrals), self.backlog))
            with self.cond:
                if pending and self.acked_count >= pending[0]["at"]:
                    kill = pending.pop(0)
                    count = self.acked_count
                else:
                    kill = None
                    self.cond.wait(0.1)
            if kill:
                self.kill(kill, count)
                continue
            if not pending and not any(t.is_alive() for t in traffic_threads):
                return

    def kill(self, kill, count):
        name = kill["target"]
        time.sleep(kill["jitter"])
        daemon = self.daemon_of(name)
        t0 = time.monotonic()
        pid = daemon.pid
        daemon.kill9()
        time.sleep(kill["pause"])
        daemon.start()
        t_up = self.wait_up(name)
        entry = dict(kill, count=count, pid=pid, t=round(t0 - self.t_start, 2),
                     down=round(t_up - t0, 2), backlog=self.backlog)
        self.kills.append(entry)
        print("     kill %2d: %-16s after %6d referrals (t=%6.1f s, pid %d), down %.2f s, "
              "backlog %d" % (len(self.kills), name, count, entry["t"], pid, entry["down"],
                              self.backlog), flush=True)

    # --- everything --------------------------------------------------------------------------

    def run(self):
        self.t_start = time.monotonic()
        queues = collections.defaultdict(list)
        for plan in self.referrals:
            queues[plan["sender"]].append(plan)
        posters = []
        for a in self.agencies:
            # With more than one poster per agency, each takes every P-th referral of its queue.
            for k in range(self.args.posters):
                posters.append(threading.Thread(target=self.guard, name="post-%s-%d" % (a, k),
                                                args=(self.poster, a,
                                                      queues[a][k::self.args.posters])))
        others = []
        for a in self.agencies:
            others.append(threading.Thread(target=self.guard, name="read-" + a,
                                           args=(self.reader, a)))
            for k in range(self.args.walkers):
                others.append(threading.Thread(target=self.guard, name="walk-%s-%d" % (a, k),
                                               args=(self.walker, a)))
            others.append(threading.Thread(target=self.guard, name="event-" + a,
                                           args=(self.eventer, a)))
        others.append(threading.Thread(target=self.guard, name="pacer", args=(self.pacer,)))
        for t in posters + others:
            t.daemon = True
            t.start()
        try:
            self.controller(posters)
            self.t_posted = time.monotonic()
            self.posting_done.set()
            print("     %d referrals acknowledged, %d kills done, %.1f s; walks finishing" % (
                self.acked_count, len(self.kills), self.t_posted - self.t_start), flush=True)
            give_up = time.monotonic() + self.args.drain
            while any(t.is_alive() for t in others):
                self.cluster.alive()
                if self.stop.is_set():
                    break
                if time.monotonic() > give_up:
                    with self.lock:
                        queued = sum(len(q) for q in self.walk_queue.values())
                    # Not fatal here: the checks that follow say what is missing.
                    self.problem(
                        "status walks and case events did not finish within %d s after the "
                        "last referral: %d referrals of %d seen by recipients, %d walks queued, "
                        "backlog %d; threads left: %s" % (
                            self.args.drain, len(self.seen), len(self.acked), queued,
                            self.backlog, [t.name for t in others if t.is_alive()]))
                    break
                time.sleep(0.1)
        finally:
            self.t_walked = time.monotonic()
            self.stop.set()  # every thread ends (they are daemon threads in any case)

    def guard(self, fn, *a):
        try:
            fn(*a)
        except Exception as e:
            self.problem("thread %s: %s: %s\n%s" % (threading.current_thread().name,
                                                     type(e).__name__, e,
                                                     traceback.format_exc()))
            self.stop.set()


# --- checks at the end ------------------------------------------------------------------------

def parallel(items, fn, threads=6):
    """fn(item) for every item on a few threads; returns {item: result}."""
    out = {}
    items = list(items)
    lock = threading.Lock()
    it = iter(items)
    errors = []

    def work():
        while True:
            with lock:
                try:
                    x = next(it)
                except StopIteration:
                    return
            try:
                y = fn(x)
            except Exception as e:
                with lock:
                    errors.append((x, e))
                continue
            with lock:
                out[x] = y
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise harness.TestFailure("%d requests failed, e.g. %r" % (len(errors), errors[:3]))
    return out


def get_json(port_or_agency, path, token=None, tries=20):
    last = None
    for k in range(tries):
        try:
            r = call(port_or_agency, "GET", path, token=token)
            if r.status == 200 and r.json is not None:
                return r.json
            if r.status == 404:
                return None
            last = r
        except (Refused, Ambiguous) as e:
            last = e
        time.sleep(0.1 * (k + 1))
    raise harness.TestFailure("GET %s: %r" % (path, last))


def drain(chaos, timeout):
    """Waits until every outbox is empty and every mailbox at the coordinator is empty, and
    stays so for a second (receipts and case updates settle)."""
    cluster = chaos.cluster
    token = cluster.coordinator_token()
    deadline = time.monotonic() + timeout
    quiet_since = None
    last = None
    while True:
        cluster.alive()
        state = {}
        for a in chaos.agencies.values():
            h = a.healthz() or {}
            state[a.id] = (h.get("outbox_pending"), h.get("coordinator"))
        r = cluster.coord_get("/metrics")
        depths = dict(re.findall(r'^tsunagu_mailbox_depth\{agency="([^"]*)"\} (\d+)', r.text,
                                 re.M)) if r.status == 200 else None
        ok = (depths is not None and all(int(v) == 0 for v in depths.values())
              and all(o == 0 and c == "connected" for o, c in state.values()))
        last = (state, depths)
        now = time.monotonic()
        if ok:
            quiet_since = quiet_since or now
            if now - quiet_since >= 1.5:
                return now
        else:
            quiet_since = None
        if now > deadline:
            raise harness.TestFailure("the cluster did not drain within %d s: outboxes and links "
                                      "%r, mailbox depths %r" % (timeout, last[0], last[1]))
        time.sleep(0.25)


def read_inbox(agency, page=500):
    """Every item of the agency's inbox, in cursor order, keeping only what the checks use (a
    long run's inboxes hold hundreds of thousands of letters)."""
    items = []
    after = 0
    for _ in range(1000000):
        j = get_json(agency, "/v1/inbox?after=%d&limit=%d" % (after, page))
        batch = (j or {}).get("items")
        harness.check(isinstance(batch, list), "%s GET /v1/inbox?after=%d: %r" % (
            agency.id, after, j))
        if not batch:
            return items
        for it in batch:
            harness.check(isinstance(it.get("cursor"), int) and it["cursor"] > after,
                          "%s inbox cursor %r not above %d" % (agency.id, it.get("cursor"), after))
            after = it["cursor"]
            sheet = it.get("sheet") if isinstance(it.get("sheet"), dict) else {}
            items.append({k: it.get(k) for k in ("cursor", "kind", "referral_id", "message_id",
                                                 "from", "case_id", "base_version", "status")})
            items[-1]["sheet"] = {k: sheet.get(k) for k in ("i", "n", "from") if k in sheet}
        harness.check(j.get("next_cursor") == after, "%s inbox next_cursor %r != %d" % (
            agency.id, j.get("next_cursor"), after))
    harness.fail("the inbox of %s never ended" % agency.id)


def slim_referral(j):
    """What the checks use of a GET /v1/referrals/{id} answer (agency or coordinator)."""
    if not isinstance(j, dict):
        return j
    out = {k: j.get(k) for k in ("delivery", "state", "version", "pending_changes", "errors",
                                 "out_of_sync")}
    rc = j.get("receipts") or {}
    out["receipts"] = {k: rc.get(k) for k in ("stored_at", "delivered_at")}
    out["state_history"] = [{"state": e.get("state"), "delivered_at": e.get("delivered_at")}
                            for e in j.get("state_history") or []]
    return out


def coordinator_resends(cluster):
    """{(kind, first 16 hex digits of the message id)} of every letter the coordinator's log
    (with -v) shows resent by its sender after it was stored ("answered again")."""
    out = set()
    pattern = re.compile(rb"resend of (\S+) ([0-9a-f]{16}) seq \d+ from \S+: answered again")
    try:
        with open(cluster.coordinator.log_path, "rb") as f:
            for line in f:
                if b"answered again" in line:
                    m = pattern.search(line)
                    if m:
                        out.add((m.group(1).decode(), m.group(2).decode()))
    except OSError:
        pass
    return out


def expected_history(walk):
    return ["requested"] + [s for s, _how in walk["done"]] if walk else ["requested"]


def check_all(chaos, results):
    cluster = chaos.cluster
    agencies = chaos.agencies
    acked = chaos.acked
    token = cluster.coordinator_token()
    walks = chaos.walks

    def no_problems():
        harness.check(not chaos.problems, "%d problems during the traffic:\n%s" % (
            len(chaos.problems), "\n".join(chaos.problems[:30])))
    results.check("no unexpected answer during the traffic", no_problems)

    def all_acked():
        missing = [p["i"] for p in chaos.referrals if p["i"] not in chaos.acked_by_i]
        harness.check(not missing, "%d planned referrals never acknowledged, e.g. %s" % (
            len(missing), missing[:10]))
    results.check("every one of the %d planned referrals was answered 202 (or 200 to a retry)"
                  % len(chaos.referrals), all_acked)

    # --- inboxes: exactly once, per-sender order ---------------------------------------------
    inboxes = {a.id: read_inbox(a) for a in agencies.values()}

    def exactly_once_in_order():
        problems = []
        for aid, items in inboxes.items():
            refs = [it for it in items if it.get("kind") == "referral"]
            rids = collections.Counter(it.get("referral_id") for it in refs)
            mids = collections.Counter(it.get("message_id") for it in items)
            doubled = [r for r, c in rids.items() if c > 1]
            if doubled:
                problems.append("%s: %d referrals doubled, e.g. %s" % (aid, len(doubled),
                                                                        doubled[:5]))
            dm = [m for m, c in mids.items() if c > 1]
            if dm:
                problems.append("%s: %d message ids doubled, e.g. %s" % (aid, len(dm), dm[:5]))
            want = {rid for rid, rec in acked.items() if rec["recipient"] == aid}
            missing = sorted(want - set(rids))
            if missing:
                problems.append("%s: %d acknowledged referrals missing (lost), e.g. %s" % (
                    aid, len(missing), [(m, acked[m]["client_ref"]) for m in missing[:5]]))
            strangers = sorted(set(rids) - want)
            if strangers:
                problems.append("%s: %d referrals nobody acknowledged, e.g. %s" % (
                    aid, len(strangers), strangers[:5]))
            by_sender = collections.defaultdict(list)
            for it in refs:
                rid = it.get("referral_id")
                rec = acked.get(rid)
                sheet = it.get("sheet") or {}
                if rec is None:
                    continue
                if (it.get("from") != rec["sender"] or sheet.get("i") != rec["i"]
                        or it.get("case_id") != rec["case_id"]):
                    problems.append("%s: %s holds from %r sheet %r case %r, posted as %r" % (
                        aid, rid, it.get("from"), sheet, it.get("case_id"), rec))
                by_sender[rec["sender"]].append(rec)
            # Per sender→recipient pair: a referral acknowledged before another was sent must
            # come first (with one poster per agency that is the order of the 202s).
            for sender, recs in by_sender.items():
                later_ack = float("inf")
                bad = []
                for rec in reversed(recs):
                    if later_ack < rec["t_send"]:
                        bad.append(rec["client_ref"])
                    later_ack = min(later_ack, rec["t_ack"])
                if bad:
                    problems.append("%s → %s: %d referrals arrived after one the sender posted "
                                    "later, e.g. %s" % (sender, aid, len(bad), bad[:5]))
        harness.check(not problems, "\n".join(problems))
    results.check("every acknowledged referral is in its recipient's inbox exactly once, in "
                  "per-sender order (no loss, no double, no stranger)", exactly_once_in_order)

    # --- status letters exactly once, in order ------------------------------------------------
    status_mids = {}  # (sender, referral id, base version) -> the status letter's message id
    for aid, items in inboxes.items():
        for it in items:
            if it.get("kind") == "referral-status":
                status_mids[(aid, it.get("referral_id"), it.get("base_version"))] = \
                    it.get("message_id")

    def status_letters():
        problems = []
        for aid, items in inboxes.items():
            seen = collections.defaultdict(list)
            for it in items:
                if it.get("kind") == "referral-status":
                    seen[it.get("referral_id")].append((it.get("base_version"), it.get("status")))
            for rid, rec in acked.items():
                if rec["sender"] != aid:
                    continue
                walk = walks.get(rid)
                want = [(k + 1, s) for k, (s, _h) in enumerate(walk["done"])] if walk else []
                got = seen.pop(rid, [])
                if got != want:
                    problems.append("%s: status letters of %s %r, expected %r" % (aid, rid, got,
                                                                                 want))
            if seen:
                problems.append("%s: status letters about unknown referrals %s" % (
                    aid, list(seen)[:5]))
        harness.check(not problems, "%d problems, e.g.\n%s" % (len(problems),
                                                              "\n".join(problems[:10])))
    results.check("every status change reached the sender's inbox exactly once, in order",
                  status_letters)

    # --- the referral on all three sides ------------------------------------------------------
    rids = sorted(acked)
    t0 = time.monotonic()
    sender_view = parallel(rids, lambda r: slim_referral(get_json(
        agencies[acked[r]["sender"]], "/v1/referrals/" + r)))
    recipient_view = parallel(rids, lambda r: slim_referral(get_json(
        agencies[acked[r]["recipient"]], "/v1/referrals/" + r)))
    coord_view = parallel(rids, lambda r: slim_referral(get_json(
        cluster.http_port, "/v1/referrals/" + r, token=token)))
    print("     %d referrals read on three sides in %.1f s" % (len(rids), time.monotonic() - t0),
          flush=True)

    def delivered():
        bad = []
        for r in rids:
            j = sender_view.get(r) or {}
            rc = j.get("receipts") or {}
            if j.get("delivery") != "delivered" or not rc.get("stored_at") or not rc.get(
                    "delivered_at"):
                bad.append("%s (%s): delivery %r receipts %r" % (r, acked[r]["client_ref"],
                                                                 j.get("delivery"), rc))
        harness.check(not bad, "%d referrals not delivered at their sender, e.g.\n%s" % (
            len(bad), "\n".join(bad[:10])))
    results.check("each sender sees \"delivered\" (both receipts) for each of its referrals",
                  delivered)

    def states_agree():
        bad = []
        known = []
        resent = coordinator_resends(cluster)
        for r in rids:
            walk = walks.get(r)
            want = expected_history(walk)
            for side, view in (("sender", sender_view), ("recipient", recipient_view)):
                j = view.get(r) or {}
                got = [e.get("state") for e in j.get("state_history") or []]
                if (got != want or j.get("state") != want[-1] or j.get("version") != len(want)
                        or j.get("pending_changes") or j.get("errors") or j.get("out_of_sync")):
                    bad.append("%s at the %s: history %r, state %r v%r, pending %r, errors %r, "
                               "out_of_sync %r; expected %r" % (
                                   r, side, got, j.get("state"), j.get("version"),
                                   j.get("pending_changes"), j.get("errors"),
                                   j.get("out_of_sync"), want))
            j = recipient_view.get(r) or {}
            for base, e in enumerate((j.get("state_history") or [])[1:], 1):
                if e.get("delivered_at"):
                    continue
                # Known bug (README.md): the recipient drops the sender's receipt when it comes
                # before the coordinator's RECEIPT_STORED, which happens when the STORED answer
                # was lost with a kill and the letter had to be resent ("answered again").
                mid = status_mids.get((acked[r]["sender"], r, base)) or ""
                what = "%s at the recipient %s: change %d (%s) without delivered_at, though the " \
                       "sender holds the letter %s" % (r, acked[r]["recipient"], base,
                                                        e.get("state"), mid or "?")
                if mid and ("referral-status", mid[:16]) in resent:
                    known.append(what + ", resent after it was stored")
                else:
                    bad.append(what)
            c = coord_view.get(r) or {}
            if c.get("state") != want[-1] or c.get("version") != len(want):
                bad.append("%s at the coordinator: %r v%r; expected %r v%d" % (
                    r, c.get("state"), c.get("version"), want[-1], len(want)))
        if known:
            chaos.known["status-receipt-before-stored"] = known
            print("     KNOWN BUG status-receipt-before-stored: %d changes, e.g.\n       %s" % (
                len(known), "\n       ".join(known[:3])), flush=True)
            if chaos.args.strict:
                bad += known
        harness.check(not bad, "%d disagreements, e.g.\n%s" % (len(bad), "\n".join(bad[:10])))
    results.check("every status change answered 202 is applied, in order, at the sender, the "
                  "recipient and the coordinator (state, version, history), and the recipient "
                  "holds the sender's receipt for each", states_agree)

    # --- cases -----------------------------------------------------------------------------
    coord_cases = {}
    after = None
    for _ in range(100000):
        path = "/v1/cases?limit=500" + ("&after=" + after if after else "")
        j = get_json(cluster.http_port, path, token=token)
        for c in (j or {}).get("cases") or []:
            coord_cases[c["case_id"]] = c
        after = (j or {}).get("next_after")
        if not after:
            break
    copies = {}
    for a in agencies.values():
        j = get_json(a, "/v1/cases")
        copies[a.id] = {c["case_id"]: c for c in (j or {}).get("items") or []}

    def cases_agree():
        problems = []
        used = collections.defaultdict(list)
        for rid, rec in acked.items():
            used[rec["case_id"]].append(rec)
        for cid, recs in used.items():
            c = coord_cases.get(cid)
            if not c:
                problems.append("case %s (%d referrals) unknown to the coordinator" % (
                    cid, len(recs)))
                continue
            if c.get("referral_count") != len(recs):
                problems.append("case %s: the coordinator counts %r referrals, %d were "
                                "acknowledged" % (cid, c.get("referral_count"), len(recs)))
            want = {x for rec in recs for x in (rec["sender"], rec["recipient"])}
            if set(c.get("agencies") or []) != want or len(c.get("agencies") or []) != len(want):
                problems.append("case %s: the coordinator lists agencies %r, expected %s" % (
                    cid, c.get("agencies"), sorted(want)))
        for cid in set(coord_cases) - set(used):
            problems.append("the coordinator has case %s nobody made" % cid)
        for aid, mine in copies.items():
            for cid, c in coord_cases.items():
                on = aid in (c.get("agencies") or [])
                copy = mine.get(cid)
                if on and not copy:
                    problems.append("%s has no copy of case %s" % (aid, cid))
                elif copy and not on:
                    problems.append("%s has a copy of case %s it is not on" % (aid, cid))
                elif copy:
                    a = (copy.get("state"), copy.get("version"), copy.get("agencies"),
                         copy.get("synced"))
                    b = (c.get("state"), c.get("version"), c.get("agencies"), True)
                    if a != b:
                        problems.append("case %s: %s's copy %r, the coordinator %r" % (
                            cid, aid, a, b))
            for cid in set(mine) - set(coord_cases):
                problems.append("%s has a copy of case %s the coordinator does not know" % (
                    aid, cid))
        harness.check(not problems, "%d problems, e.g.\n%s" % (len(problems),
                                                              "\n".join(problems[:15])))
    results.check("%d cases: the coordinator and every agency's copy agree (state, version, "
                  "agencies in order); referral counts and agencies as acknowledged" % len(
                      coord_cases), cases_agree)

    states = collections.Counter(c.get("state") for c in coord_cases.values())
    chaos.case_states = dict(states)

    # --- case events -----------------------------------------------------------------------
    event_cases = sorted({e["case_id"] for e in chaos.events})
    coord_full = parallel(event_cases, lambda c: get_json(cluster.http_port, "/v1/cases/" + c,
                                                          token=token))
    needed = sorted({(aid, cid) for cid in event_cases
                     for aid in (coord_full.get(cid) or {}).get("agencies") or []})
    agency_full = parallel(needed, lambda k: get_json(agencies[k[0]], "/v1/cases/" + k[1]))

    def events_once():
        problems = []
        known = []
        applied = rejected = 0
        for e in chaos.events:
            cid, eid = e["case_id"], e["event_id"]
            c = coord_full.get(cid) or {}
            timeline = c.get("timeline") or []
            at = [k for k, t in enumerate(timeline) if t.get("event_id") == eid]
            own = agency_full.get((e["by"], cid)) or {}
            refused = [x for x in own.get("rejected_events") or [] if x.get("event_id") == eid]
            mine = [x for x in own.get("events") or [] if x.get("event_id") == eid]
            if len(at) > 1:
                problems.append("event %s applied %d times at the coordinator" % (eid, len(at)))
            if at and refused:
                problems.append("event %s both applied and refused" % eid)
            if not at and not refused:
                problems.append("event %s by %s on %s answered 202 but neither applied nor "
                                "refused (lost); %s's copy: %r" % (eid, e["by"], cid, e["by"],
                                                                   mine))
                continue
            if refused:
                rejected += 1
                code = refused[0].get("error")
                chaos.event_outcomes["refused by the coordinator: %s" % code] += 1
                continue
            applied += 1
            # Who was on the case when it was applied (the timeline up to it), but its author.
            members = set()
            for t in timeline[:at[0]]:
                if t.get("type") == "opened" or t.get("type") == "agency-joined":
                    members.add(t.get("agency"))
            members.discard(e["by"])
            if len(mine) != 1:
                problems.append("event %s: its author %s lists it %d times: %r" % (
                    eid, e["by"], len(mine), mine))
            elif mine[0].get("status") != "applied":
                # Known bug (README.md): the coordinator sends one CASE_UPDATE per case and
                # batch, naming only the batch's last change; the author marks its event
                # applied only when the update names it.  Recognised by its signature: another
                # change of the case in the same batch (same time, higher version).
                v = timeline[at[0]].get("version")
                same_batch = any(t.get("at") == timeline[at[0]].get("at")
                                 and (t.get("version") or 0) > (v or 0) for t in timeline)
                if (mine[0].get("status") == "stored" and same_batch
                        and (own.get("version") or 0) >= (v or 0)):
                    known.append("event %s (%s on case %s, applied at version %s in the same "
                                 "batch as another change) stays \"stored\" at its author %s" % (
                                     eid, e["type"], cid, v, e["by"]))
                else:
                    problems.append("event %s: applied at the coordinator, its author %s lists "
                                    "it %r" % (eid, e["by"], mine))
            receipts = {d.get("agency") for d in (mine[0].get("delivered_to") or [])} \
                if mine else set()
            for aid in members:
                copy = agency_full.get((aid, cid)) or {}
                got = [x for x in copy.get("events") or [] if x.get("event_id") == eid]
                if len(got) != 1:
                    problems.append("event %s on %s: %s holds it %d times" % (eid, cid, aid,
                                                                              len(got)))
                if aid not in receipts:
                    problems.append("event %s on %s: its author %s has no receipt from %s "
                                    "(delivered_to %r)" % (eid, cid, e["by"], aid,
                                                           sorted(receipts)))
        chaos.event_outcomes["applied"] = applied
        for (aid, cid), copy in agency_full.items():
            ids = collections.Counter(x.get("event_id") for x in (copy or {}).get("events") or [])
            dup = [i for i, n in ids.items() if n > 1]
            if dup:
                problems.append("%s's copy of %s lists events twice: %s" % (aid, cid, dup[:3]))
        if known:
            chaos.known["own-event-stays-stored"] = known
            print("     KNOWN BUG own-event-stays-stored: %d events, e.g.\n       %s" % (
                len(known), "\n       ".join(known[:3])), flush=True)
            if chaos.args.strict:
                problems += known
        harness.check(not problems, "%d problems, e.g.\n%s" % (len(problems),
                                                              "\n".join(problems[:15])))
    results.check("%d case events answered 202: each applied once (held once by every other "
                  "agency on the case, with its receipt at the author) or refused, none lost"
                  % len(chaos.events),
                  events_once)


# --- the report -------------------------------------------------------------------------------

def git_commit(bin_dir):
    """The commit the daemons were built from: the git HEAD of the build's source tree (from
    BUILD/CMakeCache.txt, else this repository), noting uncommitted changes to the daemons."""
    source = REPO
    try:
        with open(os.path.join(bin_dir, os.pardir, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    source = line.split("=", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["git", "-C", source, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        if out.returncode != 0:
            return "unknown (%s is not a git work tree; give --commit)" % source
        dirty = subprocess.run(["git", "-C", source, "status", "--porcelain",
                                "--untracked-files=no", "--", "services", "include"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (+ uncommitted changes in services/ or include/)"
                                     if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def summary(chaos, results, args, ok, started, finished):
    c = chaos.counts if chaos else collections.Counter()
    kills = chaos.kills if chaos else []
    per = collections.Counter(k["target"] for k in kills)
    statuses = sum(v for k, v in c.items() if k in ("status_202", "status_ambiguous"))
    traffic = ((chaos.t_walked or finished) - chaos.t_start) if chaos and chaos.t_start else 0
    posting = ((chaos.t_posted or finished) - chaos.t_start) if chaos and chaos.t_start else 0
    return {
        "result": "PASS" if ok else "FAIL",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": args.commit or git_commit(args.bin),
        "bin": os.path.abspath(args.bin),
        "seed": args.seed,
        "command": "python3 tests/chaos/test_chaos.py " + shlex.join(sys.argv[1:]),
        "referrals_planned": len(chaos.referrals) if chaos else 0,
        "referrals_acknowledged": chaos.acked_count if chaos else 0,
        "referrals_answered_200_to_a_retry": c["referral_answered_200"],
        "referral_retries_refused": c["referral_refused_retries"],
        "referral_retries_broken": c["referral_ambiguous_retries"],
        "pairs": dict(sorted(collections.Counter(
            "%s→%s" % (r["sender"].split("-")[0], r["recipient"].split("-")[0])
            for r in (chaos.acked.values() if chaos else [])).items())),
        "status_changes": statuses,
        "status_changes_answered_202": c["status_202"],
        "status_changes_committed_before_a_broken_connection": c["status_ambiguous"],
        "status_changes_by_state": {k[len("status_to_"):]: v for k, v in sorted(c.items())
                                    if k.startswith("status_to_")},
        "consents_granted": chaos.consent_count if chaos else 0,
        "case_events": dict(chaos.event_outcomes) if chaos else {},
        "cases": sum((getattr(chaos, "case_states", {}) or {}).values()) if chaos else 0,
        "case_states": getattr(chaos, "case_states", {}) if chaos else {},
        "kills": len(kills),
        "kills_per_daemon": {d: per.get(d, 0) for d in DAEMONS},
        "restarts": len(kills),
        "kill_log": kills,
        "backlog_limit": args.backlog,
        "backlog_max": chaos.backlog_max if chaos else 0,
        "throttled_seconds": round(chaos.throttle_seconds, 1) if chaos else 0,
        "posting_seconds": round(posting, 1),
        "traffic_seconds": round(traffic, 1),
        "total_seconds": round(finished - started, 1),
        "referrals_per_second": round((chaos.acked_count if chaos else 0) / posting, 1)
        if posting else 0,
        "letters_per_second": round(((chaos.acked_count if chaos else 0) + statuses) / traffic, 1)
        if traffic else 0,
        "known_bugs": {k: {"count": len(v), "examples": v[:3]}
                       for k, v in (chaos.known if chaos else {}).items()},
        "tag_pool": args.tag_pool,
        "checks_passed": list(results.passed),
        "checks_failed": [[n, str(w)[:2000]] for n, w in results.failed],
        "load_average": os.getloadavg(),
    }


def write_report(path, s):
    if not path.endswith(".md"):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(s, f, ensure_ascii=False, indent=2)
            f.write("\n")
        return
    lines = []
    w = lines.append
    w("# Chaos test: the last long run")
    w("")
    w("`tests/chaos/test_chaos.py` (see `tests/chaos/README.md`): the coordinator and the four "
      "agency daemons under referral, status and case traffic while a seeded schedule SIGKILLs "
      "and restarts any of them; then every check below. This page is the report the test "
      "writes with `--report docs/chaos.md`.")
    w("")
    w("| | |")
    w("|---|---|")
    known = ", ".join("`%s` %d" % (k, v["count"]) for k, v in sorted(s["known_bugs"].items()))
    w("| result | **%s**%s |" % (s["result"], " (known bugs seen, not counted: %s; see below)" %
                                 known if known else ""))
    w("| date | %s |" % s["date"])
    w("| commit | `%s` |" % s["commit"])
    shown = os.path.relpath(s["bin"], REPO)
    w("| daemons | `%s` |" % (s["bin"] if shown.startswith("..") else shown))
    w("| seed | %d |" % s["seed"])
    w("| command | `%s` |" % s["command"])
    w("| referrals acknowledged | %d of %d planned (%d answered 200 to a retried POST with the "
      "same client_ref) |" % (s["referrals_acknowledged"], s["referrals_planned"],
                              s["referrals_answered_200_to_a_retry"]))
    w("| sender → recipient | %s |" % ", ".join("%s %d" % kv for kv in s["pairs"].items()))
    w("| retried POSTs | %d on a refused connection, %d on a connection broken mid-request |" % (
        s["referral_retries_refused"], s["referral_retries_broken"]))
    w("| status changes | %d (%d answered 202, %d committed before a broken connection, found by "
      "reading the referral back); %s |" % (
          s["status_changes"], s["status_changes_answered_202"],
          s["status_changes_committed_before_a_broken_connection"],
          ", ".join("%s %d" % kv for kv in s["status_changes_by_state"].items())))
    w("| consents granted (for reasons) | %d |" % s["consents_granted"])
    w("| case events | %s |" % (", ".join("%s %d" % kv for kv in sorted(
        s["case_events"].items())) or "none"))
    w("| cases | %d: %s |" % (s["cases"], ", ".join("%s %d" % kv for kv in sorted(
        s["case_states"].items()))))
    w("| kills (SIGKILL) | %d: %s |" % (s["kills"], ", ".join(
        "%s %d" % kv for kv in s["kills_per_daemon"].items())))
    w("| restarts | %d |" % s["restarts"])
    w("| duration | %.1f s posting referrals, %.1f s until every walk was done, %.1f s in all "
      "(with start-up, drain and checks) |" % (s["posting_seconds"], s["traffic_seconds"],
                                               s["total_seconds"]))
    w("| throughput | %.1f referrals/s acknowledged while posting; %.1f letters/s (referrals and "
      "status changes) over the traffic |" % (s["referrals_per_second"],
                                              s["letters_per_second"]))
    w("| pacing | new requests held while more than %d letters waited in outboxes and "
      "mailboxes (peak seen %d, after kills; %.0f thread-seconds held in all) |" % (
          s["backlog_limit"], s["backlog_max"], s["throttled_seconds"]))
    w("| load average at the end | %.2f %.2f %.2f |" % tuple(s["load_average"]))
    w("")
    w("## Checks")
    w("")
    for name in s["checks_passed"]:
        w("- ok: %s" % name)
    for name, why in s["checks_failed"]:
        w("- **FAIL**: %s — %s" % (name, why.replace("\n", " / ")[:1500]))
    if s["known_bugs"]:
        w("")
        w("## Signatures of fixed bugs seen (with `--lenient`, reported and not counted)")
        w("")
        for name, k in sorted(s["known_bugs"].items()):
            w("- `%s` (tests/chaos/README.md): %d instances, e.g. %s" % (
                name, k["count"], "; ".join(k["examples"])))
    w("")
    w("## Kills")
    w("")
    w("| # | daemon | after referral | at s | down s | pause s | backlog |")
    w("|---|---|---|---|---|---|---|")
    for k, kill in enumerate(s["kill_log"], 1):
        w("| %d | %s | %d | %.1f | %.2f | %.2f | %d |" % (k, kill["target"], kill["count"],
                                                        kill["t"], kill["down"], kill["pause"],
                                                        kill["backlog"]))
    w("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


# --- main -------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the schedule's seed")
    p.add_argument("--referrals", type=int, default=1500, help="referrals to post (1500)")
    p.add_argument("--kills", type=int, default=8, help="SIGKILLs in the schedule (8)")
    p.add_argument("--bin", default=os.path.join(REPO, "build", "bin"),
                   help="folder holding the built daemons and tsunaguctl")
    p.add_argument("--data", default=os.path.join(REPO, "tests", "integration", "data"),
                   help="tests/integration/data (its households' tags are used)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir even on success")
    p.add_argument("--quiet", action="store_true", help="start the daemons without -v")
    p.add_argument("--report", help="write a summary: markdown when FILE ends in .md, else JSON")
    p.add_argument("--tag-pool", type=int, default=TAG_POOL,
                   help="how many of the households' 20 tags the referrals draw on (%d; 0: all). "
                        "More than 16 lets a case collect more than 16 tags (up to the 32 a "
                        "case update carries)" % TAG_POOL)
    p.add_argument("--new-cases", type=float, default=0.35,
                   help="the share of referrals that open a case (0.35); the others refer about "
                        "one of the sender's cases")
    p.add_argument("--case-window", type=int, default=40,
                   help="... chosen among the sender's last N cases (40)")
    p.add_argument("--posters", type=int, default=1,
                   help="concurrent POST /v1/referrals per sending agency (1: the inbox order "
                        "must be exactly the order of the 202s)")
    p.add_argument("--walkers", type=int, default=2,
                   help="threads per agency making status changes (2)")
    p.add_argument("--backlog", type=int, default=1500,
                   help="hold new requests while more letters wait in outboxes and mailboxes")
    p.add_argument("--request-deadline", type=int, default=120,
                   help="seconds one request may be retried before it counts as failed")
    p.add_argument("--traffic-deadline", type=int, default=3600,
                   help="seconds for posting every referral")
    p.add_argument("--drain", type=int, default=300,
                   help="seconds for the walks, and then for the cluster, to drain after the "
                        "last referral")
    p.add_argument("--commit", help="what to report as the daemons' commit (default: the git "
                                    "HEAD of the build's source tree)")
    p.add_argument("--lenient", action="store_true",
                   help="only report the signatures of the bugs fixed since (README.md), as the "
                        "test did before they were fixed, instead of failing on them")
    p.add_argument("--stop-on-problem", action="store_true",
                   help="stop the traffic at the first unexpected answer")
    args = p.parse_args()
    args.strict = not args.lenient
    if (args.referrals < 1 or args.kills < 0 or args.posters < 1 or args.walkers < 1
            or args.case_window < 1 or not 0 <= args.new_cases <= 1):
        p.error("--referrals, --posters, --walkers and --case-window must be positive, --kills "
                "not negative, --new-cases from 0 to 1")
    return args


def main():
    args = parse_args()

    def terminated(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    started = time.monotonic()
    results = harness.Results()
    cluster = harness.Cluster(argparse.Namespace(bin=args.bin, quiet=args.quiet, keep=args.keep),
                              "chaos")
    print("chaos: seed %d, %d referrals, %d kills; temp dir %s" % (
        args.seed, args.referrals, args.kills, cluster.root), flush=True)
    chaos = None
    ok = False
    try:
        tags = sorted({t for h in harness.load_households(args.data) for t in h["tags"]})
        tags = tags[:args.tag_pool] if args.tag_pool else tags
        cluster.init()
        agencies = {}
        for t in harness.AGENCY_TYPES:
            a = cluster.add_agency(t + "-chuo", t)
            agencies[a.id] = a
        referrals, schedule = make_plan(args.seed, args.referrals, args.kills, list(agencies),
                                        tags, args.new_cases)
        print("     schedule: %s" % ", ".join("%s@%d" % (k["target"].split("-")[0], k["at"])
                                              for k in schedule), flush=True)
        cluster.start_all()
        cluster.wait_ready()
        cluster.wait_coordinator_http()
        results.ok("coordinator and four agencies up and connected")
        chaos = Chaos(cluster, args, agencies, referrals, schedule)
        chaos.run()
        results.ok("the schedule ran: %d kills and restarts; %d referrals acknowledged in %.1f s"
                   % (len(chaos.kills), chaos.acked_count, chaos.t_posted - chaos.t_start))
        t_drained = results.check("the cluster drains: every outbox and every mailbox empty, "
                                  "every agency connected", drain, chaos, args.drain)
        if t_drained:
            print("     drained %.1f s after the last walk" % (t_drained - chaos.t_walked))
        check_all(chaos, results)
        ok = not results.failed
    except harness.TestFailure as e:
        results.bad("chaos (aborted)", e)
    except Exception as e:
        results.bad("chaos (aborted)", "%s: %s\n%s" % (type(e).__name__, e,
                                                      traceback.format_exc()))
    except KeyboardInterrupt as e:
        results.bad("chaos (aborted)", "interrupted %s" % e)
    finally:
        if chaos:
            chaos.stop.set()
        ok = cluster.close(ok and not results.failed)
    finished = time.monotonic()
    if args.report:
        try:
            write_report(args.report, summary(chaos, results, args, ok, started, finished))
            print("report: %s" % args.report)
        except Exception as e:  # the run's verdict stands whatever the report does
            print("cannot write the report %s: %s" % (args.report, e))
    if chaos:
        per = collections.Counter(k["target"] for k in chaos.kills)
        print("chaos: seed %d; %d referrals, %d status changes, %d case events answered 202; "
              "kills %s" % (args.seed, chaos.acked_count,
                            chaos.counts["status_202"] + chaos.counts["status_ambiguous"],
                            len(chaos.events),
                            ", ".join("%s %d" % (d, per.get(d, 0)) for d in DAEMONS)))
    print("chaos: %s — %d checks passed, %d failed, %.1f s (seed %d)" % (
        "PASS" if ok else "FAIL", len(results.passed), len(results.failed), finished - started,
        args.seed), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
