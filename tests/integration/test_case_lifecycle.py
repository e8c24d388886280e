#!/usr/bin/env python3
"""One 8050 household walks from its first referral to closure across three agencies: the case
becomes multi-agency by itself, goes through a 支援会議 and a plan with a role per agency, and is
closed and reopened.  The coordinator's timeline and indicators track it without one word of
personal data, every agency's copy converges with the decrypted minutes, plan and note, stale
events are refused, and the coordinator's files hold none of the personal content."""

import json
import os
import sys
import urllib.parse
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_blind_coordinator as blind  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30  # seconds for one event to reach the coordinator and every agency on the case

# Personal content (synthetic): it travels only in sealed bodies to the agencies on the case.
MINUTES = ("支援会議記録：母の介護サービス調整を優先し、長男には障害福祉の窓口から手紙で"
           "接触を試みる。家賃滞納は家計改善支援で分割納付を大家と相談する。")
PLAN_CONTENT = ("支援プラン：包括が月1回訪問し母の状態を確認、基幹相談が長男への"
                "アウトリーチを担当、自立相談が家計と住まいを支援する。")
NOTE_TEXT = "進捗記録：長男が初めて玄関先で相談員と5分間話した。次回は本人の希望で午後に訪問。"
ASSESS_REASON = "コア会議で複合課題（介護・ひきこもり・家計）を確認したため課題整理へ。"
CLOSE_REASON = "母の介護サービスが安定し、長男も就労準備支援に通い始めたため終結とする。"
REOPEN_REASON = "母が転倒して入院、長男が一人で在宅となり再び支援が必要になった。"
STALE_NOTE = "古い版に基づく記録：これは送られても保存されてもならない。"
RACE_NOTE = "再開と同時に書かれた電話記録：長男から折り返しの電話があった。"
SHEET_NOTES = ["長男の家計と住まいについての相談をお願いします",
               "長男のひきこもりについて相談支援をお願いします"]
SECRET_TEXTS = [MINUTES, PLAN_CONTENT, NOTE_TEXT, ASSESS_REASON, CLOSE_REASON, REOPEN_REASON,
                STALE_NOTE, RACE_NOTE] + SHEET_NOTES

# What the consent covers: the sheets' categories and the free text of minutes, plan and notes.
CASE_CATEGORIES = ["identity", "health", "finances", "family", "free-text"]

ROLES = {
    "eldercare": "介護サービス調整・見守り",
    "disability": "長男へのアウトリーチ",
    "poverty": "家計改善・住まいの確保",
}


def jst_day(days=0):
    return harness.today_jst_plus(days)


def events_of(case):
    """The coordinator's timeline, or an agency's events, of a case JSON."""
    return case.get("timeline") if "timeline" in case else case.get("events") or []


def event_type(e):
    return e.get("type")


def event_by(e):
    return e.get("by")


def event_at(e):
    return e.get("at")


def timeline_key(e):
    """(type, by, the new state for a state event) of a timeline entry."""
    return (e.get("type"), e.get("by"), e.get("to") if e.get("type") == "state" else None)


def agency_ids(case):
    return list(case.get("agencies") or [])


