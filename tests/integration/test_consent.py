#!/usr/bin/env python3
"""Consent is granted and revoked through the agency API, and a revocation takes effect at once:
referrals waiting in an offline recipient's mailbox under the revoked consent are withheld, never
delivered when the recipient comes back, and the sender's GET /v1/referrals/{id} says so and why;
letters on another basis or another consent in the same mailbox still arrive; the agencies that
already hold data under the consent mark it restricted; the consents API validates what it is
given and lists each consent's status."""

import json
import os
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_blind_coordinator as blind  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
REVOKE_REASON = "本人から電話で同意を撤回する旨の申出があった。"


def item_of(agency, rid):
    items = [it for it in agency.inbox() if it.get("referral_id") == rid]
    check(len(items) <= 1, "%d copies of %s in %s's inbox" % (len(items), rid, agency.id))
    return items[0] if items else None


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    ag = cluster.add_standard_agencies(("eldercare", "disability", "poverty"))
    eld, dis, pov = ag["eldercare"], ag["disability"], ag["poverty"]
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    results.ok("coordinator, eldercare, disability and poverty are up")

    h = hh["H001"]
    case_id = str(uuid.uuid4())

    def sheet(note):
        return harness.sheet_from_household(h, {"referral_note": note})

    cats = harness.sheet_categories(sheet("x"))

    # --- the consents API ----------------------------------------------------------------------
    def api_validation():
        good = {"case_id": case_id, "subject": harness.subject_id(h),
                "cover_agencies": [pov.id], "cover_types": [], "categories": cats,
                "purpose": "referral", "method": "written",
                "valid_from": harness.today_jst_plus(0),
                "valid_until": harness.today_jst_plus(90), "form_sha256": "ab" * 32}
        for name, change, field in (
                ("a case_id that is no UUID", {"case_id": "case-1"}, "case_id"),
                ("an unknown category", {"categories": ["identity", "bank-account"]},
                 "categories"),
                ("no category", {"categories": []}, "categories"),
                ("nobody covered", {"cover_agencies": [], "cover_types": []}, "cover"),
                ("an unknown cover type", {"cover_types": ["police"]}, "cover_types"),
                ("method e-mail", {"method": "e-mail"}, "method"),
                ("an unknown purpose", {"purpose": "marketing"}, "purpose"),
                ("valid_until before valid_from", {"valid_from": harness.today_jst_plus(10),
                                                   "valid_until": harness.today_jst_plus(5)},
                 "valid_"),
                ("a date that is no date", {"valid_until": "2026-02-30"}, "valid_until"),
                ("no form_sha256", {"form_sha256": None}, "form_sha256"),
                ("form_sha256 not hex", {"form_sha256": "zz" * 32}, "form_sha256")):
            req = dict(good)
            req.update(change)
            r = eld.post("/v1/consents", {k: v for k, v in req.items() if v is not None})
            check(r.status == 400, "%s: expected 400, got %r" % (name, r))
            fields = (r.json or {}).get("fields") or {}
            check((r.json or {}).get("error") == "invalid" and any(
                field in k for k in fields), "%s: fields %r do not name %s" % (
                    name, fields, field))
        # Like a referral, a grant without case_id is for a new case (or refused naming it).
        req = {k: v for k, v in good.items() if k != "case_id"}
        r = eld.post("/v1/consents", req)
        if r.status == 202:
            check(harness.UUID_RE.match((r.json or {}).get("case_id") or ""),
                  "a grant without case_id: 202 without a new case id: %r" % r)
            check(r.json["case_id"] != case_id, "the new case is the test's case")
        else:
            check(r.status == 400 and "case_id" in ((r.json or {}).get("fields") or {}),
                  "a grant without case_id: expected 202 (a new case) or 400 naming case_id, "
                  "got %r" % r)
        r = eld.get("/v1/consents", token=None)
        check(r.status == 401, "GET /v1/consents without a token: %r" % r)
        r = eld.revoke_consent(str(uuid.uuid4()))
        check(r.status == 404, "DELETE of an unknown consent: expected 404, got %r" % r)
        eld.wait_outbox_empty(WAIT)
        check(eld.consents(case_id) == [], "refused grants left records: %r" % (
            eld.consents(case_id),))

    results.check("POST /v1/consents refuses bad grants with 400 and the field (nothing "
                  "recorded for the case); without case_id it opens a new case; 401 without a "
                  "token; DELETE of an unknown consent → 404",
                  api_validation)

    ids = {}

    def grant():
        ids["c"] = eld.consent(case_id, cover_agencies=[pov.id], cover_types=["disability"],
                               categories=cats, subject=harness.subject_id(h),
                               note="相談窓口で署名を得た")
        # A second consent on the same case, also covering poverty: it is not revoked.
        ids["other"] = eld.consent(case_id, cover_agencies=[pov.id], categories=cats,
                                   subject=harness.subject_id(h, 2), method="verbal")
        check(ids["c"] != ids["other"], "two grants got one id")
        # pending until the coordinator stores the grant, then active
        rec = harness.wait_json(lambda: eld.consent_record(ids["c"], case_id),
                                lambda c: c.get("status") == "active", WAIT,
                                "C active in GET /v1/consents?case=", alive=alive)
        for key, want in (("cover_agencies", [pov.id]), ("cover_types", ["disability"]),
                          ("categories", cats)):
            if key in rec:
                check(rec[key] == want, "%s %r, expected %r" % (key, rec[key], want))
        listed = [c.get("consent_id") for c in eld.consents()]
        check(ids["c"] in listed and ids["other"] in listed,
              "GET /v1/consents (no case) lists %r" % listed)
        check(eld.consents(str(uuid.uuid4())) == [], "another case lists consents")
        return True

    if not results.check("eldercare grants consent C (poverty by id, disability by type) and "
                         "consent D (poverty) on one case; GET /v1/consents shows both active",
                         grant):
        fail("no consent to revoke")
    c, other = ids["c"], ids["other"]

    def send(to, note, consent_id=c, basis="consent"):
        req = harness.referral_request(h, to_agency=to.id, sheet=sheet(note), case_id=case_id,
                                       legal_basis=basis, consent_id=consent_id,
                                       data_categories=cats)
        if basis == "none":
            req = harness.referral_request(h, to_agency=to.id, case_id=case_id,
                                           sheet=harness.notice_sheet(h, "eldercare"),
                                           legal_basis="none")
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "POST /v1/referrals (%s): %r" % (note, r))
        return r.json["referral_id"]

    # --- data already delivered under C --------------------------------------------------------
    early = {}

    def deliver_before():
        early["pov"] = send(pov, "撤回前に届いた紹介（自立相談）")
        early["dis"] = send(dis, "撤回前に届いた紹介（障害）")
        for rid in early.values():
            harness.wait_delivered(eld, rid, WAIT, alive=alive)
        for agency, rid in ((pov, early["pov"]), (dis, early["dis"])):
            it = item_of(agency, rid)
            check(it, "%s does not hold %s" % (agency.id, rid))
            check(not it.get("restricted"), "%s's item restricted before any revoke: %r" % (
                agency.id, it.get("restricted")))

    results.check("two referrals under C are delivered (poverty, disability), not restricted",
                  deliver_before)

    # --- poverty goes offline; letters pile up in its mailbox ----------------------------------
    rc = pov.daemon.stop()
    results.expect("poverty's daemon stops cleanly (SIGTERM)", rc == 0, "status %r" % rc)

    waiting = {}

    def queue():
        waiting["c1"] = send(pov, "撤回で止めるべき紹介 1")
        waiting["c2"] = send(pov, "撤回で止めるべき紹介 2")
        waiting["other"] = send(pov, "同意Dに基づく紹介（撤回されない）", consent_id=other)
        waiting["none"] = send(pov, "", basis="none")
        for key, rid in waiting.items():
            j = harness.wait_delivery(eld, rid, ("stored",), WAIT, alive=alive)
            check((j.get("receipts") or {}).get("stored_at"), "%s: no stored_at" % key)
            check(not (j.get("receipts") or {}).get("delivered_at"), "%s delivered" % key)
        return True

    if not results.check("with poverty offline, 4 referrals wait in its mailbox (2 under C, one "
                         "under D, one on basis none): each shows stored", queue):
        fail("nothing waits in the mailbox")

    def revoke():
        r = eld.revoke_consent(c, REVOKE_REASON)
        check(r.status == 202, "DELETE /v1/consents/%s: %r" % (c, r))
        eld.wait_outbox_empty(WAIT)
        harness.wait_json(lambda: eld.consent_record(c, case_id),
                          lambda rec: rec.get("status") == "revoked", WAIT,
                          "eldercare's GET /v1/consents shows C revoked", alive=alive)
        rec = eld.consent_record(other, case_id)
        check(rec and rec.get("status") == "active", "consent D is now %r" % (rec,))

    results.check("eldercare revokes C (DELETE /v1/consents/C with a reason): C revoked, D "
                  "still active", revoke)

    def withheld():
        for key in ("c1", "c2"):
            j = harness.wait_delivery(eld, waiting[key], ("withheld", "refused", "rejected",
                                                          "delivered"), WAIT, alive=alive)
            check(j.get("delivery") == "withheld", "%s: delivery %r, expected withheld" % (
                key, j.get("delivery")))
            err = j.get("error") or {}
            check(err.get("code") == "missing_legal_basis", "error %r" % (err,))
            message = err.get("message") or ""
            for word in ("withheld", "revoked", c):
                check(word in message, "the message %r does not say %r" % (message, word))
            check(not (j.get("receipts") or {}).get("delivered_at"), "delivered_at is set")
            events = [e.get("event") for e in j.get("history") or []]
            check("withheld" in events or "refused" in events,
                  "history %r does not record the withholding" % events)
        print("     %s" % harness.wait_delivery(eld, waiting["c1"], ("withheld",), WAIT)[
            "error"]["message"])

    results.check("the sender's GET /v1/referrals/{id} shows both referrals under C withheld, "
                  "with missing_legal_basis and a message naming C and the revocation",
                  withheld)

    def others_still_waiting():
        for key in ("other", "none"):
            j = eld.referral(waiting[key])
            check(j.get("delivery") == "stored", "%s: delivery %r" % (key, j.get("delivery")))

    results.check("the referrals under D and on basis none still wait (stored)",
                  others_still_waiting)

    # --- poverty comes back --------------------------------------------------------------------
    def back():
        cluster.start_agency(pov.id)
        cluster.wait_ready([pov.id])
        for key in ("other", "none"):
            harness.wait_delivered(eld, waiting[key], WAIT, alive=alive)
        # Everything the mailbox still held has been delivered by now (a mailbox is delivered
        # in order); wait for the outboxes too, then look.
        pov.wait_outbox_empty(WAIT)
        for key in ("c1", "c2"):
            check(item_of(pov, waiting[key]) is None,
                  "poverty holds %s, sent under the revoked consent" % key)
            r = pov.get("/v1/referrals/" + waiting[key])
            check(r.status == 404, "poverty's GET /v1/referrals/%s: %r" % (key, r))
            j = eld.referral(waiting[key])
            check(j.get("delivery") == "withheld", "%s now %r" % (key, j.get("delivery")))
        for key in ("other", "none"):
            check(item_of(pov, waiting[key]), "poverty lacks %s" % key)

    results.check("poverty restarts: the referrals under D and on basis none arrive; the two "
                  "under C never do, and stay withheld", back)

    def sender_restart():
        rc = eld.daemon.stop()
        check(rc == 0, "eldercare did not stop cleanly: %r" % rc)
        cluster.start_agency(eld.id)
        cluster.wait_ready([eld.id])
        for key in ("c1", "c2"):
            j = eld.referral(waiting[key])
            check(j and j.get("delivery") == "withheld"
                  and (j.get("error") or {}).get("code") == "missing_legal_basis",
                  "%s after eldercare's restart: %r" % (key, j))
        rec = eld.consent_record(c, case_id)
        check(rec and rec.get("status") == "revoked", "C after the restart: %r" % rec)

    results.check("after eldercare restarts, both referrals still show withheld and C revoked",
                  sender_restart)

    def restricted():
        for agency, rid in ((pov, early["pov"]), (dis, early["dis"])):
            it = harness.wait_json(lambda agency=agency, rid=rid: item_of(agency, rid),
                                   lambda it: it.get("restricted") is True, WAIT,
                                   "%s marks %s restricted" % (agency.id, rid[:8]), alive=alive)
            check(it.get("sheet"), "the restricted item lost its sheet (restricted is a mark)")
            j = agency.referral(rid)
            if j is not None and "restricted" in j:
                check(j["restricted"] is True, "%s's GET /v1/referrals shows restricted %r" % (
                    agency.id, j["restricted"]))
        it = item_of(pov, waiting["other"])
        check(not it.get("restricted"), "the referral under D is restricted")
        rec = None
        for c_rec in pov.consents(case_id):
            if c_rec.get("consent_id") == c:
                rec = c_rec
        if rec is not None:
            check(rec.get("status") == "revoked", "poverty's record of C: %r" % rec)
            print("     poverty's GET /v1/consents: %s" % rec)

    results.check("the data delivered under C before the revoke is marked restricted at "
                  "poverty (after its restart) and at disability; the referral under D is not",
                  restricted)

    def after_revoke_or_api():
        req = harness.referral_request(h, to_agency=pov.id, sheet=sheet("撤回後"),
                                       case_id=case_id, consent_id=c, data_categories=cats)
        r = eld.post("/v1/referrals", req)
        if r.status == 202:
            j = harness.wait_delivery(eld, r.json["referral_id"],
                                      ("refused", "rejected", "withheld", "delivered"), WAIT,
                                      alive=alive)
            check(j.get("delivery") in ("refused", "withheld"),
                  "a referral under revoked C: %r" % j.get("delivery"))
            check("revoked" in ((j.get("error") or {}).get("message") or ""),
                  "error %r does not say revoked" % j.get("error"))
            print("     refused by the coordinator: %s" % j["error"]["message"])
        else:
            check(400 <= r.status < 500 and (r.json or {}).get("error"),
                  "a referral under revoked C: %r" % r)
            print("     refused by eldercare's API: %r" % r)

    results.check("a new referral under C after the revoke is refused, saying revoked",
                  after_revoke_or_api)

    def revoke_twice():
        r = eld.revoke_consent(c, REVOKE_REASON)
        check(r.status in (200, 202, 409, 410),
              "revoking C again: expected 200/202 (no change) or 409/410, got %r" % r)
        eld.wait_outbox_empty(WAIT)
        rec = eld.consent_record(c, case_id)
        check(rec.get("status") == "revoked", "C is now %r" % rec.get("status"))

    results.check("revoking C a second time changes nothing", revoke_twice)

    def audited():
        records = []
        with open(cluster.audit_path(), encoding="utf-8") as f:
            for line in f:
                records.append(json.loads(line.split(" ", 4)[4]))
        withheld = [r for r in records if r.get("event") == "withheld"]
        check(len(withheld) == 2, "%d withheld records, expected 2: %r" % (len(withheld),
                                                                        withheld))
        for r in withheld:
            check(r.get("sender") == eld.id and r.get("recipient") == pov.id
                  and c in json.dumps(r), "withheld record %r" % r)
        check(any(r.get("event", "").startswith("consent") and "revok" in r["event"]
                  and c in json.dumps(r) for r in records), "no record of C's revocation")
        check(cluster.audit_verify().returncode == 0, "audit verify fails")

    results.check("the coordinator's audit log holds the revocation and one withheld record "
                  "per withheld referral (eldercare → poverty, consent C); it verifies",
                  audited)

    def coordinator_blind():
        texts = harness.personal_strings(h) + [REVOKE_REASON, "相談窓口で署名を得た"]
        needles = {}
        for t in texts:
            for enc, data in blind.encodings_of(t).items():
                needles[(t, enc)] = data
        hits, searched = blind.search_tree(cluster.data_dir, needles)
        check(searched > 0, "nothing searched")
        check(not hits, "personal data or the revocation reason at the coordinator: %r" % (
            sorted(hits)[:10],))

    results.check("the coordinator's data dir holds neither the household's data nor the "
                  "consent note nor the revocation reason", coordinator_blind)


if __name__ == "__main__":
    harness.main("consent", __doc__, body)
