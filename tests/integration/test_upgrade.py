#!/usr/bin/env python3
"""Upgrades, end to end: a store written in the previous release's format is migrated by the
new binaries, and a store of a future schema is refused.

The old store is made by hand rather than by an old build: the coordinator and two agencies
open a case with a referral; then, with everything stopped, tsunagu-store-tool (a tiny LMDB
editor, tests/integration/store_tool.c) takes out what the previous formats lacked — the
META schema.version key of both kinds of store, the coordinator's case indexes (CASE_ORDER,
CASE_DUE and their META mark) and the recipient of each DUE value with its mark — so the
store is as a release before the case indexes wrote it (schema 1).  `tsunagu-coordinator -n`
says what start-up will do and changes nothing; start-up copies the store to
backup-before-schema-2/ (0700, its data.mdb 0600, still schema 1) and migrates it: schema 3,
the indexes rebuilt, `case list` and `case show` (the referrals) the same as before, the
agencies serving as before (their stores stamped schema 1).  Then each store is marked with a
schema newer than the binaries know: `-n` and start-up both refuse it with the sentence
"this store was written by a newer tsunagu (schema N); this binary knows schema M: install
the newer version or restore a backup", and leave it as it was.  Last, a coordinator killed
with SIGKILL while it migrates a store of 20000 cases ends, once restarted, exactly where a
clean migration would."""

import json
import os
import shutil
import stat
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

CURRENT = 3        # services/coordinator/model/schema.h: TSG_HUB_SCHEMA
AGENCY_CURRENT = 1  # services/agency/records/schema.h: AGENCY_SCHEMA
NEWER = "this store was written by a newer tsunagu (schema %d); this binary knows schema %d: " \
        "install the newer version or restore a backup"


