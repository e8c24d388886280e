#!/usr/bin/env python3
"""Personal data moves only on a legal basis, end to end with real daemons, basis by basis:
consent (allowed when it covers the recipient and every data category; refused when it is
missing, of another case, revoked, not yet valid or expired, or does not cover the recipient or a
category), support-meeting (the latest 支援会議 roster), statutory-meeting (the sender type's own
meeting: 地域ケア会議, 協議会, 要対協, 生活困窮者自立支援法の支援会議), emergency (an abuse report from
eldercare, disability or child: always routed, flagged urgent, an alert on the coordinator) and
none (no data categories).  Every refusal names what is missing.  The coordinator's own rules
are also probed with tsunagu-rogue-client, whatever an agency daemon would catch first."""

import json
import os
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
NOT_DELIVERED = ("refused", "rejected", "withheld")

# Minutes (synthetic personal free text): they travel only sealed to the attendees.
MINUTES_SHIEN = "支援会議記録：母の通院同行を包括が担い、長男の就労準備は自立相談が調整する。"
MINUTES_YOTAIKYO = "要対協記録：長女の登校状況を学校と共有し、母の受診を障害相談が支援する。"
NOTE_C1 = "電話記録：本人から家賃の分納について相談があった（同意C1の範囲で共有）。"
STATUS_REASON = "本人が他市の親族宅へ転居予定のため、こちらでは受けられない。"
MINUTES_JUSOTEKI = "重層的支援会議記録：本人同意のもと家計と住まいの課題を三機関で分担する。"


def referral_ids_from(recipient, sender):
    return {it.get("referral_id") for it in recipient.inbox() if it.get("from") == sender.id}


def post_refused(sender, recipient, req, words=(), codes=("missing_legal_basis",)):
    """sender POSTs req, which must never reach recipient: refused at sender's API (4xx with an
    error code and a message), or accepted (202) and then refused by the coordinator with one
    of codes (missing_legal_basis); either way what it says holds each of words.  Returns what
    happened."""
    before = referral_ids_from(recipient, sender)
    r = sender.post("/v1/referrals", req)
    if 400 <= r.status < 500:
        j = r.json if isinstance(r.json, dict) else {}
        check(isinstance(j.get("error"), str) and isinstance(j.get("message"), str),
              "a refusal without error code and message: %r" % r)
        said = json.dumps([j["message"], j.get("fields")], ensure_ascii=False).lower()
        missing = [w for w in words if w.lower() not in said]
        check(not missing, "the refusal %r does not name %r" % (j, missing))
        sender.wait_outbox_empty(WAIT)
        where = "refused by %s's API: %d %s: %s %s" % (sender.id, r.status, j["error"],
                                                       j["message"], j.get("fields") or "")
        rid = None
    else:
        check(r.status == 202, "expected a refusal (4xx, or 202 then refused), got %r" % r)
        rid = r.json["referral_id"]
        j = harness.wait_delivery(sender, rid, NOT_DELIVERED + ("delivered",), WAIT,
                                  alive=sender.cluster.alive)
        check(j.get("delivery") in NOT_DELIVERED,
              "referral %s was delivered to %s: the coordinator let it through" % (
                  rid, recipient.id))
        err = j.get("error") or {}
        check(err.get("code") in codes, "error %r, expected code %s" % (err, " or ".join(codes)))
        message = err.get("message") or ""
        missing = [w for w in words if w.lower() not in message.lower()]
        check(not missing, "the message %r does not name %r" % (message, missing))
        where = "refused by the coordinator (%s): %s" % (j.get("delivery"), message)
    after = referral_ids_from(recipient, sender)
    check(after == before and (rid is None or rid not in after),
          "%s's inbox gained %r" % (recipient.id, sorted(after - before)))
    print("     " + where)
    return where


