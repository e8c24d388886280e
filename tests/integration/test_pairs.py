#!/usr/bin/env python3
"""Every ordered pair of agency types exchanges a つなぐシート through the coordinator; bad requests
get the documented error and create nothing."""

import datetime
import itertools
import os
import re
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import UUID_RE, check, fail  # noqa: E402

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def body(cluster, results, args):
    households = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    cluster.start_all()
    cluster.wait_ready()
    results.ok("four agency daemons and the coordinator are up and connected")

    def directory_and_health():
        want = sorted((a.id, a.type, a.name, "active") for a in agencies.values())
        for agency in agencies.values():
            r = agency.get("/v1/directory")
            check(r.status == 200 and isinstance(r.json, dict), "%s /v1/directory: %r" % (
                agency.id, r))
            got = sorted((e.get("id"), e.get("type"), e.get("name"), e.get("status"))
                         for e in r.json.get("agencies") or [])
            check(got == want, "%s directory %r, expected %r" % (agency.id, got, want))
            check(isinstance(r.json.get("serial"), int) and r.json["serial"] > 0,
                  "serial %r" % r.json.get("serial"))
            check(ISO_UTC.match(r.json.get("valid_until") or ""),
                  "valid_until %r" % r.json.get("valid_until"))
            h = agency.healthz()
            check(h.get("status") == "ok" and h.get("agency") == agency.id
                  and h.get("type") == agency.type and h.get("inbox") == 0
                  and h.get("outbox_pending") == 0, "%s /healthz %r" % (agency.id, h))
            check(agency.get("/v1/directory", token=None).status == 401,
                  "/v1/directory answers without a token")

    results.check("each agency's /v1/directory and /healthz match the registry",
                  directory_and_health)

    # --- 12 ordered pairs ---------------------------------------------------------------------
    sent = []  # (sender, recipient, household, request, answer)
    pairs = list(itertools.permutations(harness.AGENCY_TYPES, 2))
    for i, (from_type, to_type) in enumerate(pairs):
        h = households[i % len(households)]
        sender, recipient = agencies[from_type], agencies[to_type]
        sheet = harness.sheet_for_sender(h, from_type,
                                         {"referral_note": "%s → %s" % (from_type, to_type)})
        # Half the pairs name the recipient by id, half by type (one agency per type here); the
        # sender first grants a consent covering the recipient the same way, on a new case.
        if i % 2 == 0:
            req = harness.consented_request(sender, h, to_agency=recipient.id, sheet=sheet)
        else:
            req = harness.consented_request(sender, h, to_type=to_type, sheet=sheet)
        req["client_ref"] = "pair-%s-%s" % (from_type, to_type)
        before = datetime.datetime.now(tz=harness.JST)
        r = sender.post("/v1/referrals", req)
        after = datetime.datetime.now(tz=harness.JST)
        name = "POST %s → %s (%s) answers 202 with ids and due date" % (
            sender.id, recipient.id, "to" if "to" in req else "to_type")

        def check_answer(r=r, before=before, after=after, to_type=to_type, req=req):
            check(r.status == 202, "expected 202, got %r" % r)
            j = r.json
            check(isinstance(j, dict), "answer is not a JSON object: %r" % r)
            check(UUID_RE.match(j.get("referral_id", "")), "bad referral_id: %r" % j)
            check(UUID_RE.match(j.get("case_id", "")), "bad case_id: %r" % j)
            days = harness.response_due_days(to_type, req["urgency"])
            due = harness.expected_due_dates(days, before, after)
            check(j.get("due_date") in due, "due_date %r, expected %s (today JST + %d days)" % (
                j.get("due_date"), " or ".join(sorted(due)), days))
            return j

        answer = results.check(name, check_answer)
        if answer:
            sent.append((sender, recipient, h, req, answer))

    # --- each arrives once, decrypted, and the sender sees it delivered ------------------------
    for sender, recipient, h, req, answer in sent:
        rid = answer["referral_id"]
        label = "%s → %s (%s)" % (sender.id, recipient.id, h["id"])

        def check_status():
            j = harness.wait_delivered(sender, rid, 30, alive=cluster.alive)
            check(j.get("referral_id") == rid, "referral_id %r" % j.get("referral_id"))
            check(j.get("case_id") == answer["case_id"], "case_id %r != %r" % (
                j.get("case_id"), answer["case_id"]))
            check(j.get("to") == recipient.id, "to %r != %r" % (j.get("to"), recipient.id))
            check(j.get("to_type") == recipient.type, "to_type %r" % j.get("to_type"))
            check(j.get("due_date") == answer["due_date"], "due_date %r" % j.get("due_date"))
            check(j.get("urgency") == req["urgency"], "urgency %r" % j.get("urgency"))
            check(j.get("tags") == req["tags"], "tags %r != %r" % (j.get("tags"), req["tags"]))
            check(j.get("legal_basis") == req["legal_basis"],
                  "legal_basis %r" % j.get("legal_basis"))
            check(j.get("status") == "requested", "status %r" % j.get("status"))
            receipts = j.get("receipts") or {}
            check(receipts.get("stored_at"), "receipts.stored_at not set: %r" % receipts)
            check(receipts.get("delivered_at"), "receipts.delivered_at not set: %r" % receipts)
            check(receipts["stored_at"] <= receipts["delivered_at"],
                  "stored_at after delivered_at: %r" % receipts)
            events = [e.get("event") for e in j.get("history") or []]
            want = ["requested", "stored", "delivered"]
            check([e for e in events if e in want] == want,
                  "history events %r, expected requested, stored, delivered in that order" % events)
            delivered = [e for e in j["history"] if e.get("event") == "delivered"][0]
            check(delivered.get("by") == recipient.id, "delivered by %r" % delivered.get("by"))
            check("error" not in j, "error present on a delivered referral: %r" % j.get("error"))
            stamps = [j.get("created_at"), receipts["stored_at"], receipts["delivered_at"]]
            stamps += [e.get("at") for e in j["history"]]
            bad = [s for s in stamps if not (isinstance(s, str) and ISO_UTC.match(s))]
            check(not bad, "not ISO-8601 UTC timestamps: %r" % bad)

        results.check("%s: sender sees delivered, receipts and history" % label, check_status)

    inboxes = {}
    for agency in agencies.values():
        inboxes[agency.id] = results.check("%s inbox lists in cursor order" % agency.id,
                                           agency.inbox, page=5) or []

    for sender, recipient, h, req, answer in sent:
        rid = answer["referral_id"]
        label = "%s → %s (%s)" % (sender.id, recipient.id, h["id"])

        def check_inbox():
            items = [it for it in inboxes[recipient.id] if it.get("referral_id") == rid]
            check(len(items) == 1, "referral in %s's inbox %d times" % (recipient.id, len(items)))
            it = items[0]
            check(it.get("kind") == "referral", "kind %r" % it.get("kind"))
            check(it.get("from") == sender.id, "from %r != %r" % (it.get("from"), sender.id))
            check(it.get("from_type") == sender.type, "from_type %r" % it.get("from_type"))
            check(it.get("from_name") == sender.name, "from_name %r != %r" % (
                it.get("from_name"), sender.name))
            check(it.get("case_id") == answer["case_id"], "case_id %r" % it.get("case_id"))
            check(it.get("urgency") == req["urgency"], "urgency %r" % it.get("urgency"))
            check(it.get("tags") == req["tags"], "tags %r" % it.get("tags"))
            check(it.get("legal_basis") == req["legal_basis"],
                  "legal_basis %r" % it.get("legal_basis"))
            check(it.get("due_date") == answer["due_date"], "due_date %r" % it.get("due_date"))
            check(it.get("sheet") == req["sheet"],
                  "decrypted sheet differs:\n sent %r\n got  %r" % (req["sheet"], it.get("sheet")))
            check(re.match(r"^[0-9a-f]{32}$", it.get("message_id") or ""),
                  "message_id %r is not 16 bytes of lowercase hex" % it.get("message_id"))
            for key in ("created_at", "received_at"):
                check(isinstance(it.get(key), str) and ISO_UTC.match(it[key]),
                      "%s %r is not ISO-8601 UTC" % (key, it.get(key)))
            others = [a for a, items in inboxes.items() if a != recipient.id
                      and any(x.get("referral_id") == rid for x in items)]
            check(not others, "also in the inbox of %s" % others)

        results.check("%s: recipient holds it exactly once, sheet decrypted intact" % label,
                      check_inbox)

    # --- idempotency: the same client_ref again changes nothing --------------------------------
    if sent:
        sender, recipient, h, req, answer = sent[0]

        def check_replay():
            r = sender.post("/v1/referrals", req)
            check(r.status == 200, "repeated client_ref: expected 200, got %r" % r)
            check(r.json.get("referral_id") == answer["referral_id"],
                  "repeated client_ref gave another referral: %r" % r.json)
            h2 = sender.healthz()
            check(h2.get("outbox_pending") == 0, "outbox_pending %r after a replay" % h2)

        results.check("same client_ref again answers 200 with the same referral", check_replay)

    # --- bad requests ---------------------------------------------------------------------------
    eld, pov = agencies["eldercare"], agencies["poverty"]
    good = harness.consented_request(eld, households[0], to_agency=pov.id)
    eld.wait_outbox_empty(30)
    counts_before = {a.id: len(a.inbox()) for a in agencies.values()}

    def error_json(r, status, code, field=None):
        check(r.status == status, "expected %d %s, got %r" % (status, code, r))
        j = r.json
        check(isinstance(j, dict), "error body is not JSON: %r" % r)
        check(j.get("error") == code, "error %r, expected %r" % (j.get("error"), code))
        check(isinstance(j.get("message"), str) and j["message"], "no message: %r" % j)
        if field:
            fields = j.get("fields")
            check(isinstance(fields, dict) and any(k == field or k.endswith("." + field)
                                                   for k in fields),
                  "fields %r does not name %r" % (fields, field))

    bad_cases = []

    def bad(name, fn):
        bad_cases.append(name)
        results.check("bad request: " + name, fn)

    no_sheet = dict(good, client_ref="bad-no-sheet")
    del no_sheet["sheet"]
    bad("no sheet → 400 invalid naming sheet",
        lambda: error_json(eld.post("/v1/referrals", no_sheet), 400, "invalid", "sheet"))
    no_basis = dict(good, client_ref="bad-no-basis")
    del no_basis["legal_basis"]
    bad("no legal_basis → 400 invalid naming legal_basis",
        lambda: error_json(eld.post("/v1/referrals", no_basis), 400, "invalid", "legal_basis"))
    bad("sheet not an object → 400 invalid",
        lambda: error_json(eld.post("/v1/referrals", dict(good, sheet="山田 ハナ",
                                                           client_ref="bad-sheet-type")),
                           400, "invalid", "sheet"))
    bad("bad JSON → 400 bad_json",
        lambda: error_json(eld.post("/v1/referrals", '{"to": "poverty-chuo", "sheet": {'),
                           400, "bad_json"))
    bad("unknown recipient → 422 unknown_recipient",
        lambda: error_json(eld.post("/v1/referrals", dict(good, to="nobody-here",
                                                           client_ref="bad-unknown")),
                           422, "unknown_recipient"))
    bad("no token → 401 unauthorized",
        lambda: error_json(eld.post("/v1/referrals", dict(good, client_ref="bad-no-token"),
                                    token=None), 401, "unauthorized"))
    bad("wrong token → 401 unauthorized",
        lambda: error_json(eld.post("/v1/referrals", dict(good, client_ref="bad-token"),
                                    token="x" * len(eld.token)), 401, "unauthorized"))
    bad("another agency's token → 401 unauthorized",
        lambda: error_json(eld.post("/v1/referrals", dict(good, client_ref="bad-other-token"),
                                    token=pov.token), 401, "unauthorized"))
    bad("text/plain body → 415 unsupported_media_type",
        lambda: error_json(eld.post("/v1/referrals", dict(good, client_ref="bad-type"),
                                    content_type="text/plain"), 415, "unsupported_media_type"))
    bad("GET /v1/inbox without token → 401",
        lambda: error_json(eld.get("/v1/inbox", token=None), 401, "unauthorized"))
    bad("unknown referral id → 404 not_found",
        lambda: error_json(eld.get("/v1/referrals/" + str(uuid.uuid4())), 404, "not_found"))
    bad("DELETE /v1/referrals → 405 method_not_allowed",
        lambda: error_json(eld.http("DELETE", "/v1/referrals"), 405, "method_not_allowed"))

    # Nothing was created: a legitimate referral now is the only new arrival anywhere, and a
    # client_ref used by a refused request is still free (a new referral, 202 not 200).
    def nothing_created():
        r = eld.post("/v1/referrals", dict(good, client_ref="bad-no-sheet"))
        check(r.status == 202, "client_ref of a refused request is taken: %r" % r)
        rid = r.json["referral_id"]
        harness.wait_delivered(eld, rid, 30, alive=cluster.alive)
        counts_after = {a.id: len(a.inbox()) for a in agencies.values()}
        want = dict(counts_before)
        want[pov.id] += 1
        check(counts_after == want, "inbox counts %r, expected %r" % (counts_after, want))
        h = eld.healthz()
        check(h.get("outbox_pending") == 0, "outbox_pending %r" % h)

    results.check("refused requests created nothing", nothing_created)
    if not bad_cases:
        fail("no bad request was tried")


if __name__ == "__main__":
    harness.main("pairs", __doc__, body)
