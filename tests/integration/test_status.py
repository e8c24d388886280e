#!/usr/bin/env python3
"""`tsunaguctl status`, end to end: a real coordinator and four agencies.  Without a running
coordinator status says so, lists the agencies from the store and exits 1.  With the
coordinator and two agencies up, a referral to an agency that is down waits in its mailbox:
status names the agencies not connected and (with --mail-hours 0) the letter waiting, shows
the mailbox's depth and its oldest letter, the directory's serial and until when the copies the
agencies hold are valid (--directory-days 8 names them all: they are valid 7 days), the
store's use and schema and the audit head, one reason a line, exit 1.  With every agency up
and the mail delivered, "Nothing needs attention" and exit 0.  An emergency referral leaves an
alert to acknowledge: exit 1 again, naming it.  --json carries the same, and bad options are
refused (exit 2)."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 30


def status(cluster, *argv):
    r = cluster.ctl("status", "--json", *argv, check_rc=False)
    check(r.returncode in (0, 1), "status --json exited %d: %s" % (r.returncode, r.stderr))
    j = json.loads(r.stdout)
    check(j["ok"] == (r.returncode == 0), "ok %r but exit %d" % (j["ok"], r.returncode))
    return j


def codes(j, agency=None):
    return sorted(a["code"] for a in j["attention"] if agency is None or a.get("agency") == agency)


def body(cluster, results, args):
    hh = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    elder, pov, child = agencies["eldercare"], agencies["poverty"], agencies["child"]

    def not_running():
        r = cluster.ctl("status", check_rc=False)
        check(r.returncode == 1, "status without a coordinator exited %d" % r.returncode)
        check("NOT RUNNING" in r.stdout and "the coordinator is not running" in r.stdout,
              "status without a coordinator: %s" % r.stdout)
        for a in agencies.values():
            check(a.id in r.stdout, "%s not listed:\n%s" % (a.id, r.stdout))
        j = status(cluster)
        check(j["running"] is False and codes(j) == ["not_running"], "json: %r" % j)
        check(all(a["online"] is False for a in j["agencies"]), "agencies: %r" % j["agencies"])

    results.check("without a running coordinator, status says so, still reads the store, exit 1",
                  not_running)

    cluster.start_all([elder.id, pov.id])
    cluster.wait_ready([elder.id, pov.id])
    case_id = harness.open_case(elder, pov, hh[0])
    req = harness.referral_request(hh[0], to_agency=child.id,
                                   sheet=harness.notice_sheet(hh[0], "eldercare"),
                                   legal_basis="none", case_id=case_id, urgency="normal")
    r = elder.post("/v1/referrals", req)
    check(r.status == 202, "a referral to the child agency (down): %r" % r)

    def waiting():
        j = harness.wait_json(lambda: status(cluster, "--mail-hours", "0"),
                              lambda j: "mail_waiting" in codes(j, child.id), WAIT,
                              "status names the letter waiting for %s" % child.id,
                              alive=cluster.alive)
        check(j["running"] is True, "running: %r" % j["running"])
        by_id = {a["id"]: a for a in j["agencies"]}
        check(by_id[elder.id]["online"] and by_id[pov.id]["online"], "online: %r" % by_id)
        check(not by_id[child.id]["online"], "child online: %r" % by_id[child.id])
        check(by_id[child.id]["mailbox_depth"] >= 1
              and by_id[child.id]["mailbox_oldest_at"] is not None
              and by_id[child.id]["mailbox_oldest_age_s"] >= 0, "child: %r" % by_id[child.id])
        check(by_id[elder.id]["last_seen"] is not None, "elder last seen: %r" % by_id[elder.id])
        for a in (child.id, agencies["disability"].id):
            check("agency_offline" in codes(j, a), "%s offline not named: %r" % (a, j["attention"]))
        for a in (elder.id, pov.id):  # their receipts may be in flight: mail, not offline
            check("agency_offline" not in codes(j, a), "attention: %r" % j["attention"])
        check(j["directory"]["serial"] >= 4 and j["directory"]["earliest_valid_until"],
              "directory: %r" % j["directory"])
        check(by_id[elder.id]["directory_valid_until"] is not None
              and by_id[child.id]["directory_valid_until"] is None, "directory validity: %r" % (
                  j["agencies"],))
        # Directories are valid 7 days: asking for 8 days' margin names every connected one.
        j8 = status(cluster, "--directory-days", "8")
        check(sorted(a["agency"] for a in j8["attention"] if a["code"] == "directory_expiring")
              == sorted([elder.id, pov.id]), "--directory-days 8: %r" % j8["attention"])
        st = j["store"]
        check(st["used_bytes"] > 0 and st["map_bytes"] >= st["used_bytes"]
              and st["schema"] == st["schema_current"] >= 1, "store: %r" % st)
        check(j["audit"]["seq"] >= 1 and j["audit"]["offset"] > 0, "audit: %r" % j["audit"])
        # The default threshold: a letter of seconds is not yet a problem.
        check("mail_waiting" not in codes(status(cluster)), "mail flagged at 24 h")
        r = cluster.ctl("status", "--mail-hours", "0", check_rc=False)
        check(r.returncode == 1, "exit %d" % r.returncode)
        for word in ("Coordinator", "Directory", "Store", "Audit head", "Needs attention",
                     "is not connected", "has waited"):
            check(word in r.stdout, "%r not in:\n%s" % (word, r.stdout))
        print(r.stdout)

    results.check("an agency down: its mailbox (depth, oldest letter) and the offline agencies "
                  "named one a line, with the directory's serial and validity, store and audit "
                  "head; exit 1", waiting)

    for a in agencies.values():
        if not a.daemon.running():
            cluster.start_agency(a.id)
    cluster.wait_ready()

    def all_well():
        j = harness.wait_json(lambda: status(cluster, "--mail-hours", "0"), lambda j: j["ok"],
                              WAIT, "status with everything up and delivered",
                              alive=cluster.alive)
        check(all(a["online"] for a in j["agencies"]), "agencies: %r" % j["agencies"])
        r = cluster.ctl("status")
        check("Nothing needs attention." in r.stdout, r.stdout)
        print(r.stdout)

    results.check("every agency up and the mail delivered: nothing needs attention, exit 0",
                  all_well)

    def alert():
        req = harness.referral_request(hh[1], to_agency=pov.id, legal_basis="emergency",
                                       sheet=harness.sheet_for_sender(hh[1], "eldercare"),
                                       urgency="emergency")
        r = elder.post("/v1/referrals", req)
        check(r.status == 202, "emergency referral: %r" % r)
        j = harness.wait_json(lambda: status(cluster), lambda j: "alerts_open" in codes(j), WAIT,
                              "status names the emergency alert", alive=cluster.alive)
        check(j["alerts_open_count"] >= 1, "alerts: %r" % j["alerts_open_count"])

    results.check("an emergency alert not yet acknowledged needs a person: exit 1", alert)

    def bad_options():
        for argv in (("--mail-hours", "x"), ("--store-percent", "0"), ("--store-percent", "100"),
                     ("--offline-hours",), ("--directory-days", "0"), ("--what",)):
            r = cluster.ctl("status", *argv, check_rc=False)
            check(r.returncode == 2, "status %s exited %d" % (" ".join(argv), r.returncode))
        check("usage" in cluster.ctl("status", "--help").stdout, "--help")

    results.check("bad options are refused with exit 2", bad_options)


if __name__ == "__main__":
    harness.main("status", __doc__, body)