class Walk:
    """The household's case as the test drives it: the current version, everyone converged."""

    def __init__(self, cluster, agencies, case_id):
        self.cluster = cluster
        self.agencies = agencies  # type → Agency, the three on the case
        self.case_id = case_id
        self.version = None
        self.expected = []  # timeline_key() of every event the test made

    def on_case(self):
        return list(self.agencies.values())

    def coordinator(self):
        return self.cluster.coordinator_case(self.case_id)

    def converge(self, predicate=lambda c: True, what="the case"):
        """Waits until the coordinator and every agency on the case show the same version and
        predicate holds for each; returns the coordinator's copy."""
        coord = harness.wait_json(self.coordinator, predicate, WAIT,
                                  "coordinator: %s" % what, alive=self.cluster.alive)
        v = coord.get("version")
        for ag in self.on_case():
            harness.wait_json(lambda ag=ag: ag.case(self.case_id),
                              lambda c: c.get("version") == v and predicate(c), WAIT,
                              "%s's copy at version %r: %s" % (ag.id, v, what),
                              alive=self.cluster.alive)
        self.version = v
        return coord

    def agency_event(self, ag, event, what, check_state=None):
        """ag posts event based on the current version; waits for everyone at version + 1."""
        base = self.version
        req = dict(event, base_version=base)
        r = ag.case_event(self.case_id, req)
        check(r.status == 202, "%s POST /v1/cases/{id}/events %s: %r" % (ag.id, what, r))
        self.expected.append((event["type"], ag.id, event.get("state")))
        return self.converge(lambda c: c.get("version") == base + 1 and (
            check_state is None or c.get("state") == check_state), what)

    def staff_event(self, event_type, extra, what, check_state=None):
        base = self.version
        r = self.cluster.staff_case_event(self.case_id, event_type, base, *extra)
        self.expected.append((event_type, "coordinator", dict(zip(extra, extra[1:])).get(
            "--state")))
        print("     tsunaguctl: %s" % (r.stdout.strip() or r.stderr.strip())[:300])
        return self.converge(lambda c: c.get("version") == base + 1 and (
            check_state is None or c.get("state") == check_state), what)