def post_delivered(sender, recipient, req):
    """sender POSTs req; it must be delivered to recipient once with the sheet intact.
    Returns (the sender's view, the recipient's inbox item)."""
    r = sender.post("/v1/referrals", req)
    check(r.status == 202, "POST /v1/referrals: %r" % r)
    rid = r.json["referral_id"]
    j = harness.wait_delivered(sender, rid, WAIT, alive=sender.cluster.alive)
    check(j.get("legal_basis") == req["legal_basis"], "sender shows legal_basis %r" % (
        j.get("legal_basis"),))
    items = [it for it in recipient.inbox() if it.get("referral_id") == rid]
    check(len(items) == 1, "%d copies in %s's inbox" % (len(items), recipient.id))
    it = items[0]
    check(it.get("sheet") == req["sheet"], "the sheet arrived changed")
    check(it.get("legal_basis") == req["legal_basis"], "recipient shows legal_basis %r" % (
        it.get("legal_basis"),))
    if req.get("consent_id") and "consent_id" in it:
        check(it["consent_id"] == req["consent_id"], "recipient shows consent_id %r" % (
            it["consent_id"],))
    return j, it


def probe_detail(out):
    """The detail of the ERROR the rogue client printed."""
    for line in out.splitlines():
        if "got ERROR" in line:
            return line.split("detail=", 1)[-1].strip('"')
    return ""


def record_meeting(agency, case_id, kind, attendees, minutes=None, extra=None):
    """agency records a meeting of kind (with minutes when given) on the case, based on the
    coordinator's current version.  Returns ("applied", the coordinator's case), ("api", the
    HttpResult of a refusal) or ("coordinator", the entry of the agency's rejected_events)."""
    cluster = agency.cluster
    c = cluster.coordinator_case(case_id)
    check(c, "the coordinator does not know case %s" % case_id)
    base = c.get("version")
    meeting = {"kind": kind, "held_on": harness.today_jst_plus(0),
               "attendees": [a.id for a in attendees], "decision": "continue"}
    if minutes:
        meeting["minutes"] = minutes
    event = {"type": "meeting", "base_version": base, "meeting": meeting}
    event.update(extra or {})
    r = agency.case_event(case_id, event)
    if r.status != 202:
        return "api", r
    eid = (r.json or {}).get("event_id")

    def settled():
        cc = cluster.coordinator_case(case_id)
        if cc and (cc.get("version") or 0) > base:
            return "applied", cc
        mine = agency.case(case_id) or {}
        for x in mine.get("rejected_events") or []:
            if not eid or x.get("event_id") == eid:
                return "coordinator", x
        return None

    return harness.wait_for(settled, WAIT, "%s's %s meeting applied or refused" % (
        agency.id, kind), alive=cluster.alive)


