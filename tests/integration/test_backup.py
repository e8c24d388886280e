#!/usr/bin/env python3
"""Backup and restore: `tsunaguctl backup DIR` taken while referrals flow, restored into a new
data directory (holding only the original's keys and configuration): every referral the
coordinator had stored before the backup began is in the restored coordinator, `audit verify`
passes there and it serves the agencies (a new referral is delivered); `backup verify` names a
flipped byte's file; restore refuses while a coordinator runs; the backup is owner-only (0700,
0600); `-n` of the coordinator and of tsunaguctl refuses a data directory whose audit.log is
missing or older than the store's head, and passes a good one; an agency's store goes through
`--backup` / `--restore` and comes back with its inbox.

What a restore cannot bring back: letters the coordinator stored after the backup.  Their
senders hold no copy to resend (the stored receipt let them go).  The agency that sent them goes
on: its first letter past the gap is taken as its new base, once, and the lost numbers are
audited (docs/operations.md)."""

import json
import os
import shutil
import stat
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 60
LOAD_MAX = 400        # referrals the loader posts at most
STORED_FIRST = 25     # stored at the coordinator before the backup starts
BACKUP_RUNS = 3       # backups taken while the load runs (the last one is restored)


def referral(sender, to, n, tag):
    sheet = {"n": n, "from": sender.id, sender.type: dict(harness.INTAKE_SAMPLE[sender.type])}
    return {"to": to.id, "urgency": "normal", "tags": ["生活困窮"], "legal_basis": "none",
            "client_ref": "%s-%s-%d" % (tag, sender.id, n), "sheet": sheet}


class Loader(threading.Thread):
    """Posts referrals from sender to recipient until stopped or LOAD_MAX; keeps each answer."""

    def __init__(self, sender, recipient):
        super().__init__(daemon=True)
        self.sender, self.recipient = sender, recipient
        self.posted = []  # (referral id, case id)
        self.error = None
        self.stop = threading.Event()

    def run(self):
        try:
            for n in range(LOAD_MAX):
                if self.stop.is_set():
                    break
                r = self.sender.post("/v1/referrals", referral(self.sender, self.recipient, n,
                                                               "load"), timeout=15)
                if r.status != 202:
                    raise harness.TestFailure("POST %d: %r" % (n, r))
                self.posted.append((r.json["referral_id"], r.json["case_id"]))
        except Exception as e:  # reported by the main thread
            self.error = e


def modes_owner_only(root):
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        if stat.S_IMODE(os.stat(dirpath).st_mode) != 0o700:
            bad.append("%s %o" % (dirpath, stat.S_IMODE(os.stat(dirpath).st_mode)))
        for f in filenames:
            p = os.path.join(dirpath, f)
            if stat.S_IMODE(os.stat(p).st_mode) != 0o600:
                bad.append("%s %o" % (p, stat.S_IMODE(os.stat(p).st_mode)))
    return bad


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def case_referral_ids(case):
    return {r.get("referral_id") or r.get("id") for r in (case or {}).get("referrals", [])}


