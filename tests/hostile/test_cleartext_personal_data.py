#!/usr/bin/env python3
"""Personal data typed into cleartext fields is refused on both sides of the hub (issue 7, #9).

Through a real agency daemon's API, a name in a referral tag, a name in a plan role label and a
romanized name with a birth date as a consent subject are each answered 422 personal_data with
the field named (tags[i], plan.roles[i].role, subject) and the reason never quoting the value;
nothing is sent, so the coordinator's audit log, cases (with their referrals and events) and
consents stay as they were.  The project's own vocabulary (8050, 見守り訪問, H001-1) still goes through.  Then the
coordinator's own check, with no agency daemon in the way: tsunagu-rogue-client sends a
REFERRAL whose header tag is a name, and the coordinator's staff (tsunaguctl case event) record
a plan whose role label is a name; both are refused personal_data naming the field, and the
coordinator keeps no trace of the name."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 30

# Synthetic personal data of household H001 (tests/integration/data/households.json).
NAME = "山田ハナ"
ROMANIZED_WITH_BIRTH_DATE = "yamada-hana-19430412"


def refused_personal(r, paths):
    """Checks r is 422 personal_data whose fields name every path in paths with a reason that
    quotes none of the personal data; returns the fields."""
    check(r.status == 422, "expected 422 personal_data, got %r" % r)
    j = r.json if isinstance(r.json, dict) else {}
    check(j.get("error") == "personal_data", "error %r, expected personal_data: %r" % (
        j.get("error"), r))
    check(isinstance(j.get("message"), str) and j["message"], "no message: %r" % r)
    fields = j.get("fields")
    check(isinstance(fields, dict), "no fields object: %r" % r)
    for path in paths:
        check(isinstance(fields.get(path), str) and fields[path],
              "fields %r do not name %s" % (fields, path))
    leaked = harness.texts_in(j, [NAME, "山田", "ハナ", ROMANIZED_WITH_BIRTH_DATE, "1943"])
    check(not leaked, "the answer quotes the personal data: %r" % leaked)
    return fields


def coordinator_state(cluster, case_id):
    """What the coordinator holds that a letter could change: its audit log, its lists of cases
    and consents, and the case's record (its referrals, events and timeline)."""
    with open(cluster.audit_path(), "rb") as f:
        audit = f.read()
    return {
        "audit": audit,
        "cases": cluster.coord_json("/v1/cases"),
        "consents": cluster.coord_json("/v1/consents?case=" + case_id),
        "case": cluster.coord_json("/v1/cases/" + case_id),
    }


def rogue_referral(cluster, keys, to, expect, tags, timeout=10):
    """tsunagu-rogue-client --send: one REFERRAL on basis none with these header tags, from
    keys (registered, no daemon on its keys) to to; checks the coordinator answers expect and
    returns the client's output."""
    seq = cluster.rogue_sequences.get(keys.id, 0) + 1
    cluster.rogue_sequences[keys.id] = seq
    argv = [cluster.exe("tsunagu-rogue-client"), "--endpoint", cluster.endpoint,
            "--server-key", cluster.coordinator_box_public(), "--keys", keys.key_file,
            "--send", "--expect", expect, "--sequence", str(seq), "--to", to.id,
            "--claim-type", keys.type, "--legal-basis", "none", "--timeout", str(timeout)]
    for tag in tags:
        argv += ["--tag", tag]
    r = harness.run(argv, timeout=timeout + 20, env=cluster.env)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0, "rogue client with tags %r exit %d, expected %s:\n%s" % (
        tags, r.returncode, expect, out))
    cluster.alive()
    return out


