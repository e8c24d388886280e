#!/usr/bin/env python3
"""A referral is a closed loop: the recipient's every change of state reaches the sender, with its
reason decrypted there and never readable by the coordinator; illegal, unauthorised and stale
changes are refused with a clear error and change nothing on either side or at the coordinator."""

import datetime
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_blind_coordinator as blind  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30  # seconds for one change to travel through the coordinator and back

# Personal free text that travels only in encrypted bodies (synthetic).
HOLD_REASON = "本人が入院中のため面談を延期（退院は来月上旬の予定）"
DONE_NOTE = "家計改善支援の利用を開始し、家賃滞納は解消の見込みとなった。"
CANCEL_REASON = "本人が隣の市へ転居したため、転居先の窓口へ引き継いだ。"
RACE_REASON = "長男本人から直接の相談があり、こちらで継続して対応する。"
ACCEPT_NOTE = "担当相談員を決め、来週に同行訪問する。"

# The recipient's walk through the table: (state, reason, outcome, note).
WALK = [
    ("received", None, None, None),
    ("accepted", None, None, ACCEPT_NOTE),
    ("in-progress", None, None, None),
    ("on-hold", HOLD_REASON, None, None),
    ("in-progress", None, None, None),
    ("completed", None, "got-help", DONE_NOTE),
]


def history_states(referral):
    return [e.get("state") for e in referral.get("state_history") or []]


def wait_state(agency, rid, state, version, alive):
    """Polls agency's GET /v1/referrals/{rid} until it shows state and version."""
    return harness.wait_json(
        lambda: agency.referral(rid),
        lambda j: j.get("state") == state and j.get("version") == version,
        WAIT, "%s sees referral %s %s at version %d" % (agency.id, rid[:8], state, version),
        alive=alive)


def refused(name, results, r, want_status, want_words):
    """Records whether an HTTP answer is the refusal we expect: status, error code, a sentence."""
    def verify():
        check(r.status == want_status, "expected %d, got %r" % (want_status, r))
        j = r.json if isinstance(r.json, dict) else {}
        check(isinstance(j.get("error"), str) and j["error"], "no error code: %r" % r)
        message = j.get("message") or ""
        check(any(w in message for w in want_words),
              "message %r does not say why (expected one of %r)" % (message, want_words))
    results.check(name, verify)


def coordinator_referral(cluster, case_id, rid):
    """The referral as the coordinator's GET /v1/cases/{id} lists it (a dict), or None."""
    case = cluster.coordinator_case(case_id)
    if not case:
        return None
    for ref in case.get("referrals") or []:
        if isinstance(ref, dict) and ref.get("referral_id") == rid:
            return ref
    return None


def wait_coordinator_referral(cluster, case_id, rid, state, version=None):
    def ok(ref):
        return ref.get("state") == state and (version is None or ref.get("version") == version)
    return harness.wait_json(lambda: coordinator_referral(cluster, case_id, rid), ok, WAIT,
                             "the coordinator shows referral %s %s" % (rid[:8], state),
                             alive=cluster.alive)


