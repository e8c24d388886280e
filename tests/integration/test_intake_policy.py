#!/usr/bin/env python3
"""Each of the four agency daemons holds its type's intake policy: a referral whose sheet lacks the
sender type's required fields (eldercare: care insurance; disability: certificate; child: age
0–17 and school or nursery; poverty: income band) is refused at POST /v1/referrals with 400 and
a field-level error, before anything is encrypted or sent; the same request with the fields
goes through, and a type's fields are never asked of another type's sheets."""

import copy
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30

# sender type → (household whose sheet carries that type's intake fields, recipient type).
SENDERS = {
    "eldercare": ("H001", "poverty"),
    "disability": ("H008", "eldercare"),
    "child": ("H002", "disability"),
    "poverty": ("H010", "child"),
}


def without(sheet, section, key=None):
    """A copy of sheet without sheet[section][key] (or without the whole section)."""
    out = copy.deepcopy(sheet)
    if key is None:
        out.pop(section, None)
    else:
        out.get(section, {}).pop(key, None)
    return out


def with_value(sheet, section, key, value):
    out = copy.deepcopy(sheet)
    out.setdefault(section, {})[key] = value
    return out


def field_error(r, wanted):
    """Checks r is 400 invalid whose fields name every path in wanted (a path, or a tuple of
    paths of which one must be named)."""
    check(r.status == 400, "expected 400 invalid, got %r" % r)
    j = r.json if isinstance(r.json, dict) else {}
    check(j.get("error") == "invalid", "error %r, expected invalid: %r" % (j.get("error"), r))
    check(isinstance(j.get("message"), str) and j["message"], "no message: %r" % r)
    fields = j.get("fields")
    check(isinstance(fields, dict) and fields, "no fields object: %r" % r)
    for want in wanted:
        options = want if isinstance(want, tuple) else (want,)
        check(any(k in fields for k in options),
              "fields %r do not name %s" % (fields, " or ".join(options)))
        for k in options:
            if k in fields:
                check(isinstance(fields[k], str) and fields[k],
                      "field %s has no problem sentence: %r" % (k, fields[k]))
    return fields