def body(cluster, results, args):
    h = {x["id"]: x for x in harness.load_households(args.data)}["H001"]
    cluster.init()
    agencies = cluster.add_standard_agencies()  # child is registered but never on the case
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    elder, dis, pov, child = (agencies[t] for t in ("eldercare", "disability", "poverty", "child"))
    next_review = jst_day(30)
    results.ok("coordinator and four agencies are up; the coordinator's HTTP answers")

    # --- two referrals about one household ------------------------------------------------------
    # The household consents first: one consent for the case covering the three agencies that
    # will work on it and every category the sheets and the case's records hold.
    consent = {}

    def refer(to, case_id, ref, extra):
        sheet = harness.sheet_from_household(h, extra)
        if not consent:
            consent["case_id"] = str(uuid.uuid4())
            consent["id"] = elder.consent(consent["case_id"],
                                          cover_agencies=[elder.id, pov.id, dis.id],
                                          categories=CASE_CATEGORIES,
                                          subject=harness.subject_id(h),
                                          purpose="case-conference")
        req = harness.referral_request(h, to_agency=to.id, client_ref=ref, sheet=sheet,
                                       case_id=case_id or consent["case_id"],
                                       consent_id=consent["id"],
                                       data_categories=harness.sheet_categories(sheet))
        r = elder.post("/v1/referrals", req)
        check(r.status == 202, "POST /v1/referrals to %s: %r" % (to.id, r))
        harness.wait_delivered(elder, r.json["referral_id"], WAIT, alive=alive)
        return r.json

    first = results.check("eldercare refers H001 to poverty; delivered", refer, pov, None,
                          "case-pov", {"referral_note": SHEET_NOTES[0]})
    if not first:
        fail("no first referral")
    case_id = first["case_id"]

    def opened():
        c = harness.wait_json(lambda: cluster.coordinator_case(case_id),
                              lambda c: c.get("state") in ("open", "multi-agency"), WAIT,
                              "the coordinator opens the case", alive=alive)
        print("     after the first referral: state %r, agencies %r, version %r" % (
            c.get("state"), agency_ids(c), c.get("version")))
        check(agency_ids(c)[:2] == [elder.id, pov.id], "agencies %r" % agency_ids(c))

    results.check("the coordinator opens the case at the first referral", opened)

    second = results.check("eldercare refers the same case to disability; delivered", refer, dis,
                           case_id, "case-dis", {"referral_note": SHEET_NOTES[1]})
    if not second:
        fail("no second referral")
    check(second["case_id"] == case_id, "the second referral got case %r" % second["case_id"])

    walk = Walk(cluster, {"eldercare": elder, "disability": dis, "poverty": pov}, case_id)

    def multi_agency():
        c = walk.converge(lambda c: c.get("state") == "multi-agency" and len(agency_ids(c)) == 3,
                          "multi-agency with three agencies")
        check(agency_ids(c) == [elder.id, pov.id, dis.id],
              "agencies %r, expected in order of joining" % agency_ids(c))
        auto = [e for e in events_of(c) if event_by(e) == "coordinator"
                and "multi-agency" in json.dumps(e)]
        check(auto, "no event by the coordinator moving the case to multi-agency: %r" % (
            events_of(c),))
        for ag in walk.on_case():
            mine = ag.case(case_id)
            check(sorted(agency_ids(mine)) == sorted([elder.id, pov.id, dis.id]),
                  "%s's copy lists %r" % (ag.id, agency_ids(mine)))
        check(child.get("/v1/cases/" + case_id).status == 404,
              "child (not on the case) has a copy of it")
        return True

    if not results.check("the case becomes multi-agency by itself, 3 agencies, everyone's copy "
                         "agrees", multi_agency):
        fail("cannot walk a case that never converged")

    # --- recipients receive and accept -----------------------------------------------------------
    def receive_and_accept():
        for ag, ref in ((pov, first), (dis, second)):
            rid = ref["referral_id"]
            for v, state in ((1, "received"), (2, "accepted")):
                r = ag.set_status(rid, state)
                check(r.status == 202, "%s sets %s: %r" % (ag.id, state, r))
                harness.wait_json(lambda: elder.referral(rid),
                                  lambda j, s=state, v=v: j.get("state") == s
                                  and j.get("version") == v + 1, WAIT,
                                  "eldercare sees %s %s" % (rid[:8], state), alive=alive)
        walk.converge(what="after the referrals were accepted")

    results.check("poverty and disability receive and accept their referrals",
                  receive_and_accept)

    # --- the lifecycle ---------------------------------------------------------------------------
    def staff_assessment():
        return walk.staff_event("state", ["--state", "assessment"],
                                "assessment (by staff)", "assessment")

    if not results.check("staff move the case to assessment with tsunaguctl case event",
                         staff_assessment):
        # Keep walking through an agency so the rest of the lifecycle is still tested.
        walk.expected = [x for x in walk.expected if x[1] != "coordinator"]
        walk.converge()
        # The reason is personal free text; before any 支援会議 it travels on the consent.
        results.check("eldercare moves the case to assessment instead", walk.agency_event, elder,
                      {"type": "state", "state": "assessment", "reason": ASSESS_REASON,
                       "legal_basis": "consent", "consent_id": consent["id"],
                       "data_categories": ["free-text"]},
                      "assessment", "assessment")

    steps = [
        ("disability moves the case to planning", dis,
         {"type": "state", "state": "planning"}, "planning"),
        ("eldercare moves the case to conference", elder,
         {"type": "state", "state": "conference"}, "conference"),
        ("eldercare records the 支援会議 with three attendees and the minutes", elder,
         {"type": "meeting", "meeting": {"kind": "shien", "held_on": jst_day(),
                                         "attendees": [elder.id, dis.id, pov.id],
                                         "decision": "plan-adopted", "minutes": MINUTES}},
         "conference"),
        ("poverty adopts the plan: a role per agency, next review, content", pov,
         {"type": "plan", "plan": {"roles": [{"agency": a.id, "role": ROLES[t]}
                                             for t, a in walk.agencies.items()],
                                   "next_review_on": next_review, "content": PLAN_CONTENT}},
         "conference"),
        ("poverty moves the case to support", pov, {"type": "state", "state": "support"},
         "support"),
        ("disability writes a progress note", dis,
         {"type": "note", "note": {"category": "visit", "written_on": jst_day(),
                                   "text": NOTE_TEXT}}, "support"),
        ("eldercare moves the case to monitoring", elder,
         {"type": "state", "state": "monitoring"}, "monitoring"),
        ("eldercare closes the case with a reason", elder,
         {"type": "close", "close_reason": "goal-achieved", "reason": CLOSE_REASON}, "closed"),
    ]
    for name, ag, event, state in steps:
        if not results.check(name, walk.agency_event, ag, event, event["type"], state):
            fail("the lifecycle stops here")

    # --- the coordinator's record and timeline ---------------------------------------------------
    closed_version = walk.version
    coord = walk.coordinator()
    personal = harness.personal_strings(h) + SECRET_TEXTS

    def meeting_attendees(e):
        return (e.get("meeting") or {}).get("attendees") or []

    def timeline():
        ev = events_of(coord)
        got = [timeline_key(e) for e in ev]
        print("     timeline: %s" % got)
        rest = [x for x in got]
        for want in walk.expected:
            check(want in rest, "timeline lacks %r after the earlier events: %r" % (want, got))
            rest = rest[rest.index(want) + 1:]
        auto = [e for e in ev if timeline_key(e) == ("state", "coordinator", "multi-agency")]
        check(len(auto) == 1 and auto[0].get("automatic") is True,
              "the automatic move to multi-agency: %r" % auto)
        staff = [e for e in ev if timeline_key(e) == ("state", "coordinator", "assessment")]
        check(all(not e.get("automatic") for e in staff), "staff event marked automatic")
        for e in ev:
            check(event_at(e), "an event without a time: %r" % e)
        stamps = [event_at(e) for e in ev]
        check(stamps == sorted(stamps), "timeline not in time order: %r" % stamps)
        meeting = [e for e in ev if event_type(e) == "meeting"][0]
        check(sorted(meeting_attendees(meeting)) == sorted([elder.id, dis.id, pov.id]),
              "meeting attendees %r" % meeting)
        check("shien" in json.dumps(meeting), "meeting kind not shown: %r" % meeting)
        plan = [e for e in ev if event_type(e) == "plan"][0]
        for t, a in walk.agencies.items():
            check(a.id in json.dumps(plan) and ROLES[t] in json.dumps(plan, ensure_ascii=False),
                  "plan roles lack %s: %r" % (a.id, plan))
        leaked = harness.texts_in(coord, personal)
        check(not leaked, "personal data in the coordinator's case JSON: %r" % leaked)

    results.check("coordinator GET /v1/cases/{id}: every event in order with who, when, type; "
                  "the roster and roles; no personal data", timeline)

    def record():
        c = coord
        check(c.get("state") == "closed", "state %r" % c.get("state"))
        check(agency_ids(c) == [elder.id, pov.id, dis.id], "agencies %r" % agency_ids(c))
        check(set(h["tags"]) <= set(c.get("tags") or []), "tags %r" % c.get("tags"))
        fig = c.get("figures") or {}
        names = ("first_received_at", "first_accepted_at", "plan_at", "closed_at")
        stamps = [c.get("created_at")] + [fig.get(k) for k in names]
        check(all(stamps), "per-case timestamps missing: %r" % dict(
            zip(("created_at",) + names, stamps)))
        check(stamps == sorted(stamps), "per-case timestamps out of order: %r" % stamps)
        spans = [fig.get(k) for k in ("to_received_ms", "to_accepted_ms", "to_plan_ms",
                                      "to_closure_ms")]
        check(all(isinstance(x, int) and x > 0 for x in spans) and spans == sorted(spans),
              "per-case times to received, accepted, plan, closure: %r" % spans)
        check(fig.get("agencies") == 3 and fig.get("reopened") == 0, "figures %r" % fig)
        check(c.get("next_review_on") == next_review, "next_review_on %r" % c.get(
            "next_review_on"))
        check(c.get("close_reason") == "goal-achieved", "close_reason %r" % c.get(
            "close_reason"))
        roster = c.get("roster") or {}
        check(roster.get("kind") == "shien" and sorted(roster.get("attendees") or []) == sorted(
            [elder.id, dis.id, pov.id]), "roster %r" % roster)
        roles = {r.get("agency"): r.get("role") for r in (c.get("plan") or {}).get("roles") or []}
        check(roles == {a.id: ROLES[t] for t, a in walk.agencies.items()}, "roles %r" % roles)

    results.check("coordinator case record: closed, 3 agencies, tags, roster, roles; created "
                  "≤ received ≤ accepted ≤ plan ≤ closed", record)

    # --- indicators ------------------------------------------------------------------------------
    def stats():
        s = cluster.coord_json("/v1/stats")
        cases = s.get("cases") or {}
        print("     /v1/stats cases: %s" % json.dumps(
            {k: v for k, v in cases.items() if k != "by_state"}, ensure_ascii=False))
        times = []
        for name in ("to_received", "to_accepted", "to_plan", "to_closure"):
            avg = cases.get(name) or {}
            check(avg.get("count") == 1, "cases.%s.count %r, expected 1" % (name, avg))
            check(isinstance(avg.get("avg_ms"), int) and avg["avg_ms"] > 0,
                  "cases.%s.avg_ms %r, expected > 0" % (name, avg.get("avg_ms")))
            times.append(avg["avg_ms"])
        check(times == sorted(times), "not received ≤ accepted ≤ plan ≤ closure: %r" % times)
        spans = [(coord.get("figures") or {}).get(k + "_ms") for k in (
            "to_received", "to_accepted", "to_plan", "to_closure")]
        check(times == spans, "overall averages %r differ from the only case's figures %r" % (
            times, spans))
        check(cases.get("agencies_per_case") == 3, "agencies_per_case %r, expected 3" % (
            cases.get("agencies_per_case"),))
        check((cases.get("opened"), cases.get("closed"), cases.get("reopened")) == (1, 1, 0),
              "opened/closed/reopened %r" % [cases.get(k) for k in ("opened", "closed",
                                                                     "reopened")])
        check(cases.get("reopen_rate") == 0, "reopen_rate %r before any reopen" % (
            cases.get("reopen_rate"),))
        check(cases.get("multi_agency") == 1, "multi_agency %r" % cases.get("multi_agency"))
        refs = s.get("referrals") or {}
        check(refs.get("created") == 2, "referrals.created %r" % refs.get("created"))
        for name in ("to_received", "to_accepted"):
            avg = refs.get(name) or {}
            check(avg.get("count") == 2 and avg.get("avg_ms", 0) > 0,
                  "referrals.%s %r" % (name, avg))
        return s

    results.check("/v1/stats: time to received ≤ accepted ≤ plan ≤ closure, > 0; agencies per "
                  "case 3; no reopen yet", stats)

    # --- every agency's copy ---------------------------------------------------------------------
    for ag in walk.on_case():
        def agency_copy(ag=ag):
            c = ag.case(case_id)
            check(c.get("state") == "closed" and c.get("version") == closed_version,
                  "state %r version %r, expected closed at %r" % (c.get("state"),
                                                                  c.get("version"),
                                                                  closed_version))
            check(sorted(agency_ids(c)) == sorted([elder.id, dis.id, pov.id]),
                  "agencies %r" % agency_ids(c))
            roles = {r.get("agency"): r.get("role") for r in c.get("roles") or []}
            check(roles == {a.id: ROLES[t] for t, a in walk.agencies.items()},
                  "roles %r" % roles)
            check(sorted(c.get("roster") or []) == sorted([elder.id, dis.id, pov.id]),
                  "roster %r" % c.get("roster"))
            missing = [t for t in (MINUTES, PLAN_CONTENT, NOTE_TEXT, CLOSE_REASON)
                       if not harness.texts_in(c, [t])]
            check(not missing, "decrypted content missing: %r" % [m[:12] for m in missing])
            # The referrals of the case this agency is party to, with their states.
            mine = {first["referral_id"]: (pov, "accepted"), second["referral_id"]: (dis,
                                                                                  "accepted")}
            want = sorted(rid for rid, (to, _s) in mine.items() if ag in (elder, to))
            got = c.get("referrals") or []
            check(sorted(x.get("referral_id") for x in got) == want,
                  "referrals %r, expected %r" % (got, want))
            check(all(x.get("state") == "accepted" and x.get("version") == 3 for x in got),
                  "referral states %r" % [(x.get("state"), x.get("version")) for x in got])
            listed = ag.get("/v1/cases")
            ids = [x.get("case_id") for x in (listed.json or {}).get("items") or []]
            check(listed.status == 200 and case_id in ids, "GET /v1/cases: %r" % listed)

        results.check("%s's GET /v1/cases/{id}: closed, v%s, 3 agencies, roster, roles; "
                      "minutes, plan, note and close reason decrypted" % (ag.id, closed_version),
                      agency_copy)

    # --- stale events --------------------------------------------------------------------------
    def stale_by_agency():
        r = dis.case_event(case_id, {"type": "note", "base_version": closed_version - 1,
                                     "note": {"category": "call", "written_on": jst_day(),
                                              "text": STALE_NOTE}})
        if r.status == 409:
            return "refused locally (409)"
        check(r.status == 202, "expected 409 or 202, got %r" % r)
        eid = (r.json or {}).get("event_id")
        got = harness.wait_json(lambda: dis.case(case_id),
                                lambda c: any("stale" in json.dumps(x).lower()
                                              for x in c.get("rejected_events") or []), WAIT,
                                "the refusal in rejected_events", alive=alive)
        if eid:
            check(any(x.get("event_id") == eid for x in got["rejected_events"]),
                  "rejected_events does not name event %s: %r" % (eid, got["rejected_events"]))
        return "refused by the coordinator"

    how = results.check("disability's event on an old version is refused (stale)",
                        stale_by_agency)
    if how:
        print("     %s" % how)

    def stale_by_staff():
        r = cluster.staff_case_event(case_id, "note", closed_version - 1, "--note-category",
                                     "call", check_rc=False)
        check(r.returncode != 0, "tsunaguctl accepted a stale event: %s" % r.stdout)
        check("stale" in (r.stdout + r.stderr).lower(),
              "tsunaguctl does not say the version is stale: %s %s" % (r.stdout, r.stderr))

    results.check("staff's event on an old version is refused by the coordinator (stale)",
                  stale_by_staff)

    def unchanged():
        c = walk.coordinator()
        check(c.get("state") == "closed" and c.get("version") == closed_version,
              "coordinator now %r v%r" % (c.get("state"), c.get("version")))
        for ag in walk.on_case():
            mine = ag.case(case_id)
            check(mine.get("version") == closed_version and mine.get("state") == "closed",
                  "%s now %r v%r" % (ag.id, mine.get("state"), mine.get("version")))

    results.check("after the stale events the case is still closed at v%s everywhere"
                  % closed_version, unchanged)

    # --- reopen, racing a note on the same version ----------------------------------------------
    def reopen():
        r = pov.case_event(case_id, {"type": "reopen", "base_version": walk.version})
        check(r.status in (202, 422), "reopen without a reason: %r" % r)
        if r.status == 202:
            harness.wait_json(lambda: pov.case(case_id),
                              lambda c: c.get("rejected_events"), WAIT,
                              "the refused reopen (no reason)", alive=alive)
        # With the coordinator frozen, poverty's reopen and disability's note are both based on
        # the current version and pass their local checks; the coordinator applies whichever
        # it reads first and must refuse the other as stale.
        base = walk.version
        cluster.coordinator.freeze()
        try:
            ra = pov.case_event(case_id, {"type": "reopen", "base_version": base,
                                          "reason": REOPEN_REASON})
            rn = dis.case_event(case_id, {"type": "note", "base_version": base,
                                          "note": {"category": "call", "written_on": jst_day(),
                                                   "text": RACE_NOTE}})
        finally:
            cluster.coordinator.thaw()
        check(ra.status == 202 and rn.status == 202,
              "both events pass the local check: reopen %r, note %r" % (ra, rn))

        def refused_as_stale(ag):
            c = ag.case(case_id) or {}
            return any("stale" in json.dumps(x).lower() for x in c.get("rejected_events") or [])

        walk.converge(lambda c: c.get("version") == base + 1, "one of two racing events")
        winner = walk.coordinator()["timeline"][-1]
        loser = dis if event_type(winner) == "reopen" else pov
        harness.wait_for(lambda: refused_as_stale(loser), WAIT,
                         "%s's racing event in its rejected_events as stale" % loser.id,
                         alive=alive)
        print("     the coordinator applied the %s; %s's event was refused as stale" % (
            event_type(winner), loser.id))
        walk.expected.append(timeline_key(winner))
        if loser is pov:
            c = walk.agency_event(pov, {"type": "reopen", "reason": REOPEN_REASON}, "reopen",
                                  "open")
        else:
            c = walk.coordinator()
        check(c.get("reopened") == 1, "reopened %r" % c.get("reopened"))
        check((c.get("figures") or {}).get("reopened") == 1, "figures %r" % c.get("figures"))
        cases = cluster.coord_json("/v1/stats").get("cases") or {}
        check(cases.get("reopened") == 1 and cases.get("reopen_rate") == 1,
              "after one reopen of one closed case: reopened %r, reopen_rate %r" % (
                  cases.get("reopened"), cases.get("reopen_rate")))
        for ag in walk.on_case():
            mine = ag.case(case_id)
            check(mine.get("state") == "open" and harness.texts_in(mine, [REOPEN_REASON]),
                  "%s: state %r, the reopen reason %s" % (
                      ag.id, mine.get("state"), "shown" if harness.texts_in(
                          mine, [REOPEN_REASON]) else "missing"))

    results.check("a reopen and a note race on one version: the coordinator refuses one as "
                  "stale; poverty reopens the case with a reason: open, reopened 1, reopen rate "
                  "1", reopen)

    # --- more refusals that change nothing ------------------------------------------------------
    def bad_events():
        before = walk.version
        r = elder.case_event(case_id, {"type": "meeting", "base_version": before,
                                       "meeting": {"kind": "shien", "held_on": jst_day(),
                                                   "attendees": [elder.id, "no-such-agency"],
                                                   "decision": "continue",
                                                   "minutes": STALE_NOTE}})
        print("     meeting with an unregistered attendee: HTTP %d" % r.status)
        if r.status == 202:
            eid = (r.json or {}).get("event_id")
            harness.wait_json(lambda: elder.case(case_id),
                              lambda c: any(eid is None or x.get("event_id") == eid
                                            for x in c.get("rejected_events") or []), WAIT,
                              "the refused meeting in rejected_events", alive=alive)
        else:
            check(r.status in (400, 422), "unregistered attendee: expected 400/422 or 202 then "
                  "a refusal, got %r" % r)
        r = elder.case_event(str(uuid.uuid4()), {"type": "state", "base_version": 1,
                                                 "state": "assessment"})
        check(r.status == 404, "an event on an unknown case: expected 404, got %r" % r)
        r = child.case_event(case_id, {"type": "state", "base_version": before,
                                       "state": "assessment"})
        check(r.status in (403, 404, 422), "an agency not on the case: expected 403/404/422, "
              "got %r" % r)
        r = elder.case_event(case_id, {"type": "state", "base_version": before,
                                       "state": "support"})
        check(r.status == 422, "open → support: expected 422 (illegal), got %r" % r)
        r = elder.case_event(case_id, {"type": "no-such-type", "base_version": before})
        check(r.status in (400, 422), "unknown event type: expected 400/422, got %r" % r)
        c = walk.coordinator()
        check(c.get("version") == before and c.get("state") == "open",
              "the case changed: %r v%r" % (c.get("state"), c.get("version")))

    results.check("an unregistered attendee, an unknown case, an agency not on the case, an "
                  "illegal state and an unknown type are refused; the case is unchanged",
                  bad_events)

    # --- filters, tsunaguctl, /metrics ----------------------------------------------------------
    def filters():
        def ids(query):
            j = cluster.coord_json("/v1/cases?" + query)
            return [x.get("case_id") or x.get("id") for x in (j.get("cases") or
                                                               j.get("items") or [])]
        state = walk.coordinator().get("state")
        for q, want in (("state=" + state, True), ("state=closed", False),
                        ("agency=" + dis.id, True), ("agency=" + child.id, False),
                        ("tag=" + urllib.parse.quote("8050"), True),
                        ("tag=" + urllib.parse.quote("ひきこもり"), True),
                        ("tag=" + urllib.parse.quote("ヤングケアラー"), False),
                        ("overdue=1", False), ("", True)):
            got = ids(q)
            check((case_id in got) == want, "GET /v1/cases?%s: %s the case (%r)" % (
                q, "lacks" if want else "lists", got))
        j = cluster.coord_json("/v1/agencies")
        listed = json.dumps(j)
        check(all(a.id in listed for a in agencies.values()), "/v1/agencies %r" % j)
        r = cluster.coord_get("/metrics")
        check(r.status == 200 and "# TYPE" in r.text, "/metrics: %r" % r)
        r = cluster.coord_get("/v1/cases", token=None)
        check(r.status == 401, "GET /v1/cases without a token: %r" % r)

    results.check("coordinator GET /v1/cases filters by state, agency, tag and overdue; "
                  "/v1/agencies, /metrics, 401", filters)

    def ctl_views(stopped):
        r = cluster.ctl("case", "show", case_id, "--json")
        j = json.loads(r.stdout)
        c = j.get("case") if isinstance(j.get("case"), dict) else j
        check(c.get("state") == "open" and c.get("version") == walk.version,
              "case show: %r" % c)
        check(not harness.texts_in(j, personal), "case show prints personal data")
        for flags, want in ((["--state", "open"], True), (["--state", "closed"], False),
                            (["--agency", pov.id], True), (["--tag", "8050"], True),
                            (["--overdue"], False), ([], True)):
            r = cluster.ctl("case", "list", "--json", *flags)
            check((case_id in r.stdout) == want, "case list %s: %s the case\n%s" % (
                " ".join(flags), "lacks" if want else "lists", r.stdout[:500]))
        r = cluster.ctl("case", "show", case_id)
        check(case_id in r.stdout and "open" in r.stdout, "case show (text): %s" % r.stdout)
        r = cluster.ctl("case", "show", str(uuid.uuid4()), check_rc=False)
        check(r.returncode != 0, "case show of an unknown case exited 0")

    results.check("tsunaguctl case show/list (coordinator running)", ctl_views, False)

    # --- nothing personal at the coordinator -----------------------------------------------------
    rc = cluster.coordinator.stop()
    results.expect("coordinator exits 0 on SIGTERM", rc == 0, "status %r" % rc)
    results.check("tsunaguctl case show/list work with the coordinator stopped", ctl_views, True)

    def blind_store():
        needles = {}
        for text in personal:
            for enc, data in blind.encodings_of(text).items():
                needles[(text, enc)] = data
        hits, searched = blind.search_tree(cluster.data_dir, needles)
        print("     searched %d bytes for %d needles" % (searched, len(needles)))
        check(searched > 0, "nothing searched")
        # Control: role labels (not personal) are stored in cleartext, so the search reads
        # inside the store.
        roles = {(t, "utf-8"): t.encode("utf-8") for t in ROLES.values()}
        seen, _ = blind.search_tree(cluster.data_dir, roles)
        check(len(seen) == len(roles), "control: the plan's role labels are not found in the "
              "store (%d of %d), so the search may not read it" % (len(seen), len(roles)))
        log_hits, _ = blind.search_tree(cluster.coordinator.log_path, needles)
        if hits or log_hits:
            fail("personal content at the coordinator:\n" + "\n".join(
                "%s… (%s) in %s" % (t[:16], e, ", ".join(p))
                for (t, e), p in sorted(list(hits.items()) + list(log_hits.items()))[:40]))

    results.check("the coordinator's data dir and log hold none of the household's data, "
                  "minutes, plan, note or reasons", blind_store)


if __name__ == "__main__":
    harness.main("case_lifecycle", __doc__, body)