def body(cluster, results, args):
    households = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    agencies = cluster.add_standard_agencies(("eldercare", "poverty"))
    elder, poverty = agencies["eldercare"], agencies["poverty"]
    # A second poverty agency whose registry entry sets its own due days.
    kita = cluster.add_agency("poverty-kita", "poverty", "つなぐ市北部自立相談支援機関",
                              extra=("--due-days", "10", "--receive-due-days", "2"))
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    results.ok("coordinator and three agencies are up and connected")
    results.check("the coordinator's HTTP answers GET /healthz", cluster.wait_coordinator_http)

    def send(h, ref, to=None, days=None, receive_days=None):
        """eldercare refers h to `to` (poverty-chuo); checks the due dates for its urgency."""
        to = to or poverty
        req = harness.consented_request(elder, h, to_agency=to.id, client_ref=ref,
                                        sheet=harness.sheet_for_sender(h, "eldercare"))
        before = datetime.datetime.now(tz=harness.JST)
        r = elder.post("/v1/referrals", req)
        after = datetime.datetime.now(tz=harness.JST)
        check(r.status == 202, "POST /v1/referrals: %r" % r)
        days = harness.response_due_days(to.type, h["urgency"], days)
        want = harness.expected_due_dates(days, before, after)
        check(r.json.get("due_date") in want, "%s urgency to %s: due_date %r, expected %s" % (
            h["urgency"], to.id, r.json.get("due_date"), " or ".join(sorted(want))))
        got = harness.wait_delivered(elder, r.json["referral_id"], WAIT, alive=alive)
        if receive_days is None:
            receive_days = harness.receive_due_days(h["urgency"])
        want = harness.expected_due_dates(receive_days, before, after)
        check(got.get("receive_due_date") in want, "receive_due_date %r, expected %s" % (
            got.get("receive_due_date"), " or ".join(sorted(want))))
        return r.json

    # --- referral A: the whole loop -------------------------------------------------------------
    h1 = households["H001"]
    a = results.check("H001: eldercare → poverty delivered", send, h1, "loop-a")
    if not a:
        fail("cannot go on without referral A")
    rid, cid = a["referral_id"], a["case_id"]

    def starts_at_version_1():
        s = elder.referral(rid)
        check(s and s.get("state") == "requested" and s.get("version") == 1,
              "sender: %r" % s)
        check(s.get("role") == "sender", "sender's role %r" % s.get("role"))
        check(history_states(s) == ["requested"], "sender's state_history %r" % (
            s.get("state_history"),))
        got = poverty.referral(rid)
        check(got and got.get("state") == "requested" and got.get("version") == 1,
              "recipient's GET /v1/referrals/{id}: %r" % got)
        check(got.get("role") == "recipient", "recipient's role %r" % got.get("role"))
        items = [it for it in poverty.inbox() if it.get("referral_id") == rid]
        check(len(items) == 1 and items[0].get("state") == "requested"
              and items[0].get("version") == 1, "inbox item state/version: %r" % [
                  {k: it.get(k) for k in ("state", "version")} for it in items])

    results.check("A is requested at version 1 on both sides (sender, recipient, inbox)",
                  starts_at_version_1)

    def opening_referral():
        """No case id: the referral opens a case (opens_case) and stands for its first
        CASE_UPDATE; both copies say what the coordinator's case says."""
        h = households["H003"]
        req = harness.referral_request(h, to_agency=poverty.id, client_ref="loop-open",
                                       sheet=harness.sheet_for_sender(h, "eldercare"),
                                       legal_basis="none")
        r = elder.post("/v1/referrals", req)
        check(r.status == 202, "POST /v1/referrals: %r" % r)
        harness.wait_delivered(elder, r.json["referral_id"], WAIT, alive=alive)
        case_id = r.json["case_id"]
        want_tags = list(dict.fromkeys(h["tags"]))
        theirs = harness.wait_json(lambda: cluster.coordinator_case(case_id),
                                   lambda c: c.get("version") == 1, WAIT,
                                   "the coordinator's case", alive=alive)
        check(theirs.get("state") == "multi-agency", "coordinator: %r" % theirs.get("state"))
        for ag in (elder, poverty):
            mine = harness.wait_json(lambda ag=ag: ag.case(case_id),
                                     lambda c: c.get("version") == 1, WAIT,
                                     "%s's copy at version 1" % ag.id, alive=alive)
            check(mine.get("state") == "multi-agency", "%s: state %r" % (ag.id, mine.get("state")))
            ids = [a if isinstance(a, str) else a.get("id") for a in mine.get("agencies", [])]
            check(ids == [elder.id, poverty.id], "%s: agencies %r" % (ag.id, ids))
            check(mine.get("tags") == want_tags, "%s: tags %r, want %r" % (
                ag.id, mine.get("tags"), want_tags))
            feed = ag.get("/v1/events?after=0&limit=500")
            check(feed.status == 200, "%s: GET /v1/events: %r" % (ag.id, feed))
            updated = [e for e in feed.json["events"] if e["type"] == "case.updated"
                       and e["data"].get("case_id") == case_id]
            check(len(updated) == 1 and updated[0]["data"].get("version") == 1,
                  "%s: case.updated events %r" % (ag.id, updated))

    results.check("a referral that opens its case: both copies at version 1, multi-agency, "
                  "sender then recipient, its tags, one case.updated each", opening_referral)

    def unchanged_now(v):
        for ag in (elder, poverty):
            j = ag.referral(rid)
            check(j and j.get("version") == v, "%s shows version %r, expected %d" % (
                ag.id, j and j.get("version"), v))
            check(not j.get("pending_changes"), "%s has a pending change: %r" % (
                ag.id, j.get("pending_changes")))
            h = ag.healthz()
            check(h and h.get("outbox_pending") == 0,
                  "a refused change left something in %s's outbox: %r" % (ag.id, h))

    version = 1
    for state, reason, outcome, note in WALK:
        refusals = False
        if version == 2:  # received
            refusals = True
            r = poverty.set_status(rid, "rejected")
            refused("recipient sets rejected without a reason → 422 saying a reason is needed",
                    results, r, 422, ["reason"])
            r = elder.set_status(rid, "accepted")
            refused("sender tries to accept its own referral → 422 saying only the recipient may",
                    results, r, 422, ["only the recipient"])
            r = elder.set_status(rid, "in-progress", base_version=version)
            refused("sender tries in-progress (not allowed for anyone from received) → 422",
                    results, r, 422, ["not allowed"])
        if version == 3:  # accepted
            refusals = True
            r = poverty.set_status(rid, "completed")
            refused("recipient sets completed without an outcome → 422 saying an outcome is "
                    "needed", results, r, 422, ["outcome"])
            r = poverty.set_status(rid, "in-progress", outcome="got-help")
            refused("an outcome on in-progress → 422", results, r, 422, ["outcome"])
            r = poverty.set_status(rid, "accepted")
            refused("accepted → accepted again → 422", results, r, 422, ["not allowed"])
        if version == 4:  # in-progress: a legal change on a wrong version
            refusals = True
            r = poverty.set_status(rid, "on-hold", reason=HOLD_REASON, base_version=3)
            results.check("a legal change on a stale base_version → 409 from the agency itself",
                          lambda r=r: check(r.status == 409 and (r.json or {}).get("error"),
                                            "expected 409 with an error code, got %r" % r))
            r = poverty.set_status(rid, "on-hold", reason=HOLD_REASON, base_version=9)
            results.check("a base_version from the future → 409",
                          lambda r=r: check(r.status == 409, "expected 409, got %r" % r))
        if refusals:
            results.check("refusals at version %d changed nothing on either side" % version,
                          unchanged_now, version)

        def step(state=state, reason=reason, outcome=outcome, note=note):
            r = poverty.set_status(rid, state, reason=reason, outcome=outcome, note=note)
            check(r.status == 202, "POST status %s: %r" % (state, r))
            j = r.json or {}
            check(j.get("referral_id") == rid and j.get("status") == "pending"
                  and j.get("base_version") == version, "202 answer %r" % j)
            wait_state(poverty, rid, state, version + 1, alive)
            wait_state(elder, rid, state, version + 1, alive)
            return True

        if not results.check("poverty sets %s (v%d → v%d); both sides converge" % (
                state, version, version + 1), step):
            fail("every later step is based on this one: the walk stops at %s" % state)
        version += 1

    final_version = version

    def sender_history():
        s = elder.referral(rid)
        want = ["requested"] + [w[0] for w in WALK]
        check(history_states(s) == want, "sender's state_history %r, expected %r" % (
            history_states(s), want))
        hist = s["state_history"]
        stamps = [e.get("at") for e in hist]
        check(all(isinstance(t, str) and t for t in stamps), "timestamps %r" % stamps)
        check(stamps == sorted(stamps), "timestamps not in order: %r" % stamps)
        for e in hist[1:]:
            check(e.get("by") == poverty.id, "change %s by %r" % (e.get("state"), e.get("by")))
        hold = hist[4]
        check(hold.get("reason") == HOLD_REASON,
              "on-hold reason on the sender's side %r, expected the decrypted text" % (
                  hold.get("reason"),))
        done = hist[-1]
        check(done.get("outcome") == "got-help", "completed outcome %r" % done.get("outcome"))
        check(done.get("note") == DONE_NOTE, "the completion note on the sender's side %r" % (
            done.get("note"),))
        r = poverty.referral(rid)
        check(history_states(r) == want, "recipient's state_history %r" % history_states(r))

    results.check("sender's GET /v1/referrals/{id}: every state in order, who, when, the "
                  "on-hold reason and the completion note decrypted, the outcome", sender_history)

    r = poverty.set_status(rid, "in-progress")
    refused("completed → in-progress → 422 (terminal state)", results, r, 422, ["not allowed"])
    r = poverty.set_status(rid, "on-hold", reason=HOLD_REASON)
    refused("completed → on-hold → 422", results, r, 422, ["not allowed"])
    r = elder.set_status(rid, "cancelled", reason=CANCEL_REASON)
    refused("the sender cancels a completed referral → 422", results, r, 422, ["not allowed"])
    results.check("refusals at version %d changed nothing on either side" % final_version,
                  unchanged_now, final_version)

    r = poverty.set_status("00000000-0000-4000-8000-000000000000", "received")
    results.check("status of an unknown referral → 404",
                  lambda: check(r.status == 404, "expected 404, got %r" % r))
    r = poverty.post("/v1/referrals/%s/status" % rid, {"status": "no-such-state"})
    results.check("an unknown state name → 400/422",
                  lambda: check(r.status in (400, 422), "expected 400 or 422, got %r" % r))
    r = poverty.post("/v1/referrals/%s/status" % rid, "{not json")
    results.check("bad JSON on the status route → 400",
                  lambda: check(r.status == 400, "expected 400, got %r" % r))

    # --- referral B: the sender cancels an accepted referral ----------------------------------
    h2 = households["H002"]
    b = results.check("H002 (high urgency: response days halved): eldercare → poverty "
                      "delivered", send, h2, "loop-b")
    if b:
        bid = b["referral_id"]

        def cancel_flow():
            for v, state in ((1, "received"), (2, "accepted")):
                r = poverty.set_status(bid, state)
                check(r.status == 202, "%s: %r" % (state, r))
                wait_state(elder, bid, state, v + 1, alive)
            r = elder.set_status(bid, "cancelled")
            check(r.status == 422 and "reason" in ((r.json or {}).get("message") or ""),
                  "cancel without a reason: expected 422 naming the reason, got %r" % r)
            r = elder.set_status(bid, "cancelled", reason=CANCEL_REASON)
            check(r.status == 202, "cancel: %r" % r)
            wait_state(elder, bid, "cancelled", 4, alive)
            got = wait_state(poverty, bid, "cancelled", 4, alive)
            last = (got.get("state_history") or [{}])[-1]
            check(last.get("by") == elder.id and last.get("reason") == CANCEL_REASON,
                  "recipient's last history entry %r" % last)
            r = poverty.set_status(bid, "in-progress")
            check(r.status == 422, "in-progress after cancel: expected 422, got %r" % r)

        results.check("B: received, accepted, then cancelled by the sender with a reason; the "
                      "recipient sees who and why", cancel_flow)

    # Poverty's letters for B left after its refused attempts on A, in one sequence: A is still
    # exactly what it was, everywhere.
    def a_unchanged():
        for ag in (elder, poverty):
            j = ag.referral(rid)
            check(j.get("state") == "completed" and j.get("version") == final_version,
                  "%s: A is %r v%r" % (ag.id, j.get("state"), j.get("version")))
            check(len(j.get("state_history") or []) == len(WALK) + 1,
                  "%s: A's history grew: %r" % (ag.id, history_states(j)))
        ref = wait_coordinator_referral(cluster, cid, rid, "completed", final_version)
        check(ref.get("version") == final_version, "coordinator version %r" % ref.get("version"))

    results.check("refused changes left A completed at v%d on both sides and at the coordinator"
                  % final_version, a_unchanged)

    # --- the coordinator's view of A's case -------------------------------------------------------
    def coordinator_view():
        case = cluster.coord_json("/v1/cases/" + cid)
        ref = coordinator_referral(cluster, cid, rid)
        check(ref is not None, "the case does not list referral %s: %r" % (rid, case))
        check(ref.get("state") == "completed", "coordinator state %r" % ref.get("state"))
        check(ref.get("version") == final_version, "coordinator version %r" % ref.get("version"))
        check(ref.get("outcome") == "got-help", "coordinator outcome %r" % ref.get("outcome"))
        # The coordinator computes the due dates from its registry; they agree with the dates
        # the sender computed from the directory (poverty: receive 1 day, respond 7 days).
        sender = elder.referral(rid)
        check(ref.get("due_date") == a["due_date"] == sender.get("due_date"),
              "response due: coordinator %r, sender %r" % (ref.get("due_date"), a["due_date"]))
        check(ref.get("receive_due_date") == sender.get("receive_due_date") is not None,
              "receive due: coordinator %r, sender %r" % (ref.get("receive_due_date"),
                                                        sender.get("receive_due_date")))
        check(not ref.get("overdue"), "a completed referral marked overdue: %r" % ref)
        # The case's timeline carries each change of the referral: from, to, by, when.
        changes = [e for e in case.get("timeline") or []
                   if e.get("type") == "referral-status" and e.get("referral_id") == rid]
        got = [(e.get("from"), e.get("to"), e.get("by")) for e in changes]
        states = ["requested"] + [w[0] for w in WALK]
        want = [(a, b, poverty.id) for a, b in zip(states, states[1:])]
        check(got == want, "the coordinator's timeline of A: %r, expected %r" % (got, want))
        check(all(e.get("at") for e in changes), "a change without a time: %r" % changes)
        hold = [e for e in changes if e.get("to") == "on-hold"]
        check(hold and hold[0].get("reason_given") is True,
              "the on-hold change does not say a reason was given: %r" % hold)
        leaked = harness.texts_in(case, [HOLD_REASON, DONE_NOTE, ACCEPT_NOTE] +
                                  harness.personal_strings(h1))
        check(not leaked, "personal text in the coordinator's case JSON: %r" % leaked)

    results.check("coordinator GET /v1/cases/{id}: A's states in order, its due dates agree with "
                  "the sender's, no reason or note text", coordinator_view)

    def auth_and_overdue():
        r = cluster.coord_get("/v1/cases/" + cid, token=None)
        check(r.status == 401, "no token: expected 401, got %r" % r)
        r = cluster.coord_get("/v1/cases/" + cid, token="not-the-token")
        check(r.status == 401, "wrong token: expected 401, got %r" % r)
        r = cluster.coord_get("/v1/cases/00000000-0000-4000-8000-000000000000")
        check(r.status == 404, "unknown case: expected 404, got %r" % r)
        for kind in ("received", "accepted"):
            j = cluster.coord_json("/v1/referrals?overdue=" + kind)
            listed = [x.get("referral_id") for x in j.get("referrals") or []]
            check(isinstance(j.get("referrals"), list), "no referrals list: %r" % j)
            check(rid not in listed, "A (due in days) listed overdue for %s: %r" % (kind, j))

    results.check("coordinator: 401 without the token, 404 for an unknown case, nothing "
                  "overdue yet", auth_and_overdue)

    # --- due days from the registry ------------------------------------------------------------
    def registry_due_days():
        d = send(households["H010"], "loop-d", to=kita, days=10, receive_days=2)
        ref = wait_coordinator_referral(cluster, d["case_id"], d["referral_id"], "requested", 1)
        sender = elder.referral(d["referral_id"])
        check(ref.get("due_date") == d["due_date"] == sender.get("due_date")
              and ref.get("receive_due_date") == sender.get("receive_due_date"),
              "coordinator due %r / %r, sender %r / %r" % (
                  ref.get("due_date"), ref.get("receive_due_date"), sender.get("due_date"),
                  sender.get("receive_due_date")))

    results.check("an agency registered with --due-days 10 --receive-due-days 2: the sender and "
                  "the coordinator both use those days", registry_due_days)

    # --- a stale change only the coordinator can see ------------------------------------------
    # With the coordinator frozen both parties change the same version of C; each passes its
    # own local check.  Whichever letter the coordinator reads second is stale and refused.
    h3 = households["H003"]
    c = results.check("H003: eldercare → poverty delivered", send, h3, "loop-c")
    if c:
        crid = c["referral_id"]

        def race():
            r = poverty.set_status(crid, "received")
            check(r.status == 202, "received: %r" % r)
            wait_state(elder, crid, "received", 2, alive)
            cluster.coordinator.freeze()
            try:
                ra = poverty.set_status(crid, "accepted", note=ACCEPT_NOTE, base_version=2)
                rc = elder.set_status(crid, "cancelled", reason=RACE_REASON, base_version=2)
            finally:
                cluster.coordinator.thaw()
            check(ra.status == 202 and rc.status == 202,
                  "both changes pass the local check: accept %r, cancel %r" % (ra, rc))

            def settled():
                e, p = elder.referral(crid), poverty.referral(crid)
                if not (e and p):
                    return None
                if (e.get("state"), e.get("version")) != (p.get("state"), p.get("version")):
                    return None
                if p.get("state") not in ("accepted", "cancelled") or p.get("version") != 3:
                    return None
                loser = elder if p["state"] == "accepted" else poverty
                shown = loser.referral(crid)
                if "stale" not in harness.json_texts(shown)[0].lower():
                    return None
                return p["state"], loser, shown

            try:
                won, loser, shown = harness.wait_for(
                    settled, WAIT, "one change applied (v3 on both sides), the other refused "
                    "as stale on its sender's referral", alive=alive)
            except harness.TestFailure as e:
                fail("%s\n     sender: %r\n     recipient: %r" % (
                    e, elder.referral(crid), poverty.referral(crid)))
            print("     the coordinator applied %s; %s's change was refused: %s" % (
                won, loser.id, harness.texts_in(shown, ["stale_version", "STALE_VERSION",
                                                        "stale-version"])))
            wait_coordinator_referral(cluster, c["case_id"], crid, won, 3)

        results.check("C: a concurrent change on the same version is refused by the coordinator "
                      "as stale, shown on the referral; both sides and the coordinator agree",
                      race)

    # --- nothing personal at the coordinator --------------------------------------------------
    rc = cluster.coordinator.stop()
    results.expect("coordinator exits 0 on SIGTERM", rc == 0, "status %r" % rc)

    def blind_store():
        texts = [HOLD_REASON, DONE_NOTE, CANCEL_REASON, RACE_REASON, ACCEPT_NOTE]
        needles = {(t, e): d for t in texts for e, d in blind.encodings_of(t).items()}
        hits, searched = blind.search_tree(cluster.data_dir, needles)
        check(searched > 0, "nothing searched under %s" % cluster.data_dir)
        log_hits, _ = blind.search_tree(cluster.coordinator.log_path, needles)
        check(not hits and not log_hits, "status reasons/notes in the coordinator's files: %r %r"
              % (sorted(hits), sorted(log_hits)))

    results.check("the coordinator's data dir and log hold no status reason or note text",
                  blind_store)


if __name__ == "__main__":
    harness.main("referral_loop", __doc__, body)
