#!/usr/bin/env python3
"""An agency's life in the registry, on real daemons: pending → active (approve) → suspended ⇄
active → revoked (final; a pending agency may be revoked too).  `agency add --pending` writes
the bundle and admits nothing: the pending agency's daemon cannot connect and no directory
lists it.  Every illegal change is refused and changes nothing.  Each change keeps who made it,
when and why (--reason) in the registry (`agency show`, `agency list --json`) and in the audit
log.  A suspended agency's mail waits and arrives after it is resumed; a revoked agency's live
session is dropped and its reconnect refused."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 30


def registry_records(cluster, agency_id):
    """The audit log's registry records about agency_id, in order."""
    out = []
    with open(cluster.audit_path(), "rb") as f:
        for line in f.read().split(b"\n"):
            if line:
                rec = json.loads(line.split(b" ", 4)[4])
                if (rec.get("event") == "registry"
                        and (rec.get("details") or {}).get("agency") == agency_id):
                    out.append(rec)
    return out


def entry(cluster, agency_id):
    """The agency's registry entry as `agency list --json` shows it."""
    listed = json.loads(cluster.ctl("agency", "list", "--json").stdout)
    found = [a for a in listed if a["id"] == agency_id]
    check(len(found) == 1, "agency list --json has %d entries for %s" % (len(found), agency_id))
    return found[0]


def directory_ids(agency):
    r = agency.get("/v1/directory")
    check(r.status == 200, "%s GET /v1/directory: %r" % (agency.id, r))
    return {a["id"]: a.get("status") for a in r.json.get("agencies", [])}


def wait_health(agency, want, alive):
    """Waits until the agency's /healthz says coordinator == want ("not connected": anything
    else)."""
    def seen():
        h = agency.healthz()
        if not h:
            return None
        got = h.get("coordinator")
        return h if (got != "connected" if want == "not connected" else got == want) else None
    return harness.wait_for(seen, WAIT, "%s /healthz coordinator %s" % (agency.id, want),
                            interval=0.1, alive=alive)


def tries(agency):
    """How many times the agency's daemon has started to connect, by its log."""
    if not os.path.exists(agency.daemon.log_path):
        return 0
    with open(agency.daemon.log_path, encoding="utf-8", errors="replace") as f:
        return f.read().count("connecting to the coordinator")


def not_admitted(cluster, agency, alive, tried_before=0):
    """Once the agency's daemon has tried to connect (more than tried_before times), the
    coordinator holds no session of it and the daemon is not connected."""
    harness.wait_for(lambda: tries(agency) > tried_before, WAIT,
                     "%s tries to connect" % agency.id, alive=alive)
    line = 'tsunagu_agency_connected{agency="%s"} ' % agency.id
    for _ in range(5):
        h = agency.healthz()
        check(h and h.get("coordinator") != "connected", "%s is connected: %r" % (agency.id, h))
        text = cluster.coord_get("/metrics").text
        check(line + "1" not in text, "the coordinator holds a session of %s" % agency.id)
        harness.time.sleep(0.2)


