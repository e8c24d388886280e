#!/usr/bin/env python3
"""Hostile peer, cases, referrals and consents: a registered agency (probe-child; the peer holds
its key file) tries to join a case it is not on, to write events on it or close it, to grant or
revoke consents of it, to change a referral it is no party to, to pass off stale or illegal
changes of its own, to claim another agency type, to send personal data on a basis it does not
have (emergency from poverty, categories without basis, a consent of another case) and to put
personal data in cleartext header fields.  Each is refused with its named error (and final flag),
recorded in the audit log as a refusal, and changes nothing: the case keeps its agencies, the
consent stays active, inboxes, cases, consents and mailboxes are as they were, every daemon runs.

Findings of issue 7 covered here: F1 (not_case_member), F3 (sender_mismatch; from_type from the
directory), F9 (personal_data)."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from hostile import (Peer, check, consent_grant, consent_revoke, expect_error,  # noqa: E402
                     expect_stored, harness, new_id, nothing_else, referral)

WAIT = 30
TODAY = harness.today_jst_plus(0)


def body(cluster, results, args):
    households = {h["id"]: h for h in harness.load_households(args.data)}
    h1 = households["H001"]
    ag, probes = hostile.start_cluster(
        cluster, probes=[("probe-child", "child"), ("probe-poverty", "poverty")])
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    pc, pp = probes["probe-child"], probes["probe-poverty"]
    alive = cluster.alive

    # Victim cases, one per F1 case so that one attack let through cannot make the attacker a
    # member for the next: each with eldercare-chuo and poverty-chuo, opened with a basis-none
    # notice (its referral), and consent C of case K granted by eldercare-chuo.
    victims = {}
    for key in ("K", "join", "join2", "note", "close", "grant", "revoke"):
        req = harness.referral_request(h1, to_agency=pov.id,
                                       sheet=harness.notice_sheet(h1, eld.type),
                                       legal_basis="none", urgency="normal")
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "eldercare opens a case: %r" % r)
        victims[key] = {"case": r.json["case_id"], "referral": r.json["referral_id"]}
    for v in victims.values():
        harness.wait_delivered(eld, v["referral"], WAIT, alive=alive)
    for key in ("K", "revoke"):
        v = victims[key]
        v["consent"] = eld.consent(v["case"], cover_agencies=[pov.id],
                                   categories=["identity", "family"],
                                   subject=harness.subject_id(h1))
        harness.wait_json(lambda v=v: eld.consent_record(v["consent"], v["case"]),
                          lambda c: c.get("status") == "active", WAIT, "a consent active",
                          alive=alive)
    case_k, rid_r, consent_c = (victims["K"]["case"], victims["K"]["referral"],
                                victims["K"]["consent"])

    a = Peer(cluster, pc)   # the attacker, not on case K
    v = Peer(cluster, pp)   # a poverty agency, for the emergency rule
    peers = [a, v]

    # Case P: the attacker's own, with disability-chuo (referral RP, the attacker its sender).
    rp = referral(pc, dis, a.take(), label="rp")
    expect_stored(a.send(rp), "rp")
    case_p, rid_rp = rp["header"]["case_id"], rp["header"]["referral_id"]
    hostile.settle(cluster, peers)
    harness.wait_json(lambda: cluster.coordinator_case(case_k),
                      lambda c: sorted(c.get("agencies") or []) == sorted([eld.id, pov.id]),
                      WAIT, "case K with eldercare-chuo and poverty-chuo", alive=alive)
    results.ok("setup: case K (eldercare-chuo, poverty-chuo) with consent C; the attacker's case "
               "P (probe-child, disability-chuo)")

    def version(case_id):
        return cluster.coordinator_case(case_id)["version"]

    def case(name, fn, **kw):
        kw.setdefault("peers", peers)
        return hostile.run_case(cluster, results, name, fn, **kw)

    def attack(peer, letter, label, code, final):
        evs = peer.send(letter, label=label)
        err = expect_error(evs, label, code, final)
        nothing_else(evs, (label,))
        return err

    def unchanged_agencies(key):
        c = cluster.coordinator_case(victims[key]["case"])
        check(sorted(c.get("agencies") or []) == sorted([eld.id, pov.id]),
              "the victim case's agencies are now %r" % c.get("agencies"))

    # --- F1: a stranger's case --------------------------------------------------------------

    def f1_referral_joins_stranger_case():
        attack(a, referral(pc, eld, a.take(), case_id=victims["join"]["case"]), "join-k",
               "not_case_member", True)
        unchanged_agencies("join")

    case("f1_referral_joins_stranger_case: probe-child refers to eldercare-chuo naming a case "
         "of eldercare-chuo and poverty-chuo (basis none) → not_case_member (final); the case "
         "keeps its agencies", f1_referral_joins_stranger_case,
         audit=["not_case_member"], audit_sender=pc.id)

    def f1_referral_stranger_case_to_outsider():
        attack(a, referral(pc, chi, a.take(), case_id=victims["join2"]["case"]), "join-k-2",
               "not_case_member", True)
        unchanged_agencies("join2")

    case("f1_referral_stranger_case_to_outsider: probe-child refers child-chuo naming a case of "
         "eldercare-chuo and poverty-chuo → not_case_member (final); neither joins it",
         f1_referral_stranger_case_to_outsider, audit=["not_case_member"], audit_sender=pc.id)

    def f1_case_event_by_non_member():
        k = victims["note"]["case"]
        attack(a, hostile.case_event(a.take(), k, version(k),
                                     {"type": "note", "note": {"category": "call",
                                                               "written_on": TODAY}}),
               "note-k", "not_case_member", True)

    case("f1_case_event_by_non_member: a note from probe-child on a case of eldercare-chuo and "
         "poverty-chuo → not_case_member (final)", f1_case_event_by_non_member,
         audit=["not_case_member"], audit_sender=pc.id)

    def f1_close_by_non_member():
        k = victims["close"]["case"]
        attack(a, hostile.case_event(a.take(), k, version(k),
                                     {"type": "close", "close_reason": "moved-away"},
                                     header={"reason_given": True}),
               "close-k", "not_case_member", True)
        check(cluster.coordinator_case(k).get("state") != "closed", "the case was closed")

    case("f1_close_by_non_member: probe-child closes a case it is not on → not_case_member "
         "(final); the case stays open", f1_close_by_non_member, audit=["not_case_member"],
         audit_sender=pc.id)

    def f1_consent_grant_for_stranger_case():
        attack(a, consent_grant(a.take(), victims["grant"]["case"], pc, cover_agencies=[pc.id],
                                categories=["identity", "health", "family"]),
               "grant-k", "not_case_member", True)

    case("f1_consent_grant_for_stranger_case: probe-child grants itself a consent on a case it "
         "is not on → not_case_member (final)", f1_consent_grant_for_stranger_case,
         audit=["not_case_member"], audit_sender=pc.id)

    def f1_consent_revoke_by_stranger():
        v = victims["revoke"]
        attack(a, consent_revoke(a.take(), v["case"], v["consent"], pc), "revoke-c",
               "not_case_member", True)
        rec = eld.consent_record(v["consent"], v["case"])
        check(rec and rec.get("status") == "active", "the consent is now %r" % (rec,))

    case("f1_consent_revoke_by_stranger: probe-child revokes eldercare-chuo's consent of a "
         "case it is not on → not_case_member (final); the consent stays active",
         f1_consent_revoke_by_stranger, audit=["not_case_member"], audit_sender=pc.id)

    def status_change_by_non_party():
        attack(a, {"kind": "referral-status", "recipient": pov.id, "sequence": a.take(),
                   "header": {"referral_id": rid_r, "case_id": case_k, "status": "cancelled",
                              "reason_given": True, "base_version": 1, "legal_basis": "none",
                              "sender_type": "child"}}, "status-r", "not_permitted", True)

    case("status_change_by_non_party: probe-child cancels eldercare-chuo's referral R → "
         "not_permitted (final)", status_change_by_non_party, audit=["not_permitted"],
         audit_sender=pc.id)

    # --- the attacker's own referral and case: stale, illegal, unknown ----------------------

    def status(seq, to, base, label, **h):
        hdr = {"referral_id": rid_rp, "case_id": case_p, "status": to, "base_version": base,
               "legal_basis": "none", "sender_type": "child"}
        hdr.update(h)
        return {"kind": "referral-status", "recipient": dis.id, "sequence": seq, "header": hdr,
                "label": label}

    def status_unknown_referral():
        letter = status(a.take(), "cancelled", 1, "status-unknown", reason_given=True)
        letter["header"]["referral_id"] = new_id()
        attack(a, letter, "status-unknown", "unknown_referral", True)

    case("status_unknown_referral: a status change of a referral nobody made → unknown_referral "
         "(final)", status_unknown_referral, audit=["unknown_referral"])

    def status_stale_version():
        attack(a, status(a.take(), "cancelled", 5, "stale", reason_given=True), "stale",
               "stale_version", True)

    case("status_stale_base_version: RP cancelled on version 5 (it is at 1) → stale_version "
         "(final)", status_stale_version, audit=["stale_version"])

    def status_illegal_transition():
        attack(a, status(a.take(), "received", 1, "illegal"), "illegal", "illegal_transition",
               True)

    case("status_illegal_transition: RP's sender sets received (the recipient's move) → "
         "illegal_transition (final)", status_illegal_transition, audit=["illegal_transition"])

    def status_not_a_state():
        attack(a, status(a.take(), "teleported", 1, "no-state"), "no-state",
               "illegal_transition", True)

    case("status_not_a_state: status \"teleported\" → illegal_transition (final)",
         status_not_a_state, audit=["illegal_transition"])

    def case_event_unknown_case():
        attack(a, hostile.case_event(a.take(), new_id(), 1,
                                     {"type": "note", "note": {"category": "visit",
                                                               "written_on": TODAY}}),
               "event-unknown", "unknown_case", True)

    case("case_event_unknown_case: a note on a case nobody opened → unknown_case (final)",
         case_event_unknown_case, audit=["unknown_case"])

    def case_event_stale():
        attack(a, hostile.case_event(a.take(), case_p, version(case_p) + 7,
                                     {"type": "note", "note": {"category": "visit",
                                                               "written_on": TODAY}}),
               "event-stale", "stale_version", True)

    case("case_event_stale_base_version: a note on case P based on a version 7 ahead → "
         "stale_version (final)", case_event_stale, audit=["stale_version"])

    def case_event_illegal():
        attack(a, hostile.case_event(a.take(), case_p, version(case_p), {"type": "reopen"},
                                     header={"reason_given": True}),
               "event-illegal", "illegal_transition", True)

    case("case_event_illegal_transition: reopening case P, which is not closed → "
         "illegal_transition (final)", case_event_illegal, audit=["illegal_transition"])

    def case_event_body_for_outsider():
        attack(a, hostile.case_event(a.take(), case_p, version(case_p),
                                     {"type": "note", "note": {"category": "call",
                                                               "written_on": TODAY}},
                                     basis="consent", header={"consent_id": consent_c,
                                                              "data_categories": ["identity"]},
                                     sealed=[{"recipient": eld.id,
                                              "seal_to": eld.public_key_z85(),
                                              "content": {"note": "相談記録"}}]),
               "sealed-outsider", "not_permitted", True)

    case("case_event_sealed_body_for_outsider: a note on case P with a sealed body for "
         "eldercare-chuo, who is not on P → not_permitted (final)", case_event_body_for_outsider,
         audit=["not_permitted"])

    def case_event_plain_body():
        letter = hostile.case_event(a.take(), case_p, version(case_p),
                                    {"type": "note", "note": {"category": "call",
                                                              "written_on": TODAY}})
        letter["body"] = {"seal_to": dis.public_key_z85(), "content": {"note": "x"}}
        letter["header"]["legal_basis"] = "none"
        attack(a, letter, "plain-body", "malformed", True)

    case("case_event_body_outside_sealed_bodies: a case event with a plain body → malformed "
         "(final)", case_event_plain_body, audit=["malformed"])

    def consent_grant_existing_id():
        attack(a, consent_grant(a.take(), case_p, pc, cover_agencies=[dis.id],
                                consent_id=consent_c), "grant-dup", "not_permitted", True)

    case("consent_grant_existing_id: a grant on case P reusing consent C's id → not_permitted "
         "(final)", consent_grant_existing_id, audit=["not_permitted"])

    def consent_revoke_unknown():
        attack(a, consent_revoke(a.take(), case_p, new_id(), pc), "revoke-unknown",
               "not_permitted", True)

    case("consent_revoke_unknown: revoking a consent that is not in the register → "
         "not_permitted (final)", consent_revoke_unknown, audit=["not_permitted"])

    # --- legal basis --------------------------------------------------------------------------

    personal = harness.sheet_from_household(h1)

    def emergency_from_poverty():
        attack(v, referral(pp, eld, v.take(), basis="emergency", urgency="emergency", urgent=True,
                           categories=["identity"], content=personal), "emergency-pov",
               "missing_legal_basis", True)

    case("emergency_basis_from_poverty: probe-poverty sends an abuse report (emergency) → "
         "missing_legal_basis (final); no alert", emergency_from_poverty,
         audit=["missing_legal_basis"], audit_sender=pp.id)

    def urgent_without_emergency():
        letter = referral(pc, dis, a.take(), case_id=case_p, urgent=True, basis="none")
        evs = a.send(letter, label="urgent-none")
        got = hostile.answers(evs, "urgent-none")
        check(got and got[0].get("kind") == "error"
              and got[0].get("code") in ("missing_legal_basis", "malformed")
              and got[0].get("final") is True,
              "a referral flagged urgent without an emergency basis was not refused "
              "(missing_legal_basis or malformed, final):%s" % hostile.brief(evs))
        print("     refused: %s: %s" % (got[0].get("code"), got[0].get("detail")))
        return {"audit": [got[0].get("code")]}

    case("urgent_flag_without_emergency: a referral flagged urgent on basis none (normal "
         "urgency) → refused (missing_legal_basis or malformed, final); the recipient sees no "
         "urgent letter", urgent_without_emergency)

    def categories_without_basis():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="unspecified",
                           categories=["identity"], content=personal), "no-basis",
               "missing_legal_basis", True)

    case("data_categories_without_basis: personal data declared with no legal basis → "
         "missing_legal_basis (final)", categories_without_basis,
         audit=["missing_legal_basis"])

    def categories_with_basis_none():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="none",
                           categories=["identity", "health"], content=personal), "none-cats",
               "missing_legal_basis", True)

    case("data_categories_with_basis_none: basis none yet categories identity and health → "
         "missing_legal_basis (final)", categories_with_basis_none,
         audit=["missing_legal_basis"])

    def unknown_category():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="consent",
                           consent_id=consent_c, categories=["dna"], content=personal),
               "cat-dna", "malformed", True)

    case("unknown_data_category: data category \"dna\" → malformed (final)", unknown_category,
         audit=["malformed"])

    def unknown_consent():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="consent",
                           consent_id=new_id(), categories=["identity"], content=personal),
               "consent-unknown", "missing_legal_basis", True)

    case("consent_basis_unknown_consent: basis consent naming a consent nobody granted → "
         "missing_legal_basis (final)", unknown_consent, audit=["missing_legal_basis"])

    def consent_of_another_case():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="consent",
                           consent_id=consent_c, categories=["identity"], content=personal),
               "consent-other", "missing_legal_basis", True)

    case("consent_of_another_case: case P's referral relying on consent C of case K → "
         "missing_legal_basis (final)", consent_of_another_case, audit=["missing_legal_basis"])

    def statutory_without_meeting():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, basis="statutory-meeting",
                           categories=["identity"], content=personal), "statutory",
               "missing_legal_basis", True)

    case("statutory_meeting_without_meeting: basis statutory-meeting on case P, where no "
         "要対協 was held → missing_legal_basis (final)", statutory_without_meeting,
         audit=["missing_legal_basis"])

    # --- F3: the sender's type is the directory's --------------------------------------------

    def f3_sender_type_mismatch():
        attack(a, referral(pc, dis, a.take(), case_id=case_p, sender_type="eldercare"),
               "as-eldercare", "sender_mismatch", True)

    case("f3_sender_type_mismatch: probe-child (child) sends a referral with header sender_type "
         "eldercare → sender_mismatch (final); disability-chuo's inbox unchanged",
         f3_sender_type_mismatch, audit=["sender_mismatch"], audit_sender=pc.id)

    def f3_case_event_sender_type():
        attack(a, hostile.case_event(a.take(), case_p, version(case_p),
                                     {"type": "note", "note": {"category": "call",
                                                               "written_on": TODAY}},
                                     sender_type="poverty"),
               "event-as-poverty", "sender_mismatch", True)

    case("f3_case_event_sender_type_mismatch: a note on case P with header sender_type poverty "
         "→ sender_mismatch (final)", f3_case_event_sender_type, audit=["sender_mismatch"],
         audit_sender=pc.id)

    def f3_from_type_from_directory():
        before = {it.get("message_id") for it in dis.inbox()}
        letter = referral(pc, dis, a.take(), case_id=case_p, sender_type="")
        evs = a.send(letter, label="typeless")
        got = hostile.answers(evs, "typeless")
        check(len(got) == 1, "no single answer:%s" % hostile.brief(evs))
        if got[0].get("kind") == "error":
            # Refusing a letter without sender_type is the stricter reading of F3; fine.
            expect_error(evs, "typeless", "sender_mismatch", True)
            return {"audit": ["sender_mismatch"]}
        expect_stored(evs, "typeless")
        mid = hostile.sent_id(evs, "typeless")
        item = harness.wait_for(
            lambda: [it for it in dis.inbox() if it.get("message_id") == mid], WAIT,
            "the letter in disability-chuo's inbox", alive=alive)[0]
        check(item.get("from_type") == "child",
              "disability-chuo's inbox shows from_type %r for probe-child (registered child)" %
              item.get("from_type"))
        check(mid not in before, "bookkeeping")
        return {"audit": [], "audit_others": ["allowed"],
                "except_": ("disability-chuo", "coordinator /v1/cases", "coordinator /v1/stats")}

    case("f3_inbox_from_type_from_directory: a referral without header sender_type reaches "
         "disability-chuo showing from_type child, the type the signed directory gives "
         "probe-child (or is refused sender_mismatch)", f3_from_type_from_directory)

    # --- F9: personal data in cleartext -------------------------------------------------------

    name = h1["members"][0]["name"]           # a (synthetic) person's name
    birthdate = h1["members"][0]["birthdate"]
    phone = h1["phone"]

    def no_echo(err, text):
        check(text not in (err or {}).get("detail", ""),
              "the refusal repeats the personal data %r in its detail" % text)
        for rec in hostile.audit_records(cluster)[-3:]:
            check(text not in str(rec), "the audit log holds the personal data %r" % text)

    def f9_name_in_tag():
        err = attack(a, referral(pc, dis, a.take(), case_id=case_p, tags=["見守り", name]),
                     "name-tag", "personal_data", True)
        no_echo(err, name)

    case("f9_name_in_a_tag: a referral tagged with a person's name → personal_data (final); "
         "neither the error nor the audit log repeats it", f9_name_in_tag,
         audit=["personal_data"])

    def f9_phone_in_tag():
        err = attack(a, referral(pc, dis, a.take(), case_id=case_p, tags=[phone]), "phone-tag",
                     "personal_data", True)
        no_echo(err, phone)

    case("f9_phone_in_a_tag: a referral tagged with a phone number → personal_data (final)",
         f9_phone_in_tag, audit=["personal_data"])

    def f9_birth_date_subject():
        err = attack(a, consent_grant(a.take(), case_p, pc, cover_agencies=[dis.id],
                                      subject=birthdate), "dob-subject", "personal_data", True)
        no_echo(err, birthdate)

    case("f9_birth_date_in_consent_subject: a consent whose subject is a birth date → "
         "personal_data (final)", f9_birth_date_subject, audit=["personal_data"])

    def f9_name_in_plan_role():
        err = attack(a, hostile.case_event(
            a.take(), case_p, version(case_p),
            {"type": "plan", "plan": {"roles": [{"agency_id": dis.id,
                                                 "role": "%sの通院同行" % name}],
                                      "next_review_on": harness.today_jst_plus(30)}}),
            "name-role", "personal_data", True)
        no_echo(err, name)

    case("f9_name_in_plan_role: a support plan whose role label names a person → "
         "personal_data (final)", f9_name_in_plan_role, audit=["personal_data"])

    def refused_as_personal(label, evs, text):
        got = hostile.answers(evs, label)
        check(len(got) == 1 and got[0].get("kind") == "error"
              and got[0].get("code") in ("personal_data", "malformed")
              and got[0].get("final") is True,
              "letter %s with %r in a cleartext header field was not refused (personal_data or "
              "malformed, final):%s" % (label, text, hostile.brief(evs)))
        nothing_else(evs, (label,))
        no_echo(got[0], text)
        print("     refused %s: %s: %s" % (label, got[0]["code"], got[0].get("detail")))
        return {"audit": [got[0]["code"]]}

    def f9_name_in_due_date():
        letter = referral(pc, dis, a.take(), case_id=case_p, header={"due_date": name})
        return refused_as_personal("name-due", a.send(letter, label="name-due"), name)

    case("f9_name_in_due_date: a referral whose header due_date is a person's name → refused "
         "(personal_data or malformed, final); the coordinator's store does not keep it",
         f9_name_in_due_date)

    def f9_name_in_consent_id():
        letter = referral(pc, dis, a.take(), case_id=case_p, header={"consent_id": name})
        return refused_as_personal("name-consent-id", a.send(letter, label="name-consent-id"),
                                   name)

    case("f9_name_in_consent_id: a basis-none referral whose header consent_id is a person's "
         "name → refused (personal_data or malformed, final); disability-chuo's inbox does not "
         "show it", f9_name_in_consent_id)

    def f9_phone_in_referral_status():
        letter = referral(pc, dis, a.take(), case_id=case_p, header={"status": phone})
        return refused_as_personal("phone-status", a.send(letter, label="phone-status"), phone)

    case("f9_phone_in_referral_status_field: a referral whose header status holds a phone "
         "number → refused (personal_data or malformed, final)", f9_phone_in_referral_status)

    a.close()
    v.close()


if __name__ == "__main__":
    harness.main("hostile-membership", __doc__, body)
