#!/usr/bin/env python3
"""組織改編 (agency succession) on real daemons: poverty-chuo (OLD) is merged into
poverty-minami (NEW).  Eldercare and OLD share a case with a plan naming OLD's role, a consent
that names OLD by id and one that covers poverty by type; with OLD's daemon stopped a referral
to OLD waits in its mailbox.  Illegal successions (one agency twice, another type, a revoked
OLD, a pending NEW, unknown ids) are refused and change nothing.  Then `tsunaguctl agency
succeed OLD NEW`: NEW takes OLD's place on the case and its role at the coordinator and in
NEW's and eldercare's copies; the consent naming OLD is flagged for renewal at the coordinator
and at eldercare (its event feed says so), the one by type is not; the waiting referral is
withheld, eldercare's API and feed say it went to OLD, which NEW succeeded; NEW's inbox holds
nothing of OLD's mail; OLD is revoked (its reconnect refused) with "succeeded by NEW" in `agency
show`; the audit log has the record and `tsunaguctl audit verify` passes.  With the coordinator
stopped, `agency succeed` goes through `tsunagu-coordinator --apply` and its letters reach the
agencies when the coordinator starts again."""

import json
import os
import re
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
REASON = "組織改編: 中央と南の自立相談支援機関を統合"
STAFF = ("suzuki-admin", "viewer", "succession-pass-1")


def audit_records(cluster, kind):
    out = []
    with open(cluster.audit_path(), "rb") as f:
        for line in f.read().split(b"\n"):
            if line:
                rec = json.loads(line.split(b" ", 4)[4])
                if rec.get("kind") == kind or (rec.get("details") or {}).get("kind") == kind:
                    out.append(rec)
    return out


def registry(cluster):
    return {a["id"]: a for a in json.loads(cluster.ctl("agency", "list", "--json").stdout)}


def events(agency, types):
    r = agency.get("/v1/events?after=0&limit=500")
    check(r.status == 200, "%s GET /v1/events: %r" % (agency.id, r))
    return [e for e in r.json.get("events") or [] if e.get("type") in types]


def tries(agency):
    if not os.path.exists(agency.daemon.log_path):
        return 0
    with open(agency.daemon.log_path, encoding="utf-8", errors="replace") as f:
        return f.read().count("connecting to the coordinator")


