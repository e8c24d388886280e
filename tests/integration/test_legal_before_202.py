#!/usr/bin/env python3
"""What the law does not let go is refused before 202 (issue 10, item 2), end to end with real
daemons.  eldercare refers a household to poverty under consent C1, which covers poverty only;
poverty learns C1 from the referral.  poverty's answer with a reason travels back to eldercare,
the original sender, which C1 does not cover: poverty's API answers 422 missing_legal_basis
naming C1 and eldercare, and nothing reaches its outbox, the coordinator or eldercare.  Under a
consent that covers eldercare the same answer is 202 and arrives with its reason.  A note on
legal basis support-meeting on a case where no 支援会議 was held is 422 too, for a status change
and for a case event; the coordinator's staff then hold one without poverty, and poverty's note
is 422 naming poverty.  A consent grant whose signed form would travel sealed today on a consent
valid only from tomorrow is 422 too."""

import json
import os
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
REASON = "本人が他市の親族宅へ転居予定のため、こちらでは受けられない。"
NOTE = "家庭訪問記録：家賃の分納について本人と話した。"


def refused_before_202(sender, path, body, words, cluster, referral_id=None):
    """sender POSTs body to path: 422 missing_legal_basis whose message names each of words;
    nothing is stored or sent (the outbox stays empty, the referral at the coordinator and at
    sender keeps its version and has no pending change or error)."""
    before = sender.referral(referral_id) if referral_id else None
    coord_before = cluster.coord_json("/v1/referrals/" + referral_id) if referral_id else None
    r = sender.post(path, body)
    j = r.json if isinstance(r.json, dict) else {}
    check(r.status == 422 and j.get("error") == "missing_legal_basis",
          "expected 422 missing_legal_basis, got %r" % r)
    said = json.dumps([j.get("message"), j.get("fields")], ensure_ascii=False)
    missing = [w for w in words if w not in said]
    check(not missing, "the refusal %s does not name %r" % (said, missing))
    health = sender.healthz() or {}
    check(health.get("outbox_pending") == 0, "%s's outbox holds %r letters after the 422" % (
        sender.id, health.get("outbox_pending")))
    if referral_id:
        after = sender.referral(referral_id)
        check(after.get("version") == before.get("version") and not after.get("pending")
              and (after.get("errors") or []) == (before.get("errors") or []),
              "the referral changed at %s: %r" % (sender.id, after))
        coord_after = cluster.coord_json("/v1/referrals/" + referral_id)
        check(coord_after.get("version") == coord_before.get("version")
              and coord_after.get("state") == coord_before.get("state"),
              "the coordinator's referral changed: %r → %r" % (coord_before, coord_after))
    print("     422: %s" % said[:300])
    return j


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    ag = cluster.add_standard_agencies()
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    eld, pov = ag["eldercare"], ag["poverty"]
    results.ok("coordinator and four agency daemons are up")

    h = hh["H001"]
    sheet = harness.sheet_from_household(h)
    cats = harness.sheet_categories(sheet)
    state = {}

    def referral_under_c1():
        k1 = state["k1"] = str(uuid.uuid4())
        c1 = state["c1"] = eld.consent(k1, cover_agencies=[pov.id], categories=cats,
                                       subject=harness.subject_id(h))
        harness.wait_json(lambda: eld.consent_record(c1, k1),
                          lambda c: c.get("status") == "active", WAIT, "C1 active", alive=alive)
        r = eld.post("/v1/referrals", harness.referral_request(
            h, to_agency=pov.id, sheet=sheet, case_id=k1, consent_id=c1, data_categories=cats))
        check(r.status == 202, "POST /v1/referrals: %r" % r)
        rid = state["rid"] = r.json["referral_id"]
        harness.wait_delivered(eld, rid, WAIT, alive=alive)
        rec = harness.wait_json(lambda: pov.consent_record(c1), lambda c: c is not None, WAIT,
                                "poverty knows C1 from the referral", alive=alive)
        check(rec.get("cover_agencies") == [pov.id] and rec.get("status") == "active",
              "poverty's record of C1: %r" % rec)
        check("subject" not in rec, "the referral carried C1's subject: %r" % rec)
        r = pov.set_status(rid, "received")
        check(r.status == 202, "received (no reason): %r" % r)
        harness.wait_json(lambda: eld.referral(rid), lambda j: j.get("state") == "received",
                          WAIT, "eldercare sees received", alive=alive)
        pov.wait_outbox_empty(WAIT)
        return True

    if not results.check("eldercare refers H001 to poverty under C1 (covering poverty only); "
                         "poverty learns C1 from the referral; received (no reason) goes back",
                         referral_under_c1):
        fail("no referral: nothing else can be tested")
    rid, c1, k1 = state["rid"], state["c1"], state["k1"]
    status_path = "/v1/referrals/%s/status" % rid

    results.check("poverty rejects it with a reason under C1: 422 naming C1 and eldercare, "
                  "nothing sent", refused_before_202, pov, status_path,
                  {"status": "rejected", "reason": REASON}, [c1, eld.id], cluster, rid)
    results.check("the same with consent_id C1 named: 422 naming eldercare",
                  refused_before_202, pov, status_path,
                  {"status": "rejected", "reason": REASON, "legal_basis": "consent",
                   "consent_id": c1}, [c1, eld.id], cluster, rid)
    results.check("support-meeting on a case without a 支援会議: 422 saying none was held",
                  refused_before_202, pov, status_path,
                  {"status": "rejected", "reason": REASON, "legal_basis": "support-meeting"},
                  ["支援会議", k1], cluster, rid)

    def event_refused():
        c = harness.wait_json(lambda: pov.case(k1), lambda x: (x.get("version") or 0) > 0, WAIT,
                              "poverty's copy of K1", alive=alive)
        refused_before_202(pov, "/v1/cases/%s/events" % k1,
                           {"type": "note", "base_version": c["version"], "legal_basis":
                            "support-meeting", "note": {"category": "visit", "written_on":
                                                        harness.today_jst_plus(0),
                                                        "text": NOTE}},
                           ["支援会議", k1], cluster)
        check(not harness.texts_in(eld.case(k1), [NOTE]), "eldercare shows the note")

    results.check("a case event note on support-meeting without a 支援会議: 422, nothing sent",
                  event_refused)

    def not_on_roster():
        cluster.staff_meeting(k1, [eld.id, ag["disability"].id])
        harness.wait_json(lambda: pov.case(k1), lambda x: x.get("roster_kind") == "shien",
                          WAIT, "poverty's copy shows the 支援会議 roster", alive=alive)
        refused_before_202(pov, status_path, {"status": "rejected", "reason": REASON,
                                              "legal_basis": "support-meeting"},
                           [pov.id, "支援会議"], cluster, rid)

    results.check("after a 支援会議 without poverty: its support-meeting answer is 422 naming "
                  "poverty", not_on_roster)

    def covered_goes():
        c2 = eld.consent(k1, cover_agencies=[eld.id, pov.id], categories=cats,
                         subject=harness.subject_id(h))
        harness.wait_json(lambda: pov.consent_record(c2), lambda c: c is not None and c.get(
            "status") == "active", WAIT, "poverty knows C2 (fanned out on K1)", alive=alive)
        r = pov.post(status_path, {"status": "rejected", "reason": REASON,
                                   "legal_basis": "consent", "consent_id": c2})
        check(r.status == 202, "under C2 (covering eldercare): expected 202, got %r" % r)
        got = harness.wait_json(lambda: eld.referral(rid), lambda j: j.get("state") == "rejected",
                                WAIT, "eldercare sees rejected", alive=alive)
        check(harness.texts_in(got, [REASON]), "eldercare does not show the reason: %r" % got)
        mine = pov.referral(rid)
        check(mine.get("state") == "rejected" and not mine.get("errors"),
              "poverty's view: %r" % mine)

    results.check("under C2, which covers eldercare: 202, the reason arrives at eldercare",
                  covered_goes)

    def grant_form_uncovered():
        # poverty is on K1: the signed form would travel sealed to it on the consent itself,
        # which is valid only from tomorrow (a form the categories do not cover is the API's
        # 400 already).
        for kw, words in (({"categories": ["identity"],
                            "valid_from": harness.today_jst_plus(1)}, ["valid only from"]),):
            r = eld.grant_consent(k1, cover_agencies=[pov.id], subject=harness.subject_id(h),
                                  **kw)
            j = r.json if isinstance(r.json, dict) else {}
            said = json.dumps([j.get("message"), j.get("fields")], ensure_ascii=False)
            check(r.status == 422 and j.get("error") == "missing_legal_basis"
                  and "form_base64" in (j.get("fields") or {})
                  and all(w in said for w in words),
                  "expected 422 missing_legal_basis naming %r under form_base64, got %r" % (
                      words, r))
            check((eld.healthz() or {}).get("outbox_pending") == 0,
                  "eldercare's outbox is not empty")
            print("     422: %s" % j.get("message"))
        r = eld.grant_consent(k1, cover_agencies=[pov.id], categories=["identity", "health"],
                              subject=harness.subject_id(h))
        check(r.status == 202, "the same grant covering identity: %r" % r)

    results.check("a consent grant valid only from tomorrow whose signed form would travel "
                  "sealed today: 422 before anything is sent; one valid today: 202",
                  grant_form_uncovered)


if __name__ == "__main__":
    harness.main("legal_before_202", __doc__, body)
