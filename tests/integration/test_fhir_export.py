#!/usr/bin/env python3
"""The referral as a FHIR R4 Bundle and the agency's referrals as a spreadsheet, from real
daemons: GET /v1/referrals/{id}/fhir at the sender and the recipient validates with the `fhir`
npm package (tests/fhir/validate.js), its Task follows the referral's states (docs/fhir.md),
the Patient is built from the sheet only where the sheet is held (the recipient), and an agency
that is no party gets 404; GET /v1/exports/referrals.csv gives the bytes Excel opens (BOM,
CRLF, Japanese headers, CP932 on request) with the rows /v1/referrals shows."""

import csv
import io
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fhir", "validate.js")
REJECT_REASON = "対象地域外のため、居住地の窓口へ相談するよう案内した。"
HEADERS = ["方向", "紹介ID", "ケースID", "作成日時", "紹介元", "紹介先", "緊急度", "法的根拠",
           "状態", "受付日時", "受諾日時", "終結日時", "結果", "受付期限", "回答期限"]


def validate(bundle_bytes):
    """Runs the fhir package's validator on the bytes; the result dict (valid, errors)."""
    if not os.path.isdir(os.path.join(os.path.dirname(VALIDATOR), "node_modules", "fhir")):
        fail("tests/fhir/node_modules/fhir is missing: run `npm ci` in tests/fhir "
             "(scripts/lib/deps.sh does)")
    p = subprocess.run(["node", VALIDATOR], input=bundle_bytes, capture_output=True, timeout=60)
    try:
        out = json.loads(p.stdout.decode("utf-8"))
    except ValueError:
        fail("validate.js said nothing readable (rc %d): %s %s" % (
            p.returncode, p.stdout[:300], p.stderr[:300]))
    check(p.returncode == 0 and out.get("valid"), "the Bundle does not validate: %s" % (
        "; ".join(out.get("errors") or [])[:1500]))
    return out


def fhir(agency, rid):
    r = agency.get("/v1/referrals/%s/fhir" % rid)
    check(r.status == 200, "GET /fhir at %s: %r" % (agency.id, r))
    ctype = r.headers.get("Content-Type") or r.headers.get("content-type") or ""
    check(ctype.startswith("application/fhir+json"), "Content-Type %r" % ctype)
    validate(r.raw)
    return r.json


def resources(bundle, kind):
    return [e["resource"] for e in bundle.get("entry") or []
            if e.get("resource", {}).get("resourceType") == kind]


def one(bundle, kind):
    found = resources(bundle, kind)
    check(len(found) == 1, "%d %s in the Bundle" % (len(found), kind))
    return found[0]


def task_state(agency, rid):
    task = one(fhir(agency, rid), "Task")
    coding = (task.get("businessStatus") or {}).get("coding") or [{}]
    return task.get("status"), coding[0].get("code")


def wait_task(agency, rid, status, business):
    return harness.wait_json(
        lambda: dict(zip(("status", "business"), task_state(agency, rid))),
        lambda j: j["status"] == status and j["business"] == business, WAIT,
        "%s's Task of %s is %s/%s" % (agency.id, rid[:8], status, business))


def export(agency, query, token=True):
    return agency.http("GET", "/v1/exports/referrals.csv?" + query, token=token)


def crlf_only(raw):
    return raw.count(b"\n") == raw.count(b"\r\n") and raw.count(b"\r") == raw.count(b"\r\n")