def body(cluster, results, args):
    hh = harness.load_households(args.data)
    tool = cluster.exe("tsunagu-store-tool")
    store = os.path.join(cluster.data_dir, "store")

    def edit(directory, *argv):
        r = harness.run([tool, directory] + list(argv), timeout=30)
        check(r.returncode == 0, "store_tool %s: %s" % (" ".join(argv), r.stderr))
        return r.stdout.strip()

    cluster.init()
    agencies = cluster.add_standard_agencies(("eldercare", "poverty"))
    elder, pov = agencies["eldercare"], agencies["poverty"]
    cluster.start_all()
    cluster.wait_ready()
    case_id = harness.open_case(elder, pov, hh[0])
    before_list = json.loads(cluster.ctl("case", "list", "--json").stdout)
    before_show = json.loads(cluster.ctl("case", "show", case_id, "--json").stdout)
    referrals = before_show.get("referrals") or []
    check(len(referrals) == 1, "case show: one referral: %r" % before_show)
    results.ok("a case with a referral, stored by the current binaries (schema %d)" % CURRENT)
    check(not cluster.stop_all(), "the daemons stop cleanly")
    written = {db: edit(store, "count", db) for db in ("case_order", "case_due", "due")}

    def make_old():
        check(edit(store, "get", "meta", "schema.version") == str(CURRENT), "stamped at start")
        for key in ("schema.version", "case_order.version", "due.recipients"):
            edit(store, "del", "meta", key)
        for db in ("case_order", "case_due"):
            edit(store, "clear", db)
        edit(store, "cut", "due", "36")
        for a in agencies.values():
            data = os.path.join(a.bundle, "data")
            check(edit(data, "get", "meta", "schema.version") == str(AGENCY_CURRENT),
                  "%s's store stamped" % a.id)
            edit(data, "del", "meta", "schema.version")
        check(edit(store, "count", "case_order") == "0", "indexes removed")

    results.check("the stores turned back into the previous format (no schema key, no case "
                  "indexes, DUE values of the case id alone)", make_old)

    def check_only():
        r = harness.run([cluster.exe("tsunagu-coordinator"), "-n", "-c", cluster.coordinator_conf],
                        timeout=30)
        check(r.returncode == 0, "-n on the old store exited %d: %s" % (r.returncode, r.stderr))
        check("schema 1" in r.stdout and "backup-before-schema-2" in r.stdout
              and "migrates it to schema %d" % CURRENT in r.stdout, "-n said: %r" % r.stdout)
        check(edit(store, "get", "meta", "schema.version") == "absent", "-n changed the store")

    results.check("tsunagu-coordinator -n says the store will be copied and migrated, and "
                  "changes nothing", check_only)

    cluster.start_all()
    cluster.wait_ready()

    def migrated():
        backup = os.path.join(cluster.data_dir, "backup-before-schema-2")
        copy = os.path.join(backup, "data.mdb")
        check(os.path.isfile(copy), "no copy at %s" % copy)
        check(stat.S_IMODE(os.stat(backup).st_mode) == 0o700, "backup dir mode %o" % (
            stat.S_IMODE(os.stat(backup).st_mode)))
        check(stat.S_IMODE(os.stat(copy).st_mode) == 0o600, "copy mode %o" % (
            stat.S_IMODE(os.stat(copy).st_mode)))
        check(edit(store, "get", "meta", "schema.version") == str(CURRENT), "version not current")
        rebuilt = {db: edit(store, "count", db) for db in written}
        check(rebuilt == written and int(rebuilt["case_order"]) > 0
              and int(rebuilt["case_due"]) > 0, "indexes rebuilt %r, written %r" % (
                  rebuilt, written))
        log = open(cluster.coordinator.log_path, encoding="utf-8").read()
        check("schema 2: cases indexed" in log and "schema 3: overdue-list" in log,
              "the migrations are not in the log")
        after_list = json.loads(cluster.ctl("case", "list", "--json").stdout)
        after_show = json.loads(cluster.ctl("case", "show", case_id, "--json").stdout)
        ids = lambda j: sorted(c["case_id"] if "case_id" in c else c["id"]  # noqa: E731
                               for c in j.get("cases", j.get("items", [])))
        check(ids(after_list) == ids(before_list) and case_id in ids(after_list),
              "case list before %r after %r" % (before_list, after_list))
        check(after_show.get("referrals") == before_show.get("referrals")
              and after_show.get("state") == before_show.get("state"),
              "case show before %r after %r" % (before_show, after_show))
        rid = referrals[0].get("referral_id") or referrals[0].get("id")
        check(elder.referral(rid) is not None, "eldercare no longer knows referral %s" % rid)
        for a in agencies.values():
            data = os.path.join(a.bundle, "data")
            check(edit(data, "get", "meta", "schema.version") == str(AGENCY_CURRENT),
                  "%s's store not stamped" % a.id)
        # The copy is the store as it was: the old version, without the rebuilt indexes.
        check(edit(backup, "get", "meta", "schema.version") == "absent", "the copy has a version")
        check(edit(backup, "count", "case_order") == "0", "the copy has the new indexes")
        cluster.ctl("agency", "list")

    results.check("start-up copies the old store to backup-before-schema-2 (0700/0600) and "
                  "migrates it: schema %d, indexes rebuilt as written, cases and referrals as "
                  "before" % CURRENT, migrated)
    check(not cluster.stop_all(), "the daemons stop cleanly")

    def refused(exe, conf, directory, newer, knows, stream):
        edit(directory, "set", "meta", "schema.version", str(newer))
        sentence = NEWER % (newer, knows)
        r = harness.run([exe, "-n", "-c", conf], timeout=30)
        check(r.returncode != 0 and sentence in r.stderr,
              "-n on a newer store: exit %d, stderr %r" % (r.returncode, r.stderr))
        r = harness.run([exe, "-c", conf], timeout=20)
        check(r.returncode != 0 and sentence in r.stderr + r.stdout,
              "start-up on a newer store: exit %d, output %r" % (r.returncode,
                                                                r.stderr + r.stdout))
        check(edit(directory, "get", "meta", "schema.version") == str(newer), "store changed")

    results.check("a coordinator store of schema %d is refused by -n and by start-up" % (
        CURRENT + 1), lambda: refused(cluster.exe("tsunagu-coordinator"), cluster.coordinator_conf,
                                      store, CURRENT + 1, CURRENT, "stderr"))

    def ctl_check():
        r = cluster.ctl("-n", check_rc=False)
        check(r.returncode == 1 and NEWER % (CURRENT + 1, CURRENT) in r.stderr,
              "tsunaguctl -n on a newer store: exit %d, %r" % (r.returncode, r.stderr))
        j = json.loads(cluster.ctl("status", "--json", check_rc=False).stdout)
        check("schema_newer" in [a["code"] for a in j["attention"]], "status: %r" % j["attention"])

    results.check("tsunaguctl -n refuses it too, and status names it", ctl_check)
    results.check("an agency store of schema %d is refused by -n and by start-up" % (
        AGENCY_CURRENT + 1), lambda: refused(cluster.exe("tsunagu-eldercare"), elder.conf,
                                             os.path.join(elder.bundle, "data"),
                                             AGENCY_CURRENT + 1, AGENCY_CURRENT, "stderr"))

    def apply_refused():
        r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf,
                         "--apply"], input='{"command": "overview"}', timeout=30)
        check(r.returncode != 0 and "written by a newer tsunagu" in r.stdout,
              "--apply on a newer store: exit %d, %r" % (r.returncode, r.stdout))

    results.check("--apply (how tsunaguctl changes a stopped coordinator's registry) refuses it "
                  "too", apply_refused)

    def killed_mid_migration():
        # A store of 20000 synthetic cases (tsunagu-bench --load-cases) in the old format, and a
        # coordinator killed with SIGKILL as soon as its copy is taken (while, or just after, it
        # migrates).  The reference is a clean migration of the same store (--apply migrates
        # and answers one request without serving), which must rebuild exactly the indexes the
        # current writers wrote.  Wherever the kill lands, the store is at
        # a version of the table, and once --apply has finished the job it holds what the
        # clean migration made (unless the kill came after the migration, when the running
        # hub may have changed things since: then only the version is compared).
        root = os.path.join(cluster.root, "killed")
        cluster.ctl("-d", root, "init", "--listen", "tcp://127.0.0.1:%d" % harness.free_port(),
                    "--http", "127.0.0.1:%d" % harness.free_port())
        r = harness.run([cluster.exe("tsunagu-bench"), "--load-cases", "20000", "--data", root],
                        timeout=120)
        check(r.returncode == 0, "tsunagu-bench --load-cases: %s" % r.stderr)
        hub = os.path.join(root, "store")
        dbs = ("case_order", "case_due", "due", "cases", "referrals")
        written = {db: edit(hub, "count", db) for db in dbs}  # by the current writers
        for key in ("schema.version", "case_order.version", "due.recipients"):
            edit(hub, "del", "meta", key)
        for db in ("case_order", "case_due"):
            edit(hub, "clear", db)
        edit(hub, "cut", "due", "36")
        conf = os.path.join(root, "coordinator.conf")
        apply = [cluster.exe("tsunagu-coordinator"), "-c", conf, "--apply"]
        # The reference: the same old store, migrated cleanly in a copy of the data directory.
        ref = os.path.join(cluster.root, "reference")
        shutil.copytree(root, ref)
        ref_conf = os.path.join(ref, "coordinator.conf")
        r = harness.run(apply[:2] + [ref_conf, "--apply"], input='{"command": "overview"}',
                        timeout=120)
        check(r.returncode == 0, "--apply on the reference: %s" % r.stderr)
        want = {db: edit(os.path.join(ref, "store"), "count", db) for db in dbs}
        check(want == written, "a clean migration builds %r, the writers wrote %r" % (
            want, written))
        log = os.path.join(cluster.logs, "killed.log")
        d = harness.Daemon("killed", [cluster.exe("tsunagu-coordinator"), "-c", conf], log,
                           env=cluster.env)
        d.start()
        harness.wait_for(lambda: "is copied to" in open(log, encoding="utf-8").read(), 60,
                         "the coordinator takes its copy")
        d.kill9()
        at = edit(hub, "get", "meta", "schema.version")
        check(at in ("absent", "2", str(CURRENT)), "after the kill: schema %s" % at)
        r = harness.run(apply, input='{"command": "overview"}', timeout=120)
        check(r.returncode == 0, "--apply after the kill: %s" % r.stderr)
        check(edit(hub, "get", "meta", "schema.version") == str(CURRENT), "not current")
        got = {db: edit(hub, "count", db) for db in dbs}
        if at != str(CURRENT):
            check(got == want, "killed at schema %s, then %r; a clean migration %r" % (
                at, got, want))
        first = os.path.join(root, "backup-before-schema-2")
        check(edit(first, "get", "meta", "schema.version") == "absent"
              and edit(first, "count", "case_order") == "0", "the first copy is not schema 1")
        print("killed at schema %s; after --apply %r (a clean migration: %r)" % (at, got, want))

    results.check("a coordinator killed (SIGKILL) during the migration of 20000 cases ends, "
                  "restarted, at schema %d with the indexes a clean migration builds, the first "
                  "copy at schema 1" % CURRENT, killed_mid_migration)


if __name__ == "__main__":
    harness.main("upgrade", __doc__, body)