def refused(cluster, *argv, says):
    """Runs tsunaguctl argv, which must fail saying `says`; returns its stderr."""
    r = cluster.ctl(*argv, check_rc=False)
    check(r.returncode != 0, "tsunaguctl %s succeeded: %s" % (" ".join(argv), r.stdout))
    check(says in r.stderr, "tsunaguctl %s: %r does not say %r" % (" ".join(argv), r.stderr,
                                                                   says))
    return r.stderr


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-minami", "poverty",
                             extra=("--pending", "--reason", "新規委託: 書類審査中"))
    cluster.start_all()
    alive = cluster.alive

    def pending_admits_nothing():
        e = entry(cluster, pov.id)
        check(e["status"] == "pending", "the new agency is %r, not pending" % e["status"])
        check((e.get("status_changed") or {}).get("reason") == "新規委託: 書類審査中",
              "the reason of the add is not kept: %r" % e.get("status_changed"))
        wait_health(eld, "connected", alive)
        check(pov.id not in directory_ids(eld), "a pending agency is in the directory")
        # Its daemon runs but the coordinator admits nothing from its key.
        not_admitted(cluster, pov, alive)
        shown = cluster.ctl("agency", "show", pov.id).stdout
        check("pending" in shown and "新規委託" in shown, "agency show: %s" % shown)

    results.check("agency add --pending: the bundle is written, the daemon is admitted nowhere, "
                  "no directory lists it, the reason is kept", pending_admits_nothing)

    def illegal_from_pending():
        before = len(registry_records(cluster, pov.id))
        refused(cluster, "agency", "suspend", pov.id, "--reason", "x", says="pending")
        refused(cluster, "agency", "resume", pov.id, says="pending")
        out = cluster.ctl("agency", "approve", eld.id).stdout
        check("already active; nothing changed" in out, "approving an active agency: %r" % out)
        check(entry(cluster, pov.id)["status"] == "pending", "a refused change changed it")
        check(len(registry_records(cluster, pov.id)) == before, "a refused change was audited")

    results.check("from pending only approve and revoke: suspend and resume are refused and "
                  "change nothing; approving an active agency changes nothing", illegal_from_pending)

    def approve():
        out = cluster.ctl("agency", "approve", pov.id, "--reason", "審査完了").stdout
        check("pending -> active" in out, "approve said %r" % out)
        wait_health(pov, "connected", alive)
        check(directory_ids(eld).get(pov.id) == "active" or pov.id in directory_ids(eld),
              "the approved agency is not in eldercare's directory")
        rec = registry_records(cluster, pov.id)[-1]
        d = rec["details"]
        check(d.get("verb") == "approve" and d.get("from") == "pending" and d.get("to") == "active"
              and d.get("reason") == "審査完了" and d.get("actor"), "the audit record: %r" % rec)
        ch = entry(cluster, pov.id)["status_changed"]
        check(ch.get("reason") == "審査完了" and ch.get("by") == d["actor"] and ch.get("at"),
              "the registry keeps who, when and why: %r" % ch)
        n = len(registry_records(cluster, pov.id))
        out = cluster.ctl("agency", "approve", pov.id).stdout
        check("nothing changed" in out and len(registry_records(cluster, pov.id)) == n,
              "approving again: %r" % out)

    results.check("agency approve: the daemon started while pending connects by itself and is "
                  "listed; who, when and why are in the registry and the audit log; approving "
                  "again changes nothing", approve)

    def suspended_mail_waits():
        h = hh["H001"]
        pov.daemon.stop()
        req = harness.referral_request(h, to_agency=pov.id, sheet=harness.notice_sheet(h, "eldercare"),
                                       legal_basis="none", urgency="normal")
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "referral to the stopped agency: %r" % r)
        rid = r.json["referral_id"]
        harness.wait_delivery(eld, rid, ("stored",), WAIT, alive=alive)
        cluster.ctl("agency", "suspend", pov.id, "--reason", "監査のため一時停止")
        before = tries(pov)
        pov.daemon.start()
        # Suspended: not admitted, so the stored referral waits in its mailbox.
        not_admitted(cluster, pov, alive, before)
        check(not any(i.get("referral_id") == rid for i in pov.inbox()),
              "the referral reached the suspended agency")
        refused(cluster, "agency", "approve", pov.id, says="suspended")
        cluster.ctl("agency", "resume", pov.id)
        wait_health(pov, "connected", alive)
        harness.wait_delivered(eld, rid, WAIT, alive=alive)
        got = [i for i in pov.inbox() if i.get("referral_id") == rid]
        check(len(got) == 1, "after the resume the referral arrived %d times" % len(got))

    results.check("a suspended agency is not admitted and its mail waits; after resume it "
                  "arrives once", suspended_mail_waits)

    def revoked_is_dropped_and_final():
        wait_health(pov, "connected", alive)
        cluster.ctl("agency", "revoke", pov.id, "--reason", "委託契約終了")
        wait_health(pov, "not connected", alive)
        check(directory_ids(eld).get(pov.id) == "revoked" or pov.id not in directory_ids(eld),
              "the directory still shows the revoked agency active")
        refused(cluster, "agency", "resume", pov.id, says="final")
        refused(cluster, "agency", "approve", pov.id, says="final")
        pov.daemon.stop()
        before = tries(pov)
        pov.daemon.start()
        not_admitted(cluster, pov, alive, before)
        rec = registry_records(cluster, pov.id)[-1]
        check(rec["details"].get("to") == "revoked"
              and rec["details"].get("reason") == "委託契約終了", "the audit record: %r" % rec)

    results.check("revoke: the live session is dropped, a restart does not reconnect, resume and "
                  "approve are refused as final", revoked_is_dropped_and_final)

    def pending_may_be_revoked():
        chi = cluster.add_agency("child-kita", "child", extra=("--pending",))
        out = cluster.ctl("agency", "revoke", chi.id, "--reason", "申請取下げ").stdout
        check("pending -> revoked" in out, "revoke of a pending agency said %r" % out)
        check(entry(cluster, chi.id)["status"] == "revoked", "not revoked")
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s" % (r.stdout + r.stderr))

    results.check("a pending agency may be revoked (turned down); the audit chain verifies",
                  pending_may_be_revoked)


if __name__ == "__main__":
    harness.main("lifecycle", __doc__, body)