def minutes_reach(case_id, minutes, agencies, alive):
    """Waits until each agency's copy of the case shows the minutes (decrypted)."""
    for a in agencies:
        harness.wait_json(lambda a=a: a.case(case_id),
                          lambda c: harness.texts_in(c, [minutes]), WAIT,
                          "%s's copy of the case showing the minutes" % a.id, alive=alive)


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    ag = cluster.add_standard_agencies()
    kita = cluster.add_agency("poverty-kita", "poverty", "つなぐ市北部自立相談支援機関")
    # Registered, but no daemon runs on their keys: tsunagu-rogue-client speaks with them, so
    # the coordinator's own checks are seen whatever an agency daemon refuses before sending.
    probe_eld = cluster.add_agency("probe-eldercare", "eldercare", "つなぐ市検証用地域包括支援センター")
    probe_pov = cluster.add_agency("probe-poverty", "poverty", "つなぐ市検証用自立相談支援機関")
    running = [a.id for a in ag.values()] + [kita.id]
    cluster.start_all(running)
    cluster.wait_ready(running)
    cluster.wait_coordinator_http()
    alive = cluster.alive
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    results.ok("coordinator and five agency daemons are up; two probe agencies registered")

    h1 = hh["H001"]
    sheet1 = harness.sheet_from_household(h1)
    cats1 = harness.sheet_categories(sheet1)
    k1 = str(uuid.uuid4())

    # --- consent ---------------------------------------------------------------------------------
    state = {}

    def grant_c1():
        state["c1"] = eld.consent(k1, cover_agencies=[pov.id], categories=cats1,
                                  subject=harness.subject_id(h1))
        # pending until the coordinator stores the grant, then active
        rec = harness.wait_json(lambda: eld.consent_record(state["c1"], k1),
                                lambda c: c.get("status") == "active", WAIT,
                                "the consent active in GET /v1/consents", alive=alive)
        check(rec.get("case_id") in (None, k1), "case_id %r" % rec.get("case_id"))
        return True

    if not results.check("eldercare grants consent C1 (case K1) covering poverty-chuo and the "
                         "categories %s; GET /v1/consents shows it active" % cats1, grant_c1):
        fail("no consent: nothing else about consent can be tested")
    c1 = state["c1"]

    def c1_allowed():
        req = harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k1,
                                       consent_id=c1, data_categories=cats1)
        j, _it = post_delivered(eld, pov, req)
        state["r1"] = j["referral_id"]

    results.check("consent covering the recipient and every category: delivered, both sides "
                  "show basis consent", c1_allowed)

    def by_type():
        c2 = eld.consent(k1, cover_types=["disability"], categories=cats1,
                         subject=harness.subject_id(h1))
        req = harness.referral_request(h1, to_agency=dis.id, sheet=sheet1, case_id=k1,
                                       consent_id=c2, data_categories=cats1)
        post_delivered(eld, dis, req)

    results.check("consent covering the recipient's type (cover_types disability): delivered",
                  by_type)

    def status_reason():
        # The answer travels back to eldercare, which C1 does not cover: a reason (personal
        # free text) may not go on it; a change without a reason may.
        rid = state["r1"]
        r = pov.set_status(rid, "received")
        check(r.status == 202, "received (no reason): %r" % r)
        harness.wait_json(lambda: eld.referral(rid), lambda j: j.get("state") == "received",
                          WAIT, "eldercare sees received", alive=alive)
        r = pov.set_status(rid, "rejected", reason=STATUS_REASON)
        if r.status == 202:
            got = harness.wait_json(
                lambda: pov.referral(rid),
                lambda j: j.get("state") == "rejected" or any(
                    e.get("status") == "rejected" for e in j.get("errors") or []), WAIT,
                "poverty's change applied or refused", alive=alive)
            check(got.get("state") != "rejected", "the reason travelled to eldercare under a "
                  "consent that does not cover it: %r" % got)
            err = [e for e in got["errors"] if e.get("status") == "rejected"][0]
            check(err.get("code") == "missing_legal_basis" and eld.id in (
                err.get("message") or ""), "poverty's refused change: %r" % err)
            where = "refused by the coordinator: %s" % err.get("message")
        else:
            check(r.status == 422 and eld.id in r.text, "expected 422 naming eldercare-chuo, "
                  "got %r" % r)
            where = "refused by poverty's API: %s" % r.text[:300]
        check(not harness.texts_in(eld.referral(rid), [STATUS_REASON]),
              "eldercare shows the reason")
        print("     " + where)

    results.check("poverty answers a referral under C1 (which does not cover eldercare): "
                  "received (no reason) goes back; a rejection with a reason is refused, naming "
                  "eldercare", status_reason)

    results.check("consent not covering the recipient (poverty-kita, same type, not named): "
                  "refused naming it", post_refused, eld, kita,
                  harness.referral_request(h1, to_agency=kita.id, sheet=sheet1, case_id=k1,
                                           consent_id=c1, data_categories=cats1),
                  [kita.id])
    results.check("consent not covering a declared category (children): refused naming it",
                  post_refused, eld, pov,
                  harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k1,
                                           consent_id=c1, data_categories=cats1 + ["children"]),
                  ["children"])
    results.check("a consent id that was never granted: refused", post_refused, eld, pov,
                  harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k1,
                                           consent_id=str(uuid.uuid4()), data_categories=cats1))
    results.check("consent of another case: refused", post_refused, eld, pov,
                  harness.referral_request(h1, to_agency=pov.id, sheet=sheet1,
                                           case_id=str(uuid.uuid4()), consent_id=c1,
                                           data_categories=cats1))

    k3 = str(uuid.uuid4())

    def revoked():
        c3 = eld.consent(k3, cover_agencies=[pov.id], categories=cats1,
                         subject=harness.subject_id(h1))
        state["c3"] = c3
        req = harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k3,
                                       consent_id=c3, data_categories=cats1)
        post_delivered(eld, pov, req)
        r = eld.revoke_consent(c3)
        check(r.status == 202, "DELETE /v1/consents/%s: %r" % (c3, r))
        eld.wait_outbox_empty(WAIT)
        rec = harness.wait_json(lambda: eld.consent_record(c3, k3),
                                lambda c: c.get("status") == "revoked", WAIT,
                                "GET /v1/consents shows C3 revoked")
        check(rec, "no record")
        post_refused(eld, pov, req, ["revoked"])

    results.check("consent C3 allows a referral; after DELETE /v1/consents/C3 the same referral "
                  "is refused saying revoked", revoked)

    k4 = str(uuid.uuid4())

    def expired():
        r = eld.grant_consent(k4, cover_agencies=[pov.id], categories=cats1,
                              subject=harness.subject_id(h1),
                              valid_from=harness.today_jst_plus(-60),
                              valid_until=harness.today_jst_plus(-1))
        if r.status != 202:
            check(400 <= r.status < 500 and (r.json or {}).get("error"),
                  "granting an expired consent: expected 202 or a 4xx with an error, got %r" % r)
            state["expired_grant"] = r
            return "the API refuses to grant a consent that ended yesterday (%d %s): %s" % (
                r.status, r.json.get("error"), r.json.get("fields") or r.json.get("message"))
        state["c4"] = r.json["consent_id"]
        req = harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k4,
                                       consent_id=state["c4"], data_categories=cats1)
        return post_refused(eld, pov, req, ["expired"])

    how = results.check("a consent whose valid_until was yesterday: refused saying expired (or "
                        "not grantable at all)", expired)
    if how:
        print("     " + how)

    k5 = str(uuid.uuid4())

    def not_yet_valid():
        r = eld.grant_consent(k5, cover_agencies=[pov.id], categories=cats1,
                              subject=harness.subject_id(h1),
                              valid_from=harness.today_jst_plus(1),
                              valid_until=harness.today_jst_plus(90))
        check(r.status == 202, "granting a consent valid from tomorrow: %r" % r)
        state["c5"] = r.json["consent_id"]
        req = harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k5,
                                       consent_id=state["c5"], data_categories=cats1)
        return post_refused(eld, pov, req)

    results.check("a consent valid only from tomorrow: refused today", not_yet_valid)

    # --- the coordinator's own rules, probed directly ------------------------------------------
    eld.wait_outbox_empty(WAIT)

    # The probe agency may send letters about a case only once a member made it one: eldercare
    # refers each probed case to it with a basis-none notice (stored at the coordinator; no
    # daemon runs on the probe's keys to take it).
    def invite(case_id):
        req = harness.referral_request(h1, to_agency=probe_eld.id,
                                       sheet=harness.notice_sheet(h1, "eldercare"),
                                       case_id=case_id, legal_basis="none", urgency="normal")
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "eldercare refers case %s to the probe agency: %r" % (case_id, r))
        harness.wait_json(lambda: cluster.coordinator_case(case_id),
                          lambda c: probe_eld.id in json.dumps(c), WAIT,
                          "the probe agency on case %s" % case_id, alive=alive)

    for n, case_id in (("k1", k1), ("k3", k3), ("k4", k4), ("k5", k5)):
        results.check("eldercare makes the probe agency a member of case %s" % n, invite, case_id)

    def probe(name, expect, words=(), keys=probe_eld, to=pov, **kw):
        def run():
            out = cluster.rogue_send(keys, to, expect, **kw)
            if expect != "stored":
                detail = probe_detail(out)
                missing = [w for w in words if w.lower() not in detail.lower()]
                check(not missing, "the detail %r does not name %r" % (detail, missing))
                print("     detail: %s" % detail)
        results.check("probe: " + name, run)

    probe("consent C1, covered recipient and category: stored", "stored", case_id=k1,
          consent_id=c1, categories=["identity"])
    probe("consent C1 to poverty-kita (not covered): missing_legal_basis naming it",
          "missing_legal_basis", [kita.id], to=kita, case_id=k1, consent_id=c1,
          categories=["identity"])
    probe("consent C1 with category children (not covered): missing_legal_basis naming it",
          "missing_legal_basis", ["children"], case_id=k1, consent_id=c1,
          categories=["identity", "children"])
    probe("a consent id never granted: missing_legal_basis", "missing_legal_basis",
          case_id=k1, consent_id=str(uuid.uuid4()), categories=["identity"])
    probe("consent C1 on another case: missing_legal_basis", "missing_legal_basis",
          case_id=str(uuid.uuid4()), consent_id=c1, categories=["identity"])
    probe("basis consent without a consent id: missing_legal_basis", "missing_legal_basis",
          case_id=k1, categories=["identity"])
    if state.get("c3"):
        probe("revoked consent C3: missing_legal_basis saying revoked", "missing_legal_basis",
              ["revoked"], case_id=k3, consent_id=state["c3"], categories=["identity"])
    if state.get("c4"):
        probe("expired consent C4: missing_legal_basis saying expired", "missing_legal_basis",
              ["expired"], case_id=k4, consent_id=state["c4"], categories=["identity"])
    if state.get("c5"):
        probe("consent C5 valid from tomorrow: missing_legal_basis", "missing_legal_basis",
              case_id=k5, consent_id=state["c5"], categories=["identity"])
    probe("support-meeting on a case without a 支援会議: missing_legal_basis naming the "
          "meeting", "missing_legal_basis", ["支援会議"], legal_basis="support-meeting",
          case_id=k1, categories=["identity"])
    probe("statutory-meeting on a case where eldercare's 地域ケア会議 was never held: "
          "missing_legal_basis", "missing_legal_basis", legal_basis="statutory-meeting",
          case_id=k1, categories=["identity"])
    probe("basis none with a data category: missing_legal_basis", "missing_legal_basis",
          legal_basis="none", categories=["identity"])
    probe("basis unspecified with a body: missing_legal_basis", "missing_legal_basis",
          legal_basis="unspecified", categories=["identity"])
    probe("basis none, no data category: stored", "stored", legal_basis="none")
    probe("emergency from a poverty agency: missing_legal_basis naming emergency",
          "missing_legal_basis", ["emergency"], keys=probe_pov, legal_basis="emergency",
          urgency="emergency", urgent=True, categories=["identity"])
    probe("emergency from an eldercare agency, no consent, no case: stored", "stored",
          legal_basis="emergency", urgency="emergency", urgent=True,
          categories=["identity", "health"])

    # --- support-meeting (社会福祉法 第106条の6) ---------------------------------------------------
    h9 = hh["H009"]
    sheet9 = harness.sheet_from_household(h9)
    k6 = results.check("eldercare opens a case for H009 with a basis-none notice to poverty",
                       harness.open_case, eld, pov, h9)
    if k6 and results.check("the coordinator's staff hold a 支援会議 with eldercare, poverty and "
                            "disability (tsunaguctl case event --type meeting)",
                            cluster.staff_meeting, k6, [eld.id, pov.id, dis.id]):
        def sm(to):
            return harness.referral_request(h9, to_agency=to.id, sheet=sheet9, case_id=k6,
                                            legal_basis="support-meeting")

        results.check("support-meeting: eldercare → disability (on the roster): delivered",
                      post_delivered, eld, dis, sm(dis))
        results.check("support-meeting: eldercare → child (not on the roster): refused naming "
                      "child-chuo", post_refused, eld, chi, sm(chi), [chi.id])
        h3 = hh["H003"]
        # child is neither on the roster nor on the case: it may not refer about the case at
        # all (membership is granted by the case's agencies, never claimed).
        results.check("support-meeting: child (not on the roster, not on the case) → disability: "
                      "refused naming child-chuo", post_refused, chi, dis,
                      harness.referral_request(h3, to_agency=dis.id, case_id=k6,
                                               legal_basis="support-meeting"), [chi.id],
                      ("missing_legal_basis", "not_case_member"))
        results.check("statutory-meeting on the 支援会議's case (eldercare's 地域ケア会議 never "
                      "held): refused", post_refused, eld, dis,
                      dict(sm(dis), legal_basis="statutory-meeting"))

        def latest_roster():
            cluster.staff_meeting(k6, [eld.id, pov.id])
            post_refused(eld, dis, sm(dis), [dis.id])
            post_delivered(eld, pov, sm(pov))

        results.check("a later 支援会議 without disability: eldercare → disability now refused, "
                      "→ poverty still delivered (the latest roster counts)", latest_roster)

    # --- statutory-meeting, each type's own meeting ----------------------------------------------
    # type → (household, who the notice opens the case with, attendees, allowed, refused)
    plans = {
        "eldercare": ("H001", pov, [eld, pov, chi], chi, dis),
        "disability": ("H008", eld, [dis, eld, pov], pov, chi),
        "child": ("H002", dis, [chi, dis, pov], pov, eld),
        "poverty": ("H010", dis, [pov, dis, eld], eld, chi),
    }
    cases = {}
    for t, (hid, first, attendees, allowed, refused) in plans.items():
        sender, h = ag[t], hh[hid]
        kind = harness.STATUTORY_MEETING[t]

        def statutory(sender=sender, h=h, first=first, attendees=attendees, allowed=allowed,
                      refused=refused, kind=kind, t=t):
            case_id = harness.open_case(sender, first, h)
            cases[t] = case_id
            harness.agency_meeting(sender, case_id, kind, [a.id for a in attendees])
            req = harness.referral_request(h, to_agency=allowed.id, case_id=case_id,
                                           legal_basis="statutory-meeting")
            post_delivered(sender, allowed, req)
            post_refused(sender, refused, dict(req, to=refused.id), [refused.id])

        results.check("statutory-meeting, %s's %s (%s): a referral to %s (on its roster) is "
                      "delivered, to %s (not on it) refused" % (
                          t, kind, ", ".join(a.id for a in attendees), allowed.id, refused.id),
                      statutory)

    def others_meeting():
        # poverty joined child's case as a recipient; child's 要対協 is not poverty's meeting.
        check("child" in cases, "child's case was not opened")
        sheet = harness.sheet_from_household(hh["H002"], {"poverty": harness.INTAKE_SAMPLE[
            "poverty"]})
        req = harness.referral_request(hh["H002"], to_agency=dis.id, sheet=sheet,
                                       case_id=cases["child"], legal_basis="statutory-meeting")
        post_refused(pov, dis, req)

    results.check("statutory-meeting is the sender type's own meeting: on child's case "
                  "(要対協 held, poverty on its roster) poverty → disability is refused",
                  others_meeting)

    # --- meetings that carry minutes ------------------------------------------------------------
    # The minutes of a meeting travel on the meeting's own basis: a 支援会議's to its attendees
    # (support-meeting), the sender type's statutory meeting's to its attendees
    # (statutory-meeting), a 重層的支援会議's only under a consent covering every attendee.
    def shien_minutes():
        check(k6, "no 支援会議 case")
        how, what = record_meeting(eld, k6, "shien", [eld, pov, dis], MINUTES_SHIEN)
        check(how == "applied", "the 支援会議 with minutes was refused (%s): %s" % (how, what))
        minutes_reach(k6, MINUTES_SHIEN, [pov, dis], alive)

    results.check("eldercare records a 支援会議 with minutes (no basis named): applied, the "
                  "minutes reach poverty and disability (support-meeting from the meeting "
                  "itself)", shien_minutes)

    def statutory_minutes():
        # A new case opened by a notice; its first 要対協 is held with minutes.
        case_id = harness.open_case(chi, dis, hh["H005"])
        how, what = record_meeting(chi, case_id, "yotaikyo", [chi, dis], MINUTES_YOTAIKYO)
        check(how == "applied", "the 要対協 with minutes was refused (%s): %s" % (how, what))
        minutes_reach(case_id, MINUTES_YOTAIKYO, [dis], alive)

    results.check("child holds the first 要保護児童対策地域協議会 of a case, with minutes: "
                  "applied, the minutes reach disability (statutory-meeting from the meeting "
                  "itself)", statutory_minutes)

    def jusoteki():
        # C1 covers poverty only: eldercare, an attendee, is not covered.
        how, what = record_meeting(eld, k1, "jusoteki", [eld, pov], MINUTES_JUSOTEKI,
                                   {"consent_id": c1})
        check(how in ("api", "coordinator"), "a 重層的支援会議 whose consent does not cover "
              "every attendee was applied")
        said = json.dumps(what.json if how == "api" else what, ensure_ascii=False)
        check(eld.id in said, "the refusal does not name the uncovered attendee: %s" % said)
        print("     refused (%s): %s" % (how, said[:300]))
        c6 = eld.consent(k1, cover_agencies=[eld.id, pov.id, dis.id],
                         categories=cats1, subject=harness.subject_id(h1),
                         purpose="case-conference")
        how, what = record_meeting(eld, k1, "jusoteki", [eld, pov, dis], MINUTES_JUSOTEKI,
                                   {"consent_id": c6})
        check(how == "applied", "the 重層的支援会議 under a covering consent was refused (%s): "
              "%s" % (how, what))
        minutes_reach(k1, MINUTES_JUSOTEKI, [pov, dis], alive)

    results.check("重層的支援会議: refused when its consent does not cover an attendee; "
                  "applied under a consent covering all three, the minutes reach them",
                  jusoteki)

    def note_sealed_to_covered():
        # K1's agencies: eldercare, poverty (covered by C1), disability (not covered by C1).
        c = cluster.coordinator_case(k1)
        check(dis.id in (c.get("agencies") or []), "disability is not on K1: %r" % (
            c.get("agencies"),))
        r = eld.case_event(k1, {"type": "note", "base_version": c["version"],
                                "note": {"category": "call",
                                         "written_on": harness.today_jst_plus(0),
                                         "text": NOTE_C1},
                                "legal_basis": "consent", "consent_id": c1,
                                "data_categories": ["free-text"]})
        check(r.status == 202, "POST the note: %r" % r)
        v = c["version"] + 1
        for a in (pov, dis):
            harness.wait_json(lambda a=a: a.case(k1), lambda x: x.get("version") == v, WAIT,
                              "%s's copy at version %d" % (a.id, v), alive=alive)
        check(harness.texts_in(pov.case(k1), [NOTE_C1]), "poverty (covered) lacks the note")
        check(not harness.texts_in(dis.case(k1), [NOTE_C1]),
              "disability (not covered by C1) shows the note's text")

    results.check("a note under C1 on K1: poverty (covered) reads it; disability (on the case, "
                  "not covered) gets the event without its text", note_sealed_to_covered)

    def staff_jusoteki_without_consent():
        check(k6, "no 支援会議 case")
        c = cluster.coordinator_case(k6)
        r = cluster.staff_case_event(k6, "meeting", c["version"], "--meeting-kind", "jusoteki",
                                     "--attendee", eld.id, "--attendee", pov.id,
                                     check_rc=False)
        out = r.stdout + r.stderr
        check(r.returncode != 0, "tsunaguctl recorded a 重層的支援会議 on a case without "
              "consent: %s" % out)
        check("consent" in out.lower(), "the refusal does not mention consent: %s" % out)
        check(cluster.coordinator_case(k6).get("version") == c["version"], "the case changed")

    results.check("the staff cannot record a 重層的支援会議 on a case without consent",
                  staff_jusoteki_without_consent)

    # --- emergency ----------------------------------------------------------------------------
    alerts_before = len(results.check("GET /v1/alerts answers a list", cluster.alerts) or [])
    emergencies = []
    for t, hid in (("eldercare", "H004"), ("disability", "H006"), ("child", "H005")):
        sender, h = ag[t], hh[hid]

        def emergency(sender=sender, h=h):
            req = harness.referral_request(h, to_agency=pov.id, legal_basis="emergency",
                                           urgency="emergency")
            j, it = post_delivered(sender, pov, req)
            check(j.get("urgency") == "emergency", "sender shows urgency %r" % j.get("urgency"))
            check(it.get("urgency") == "emergency", "recipient shows urgency %r" % (
                it.get("urgency"),))
            for side, view in (("sender", j), ("recipient", it)):
                check(view.get("urgent") is True, "the %s's view shows urgent %r" % (
                    side, view.get("urgent")))
            emergencies.append((sender, h, j))

        results.check("emergency from %s (%s): no consent, no case, no meeting: delivered, "
                      "flagged urgent on both sides" % (sender.id, hid), emergency)

    def alerted():
        def mentions(a, j):
            text = json.dumps(a)
            return j["referral_id"] in text or j["case_id"] in text

        alerts = harness.wait_json(
            cluster.alerts, lambda al: all(any(mentions(a, j) for a in al)
                                           for _s, _h, j in emergencies),
            WAIT, "an alert for each emergency in GET /v1/alerts", alive=alive)
        check(len(alerts) >= alerts_before + len(emergencies), "%d alerts, expected at least %d"
              % (len(alerts), alerts_before + len(emergencies)))
        for sender, h, j in emergencies:
            mine = [a for a in alerts if mentions(a, j)]
            text = json.dumps(mine, ensure_ascii=False)
            check(sender.id in text, "the alert does not name the sender %s: %s" % (
                sender.id, text))
            leaked = harness.texts_in(mine, harness.personal_strings(h))
            check(not leaked, "the alert holds personal data: %r" % leaked)
        print("     e.g. %s" % json.dumps(alerts[-1], ensure_ascii=False)[:300])
        r = cluster.coord_get("/v1/alerts", token=None)
        check(r.status == 401, "GET /v1/alerts without a token: %r" % r)

    results.check("each emergency is an alert at the coordinator's GET /v1/alerts (naming the "
                  "sender, no personal data; 401 without a token)", alerted)

    def alert_metric_and_log():
        r = cluster.coord_get("/metrics")
        lines = [ln for ln in r.text.splitlines() if "alert" in ln.lower()
                 and not ln.startswith("#")]
        check(lines, "no alert metric in /metrics")
        values = [float(ln.split()[-1]) for ln in lines]
        check(max(values) >= len(emergencies), "alert metric %r below %d" % (
            lines, len(emergencies)))
        with open(cluster.coordinator.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        warns = [ln for ln in log.splitlines() if " warn: " in ln
                 and any(w in ln.lower() for w in ("alert", "emergency", "緊急", "urgent"))]
        check(len(warns) >= len(emergencies), "%d warn lines about alerts in the coordinator's "
              "log, expected at least %d" % (len(warns), len(emergencies)))
        print("     %s\n     %s" % (lines[0], warns[-1][:200]))

    results.check("the alert is counted in /metrics and logged at warn", alert_metric_and_log)

    def emergency_refused_at_api():
        h = hh["H010"]
        r = pov.post("/v1/referrals", harness.referral_request(
            h, to_agency=eld.id, legal_basis="emergency", urgency="emergency"))
        check(r.status == 422, "poverty sends an emergency: expected 422, got %r" % r)
        fields = (r.json or {}).get("fields") or {}
        check(any(k in fields for k in ("legal_basis", "urgency")),
              "fields %r name neither legal_basis nor urgency" % fields)
        h = hh["H004"]
        r = eld.post("/v1/referrals", harness.referral_request(
            h, to_agency=pov.id, legal_basis="emergency", urgency="normal"))
        check(r.status == 422 and "urgency" in ((r.json or {}).get("fields") or {}),
              "emergency with urgency normal: expected 422 naming urgency, got %r" % r)
        pov.wait_outbox_empty(WAIT)
        eld.wait_outbox_empty(WAIT)

    results.check("the API refuses an emergency from poverty, or with urgency normal (422 with "
                  "the field)", emergency_refused_at_api)

    # --- the API's own checks of the request ---------------------------------------------------
    def api_field(sender, req, status, field):
        r = sender.post("/v1/referrals", req)
        check(r.status in status, "expected %s, got %r" % (" or ".join(map(str, status)), r))
        fields = (r.json or {}).get("fields") or {}
        check(any(k == field or k.startswith(field + "[") or k.startswith(field + ".")
                  for k in fields), "fields %r do not name %s" % (fields, field))

    base = harness.referral_request(h1, to_agency=pov.id, sheet=sheet1, case_id=k1,
                                    consent_id=c1, data_categories=cats1)
    no_cats = dict(base)
    del no_cats["data_categories"]
    for name, req, status, field in (
            ("basis none with data_categories", dict(base, legal_basis="none",
                                                     consent_id=None), (400, 422),
             "data_categories"),
            ("basis consent without data_categories", no_cats, (400, 422), "data_categories"),
            ("an unknown data category", dict(base, data_categories=["identity", "bank-account"]),
             (400,), "data_categories"),
            ("basis consent without consent_id", dict(base, consent_id=None), (400, 422),
             "consent_id"),
            ("support-meeting without case_id", dict(base, legal_basis="support-meeting",
                                                     consent_id=None, case_id=None),
             (400, 422), "case_id"),
            ("statutory-meeting without case_id", dict(base, legal_basis="statutory-meeting",
                                                       consent_id=None, case_id=None),
             (400, 422), "case_id")):
        clean = {k: v for k, v in req.items() if v is not None}
        results.check("API: %s → %s naming %s" % (name, "/".join(map(str, status)), field),
                      api_field, eld, clean, status, field)


if __name__ == "__main__":
    harness.main("legal_basis", __doc__, body)