def body(cluster, results, args):
    h = {x["id"]: x for x in harness.load_households(args.data)}["H001"]
    cluster.init()
    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add", "--name",
                     STAFF[0], "--role", STAFF[1], "--password-stdin"], input=STAFF[2] + "\n",
                    env=cluster.env)
    check(r.returncode == 0, "user add: %s%s" % (r.stdout, r.stderr))
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    old = cluster.add_agency("poverty-chuo", "poverty")
    new = cluster.add_agency("poverty-minami", "poverty")
    dis = cluster.add_agency("disability-chuo", "disability")
    later = cluster.add_agency("poverty-higashi", "poverty")  # NEW's own successor, offline
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    # Registered after start-up (wait_ready counts the agencies of the directory).
    pending = cluster.add_agency("poverty-kita", "poverty", extra=("--pending",))
    gone = cluster.add_agency("poverty-nishi", "poverty")
    cluster.ctl("agency", "revoke", gone.id, "--reason", "廃止")

    # --- a case of eldercare and OLD, a plan, two consents ------------------------------------
    case_id = str(uuid.uuid4())
    sheet = harness.sheet_for_sender(h, "eldercare")
    cats = harness.sheet_categories(sheet)
    by_id = eld.consent(case_id, cover_agencies=[old.id], categories=cats,
                        subject=harness.subject_id(h))
    by_type = eld.consent(case_id, cover_types=["poverty"], categories=cats,
                          subject=harness.subject_id(h, 2))
    for cid in (by_id, by_type):
        harness.wait_json(lambda cid=cid: eld.consent_record(cid, case_id),
                          lambda c: c.get("status") == "active", WAIT, "consent active",
                          alive=alive)
    req = harness.referral_request(h, to_agency=old.id, sheet=sheet, case_id=case_id,
                                   legal_basis="consent", consent_id=by_id,
                                   data_categories=cats)
    r = eld.post("/v1/referrals", req)
    check(r.status == 202, "eldercare refers H001 to OLD: %r" % r)
    harness.wait_delivered(eld, r.json["referral_id"], WAIT, alive=alive)
    state = {}

    def converge(agencies, predicate, what):
        coord = harness.wait_json(lambda: cluster.coordinator_case(case_id), predicate, WAIT,
                                  "coordinator: " + what, alive=alive)
        v = coord.get("version")
        for ag in agencies:
            harness.wait_json(lambda ag=ag: ag.case(case_id),
                              lambda c: c.get("version") == v, WAIT,
                              "%s's copy at version %r (%s)" % (ag.id, v, what), alive=alive)
        state["version"] = v
        return coord

    converge((eld, old), lambda c: c.get("agencies") == [eld.id, old.id], "two agencies")
    base = state["version"]
    r = eld.case_event(case_id, {"type": "plan", "base_version": base, "plan": {
        "roles": [{"agency": eld.id, "role": "見守り"}, {"agency": old.id, "role": "家計改善"}],
        "next_review_on": harness.today_jst_plus(30)}})
    check(r.status == 202, "eldercare's plan: %r" % r)
    converge((eld, old), lambda c: c.get("version") == base + 1, "the plan")
    results.ok("a case of eldercare and OLD at version %r, OLD 家計改善 in the plan" %
               state["version"])

    # --- OLD offline; a referral waits in its mailbox -------------------------------------------
    rc = old.daemon.stop()
    results.expect("OLD's daemon stops cleanly", rc == 0, "status %r" % rc)
    req = harness.referral_request(h, to_agency=old.id, sheet=sheet, case_id=case_id,
                                   legal_basis="consent", consent_id=by_type,
                                   data_categories=cats)
    r = eld.post("/v1/referrals", req)
    check(r.status == 202, "the second referral to OLD: %r" % r)
    waiting = r.json["referral_id"]
    harness.wait_delivery(eld, waiting, ("stored",), WAIT, alive=alive)
    before_version = state["version"]

    # --- refusals ----------------------------------------------------------------------------
    def unchanged():
        reg = registry(cluster)
        check(reg[old.id]["status"] == "active" and reg[new.id]["status"] == "active"
              and reg[pending.id]["status"] == "pending" and "succeeded_by" not in reg[old.id],
              "the registry changed: %r" % {k: reg[k]["status"] for k in reg})
        c = cluster.coordinator_case(case_id)
        check(c["version"] == before_version and c["agencies"] == [eld.id, old.id],
              "the case changed: version %r agencies %r" % (c["version"], c["agencies"]))
        check(all(x.get("renewal") is None for x in c.get("consents") or []),
              "a consent was flagged: %r" % c.get("consents"))
        check(eld.referral(waiting).get("delivery") == "stored", "the waiting referral moved")

    for what, argv, says in (
            ("OLD succeeded by itself", (old.id, old.id), "itself"),
            ("a successor of another type", (old.id, dis.id), "same type"),
            ("a revoked OLD", (gone.id, new.id), "revoked"),
            ("a pending successor", (old.id, pending.id), "pending"),
            ("an unknown successor", (old.id, "poverty-nowhere"), "no agency"),
            ("an unknown OLD", ("poverty-nowhere", new.id), "no agency"),
            ("a revoked successor", (old.id, gone.id), "revoked")):
        def refused(argv=argv, says=says):
            r = cluster.ctl("agency", "succeed", *argv, "--reason", "誤り", check_rc=False)
            check(r.returncode != 0, "agency succeed %s succeeded: %s" % (argv, r.stdout))
            check(says in r.stderr, "agency succeed %s: %r does not say %r" % (
                argv, r.stderr, says))
            unchanged()
        results.check("refused, nothing changed: %s" % what, refused)
    r = cluster.ctl("agency", "succeed", old.id, check_rc=False)
    results.expect("agency succeed with one id is a usage error", r.returncode == 2,
                   "exit %d: %s" % (r.returncode, r.stderr))

    # --- the succession --------------------------------------------------------------------------
    def succeed():
        r = cluster.ctl("agency", "succeed", old.id, new.id, "--reason", REASON, "--json")
        out = json.loads(r.stdout)
        check(out.get("cases") == [case_id], "cases moved %r" % out.get("cases"))
        check(out.get("consents_to_renew") == [{"consent_id": by_id, "case_id": case_id}],
              "consents to renew %r" % out.get("consents_to_renew"))
        check(out.get("withheld") == 1, "withheld %r" % out.get("withheld"))
        return out

    if not results.check("tsunaguctl agency succeed OLD NEW: one case moved, one consent to "
                         "renew, one letter withheld", succeed):
        fail("no succession to follow")

    def coordinator_case():
        c = converge((eld, new), lambda c: c.get("version") == before_version + 1,
                     "the succession")
        check(c["agencies"] == [eld.id, new.id], "agencies %r" % c["agencies"])
        roles = {x["agency"]: x["role"] for x in (c.get("plan") or {}).get("roles") or []}
        check(roles == {eld.id: "見守り", new.id: "家計改善"}, "the plan's roles %r" % roles)
        ev = [e for e in c.get("timeline") or [] if e.get("type") == "succession"]
        check(len(ev) == 1 and ev[0].get("by") == "coordinator"
              and (ev[0].get("succession") or {}).get("previous_agency") == old.id
              and ev[0]["succession"].get("agency") == new.id
              and ev[0]["succession"].get("consents_to_renew") == [by_id],
              "the timeline's succession %r" % ev)
        consents = {x["consent_id"]: x for x in c.get("consents") or []}
        ren = consents[by_id].get("renewal") or {}
        check(ren.get("needed") is True and ren.get("previous_agency") == old.id
              and ren.get("agency") == new.id, "consent by id: renewal %r" % ren)
        check(consents[by_type].get("renewal") is None,
              "the consent by type was flagged: %r" % consents[by_type].get("renewal"))
        j = cluster.coord_json("/v1/consents?case=" + case_id)
        flagged = [x["consent_id"] for x in j["consents"] if x.get("renewal")]
        check(flagged == [by_id], "GET /v1/consents flags %r" % flagged)
        refs = {x["referral_id"]: x for x in c.get("referrals") or []}
        w = refs[waiting].get("withheld") or {}
        check(w.get("reason") == "succession", "the waiting referral's record: %r" % w)
        out = cluster.ctl("case", "show", case_id).stdout
        check("機関の承継" in out and "%s → %s" % (old.id, new.id) in out
              and "同意の再取得が必要" in out and by_id in out
              and "withheld: succession" in out, "tsunaguctl case show:\n%s" % out[-2000:])

    results.check("coordinator: NEW in OLD's place, OLD's role NEW's, a succession on the "
                  "timeline, the consent by id flagged (not the one by type), the waiting "
                  "referral withheld (GET /v1/cases/{id}, /v1/consents, tsunaguctl case show)",
                  coordinator_case)

    def copies():
        for ag in (eld, new):
            c = ag.case(case_id)
            check(c.get("agencies") == [eld.id, new.id], "%s's copy agencies %r" % (
                ag.id, c.get("agencies")))
            roles = {x["agency"]: x["role"] for x in c.get("roles") or []}
            check(roles.get(new.id) == "家計改善" and old.id not in roles,
                  "%s's copy roles %r" % (ag.id, roles))
            ev = [e for e in c.get("events") or [] if e.get("type") == "succession"]
            check(len(ev) == 1 and ev[0]["succession"]["agency"] == new.id,
                  "%s's copy events %r" % (ag.id, ev))

    results.check("NEW's and eldercare's copies: NEW on the case with OLD's role, the "
                  "succession event", copies)

    def sender_consents():
        rec = eld.consent_record(by_id, case_id)
        check(rec.get("renewal_needed") is True
              and (rec.get("renewal") or {}).get("agency") == new.id,
              "eldercare's consent by id: %r" % rec)
        rec = eld.consent_record(by_type, case_id)
        check(rec.get("renewal_needed") is False, "the consent by type: %r" % rec)
        evs = events(eld, ("case.succession",))
        check(len(evs) == 1 and evs[0]["data"].get("consents_to_renew") == [by_id]
              and evs[0]["data"].get("agency") == new.id, "eldercare's feed: %r" % evs)

    results.check("eldercare: its consent naming OLD shows renewal needed, the other not; its "
                  "event feed has case.succession", sender_consents)

    def sender_told():
        j = harness.wait_delivery(eld, waiting, ("withheld",), WAIT, alive=alive)
        err = j.get("error") or {}
        check(err.get("code") == "recipient_inactive", "error %r" % err)
        msg = err.get("message") or ""
        check(old.id in msg and new.id in msg and "succeeded" in msg, "message %r" % msg)
        evs = [e for e in events(eld, ("delivery.withheld",))
               if (e.get("data") or {}).get("referral_id") == waiting]
        check(len(evs) == 1 and new.id in json.dumps(evs[0]), "feed %r" % evs)

    results.check("eldercare's referral to OLD shows withheld, recipient_inactive, naming NEW; "
                  "its feed has delivery.withheld", sender_told)

    def new_gets_nothing():
        items = new.inbox()
        check(not [i for i in items if i.get("kind") != "case-event"],
              "NEW's inbox holds %r" % sorted({i.get("kind") for i in items}))
        check(not harness.texts_in(items, [h["address"], h["phone"], h["summary"]]),
              "NEW's inbox shows the household's personal data")

    results.check("NEW's inbox receives nothing of OLD's mail", new_gets_nothing)

    def old_revoked():
        reg = registry(cluster)
        check(reg[old.id]["status"] == "revoked" and reg[old.id].get("succeeded_by") == new.id,
              "registry %r" % reg[old.id])
        out = cluster.ctl("agency", "show", old.id).stdout
        check("succeeded by" in out and new.id in out, "agency show:\n%s" % out)
        listed = {a["id"]: a for a in cluster.coord_json("/v1/agencies")["agencies"]}
        check(listed[old.id].get("succeeded_by") == new.id
              and "succeeded_by" not in listed[new.id], "GET /v1/agencies %r" % listed[old.id])

        def directory_names_successor():  # eldercare's own directory, from the coordinator
            ds = {a["id"]: a for a in eld.get("/v1/directory").json.get("agencies", [])}
            return ds if ds.get(old.id, {}).get("succeeded_by") == new.id else None
        ds = harness.wait_for(directory_names_successor, WAIT, "eldercare's directory naming "
                              "the successor", alive=alive)
        check(ds[old.id]["status"] == "revoked" and "succeeded_by" not in ds[new.id],
              "eldercare's directory: %r" % ds[old.id])
        staff = harness.Staff(cluster.http_port)
        staff.login(STAFF[0], STAFF[2])
        status, _, data = staff.request("GET", "/agencies")
        text = data.decode("utf-8")
        row = text[text.find('data-agency-id="%s"' % old.id):]
        row = row[:row.find("</tr>")]
        check(status == 200 and "承継先" in row and new.id in row,
              "the dashboard's agency page: %r" % row[:600])
        status, _, data = staff.request("GET", "/cases/" + case_id)
        text = data.decode("utf-8")
        items = re.findall(r'<li data-event-type="succession">(.*?)</li>', text, re.S)
        check(status == 200 and len(items) == 1 and "機関の承継" in items[0]
              and "同意の再取得が必要" in items[0], "the case page's timeline: %r" % items)
        check(text.count("再取得が必要") >= 2, "the case page's consents lack the renewal badge")
        before = tries(old)
        old.daemon.start()
        harness.wait_for(lambda: tries(old) > before, WAIT, "OLD tries to connect",
                         alive=alive)
        line = 'tsunagu_agency_connected{agency="%s"} 1' % old.id
        for _ in range(5):
            hz = old.healthz()
            check(hz and hz.get("coordinator") != "connected", "OLD connected: %r" % hz)
            check(line not in cluster.coord_get("/metrics").text, "a session of OLD")
        r = cluster.ctl("agency", "succeed", old.id, new.id, check_rc=False)
        check(r.returncode != 0 and "revoked" in r.stderr, "a second succession: %r" % (
            r.stderr,))

    results.check("OLD is revoked, succeeded_by NEW (agency show, GET /v1/agencies and the "
                  "dashboard's 機関 page say so), its reconnect is refused, a second succession "
                  "refused", old_revoked)

    def audited():
        recs = audit_records(cluster, "agency-succeed")
        check(len(recs) == 1, "%d agency-succeed records" % len(recs))
        d = recs[0]["details"]
        check(d.get("agency") == old.id and d.get("successor") == new.id
              and d.get("reason") == REASON and d.get("to") == "revoked"
              and d.get("cases") == [case_id] and d.get("withheld") == 1, "details %r" % d)
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s%s" % (r.stdout, r.stderr))

    results.check("the audit log has the succession; tsunaguctl audit verify passes", audited)

    # --- offline: no coordinator runs, tsunaguctl asks tsunagu-coordinator --apply ---------------
    def offline():
        version = cluster.coordinator_case(case_id)["version"]
        rc = cluster.coordinator.stop()
        check(rc == 0, "the coordinator stops cleanly: %r" % rc)
        r = cluster.ctl("agency", "succeed", new.id, later.id, "--reason", "再編の二段目",
                        "--json")
        out = json.loads(r.stdout)
        check(out.get("cases") == [case_id], "offline: cases moved %r" % out.get("cases"))
        cluster.start_coordinator()
        cluster.wait_coordinator_http()
        c = converge((eld, later), lambda c: c.get("version") == version + 1,
                     "the offline succession")
        check(c["agencies"] == [eld.id, later.id], "agencies %r" % c["agencies"])
        roles = {x["agency"]: x["role"] for x in (c.get("plan") or {}).get("roles") or []}
        check(roles.get(later.id) == "家計改善", "roles %r" % roles)
        recs = audit_records(cluster, "agency-succeed")
        check(len(recs) == 2 and recs[1]["details"].get("via") == "offline",
              "the offline record %r" % recs[-1:])
        check(registry(cluster)[new.id].get("succeeded_by") == later.id, "NEW not succeeded")
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s%s" % (r.stdout, r.stderr))

    results.check("with the coordinator stopped, agency succeed goes through --apply (audited "
                  "via offline); once it starts, eldercare's and the successor's copies follow",
                  offline)


if __name__ == "__main__":
    harness.main("succession", __doc__, body)
