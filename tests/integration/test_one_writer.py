#!/usr/bin/env python3
"""The coordinator is the one writer of its store: tsunaguctl asks, the coordinator changes the
registry and audits each change with who asked.  An agency registered before the first start is
written by the coordinator's offline mode (via "offline"); a suspension, a resumption, new due
days and a revocation made while it runs go through its control socket (via "control"); each is
one "registry" record naming the agency, the change and the actor, and the chain verifies.  One
coordinator per data directory: a second refuses to start, and so does the offline mode, while
the first runs; `tsunaguctl init` refuses a data directory a coordinator is using."""

import json
import os
import pwd
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402


def actor():
    """Who tsunaguctl says asks: the login behind sudo, else the effective user's name."""
    return os.environ.get("SUDO_USER") or pwd.getpwuid(os.geteuid()).pw_name


def registry_records(cluster):
    """The audit log's registry records, in order (the chain is checked by audit verify)."""
    records = []
    with open(cluster.audit_path(), "rb") as f:
        for line in f.read().split(b"\n"):
            if not line:
                continue
            record = json.loads(line.split(b" ", 4)[4])
            if record.get("event") == "registry":
                records.append(record)
    return records


def body(cluster, results, args):
    cluster.init()
    eld = cluster.add_agency("eld-chuo", "eldercare", "中央地域包括支援センター")
    dis = cluster.add_agency("dis-kita", "disability", "北相談支援事業所")

    def added_offline():
        recs = registry_records(cluster)
        check(len(recs) == 2, "%d registry records after two agency add: %r" % (len(recs), recs))
        for rec, agency in zip(recs, (eld, dis)):
            d = rec.get("details", {})
            check(rec.get("kind") == "agency-add" and d.get("agency") == agency.id,
                  "record %r is not the add of %s" % (rec, agency.id))
            check(d.get("actor") == actor() and d.get("via") == "offline",
                  "actor/via of %r (want %s, offline)" % (d, actor()))
            check(d.get("type") == agency.type and d.get("status") == "active", "details %r" % d)

    results.check("agency add before the first start: the coordinator's offline mode writes "
                  "the entry and audits it (actor, via offline)", added_offline)

    cluster.start_all()
    cluster.wait_ready()

    def changes_while_running():
        before = len(registry_records(cluster))
        out = cluster.ctl("agency", "suspend", dis.id).stdout
        check("active -> suspended" in out, "suspend said: %r" % out)
        out = cluster.ctl("agency", "suspend", dis.id).stdout
        check("already suspended" in out, "a second suspend said: %r" % out)
        cluster.ctl("agency", "resume", dis.id)
        cluster.ctl("agency", "set-due-days", eld.id, "--due-days", "10")
        recs = registry_records(cluster)[before:]
        kinds = [(r.get("kind"), r["details"].get("agency")) for r in recs]
        check(kinds == [("agency-status", dis.id), ("agency-status", dis.id),
                        ("agency-due-days", eld.id)],
              "registry records while running: %r (a change that changed nothing is none)"
              % kinds)
        for r in recs:
            check(r["details"].get("actor") == actor() and r["details"].get("via") == "control",
                  "actor/via of %r" % r)
        check(recs[0]["details"].get("from") == "active"
              and recs[0]["details"].get("to") == "suspended", "the suspension: %r" % recs[0])
        check(recs[2]["details"].get("response_due_days") == 10, "the due days: %r" % recs[2])
        listed = json.loads(cluster.ctl("agency", "show", eld.id, "--json").stdout)
        check(listed.get("response_due_days") == 10, "agency show: %r" % listed)

    results.check("suspend, resume and set-due-days while the coordinator runs go through its "
                  "control socket: one registry record each, with the actor (via control)",
                  changes_while_running)

    def revoked_is_final():
        cluster.ctl("agency", "revoke", dis.id)
        r = cluster.ctl("agency", "resume", dis.id, check_rc=False)
        check(r.returncode != 0 and "final" in r.stderr, "resume after revoke: %r" % (r,))
        rec = registry_records(cluster)[-1]
        check(rec["details"].get("to") == "revoked", "the last record: %r" % rec)

    results.check("revoke is audited and final: resume is refused by the coordinator",
                  revoked_is_final)

    def one_coordinator():
        d = harness.Daemon("coordinator-2", cluster.daemon_argv(
            "tsunagu-coordinator", cluster.coordinator_conf),
            os.path.join(cluster.logs, "coordinator-2.log"), env=cluster.env)
        d.start()
        try:
            harness.wait_for(lambda: not d.running(), 15, "a second coordinator to exit")
        finally:
            rc = d.stop()
        check(rc not in (0, None), "a second coordinator on the same data dir: exit %r" % rc)
        check("another coordinator runs" in harness.tail(d.log_path, 20),
              "its log: %s" % harness.tail(d.log_path, 20))
        r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf,
                         "--apply"], input='{"command":"ping"}', env=cluster.env)
        check(r.returncode == 3 and '"running"' in r.stdout,
              "--apply while one runs: %d %r" % (r.returncode, r.stdout))
        r = cluster.ctl("init", "--listen", cluster.endpoint, check_rc=False)
        check(r.returncode != 0 and "running" in r.stderr, "init while running: %r" % (r,))

    results.check("one coordinator per data directory: a second one, --apply and tsunaguctl "
                  "init all refuse while it runs", one_coordinator)

    def chain_holds():
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %d %s %s" % (r.returncode, r.stdout, r.stderr))

    results.check("the audit chain verifies with the registry records in it", chain_holds)

    def offline_refusals():
        problems = cluster.stop_all()
        check(not problems, "; ".join(problems))
        before = len(registry_records(cluster))

        def apply(request):
            r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf,
                             "--apply"], input=json.dumps(request), env=cluster.env)
            check(r.returncode == 0, "--apply exit %d: %s" % (r.returncode, r.stderr))
            return json.loads(r.stdout)

        base = {"command": "agency-add", "id": "pov-minami", "type": "poverty",
                "name": "南自立相談支援機関", "actor": "test",
                "box_public": eld.public_key_z85("box-public"),
                "sign_public": eld.public_key_z85("sign-public")}
        answer = apply(base)
        check(answer.get("ok") is False and answer.get("error") == "bad_request"
              and eld.id in answer.get("message", ""),
              "an agency with another agency's keys: %r" % answer)
        for field, value in (("id", "Bad_ID"), ("type", "library"), ("name", "a ; b"),
                             ("box_public", "short"), ("response_due_days", 366),
                             ("actor", "")):
            answer = apply(dict(base, **{field: value}))
            check(answer.get("ok") is False and answer.get("error") == "bad_request",
                  "%s=%r: %r" % (field, value, answer))
        answer = apply({"command": "agency-status", "id": "nobody", "status": "suspended",
                        "actor": "test"})
        check(answer.get("error") == "unknown_agency", "status of an unknown agency: %r" % answer)
        answer = apply({"command": "case-event", "case_id": "x"})
        check(answer.get("error") == "not_running", "a case event offline: %r" % answer)
        check(len(registry_records(cluster)) == before, "a refused request left a record")

    results.check("the coordinator checks every registry request as from a stranger: another "
                  "agency's keys, a bad id, type, name, key, due days or actor, an unknown "
                  "agency are refused and change nothing; case events need it running",
                  offline_refusals)


if __name__ == "__main__":
    harness.main("one_writer", __doc__, body)
