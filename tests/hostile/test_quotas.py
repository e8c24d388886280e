#!/usr/bin/env python3
"""Hostile peer, one agency filling the coordinator's store (F4): with small quotas in
coordinator.conf [limits] (sender_letters, sender_bytes, mailbox_letters, mailbox_bytes), letters
of registered agencies that wait undelivered in mailboxes (recipients that are registered but
offline: sinks) fill a sender's or a mailbox's quota; the letter over it is refused quota_exceeded
(final), nothing of it is stored, and other agencies and mailboxes are unaffected.  An agency
daemon told quota_exceeded answers its API's POST /v1/referrals 503 with Retry-After and
"error": "quota_exceeded"; one whose outbox passes [agency] outbox_limit answers 503
"error": "outbox_full" and sends nothing more."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from hostile import (Peer, check, expect_error, expect_stored, fail, harness,  # noqa: E402
                     new_id, nothing_else, referral)

WAIT = 30

# The quotas under test: the mailbox holds fewer letters than a sender may have waiting, so each
# case knows which quota it fills (a sink's mailbox also holds one CASE_UPDATE per case).  The
# byte quotas are [limits] sender_bytes / mailbox_bytes (the names) or, where the
# coordinator takes those instead, sender_mb / mailbox_mb (docs/configuration.md), with letters
# sized to match: (key, value, size of each letter).
LETTER_LIMITS = {"sender_letters": 4, "mailbox_letters": 3}
BYTE_LIMITS = {
    "sender": [("sender_bytes", 200000, 90 * 1000), ("sender_mb", 1, 400 * 1000)],
    "mailbox": [("mailbox_bytes", 100000, 60 * 1000), ("mailbox_mb", 1, 600 * 1000)],
}
OUTBOX_LIMIT = 3

PROBES = [("probe-a", "eldercare"), ("probe-b", "disability"), ("probe-c", "poverty"),
          ("probe-d1", "eldercare"), ("probe-d2", "disability"), ("probe-e", "child")]
SINKS = ["sink-a1", "sink-a2", "sink-a3", "sink-b", "sink-c1", "sink-c2", "sink-c3", "sink-d",
         "sink-e", "sink-f1", "sink-f2", "sink-f3"]


def accepted(cluster, exe, conf):
    """(True, "") when the daemon's -n accepts conf, else (False, what it said)."""
    r = harness.run([os.path.join(cluster.bin, exe), "-n", "-c", conf], timeout=30,
                    env=cluster.env)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def body(cluster, results, args):
    h1 = harness.load_households(args.data)[0]
    cluster.init()
    # Which [limits] keys the coordinator takes; the cases of a quota it takes no key for fail
    # as pending.
    with open(cluster.coordinator_conf, encoding="utf-8") as f:
        base_conf = f.read()

    def takes(key, value):
        with open(cluster.coordinator_conf, "w", encoding="utf-8") as f:
            f.write(base_conf + "\n[limits]\n%s = %d\n" % (key, value))
        return accepted(cluster, "tsunagu-coordinator", cluster.coordinator_conf)

    refused = {}
    taken = []
    for key, value in LETTER_LIMITS.items():
        ok, said = takes(key, value)
        if ok:
            taken.append("%s = %d" % (key, value))
        else:
            refused[key] = said
    size = {}
    for quota, choices in BYTE_LIMITS.items():
        said = []
        for key, value, letter_size in choices:
            ok, why = takes(key, value)
            if ok:
                taken.append("%s = %d" % (key, value))
                size[quota] = letter_size
                break
            said.append(why)
        else:
            refused[quota + "_bytes"] = " / ".join(said)
    with open(cluster.coordinator_conf, "w", encoding="utf-8") as f:
        f.write(base_conf + ("\n[limits]\n" + "\n".join(taken) + "\n" if taken else ""))

    ag = cluster.add_standard_agencies()
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    probes = {pid: cluster.add_agency(pid, ptype, "つなぐ市検証用%s" % ptype)
              for pid, ptype in PROBES}
    sinks = {sid: cluster.add_agency(sid, "child", "つなぐ市検証用受け皿")
             for sid in SINKS}
    # poverty-chuo's outbox limit, when its daemon takes the setting.
    with open(pov.conf, encoding="utf-8") as f:
        pov_conf = f.read()
    with open(pov.conf, "w", encoding="utf-8") as f:
        f.write(pov_conf.replace("[agency]\n", "[agency]\noutbox_limit = %d\n" % OUTBOX_LIMIT,
                                 1))
    outbox_ok, outbox_said = accepted(cluster, "tsunagu-poverty", pov.conf)
    if not outbox_ok:
        with open(pov.conf, "w", encoding="utf-8") as f:
            f.write(pov_conf)
    honest = [a.id for a in ag.values()]
    cluster.start_all(honest)
    cluster.wait_ready(honest)
    cluster.wait_coordinator_http()
    alive = cluster.alive
    results.ok("setup: quotas %s in force; [agency] outbox_limit %s" % (
        taken or "none", "in force" if outbox_ok else "refused"))

    def pending(key):
        if key in refused:
            fail("pending F4: the coordinator takes no [limits] key for %s (-n says: %s)" % (
                key, refused[key][-400:]))

    peers = {pid: Peer(cluster, a) for pid, a in probes.items()}
    all_peers = list(peers.values())

    def case(name, fn, **kw):
        kw.setdefault("peers", all_peers)
        # A full quota may raise an alert for the coordinator's staff (and audit it).
        kw.setdefault("except_", ("coordinator /v1/alerts",))
        return hostile.run_case(cluster, results, name, fn, audit_optional=("alert",), **kw)

    def fill(pid, sink_id, n, size=None, case_id=None):
        """probe pid stores n letters for the sink (one case); returns the case id."""
        p, a = peers[pid], probes[pid]
        case_id = case_id or new_id()
        for _ in range(n):
            letter = referral(a, sinks[sink_id], p.take(), case_id=case_id,
                              body={"garbage": size} if size else True)
            evs = p.send(letter, label="fill-" + new_id()[:8])
            label = [x for x in evs if x.get("event") == "sent"][-1]["label"]
            expect_stored(evs, label)
        return case_id

    def over(pid, sink_id, label, size=None, case_id=None):
        p, a = peers[pid], probes[pid]
        letter = referral(a, sinks[sink_id], p.take(), case_id=case_id,
                          body={"garbage": size} if size else True)
        evs = p.send(letter, label=label)
        expect_error(evs, label, "quota_exceeded", True)
        nothing_else(evs, (label,))

    # --- the four quotas --------------------------------------------------------------------

    state = {}

    def sender_letters_setup():
        pending("sender_letters")
        if "a" not in state:
            state["a"] = True
            fill("probe-a", "sink-a1", 2)
            fill("probe-a", "sink-a2", 2)

    def f4_sender_letters():
        over("probe-a", "sink-a3", "a-over")

    case("f4_sender_letters_quota: probe-a has 4 letters waiting (sender_letters = 4); its 5th, "
         "to an empty mailbox → quota_exceeded (final), not stored", f4_sender_letters,
         setup=sender_letters_setup, audit=["quota_exceeded"], audit_sender="probe-a")

    def f4_mailbox_letters():
        pending("mailbox_letters")
        p, a = peers["probe-b"], probes["probe-b"]
        case_id = new_id()
        for i in range(LETTER_LIMITS["mailbox_letters"] + 1):
            label = "b-%d" % i
            evs = p.send(referral(a, sinks["sink-b"], p.take(), case_id=case_id), label=label)
            got = hostile.answers(evs, label)
            if got and got[0].get("kind") == "error":
                expect_error(evs, label, "quota_exceeded", True)
                check(i >= LETTER_LIMITS["mailbox_letters"] - 1,
                      "refused after only %d letters in the mailbox" % i)
                return {"except_": ("mailbox sink-b", "coordinator /v1/cases",
                                    "coordinator /v1/stats"),
                        "audit": ["quota_exceeded"], "audit_others": ["allowed"] * i}
            expect_stored(evs, label)
        fail("sink-b's mailbox took %d letters from probe-b (mailbox_letters = %d)" % (
            LETTER_LIMITS["mailbox_letters"] + 1, LETTER_LIMITS["mailbox_letters"]))

    case("f4_mailbox_letters_quota: probe-b fills sink-b's mailbox (mailbox_letters = 3, a case "
         "update counted or not) → the letter over it is quota_exceeded (final), not stored",
         f4_mailbox_letters)

    def sender_bytes_setup():
        pending("sender_bytes")
        if "c" not in state:
            state["c"] = True
            fill("probe-c", "sink-c1", 1, size=size["sender"])
            fill("probe-c", "sink-c2", 1, size=size["sender"])

    def f4_sender_bytes():
        over("probe-c", "sink-c3", "c-over", size=size["sender"])

    case("f4_sender_bytes_quota: probe-c has two letters waiting that nearly fill its byte quota "
         "(sender_bytes = 200000 and 90 kB letters, or sender_mb = 1 and 400 kB); a third to an "
         "empty mailbox → quota_exceeded (final)", f4_sender_bytes,
         setup=sender_bytes_setup, audit=["quota_exceeded"], audit_sender="probe-c")

    def mailbox_bytes_setup():
        pending("mailbox_bytes")
        if "d" not in state:
            state["d"] = True
            fill("probe-d1", "sink-d", 1, size=size["mailbox"])

    def f4_mailbox_bytes():
        over("probe-d2", "sink-d", "d-over", size=size["mailbox"])

    case("f4_mailbox_bytes_quota: sink-d's mailbox holds one letter of over half its byte quota "
         "(mailbox_bytes = 100000 and 60 kB, or mailbox_mb = 1 and 600 kB); another from probe-d2 "
         "→ quota_exceeded (final)", f4_mailbox_bytes,
         setup=mailbox_bytes_setup, audit=["quota_exceeded"], audit_sender="probe-d2")

    def f4_others_unaffected():
        r = eld.post("/v1/referrals", harness.referral_request(
            h1, to_agency=pov.id, sheet=harness.notice_sheet(h1, eld.type), legal_basis="none",
            urgency="normal"))
        check(r.status == 202, "eldercare-chuo POST /v1/referrals: %r" % r)
        harness.wait_delivered(eld, r.json["referral_id"], WAIT, alive=alive)
        fill("probe-e", "sink-e", 1)
        return {"except_": (eld.id, pov.id, "coordinator /v1/cases", "coordinator /v1/stats",
                            "mailbox sink-e"),
                "audit": [], "audit_others": ["allowed"] * 2}

    case("f4_other_agencies_unaffected: with quotas full, eldercare-chuo's referral to "
         "poverty-chuo is delivered and probe-e's letter to sink-e is stored",
         f4_others_unaffected)

    # --- the agency daemon's side -------------------------------------------------------------

    def post(sender, recipient, case_id=None):
        return sender.post("/v1/referrals", harness.referral_request(
            h1, to_agency=recipient.id, sheet=harness.notice_sheet(h1, sender.type),
            legal_basis="none", urgency="normal", case_id=case_id))

    def daemon_over_quota():
        pending("sender_letters")
        if "f" in state:
            return
        state["f"] = True
        for sink_id in ("sink-f1", "sink-f2"):
            case_id = None
            for _ in range(2):
                r = post(chi, sinks[sink_id], case_id)
                check(r.status == 202, "child-chuo POST /v1/referrals: %r" % r)
                case_id = r.json["case_id"]
                harness.wait_delivery(chi, r.json["referral_id"], ("stored",), WAIT, alive=alive)
        r = post(chi, sinks["sink-f3"])
        check(r.status == 202, "child-chuo's 5th POST /v1/referrals: %r" % r)
        j = harness.wait_delivery(chi, r.json["referral_id"], ("refused", "stored"), WAIT,
                                  alive=alive)
        check(j.get("delivery") == "refused"
              and (j.get("error") or {}).get("code") == "quota_exceeded",
              "child-chuo's 5th letter (sender_letters = 4): %r" % (j,))

    def f4_daemon_503():
        r = post(chi, sinks["sink-f3"])
        check(r.status == 503 and isinstance(r.json, dict)
              and r.json.get("error") == "quota_exceeded",
              "POST /v1/referrals after quota_exceeded: expected 503 quota_exceeded, got %r" % r)
        check(any(k.lower() == "retry-after" for k in r.headers), "the 503 has no Retry-After")

    case("f4_agency_api_503_after_quota: child-chuo's 5th letter was refused quota_exceeded; "
         "its API then answers POST /v1/referrals 503 \"error\": \"quota_exceeded\" with "
         "Retry-After, and sends nothing", f4_daemon_503, setup=daemon_over_quota, audit=[])

    def f4_outbox_full():
        if not outbox_ok:
            fail("pending F4: the agency daemon does not take [agency] outbox_limit (-n says: "
                 "%s)" % outbox_said[-300:])
        before = len(eld.inbox())
        rids = []
        cluster.coordinator.freeze()
        try:
            for _ in range(OUTBOX_LIMIT):
                r = post(pov, eld)
                check(r.status == 202, "poverty-chuo POST with the coordinator frozen: %r" % r)
                rids.append(r.json["referral_id"])
            r = post(pov, eld)
            check(r.status == 503 and isinstance(r.json, dict)
                  and r.json.get("error") == "outbox_full",
                  "POST /v1/referrals with %d letters in the outbox (outbox_limit %d): expected "
                  "503 outbox_full, got %r" % (OUTBOX_LIMIT, OUTBOX_LIMIT, r))
            r = post(pov, eld)
            check(r.status == 503, "a second POST with the outbox full: %r" % r)
            feed = pov.get("/v1/events?after=0&limit=500").json.get("events") or []
            told = [e for e in feed if e.get("type") == "backpressure.reached"
                    and (e.get("data") or {}).get("code") == "outbox_full"]
            check(len(told) == 1, "the feed tells of the full outbox once, not %d times: %r"
                  % (len(told), told))
            check((told[0]["data"].get("retry_after_s") or 0) > 0
                  and "limit is %d" % OUTBOX_LIMIT in (told[0]["data"].get("detail") or ""),
                  "backpressure.reached outbox_full without its detail: %r" % told[0])
        finally:
            cluster.coordinator.thaw()
        for rid in rids:
            harness.wait_delivered(pov, rid, WAIT, alive=alive)
        hostile.settle(cluster)
        after = len(eld.inbox())
        check(after == before + OUTBOX_LIMIT, "eldercare-chuo received %d letters, not %d" % (
            after - before, OUTBOX_LIMIT))
        return {"except_": (eld.id, pov.id, "coordinator /v1/cases", "coordinator /v1/stats"),
                "audit": [], "audit_others": ["allowed"] * OUTBOX_LIMIT}

    case("f4_outbox_full_503: with the coordinator frozen, poverty-chuo (outbox_limit 3) takes "
         "3 referrals and answers the 4th 503 \"error\": \"outbox_full\", its event feed says "
         "backpressure.reached outbox_full once; after the thaw exactly 3 arrive", f4_outbox_full)

    def f4_visible_to_staff():
        """What the staff see after the quotas filled: an alert per agency (kind quota), the
        counters in /metrics, and the agency's use of its quotas in tsunaguctl agency show."""
        alerts = cluster.coord_json("/v1/alerts")
        kinds = [(x.get("kind"), x.get("agency")) for x in (alerts or {}).get("alerts") or []]
        check(("quota", "probe-a") in kinds, "no quota alert for probe-a in /v1/alerts: %r"
              % kinds)
        text = cluster.coord_get("/metrics").text
        check('tsunagu_quota_refused_total{agency="probe-a"} ' in text
              and 'tsunagu_quota_refused_total{agency="probe-a"} 0' not in text,
              "/metrics does not count probe-a's refusals for its quota")
        check('tsunagu_sender_waiting_letters{agency="probe-a"} 4' in text,
              "/metrics does not show probe-a's 4 letters waiting")
        shown = cluster.ctl("agency", "show", "probe-a").stdout
        check("sent waiting: 4 of 4 letters" in shown and "over quota:" in shown,
              "tsunaguctl agency show probe-a:\n%s" % shown)
        j = json.loads(cluster.ctl("agency", "show", "probe-a", "--json").stdout)
        q = j.get("quota") or {}
        check((q.get("sent_waiting") or {}).get("letters") == 4
              and (q.get("sent_waiting") or {}).get("letters_quota") == 4
              and q.get("refused_for_quota", 0) >= 1, "agency show --json quota: %r" % q)
        return {"audit": []}

    case("f4_visible_to_staff: a quota alert in /v1/alerts, tsunagu_quota_refused_total and "
         "tsunagu_sender_waiting_letters in /metrics, and the use of each quota in tsunaguctl "
         "agency show", f4_visible_to_staff)

    for p in all_peers:
        p.close()


if __name__ == "__main__":
    harness.main("hostile-quotas", __doc__, body)