def rows_of(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def body(cluster, results, args):
    households = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    agencies = cluster.add_standard_agencies(("eldercare", "poverty", "disability"))
    elder, poverty, other = agencies["eldercare"], agencies["poverty"], agencies["disability"]
    cluster.start_all()
    cluster.wait_ready()
    results.ok("coordinator and three agencies are up and connected")
    h1 = households["H001"]

    def send(ref):
        req = harness.consented_request(elder, h1, to_agency=poverty.id, client_ref=ref,
                                        sheet=harness.sheet_for_sender(h1, "eldercare"))
        r = elder.post("/v1/referrals", req)
        check(r.status == 202, "POST /v1/referrals: %r" % r)
        harness.wait_delivered(elder, r.json["referral_id"], WAIT, alive=cluster.alive)
        return r.json

    a = results.check("H001 eldercare → poverty, delivered", send, "fhir-a")
    b = results.check("a second referral, delivered", send, "fhir-b")
    if not a or not b:
        fail("no referral to export")
    rid, cid = a["referral_id"], a["case_id"]

    def sender_bundle():
        bundle = fhir(elder, rid)
        check(bundle.get("type") == "collection", "type %r" % bundle.get("type"))
        sr, task = one(bundle, "ServiceRequest"), one(bundle, "Task")
        check(sr["status"] == "active" and sr["intent"] == "order", "ServiceRequest %r" % sr)
        check(task["status"] == "requested", "Task.status %r" % task["status"])
        check(task["businessStatus"]["coding"][0]["code"] == "delivered",
              "businessStatus %r" % task["businessStatus"])
        urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        check(task["focus"]["reference"] in urls and
              urls[task["focus"]["reference"]]["resourceType"] == "ServiceRequest",
              "Task.focus does not name the ServiceRequest")
        orgs = {o["identifier"][0]["value"]: o for o in resources(bundle, "Organization")}
        check(set(orgs) == {elder.id, poverty.id}, "Organizations %r" % sorted(orgs))
        check(urls[sr["requester"]["reference"]]["identifier"][0]["value"] == elder.id,
              "requester is not the sender")
        check(urls[task["owner"]["reference"]]["identifier"][0]["value"] == poverty.id,
              "owner is not the recipient")
        tags = [c["code"] for c in sr["code"]["coding"]]
        check(tags == h1["tags"], "ServiceRequest.code %r, tags %r" % (tags, h1["tags"]))
        consent = one(bundle, "Consent")
        check(consent["status"] == "active", "Consent.status %r" % consent["status"])
        check(sr["supportingInfo"][0]["reference"] in urls, "supportingInfo")
        patient = one(bundle, "Patient")
        check("name" not in patient and "birthDate" not in patient,
              "the sender holds no sheet, yet its Patient has personal data: %r" % patient)
        check(patient["identifier"][0]["value"] == cid, "Patient identifier %r" % patient)
        return bundle

    sent = results.check("sender: the Bundle validates (ServiceRequest, Task requested/delivered, "
                         "Consent, Organizations; a Patient without personal data)", sender_bundle)

    def recipient_bundle():
        bundle = fhir(poverty, rid)
        patient = one(bundle, "Patient")
        person = h1["members"][0]
        names = [n.get("text") for n in patient.get("name") or []]
        check(person["name"] in names and person["kana"] in names, "Patient.name %r" % names)
        check(patient.get("birthDate") == person["birthdate"], "birthDate %r" % patient)
        ids = {i["system"]: i["value"] for i in patient["identifier"]}
        check(ids.get("urn:tsunagu:household") == "H001", "identifiers %r" % ids)
        sr = one(bundle, "ServiceRequest")
        check(sr.get("reasonCode", [{}])[0].get("text") == h1["summary"], "reasonCode %r" % sr)
        if sent:
            mine = {e["fullUrl"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] in ("ServiceRequest", "Task")}
            theirs = {e["fullUrl"] for e in sent["entry"]
                      if e["resource"]["resourceType"] in ("ServiceRequest", "Task")}
            check(mine == theirs, "the two sides name the ServiceRequest and Task differently")

    results.check("recipient: the Bundle validates, its Patient built from the sheet",
                  recipient_bundle)

    def uninvolved():
        r = other.get("/v1/referrals/%s/fhir" % rid)
        check(r.status == 404, "an agency that is no party: %r" % r)
        r = other.get("/v1/referrals/not-a-uuid/fhir")
        check(r.status == 404, "a bad id: %r" % r)
        r = elder.http("GET", "/v1/referrals/%s/fhir" % rid, token=False)
        check(r.status == 401, "without the token: %r" % r)

    results.check("an uninvolved agency gets 404; no token gets 401", uninvolved)

    # --- the Task follows the states --------------------------------------------------------
    walk = [("received", None, None, "received"), ("accepted", None, None, "accepted"),
            ("completed", None, "got-help", "got-help")]
    version = 1
    for state, reason, outcome, business in walk:
        def step(state=state, outcome=outcome, business=business, version=version):
            r = poverty.set_status(rid, state, outcome=outcome, base_version=version)
            check(r.status == 202, "POST status %s: %r" % (state, r))
            wait_task(poverty, rid, state, business)
            wait_task(elder, rid, state, business)
        results.check("%s: Task.status %s, businessStatus %s on both sides" % (
            state, state, business), step)
        version += 1

    def completed():
        bundle = fhir(elder, rid)
        sr, task = one(bundle, "ServiceRequest"), one(bundle, "Task")
        check(sr["status"] == "completed", "ServiceRequest.status %r" % sr["status"])
        out = task.get("output") or [{}]
        check(out[0].get("valueCodeableConcept", {}).get("coding", [{}])[0].get("code")
              == "got-help", "Task.output %r" % out)
        check("end" in task.get("executionPeriod", {}), "executionPeriod %r" % task)

    results.check("completed: ServiceRequest completed, the outcome in Task.output", completed)

    rid_b = b["referral_id"]

    def rejected():
        r = poverty.set_status(rid_b, "received", base_version=1)
        check(r.status == 202, "POST received: %r" % r)
        wait_task(elder, rid_b, "received", "received")
        r = poverty.set_status(rid_b, "rejected", reason=REJECT_REASON, base_version=2)
        check(r.status == 202, "POST rejected: %r" % r)
        wait_task(elder, rid_b, "rejected", "rejected")
        bundle = fhir(elder, rid_b)
        task, sr = one(bundle, "Task"), one(bundle, "ServiceRequest")
        check(sr["status"] == "revoked", "ServiceRequest.status %r" % sr["status"])
        check(task["businessStatus"].get("text") == "受理不可",
              "businessStatus %r" % task["businessStatus"])
        check(task.get("statusReason", {}).get("text") == REJECT_REASON,
              "statusReason %r" % task.get("statusReason"))

    results.check("rejected with a reason: Task rejected with statusReason, ServiceRequest "
                  "revoked", rejected)

    # --- the CSV export -----------------------------------------------------------------------
    today = harness.today_jst_plus(0)
    query = "from=%s&to=%s" % (today, today)

    def utf8_export():
        r = export(elder, query)
        check(r.status == 200, "GET export: %r" % r)
        ctype = r.headers.get("Content-Type") or ""
        check(ctype.startswith("text/csv"), "Content-Type %r" % ctype)
        disposition = r.headers.get("Content-Disposition") or ""
        check(disposition.startswith("attachment;") and today in disposition,
              "Content-Disposition %r" % disposition)
        check(r.raw.startswith(b"\xef\xbb\xbf"), "no BOM: %r" % r.raw[:8])
        check(crlf_only(r.raw), "a line not ended by CRLF")
        rows = rows_of(r.raw[3:].decode("utf-8"))
        check(rows[0] == HEADERS, "headers %r" % rows[0])
        by_id = {row[1]: row for row in rows[1:]}
        check(set(by_id) == {rid, rid_b}, "rows %r" % sorted(by_id))
        for referral_id, row in by_id.items():
            j = elder.referral(referral_id)
            check(row[0] == "送信" and row[2] == j["case_id"], "row %r" % row)
            check(row[8] == j["state_label"], "状態 %r, the API's %r" % (row[8], j["state_label"]))
            check(row[13] == j["receive_due_date"] and row[14] == j["due_date"],
                  "due dates %r" % row[13:15])
            check(poverty.id in row[5] and elder.id in row[4], "parties %r" % row[4:6])
        check(by_id[rid][12] == "支援につながった" and by_id[rid][11], "結果 %r" % by_id[rid])
        check(by_id[rid][10] and by_id[rid][9], "受付日時/受諾日時 %r" % by_id[rid][9:11])
        return r

    utf8 = results.check("the sender's CSV: BOM, CRLF, Japanese headers, the rows /v1/referrals "
                         "shows", utf8_export)

    def cp932_export():
        r = export(elder, query + "&encoding=cp932")
        check(r.status == 200, "GET export cp932: %r" % r)
        check(not r.raw.startswith(b"\xef\xbb\xbf"), "a BOM in CP932")
        check(crlf_only(r.raw), "a line not ended by CRLF")
        check(r.raw.decode("cp932") == utf8.raw[3:].decode("utf-8"),
              "CP932 does not decode to the UTF-8 file's text")

    if utf8:
        results.check("CP932 on request decodes to the same text", cp932_export)

    def personal():
        r = export(poverty, query + "&direction=received&personal=true")
        check(r.status == 200, "GET export: %r" % r)
        rows = rows_of(r.raw[3:].decode("utf-8"))
        check(rows[0] == HEADERS + ["世帯ID", "氏名"], "headers %r" % rows[0])
        row = [x for x in rows[1:] if x[1] == rid]
        check(row and row[0][0] == "受信" and row[0][15] == "H001"
              and row[0][16] == h1["members"][0]["name"], "row %r" % row)
        r = export(elder, query + "&personal=true")
        rows = rows_of(r.raw[3:].decode("utf-8"))
        check(all(x[15] == "" and x[16] == "" for x in rows[1:]),
              "the sender exported personal data it does not hold: %r" % rows)
        r = export(poverty, query)
        check("H001" not in r.text and h1["members"][0]["name"] not in r.text,
              "personal data without personal=true")

    results.check("personal=true: household id and name only where the sheet is held",
                  personal)

    def refusals():
        for q in ("", "from=%s" % today, "from=2026-13-01&to=2026-12-01",
                  "from=%s&to=2020-01-01" % today, query + "&direction=both",
                  query + "&encoding=latin1", query + "&personal=yes"):
            r = export(elder, q)
            check(r.status == 400 and (r.json or {}).get("error") == "invalid",
                  "query %r: %r" % (q, r))
        r = export(elder, query, token=False)
        check(r.status == 401, "without the token: %r" % r)
        r = export(elder, query + "&direction=received")
        check(r.status == 200 and len(rows_of(r.raw[3:].decode("utf-8"))) == 1,
              "the sender's received export should be the header alone: %r" % r)
        r = export(elder, "from=2000-01-01&to=2000-01-31")
        check(r.status == 200 and r.raw.count(b"\r\n") == 1, "an empty period: %r" % r)

    results.check("bad arguments → 400 naming them; an empty period → the header alone",
                  refusals)


if __name__ == "__main__":
    harness.main("fhir_export", __doc__, body)