def body(cluster, results, args):
    households = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    agencies = cluster.add_standard_agencies()
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    results.ok("coordinator and the four agency daemons are up")

    # One consent per sender, on a case of its own, covers the recipient and every category,
    # so the only thing wrong with the refused requests below is the intake field.
    good = {}
    for sender_type, (hid, to_type) in SENDERS.items():
        sender, recipient = agencies[sender_type], agencies[to_type]
        h = households[hid]

        def prepare(sender=sender, recipient=recipient, h=h):
            sheet = harness.sheet_from_household(h)
            for t, fields in harness.INTAKE_FIELDS.items():
                if t == sender.type:
                    check(t in sheet, "household %s has no %s section" % (h["id"], t))
            return harness.consented_request(sender, h, to_agency=recipient.id, sheet=sheet)

        req = results.check("%s grants a consent for %s to %s" % (sender.id, hid, recipient.id),
                            prepare)
        if req:
            good[sender_type] = (sender, recipient, h, req)
    if len(good) != len(SENDERS):
        fail("cannot test the intake policy without the consents")

    for a in agencies.values():
        a.wait_outbox_empty(WAIT)  # the consents are stored at the coordinator
    inbox_before = {a.id: len(a.inbox()) for a in agencies.values()}

    # --- refused: the sender type's own fields missing or wrong --------------------------------
    cases = []
    eld = good["eldercare"][3]["sheet"]
    cases += [
        ("eldercare", "without sheet.eldercare.care_insurance",
         without(eld, "eldercare", "care_insurance"), ["sheet.eldercare.care_insurance"]),
        ("eldercare", "without the eldercare section", without(eld, "eldercare"),
         [("sheet.eldercare.care_insurance", "sheet.eldercare")]),
        ("eldercare", "care_insurance a number", with_value(eld, "eldercare", "care_insurance", 1),
         ["sheet.eldercare.care_insurance"]),
    ]
    dis = good["disability"][3]["sheet"]
    cases += [
        ("disability", "without sheet.disability.certificate",
         without(dis, "disability", "certificate"), ["sheet.disability.certificate"]),
        ("disability", "certificate an object",
         with_value(dis, "disability", "certificate", {"type": "療育手帳"}),
         ["sheet.disability.certificate"]),
    ]
    chi = good["child"][3]["sheet"]
    school_or_nursery = ("sheet.child.school", "sheet.child.nursery",
                         "sheet.child.school|nursery", "sheet.child.school_or_nursery",
                         "sheet.child")
    cases += [
        ("child", "without sheet.child.age", without(chi, "child", "age"), ["sheet.child.age"]),
        ("child", "age 18", with_value(chi, "child", "age", 18), ["sheet.child.age"]),
        ("child", "age -1", with_value(chi, "child", "age", -1), ["sheet.child.age"]),
        ("child", "age the string \"15\"", with_value(chi, "child", "age", "15"),
         ["sheet.child.age"]),
        ("child", "age 7.5", with_value(chi, "child", "age", 7.5), ["sheet.child.age"]),
        ("child", "neither school nor nursery", without(chi, "child", "school"),
         [school_or_nursery]),
        ("child", "without the child section (age and school both named)",
         without(chi, "child"), [("sheet.child.age", "sheet.child"), school_or_nursery]),
    ]
    pov = good["poverty"][3]["sheet"]
    cases += [
        ("poverty", "without sheet.poverty.income_band", without(pov, "poverty", "income_band"),
         ["sheet.poverty.income_band"]),
        ("poverty", "income_band null", with_value(pov, "poverty", "income_band", None),
         ["sheet.poverty.income_band"]),
    ]

    refused_refs = []
    for n, (sender_type, what, sheet, wanted) in enumerate(cases):
        sender, recipient, h, req = good[sender_type]
        bad = dict(req, sheet=sheet, client_ref="intake-bad-%s-%d" % (sender_type, n))
        refused_refs.append((sender, bad["client_ref"]))

        def refuse(sender=sender, bad=bad, wanted=wanted):
            fields = field_error(sender.post("/v1/referrals", bad), wanted)
            print("     fields: %s" % fields)

        results.check("%s refuses a sheet %s: 400 invalid, fields name it" % (sender.id, what),
                      refuse)

    def nothing_sent():
        for a in agencies.values():
            h = a.healthz()
            check(h.get("outbox_pending") == 0, "%s outbox_pending %r after refusals" % (
                a.id, h.get("outbox_pending")))
        now = {a.id: len(a.inbox()) for a in agencies.values()}
        check(now == inbox_before, "inbox counts changed: %r, before %r" % (now, inbox_before))

    results.check("the refused requests sent nothing: outboxes empty, no inbox grew",
                  nothing_sent)

    # --- accepted: the same requests with the fields ------------------------------------------
    for sender_type, (sender, recipient, h, req) in good.items():
        # The client_ref of a refused request is still free: this is a new referral (202).
        ref = [c for s, c in refused_refs if s is sender][0]

        def accept(sender=sender, recipient=recipient, req=req, ref=ref):
            r = sender.post("/v1/referrals", dict(req, client_ref=ref))
            check(r.status == 202, "expected 202 (the refused request's client_ref is free), "
                  "got %r" % r)
            harness.wait_delivered(sender, r.json["referral_id"], WAIT, alive=alive)
            items = [it for it in recipient.inbox()
                     if it.get("referral_id") == r.json["referral_id"]]
            check(len(items) == 1 and items[0].get("sheet") == req["sheet"],
                  "%s does not hold the sheet intact" % recipient.id)

        results.check("%s sends the sheet with its intake fields: 202, delivered to %s" % (
            sender.id, recipient.id), accept)

    # A child sheet may name a nursery instead of a school.
    def nursery():
        sender, recipient, h, req = good["child"]
        sheet = without(req["sheet"], "child", "school")
        sheet["child"]["nursery"] = "つなぐ市立ひかり保育園"
        sheet["child"]["age"] = 0
        r = sender.post("/v1/referrals", dict(req, sheet=sheet, client_ref="intake-nursery"))
        check(r.status == 202, "age 0 with a nursery: expected 202, got %r" % r)
        harness.wait_delivered(sender, r.json["referral_id"], WAIT, alive=alive)

    results.check("child accepts age 0 with a nursery instead of a school", nursery)

    # Only the sender's own type's fields are asked for: eldercare's sheet (no child or
    # disability section) goes to child and disability; poverty's sheet (no eldercare section)
    # goes to eldercare.
    def other_types_not_asked(sender, recipient, h):
        sheet = harness.sheet_from_household(h)
        for t in harness.AGENCY_TYPES:
            if t != sender.type:
                sheet.pop(t, None)
        check(sender.type in sheet, "household %s lacks the %s section" % (h["id"], sender.type))
        req = harness.consented_request(sender, h, to_agency=recipient.id, sheet=sheet)
        r = sender.post("/v1/referrals", req)
        check(r.status == 202, "expected 202, got %r" % r)
        harness.wait_delivered(sender, r.json["referral_id"], WAIT, alive=alive)

    for sender_type, to_type, hid in (("eldercare", "child", "H001"),
                                      ("eldercare", "disability", "H004"),
                                      ("poverty", "eldercare", "H007")):
        results.check("%s → %s: a sheet with only the sender's own section is accepted" % (
            sender_type, to_type), other_types_not_asked, agencies[sender_type],
            agencies[to_type], households[hid])


if __name__ == "__main__":
    harness.main("intake_policy", __doc__, body)