def error_detail(out):
    """The detail of the ERROR the rogue client printed."""
    for line in out.splitlines():
        if "got ERROR" in line:
            return line.split("detail=", 1)[-1].strip('"')
    return ""


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    h1 = hh["H001"]
    cluster.init()
    ag = cluster.add_standard_agencies()
    # Registered, but no daemon runs on its keys: the rogue client speaks with them.
    probe = cluster.add_agency("probe-eldercare", "eldercare", "つなぐ市検証用地域包括支援センター")
    running = [a.id for a in ag.values()]
    cluster.start_all(running)
    cluster.wait_ready(running)
    cluster.wait_coordinator_http()
    alive = cluster.alive
    eld, pov = ag["eldercare"], ag["poverty"]
    results.ok("coordinator and the four agency daemons are up; a probe agency registered")

    # A case to hang the plan and the consent on, opened with a basis-none notice whose tags
    # are H001's own (介護, 8050, ひきこもり, 生活困窮): the vocabulary passes.
    case_id = results.check("eldercare opens a case for H001 (its tags, 8050 among them, pass)",
                            harness.open_case, eld, pov, h1)
    if not case_id:
        harness.fail("cannot go on without the case")
    for a in ag.values():
        a.wait_outbox_empty(WAIT)
    before = coordinator_state(cluster, case_id)
    version = cluster.coordinator_case(case_id)["version"]

    # --- the agency refuses before anything is sealed ---------------------------------------
    notice = harness.notice_sheet(h1, "eldercare")

    def tag_with_name():
        req = harness.referral_request(h1, to_agency=pov.id, sheet=notice, legal_basis="none",
                                       case_id=case_id, urgency="normal",
                                       client_ref="cleartext-tag-name")
        req["tags"] = ["8050", NAME + "さん", h1["phone"]]
        fields = refused_personal(eld.post("/v1/referrals", req), ["tags[1]", "tags[2]"])
        check("tags[0]" not in fields, "8050 was refused: %r" % fields)
        print("     fields: %s" % json.dumps(fields, ensure_ascii=False))

    results.check("POST /v1/referrals with a name and a phone number as tags: 422 "
                  "personal_data naming tags[1] and tags[2], not 8050", tag_with_name)

    def tag_with_name_and_bad_urgency():
        req = harness.referral_request(h1, to_agency=pov.id, sheet=notice, legal_basis="none",
                                       case_id=case_id, urgency="normal")
        req["tags"] = [NAME]
        req["urgency"] = "soon"
        r = eld.post("/v1/referrals", req)
        check(r.status == 400 and (r.json or {}).get("error") == "invalid",
              "expected 400 invalid, got %r" % r)
        fields = r.json.get("fields") or {}
        check("urgency" in fields and "tags[0]" in fields,
              "fields %r do not name both urgency and tags[0]" % fields)

    results.check("a name in a tag beside another invalid field: 400 invalid naming both",
                  tag_with_name_and_bad_urgency)

    def role_with_name():
        event = {"type": "plan", "base_version": version,
                 "plan": {"roles": [{"agency": eld.id, "role": "見守り訪問"},
                                    {"agency": pov.id, "role": NAME + "さんの家計相談"}],
                          "next_review_on": harness.today_jst_plus(30)}}
        fields = refused_personal(eld.case_event(case_id, event), ["plan.roles[1].role"])
        check("plan.roles[0].role" not in fields, "見守り訪問 was refused: %r" % fields)
        print("     fields: %s" % json.dumps(fields, ensure_ascii=False))

    results.check("POST /v1/cases/{id}/events with a name in a plan role label: 422 "
                  "personal_data naming plan.roles[1].role", role_with_name)

    def subject_with_birth_date():
        consents_before = eld.consents(case_id)
        for subject in (ROMANIZED_WITH_BIRTH_DATE, "山田 ハナ", "H001-1943-04-12"):
            r = eld.grant_consent(case_id, cover_agencies=[pov.id], subject=subject)
            fields = refused_personal(r, ["subject"])
            print("     %s → fields: %s" % ("subject", json.dumps(fields, ensure_ascii=False)))
        check(eld.consents(case_id) == consents_before,
              "eldercare's register changed after the refusals")

    results.check("POST /v1/consents with a romanized name and birth date as subject (and a "
                  "name, and an id with a birth date): 422 personal_data naming subject",
                  subject_with_birth_date)

    def nothing_reached_the_coordinator():
        for a in ag.values():
            h = a.healthz() or {}
            check(h.get("outbox_pending") == 0, "%s outbox_pending %r after the refusals" % (
                a.id, h.get("outbox_pending")))
        after = coordinator_state(cluster, case_id)
        for key in ("cases", "consents", "case"):
            check(after[key] == before[key], "the coordinator's %s changed" % key)
        check(after["audit"] == before["audit"],
              "the coordinator's audit log grew by %d bytes" % (
                  len(after["audit"]) - len(before["audit"])))
        check(cluster.coordinator_case(case_id)["version"] == version,
              "the case's version moved")

    results.check("nothing reached the coordinator: outboxes empty, audit log, cases, the "
                  "case's record and consents unchanged", nothing_reached_the_coordinator)

    # The project's own words still go through, end to end.
    def vocabulary_passes():
        event = {"type": "plan", "base_version": version,
                 "plan": {"roles": [{"agency": eld.id, "role": "介護サービス調整・見守り"},
                                    {"agency": pov.id, "role": "家計改善=月1回"}],
                          "next_review_on": harness.today_jst_plus(30)}}
        r = eld.case_event(case_id, event)
        check(r.status == 202, "a plan with the project's role labels: %r" % r)
        harness.wait_json(lambda: cluster.coordinator_case(case_id),
                          lambda c: (c.get("version") or 0) > version, WAIT,
                          "the coordinator applies the plan", alive=alive)
        eld.consent(case_id, cover_agencies=[pov.id], subject=harness.subject_id(h1))
        eld.wait_outbox_empty(WAIT)

    results.check("the project's labels (介護サービス調整・見守り, 家計改善=月1回) and subject "
                  "H001-1: accepted and applied by the coordinator", vocabulary_passes)

    # --- the coordinator refuses what bypassed an agency daemon ------------------------------
    def rogue_tag():
        out = rogue_referral(cluster, probe, pov, "personal_data", ["8050", NAME])
        detail = error_detail(out)
        print("     detail: %s" % detail)
        check("tag" in detail, "the detail %r does not name the tag" % detail)
        check(NAME not in detail and "山田" not in detail,
              "the detail quotes the name: %r" % detail)

    results.check("rogue client (no agency daemon): a REFERRAL whose header tag is a name is "
                  "refused personal_data naming the tag", rogue_tag)

    results.check("rogue client: a REFERRAL whose tags are 8050 and 生活困窮 is stored",
                  rogue_referral, cluster, probe, pov, "stored", ["8050", "生活困窮"])

    def staff_role_with_name():
        c = cluster.coordinator_case(case_id)
        r = cluster.staff_case_event(case_id, "plan", c["version"], "--role",
                                     "%s=%sさんの見守り" % (eld.id, NAME), "--role",
                                     "%s=家計相談" % pov.id, check_rc=False)
        out = r.stdout + r.stderr
        print("     %s" % out.strip())
        check(r.returncode != 0, "tsunaguctl case event with a name in a role: exit 0:\n%s" % out)
        check("personal_data" in out and "plan.roles[0].role" in out,
              "the refusal does not say personal_data and plan.roles[0].role:\n%s" % out)
        check(NAME not in out.split("refused", 1)[-1], "the refusal quotes the name:\n%s" % out)
        check(cluster.coordinator_case(case_id)["version"] == c["version"],
              "the case's version moved")

    results.check("the coordinator's staff (tsunaguctl case event --type plan) with a name in "
                  "a role label: refused personal_data naming plan.roles[0].role",
                  staff_role_with_name)

    def no_trace():
        with open(cluster.audit_path(), encoding="utf-8", errors="replace") as f:
            audit = f.read()
        held = json.dumps([cluster.coord_json(p) for p in
                           ("/v1/cases", "/v1/consents?case=" + case_id, "/v1/cases/" + case_id)],
                          ensure_ascii=False)
        for text in (NAME, "山田", ROMANIZED_WITH_BIRTH_DATE, "1943-04-12", h1["phone"]):
            check(text not in audit, "the audit log holds %r" % text)
            check(text not in held, "the coordinator's read side holds %r" % text)
        check(cluster.audit_verify().returncode == 0, "tsunaguctl audit verify fails")

    results.check("the coordinator keeps no trace of the refused personal data; the audit "
                  "chain verifies", no_trace)


if __name__ == "__main__":
    harness.main("cleartext_personal_data", __doc__, body)