def body(cluster, results, args):
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-chuo", "poverty")
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    ctl = cluster.exe("tsunaguctl")
    coord = cluster.exe("tsunagu-coordinator")
    orig = cluster.data_dir
    state = {}

    # --- a backup under load ------------------------------------------------------------------
    def backup_under_load():
        loader = Loader(eld, pov)
        loader.start()
        harness.wait_for(lambda: len(loader.posted) >= STORED_FIRST or loader.error, WAIT,
                         "%d referrals posted" % STORED_FIRST, alive=alive)
        check(loader.error is None, "the loader failed: %s" % loader.error)
        first = list(loader.posted[:STORED_FIRST])
        for rid, _ in first:
            harness.wait_delivery(eld, rid, ("stored", "delivered"), WAIT, alive=alive)
        # Everything the coordinator acknowledged before the backup starts must be in it.
        stored = []
        for rid, case_id in list(loader.posted):
            r = eld.get("/v1/referrals/" + rid)
            if r.status == 200 and r.json.get("delivery") in ("stored", "delivered"):
                stored.append((rid, case_id))
        posted_before = len(loader.posted)
        for i in range(BACKUP_RUNS):
            target = os.path.join(cluster.root, "backups", "b%d" % i)
            r = harness.run([ctl, "-d", orig, "backup", target], timeout=120, env=cluster.env)
            check(r.returncode == 0, "backup %d exit %d:\n%s%s" % (i, r.returncode, r.stdout,
                                                                   r.stderr))
            print("     " + r.stdout.strip())
        posted_after = len(loader.posted)
        loader.stop.set()
        loader.join(60)
        check(not loader.is_alive(), "the loader did not stop")
        check(loader.error is None, "the loader failed: %s" % loader.error)
        check(posted_after > posted_before, "no referral was posted while the backups ran "
              "(%d before, %d after): not a backup under load" % (posted_before, posted_after))
        state.update(stored=stored, backup=target, loader=loader)
        results.ok("%d backups taken while %d referrals were posted (of the %d answered 202 "
                   "before they began, %d stored at the coordinator)" % (
                       BACKUP_RUNS, posted_after - posted_before, posted_before, len(stored)))

    results.check("backups under load", backup_under_load)
    if "backup" not in state:
        fail("no backup to go on with")
    backup = state["backup"]

    def owner_only():
        bad = modes_owner_only(os.path.join(cluster.root, "backups"))
        check(not bad, "not owner-only: %s" % bad)
        r = harness.run([ctl, "-d", orig, "backup", backup], env=cluster.env)
        check(r.returncode != 0 and "not empty" in r.stderr, "a backup into a folder that holds "
              "one: exit %d, %r" % (r.returncode, r.stderr))

    results.check("the backup is 0700/0600 and a second backup into it is refused", owner_only)

    def keys_only_when_asked():
        check(not os.path.exists(os.path.join(backup, "keys")), "the keys are in a default backup")
        with_keys = os.path.join(cluster.root, "backups", "with-keys")
        r = harness.run([ctl, "-d", orig, "backup", with_keys, "--with-keys"], env=cluster.env)
        check(r.returncode == 0, "backup --with-keys: %s%s" % (r.stdout, r.stderr))
        for name in ("keys/coordinator.key", "keys/coordinator.pub", "coordinator.conf",
                     "http.token"):
            check(os.path.isfile(os.path.join(with_keys, name)), "%s not in the backup" % name)
        bad = modes_owner_only(with_keys)
        check(not bad, "not owner-only: %s" % bad)
        r = harness.run([ctl, "backup", "verify", "--json", with_keys], env=cluster.env)
        check(r.returncode == 0 and '"ok": true' in r.stdout, "verify --json: %s" % r.stdout)

    results.check("the keys and configuration only with --with-keys", keys_only_when_asked)

    def verify_good_and_flipped():
        r = harness.run([ctl, "backup", "verify", backup], env=cluster.env)
        check(r.returncode == 0 and "OK" in r.stdout, "verify exit %d: %s%s" % (
            r.returncode, r.stdout, r.stderr))
        for name, offset in (("audit.log", 10), (os.path.join("store", "data.mdb"), 5000)):
            copy = os.path.join(cluster.root, "flipped-" + os.path.basename(name))
            shutil.copytree(backup, copy)
            flip_byte(os.path.join(copy, name), offset)
            r = harness.run([ctl, "backup", "verify", copy], env=cluster.env)
            out = r.stdout + r.stderr
            check(r.returncode != 0, "verify passed a flipped byte in %s:\n%s" % (name, out))
            check(os.path.join(copy, name) in out, "verify does not name %s:\n%s" % (name, out))

    results.check("backup verify passes the copy and names a flipped byte's file (audit.log, "
                  "store/data.mdb)", verify_good_and_flipped)

    def restore_refused_while_running():
        before = os.stat(os.path.join(orig, "store", "data.mdb")).st_ino
        r = harness.run([ctl, "-d", orig, "restore", backup], env=cluster.env)
        check(r.returncode != 0 and "runs" in r.stderr, "restore while the coordinator runs: "
              "exit %d, %r" % (r.returncode, r.stderr))
        check(os.stat(os.path.join(orig, "store", "data.mdb")).st_ino == before,
              "the refused restore replaced the store")

    results.check("restore refuses while the coordinator runs", restore_refused_while_running)

    # --- restored into a new data directory ---------------------------------------------------
    new = os.path.join(cluster.root, "restored")

    def restore_new():
        os.makedirs(new, mode=0o700)
        shutil.copy2(os.path.join(orig, "coordinator.conf"), new)
        shutil.copy2(os.path.join(orig, "http.token"), new)
        shutil.copytree(os.path.join(orig, "keys"), os.path.join(new, "keys"))
        r = harness.run([ctl, "-d", new, "restore", backup], env=cluster.env)
        check(r.returncode == 0, "restore exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
        check(not os.path.exists(os.path.join(new, "restore.journal")), "journal left behind")
        r = cluster.audit_verify(new)
        check(r.returncode == 0 and "OK" in r.stdout, "audit verify on the restored dir: %s%s"
              % (r.stdout, r.stderr))
        r = harness.run([ctl, "-d", new, "-n"], env=cluster.env)
        check(r.returncode == 0, "tsunaguctl -n on the restored dir: %s" % r.stderr)

    results.check("restored into a new data dir: audit verify and -n pass", restore_new)

    def restored_serves():
        rc = cluster.coordinator.stop()
        check(rc == 0, "the original coordinator did not stop cleanly: %r" % rc)
        cluster.data_dir = new
        cluster.coordinator = harness.Daemon(
            "coordinator-restored",
            cluster.daemon_argv("tsunagu-coordinator", os.path.join(new, "coordinator.conf")),
            os.path.join(cluster.logs, "coordinator-restored.log"), env=cluster.env)
        cluster.start_coordinator()
        cluster.wait_coordinator_http()
        missing = []
        for rid, case_id in state["stored"]:
            if rid not in case_referral_ids(cluster.coordinator_case(case_id)):
                missing.append(rid)
        check(not missing, "%d of the %d referrals stored before the backup are not in the "
              "restored coordinator: %s" % (len(missing), len(state["stored"]), missing[:5]))
        # A new referral through the restored coordinator, from the agency that sent nothing
        # while the backups ran.
        r = pov.post("/v1/referrals", referral(pov, eld, 0, "after-restore"))
        check(r.status == 202, "POST after the restore: %r" % r)
        harness.wait_delivered(pov, r.json["referral_id"], WAIT, alive=alive)
        case = harness.wait_json(lambda: cluster.coordinator_case(r.json["case_id"]),
                                 lambda c: r.json["referral_id"] in case_referral_ids(c), WAIT,
                                 "the new referral at the restored coordinator", alive=alive)
        check(case, "no case")

    results.check("the restored coordinator holds every referral stored before the backup and "
                  "delivers a new one", restored_serves)

    def sender_after_backup_goes_on():
        # eldercare sent letters after the backup: the restored store does not hold them, so
        # its sequence runs ahead.  Its first letter past the gap is the new base, once, and
        # the lost numbers are audited.
        r = eld.post("/v1/referrals", referral(eld, pov, 0, "after-restore-eld"))
        check(r.status == 202, "POST from eldercare after the restore: %r" % r)
        harness.wait_delivered(eld, r.json["referral_id"], WAIT, alive=alive)
        gaps = []
        with open(os.path.join(new, "audit.log"), "rb") as f:
            for line in f.read().split(b"\n"):
                if line:
                    rec = json.loads(line.split(b" ", 4)[4])
                    if rec.get("event") == "sequence-gap-after-restore":
                        gaps.append(rec.get("details") or {})
        check(len(gaps) == 1 and gaps[0].get("agency") == eld.id
              and gaps[0]["lost_to"] >= gaps[0]["lost_from"],
              "the audit log does not name eldercare's lost numbers once: %r" % gaps)
        r = harness.run([ctl, "-d", new, "audit", "verify"], env=cluster.env)
        check(r.returncode == 0, "audit verify after the gap: %s%s" % (r.stdout, r.stderr))

    results.check("an agency that sent after the backup goes on through the restored "
                  "coordinator: its sequence gap is taken once as its new base and audited",
                  sender_after_backup_goes_on)

    # --- -n agrees with start-up --------------------------------------------------------------
    def check_n():
        # A copy of the restored (and running) coordinator's data dir, made the supported way.
        again = os.path.join(cluster.root, "backups", "of-restored")
        r = harness.run([ctl, "-d", new, "backup", again], env=cluster.env)
        check(r.returncode == 0, "backup of the restored coordinator: %s" % r.stderr)
        bad = os.path.join(cluster.root, "check-n")
        os.makedirs(bad, mode=0o700)
        for name in ("coordinator.conf", "http.token"):
            shutil.copy2(os.path.join(orig, name), bad)
        shutil.copytree(os.path.join(orig, "keys"), os.path.join(bad, "keys"))
        r = harness.run([ctl, "-d", bad, "restore", again], env=cluster.env)
        check(r.returncode == 0, "restore: %s" % r.stderr)
        conf = os.path.join(bad, "coordinator.conf")
        r = harness.run([coord, "-c", conf, "-n"], env=cluster.env)
        check(r.returncode == 0 and "configuration OK" in r.stdout, "-n on a good dir: %s%s" % (
            r.stdout, r.stderr))
        log = os.path.join(bad, "audit.log")
        size = os.path.getsize(log)
        check(size > 0, "the restored audit.log is empty")
        os.rename(log, log + ".away")
        for argv in ([coord, "-c", conf, "-n"], [ctl, "-d", bad, "-n"]):
            r = harness.run(argv, env=cluster.env)
            check(r.returncode != 0 and "audit.log" in r.stderr and "OK" not in r.stdout,
                  "%s -n with audit.log missing: exit %d %r" % (
                      os.path.basename(argv[0]), r.returncode, r.stderr))
        shutil.copy2(log + ".away", log)
        with open(log, "r+b") as f:
            f.truncate(size // 2)
        for argv in ([coord, "-c", conf, "-n"], [ctl, "-d", bad, "-n"]):
            r = harness.run(argv, env=cluster.env)
            check(r.returncode != 0 and "older than the store" in r.stderr,
                  "%s -n with an older audit.log: exit %d %r" % (
                      os.path.basename(argv[0]), r.returncode, r.stderr))
        print("     " + r.stderr.strip().splitlines()[0])
        # A restore that stopped half way leaves its journal: -n and start-up refuse until the
        # same restore is run again.
        os.remove(log)
        shutil.copy2(log + ".away", log)
        with open(os.path.join(bad, "restore.journal"), "w") as f:
            f.write("{}")
        for argv in ([coord, "-c", conf, "-n"], [ctl, "-d", bad, "-n"], [coord, "-c", conf]):
            r = harness.run(argv, timeout=20, env=cluster.env)
            check(r.returncode != 0 and "restore was interrupted" in r.stderr,
                  "%s with a restore journal: exit %d %r" % (" ".join(argv[-2:]), r.returncode,
                                                            r.stderr))
        r = harness.run([ctl, "-d", bad, "restore", backup], env=cluster.env)
        check(r.returncode == 0, "the restore run again: %s" % r.stderr)
        r = harness.run([ctl, "-d", bad, "-n"], env=cluster.env)
        check(r.returncode == 0, "-n after the restore run again: %s" % r.stderr)

    results.check("-n of the coordinator and of tsunaguctl refuse a missing or older audit.log "
                  "and an interrupted restore, and pass a good data dir", check_n)

    # --- an agency's store --------------------------------------------------------------------
    def agency_round_trip():
        exe = cluster.exe("tsunagu-poverty")
        before = {it.get("referral_id") for it in pov.inbox()}
        check(before, "poverty's inbox is empty")
        target = os.path.join(cluster.root, "backups", "poverty")
        r = harness.run([exe, "-c", pov.conf, "--backup", target], env=cluster.env)
        check(r.returncode == 0, "poverty --backup: %s%s" % (r.stdout, r.stderr))
        bad = modes_owner_only(target)
        check(not bad, "not owner-only: %s" % bad)
        # Letters sent after the copy: the coordinator stores them, the restored store will not
        # know their sequence numbers.
        sent_after = []
        for i in range(2):
            r = pov.post("/v1/referrals", referral(pov, eld, 0, "after-agency-backup-%d" % i))
            check(r.status == 202, "POST after poverty's backup: %r" % r)
            sent_after.append(r.json["referral_id"])
        for rid in sent_after:
            harness.wait_delivery(pov, rid, ("stored", "delivered"), 60, alive=cluster.alive)
        r = harness.run([exe, "-c", pov.conf, "--restore", target], env=cluster.env)
        check(r.returncode != 0 and "stop it first" in r.stderr,
              "--restore while poverty runs: exit %d %r" % (r.returncode, r.stderr))
        rc = pov.daemon.stop()
        check(rc == 0, "poverty did not stop cleanly: %r" % rc)
        data_dir = harness.read_ini(pov.conf)["agency"]["data_dir"]
        if not os.path.isabs(data_dir):
            data_dir = os.path.join(os.path.dirname(pov.conf), data_dir)
        lost = os.path.join(cluster.root, "poverty-lost")
        shutil.move(data_dir, lost)  # the disk died
        r = harness.run([exe, "-c", pov.conf, "--restore", target], env=cluster.env)
        check(r.returncode == 0, "poverty --restore: %s%s" % (r.stdout, r.stderr))
        r = harness.run([exe, "-c", pov.conf, "-n"], env=cluster.env)
        check(r.returncode == 0, "poverty -n after the restore: %s%s" % (r.stdout, r.stderr))
        cluster.start_agency(pov.id)
        cluster.wait_ready([pov.id])
        after = {it.get("referral_id") for it in pov.inbox()}
        check(before <= after, "%d inbox letters missing after the restore" % len(before - after))
        check(not os.path.exists(os.path.join(data_dir, "sequence.unknown")),
              "the restored agency still waits for the coordinator's next sequence")
        # Its counter follows the coordinator's: a new letter is taken and delivered, not
        # refused as a reused number.
        r = pov.post("/v1/referrals", referral(pov, eld, 0, "after-agency-restore"))
        check(r.status == 202, "POST after poverty's restore: %r" % r)
        harness.wait_delivered(pov, r.json["referral_id"], 60, alive=cluster.alive)
        results.ok("poverty's store backed up hot, restore refused while it ran, restored: "
                   "%d inbox letters back" % len(before))

    results.check("an agency store round trip", agency_round_trip)


if __name__ == "__main__":
    harness.main("backup", __doc__, body)
