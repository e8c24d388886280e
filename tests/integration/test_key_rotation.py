#!/usr/bin/env python3
"""An agency's keys replaced without loss (tsunaguctl agency rotate-keys), on real daemons.
Mail is queued on both sides first: referrals to the agency wait in its mailbox at the
coordinator (sealed to its old key), and referrals it made wait in its own outbox (signed and
sealed with its old keys) while the coordinator is frozen.  Then the new bundle's key file is
installed and the daemon restarted: every letter arrives exactly once and opens, the registry
and every directory carry the new keys, new letters go both ways, and the old key is refused at
the handshake from then on.  A rotation of a revoked agency, or with another agency's keys, is
refused."""

import json
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 60
QUEUED = 3


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-chuo", "poverty")
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    old_key = pov.public_key_z85()
    old_key_file = os.path.join(cluster.root, "poverty-old.key")
    shutil.copy(pov.key_file, old_key_file)
    to_pov, from_pov = [], []

    def queue_both_sides():
        pov.daemon.stop()
        for i in range(QUEUED):
            to_pov.append(harness.notice_referral(eld, pov, hh["H001"], "to-pov-%d" % i))
        for rid in to_pov:
            harness.wait_delivery(eld, rid, ("stored",), WAIT, alive=alive)
        cluster.coordinator.freeze()
        try:
            pov.daemon.start()
            harness.wait_for(lambda: pov.healthz(), WAIT, "poverty-chuo's API", alive=alive)
            for i in range(QUEUED):
                from_pov.append(harness.notice_referral(pov, eld, hh["H010"], "from-pov-%d" % i))
            h = pov.healthz()
            check(h["outbox_pending"] >= QUEUED, "poverty's outbox holds %r" % h)
            pov.daemon.stop()
        finally:
            cluster.coordinator.thaw()

    results.check("mail queued on both sides: %d referrals to poverty-chuo in its mailbox, %d "
                  "from it in its outbox" % (QUEUED, QUEUED), queue_both_sides)

    new_dir = os.path.join(cluster.root, "poverty-new-bundle")

    serial_before = [0]

    def rotate():
        serial_before[0] = eld.get("/v1/directory").json.get("serial", 0)
        out = cluster.ctl("agency", "rotate-keys", pov.id, "--out", new_dir, "--reason",
                          "担当PCの入替え").stdout
        check("new keys" in out, "rotate-keys said %r" % out)
        new_file = os.path.join(new_dir, "keys", "agency.key")
        check(os.path.isfile(new_file) and os.stat(new_file).st_mode & 0o077 == 0,
              "the new key file is missing or readable by others")
        shown = json.loads(cluster.ctl("agency", "show", pov.id, "--json").stdout)
        check(shown["box_public"] == old_key, "the keys changed before the agency switched")
        r = cluster.ctl("agency", "rotate-keys", pov.id, "--out",
                        os.path.join(cluster.root, "again"), "--deadline-days", "0",
                        check_rc=False)
        check(r.returncode != 0, "--deadline-days 0 was taken")
        # Install: the new key file over the agency's own, its data folder kept.
        shutil.copy(new_file, pov.key_file)
        os.chmod(pov.key_file, 0o600)
        pov.daemon.start()

    results.check("agency rotate-keys writes a new bundle (key 0600) and changes nothing yet; "
                  "the key file installed over the old one, the daemon restarted", rotate)

    def everything_arrives_once():
        got = harness.wait_arrived(pov, to_pov, alive)
        for rid, items in got.items():
            check(len(items) == 1, "referral %s arrived at poverty %d times" % (rid, len(items)))
            sheet = items[0].get("sheet") or {}
            check(str(sheet.get("marker", "")).startswith("to-pov-"),
                  "the letter sealed to the old key did not open: %r" % items[0])
        got = harness.wait_arrived(eld, from_pov, alive)
        for rid, items in got.items():
            check(len(items) == 1, "referral %s arrived at eldercare %d times" % (rid, len(items)))
            check(str((items[0].get("sheet") or {}).get("marker", "")).startswith("from-pov-"),
                  "a letter from the old outbox did not open: %r" % items[0])
        for rid in from_pov:
            harness.wait_delivered(pov, rid, WAIT, alive=alive)

    results.check("every queued letter arrives exactly once and opens: those sealed to the old "
                  "key, and those poverty signed and sealed before it switched",
                  everything_arrives_once)

    def switched_everywhere():
        new_key = pov.public_key_z85()
        check(new_key != old_key, "the installed key file still holds the old key")

        def registry_new():
            shown = json.loads(cluster.ctl("agency", "show", pov.id, "--json").stdout)
            return shown if shown["box_public"] == new_key else None
        harness.wait_for(registry_new, WAIT, "the registry with poverty's new key", alive=alive)

        def directory_new():  # the rotation and the switch each made a new directory
            serial = eld.get("/v1/directory").json.get("serial", 0)
            return serial if serial >= serial_before[0] + 2 else None
        harness.wait_for(directory_new, WAIT, "eldercare's directory after the switch",
                         alive=alive)
        rid = harness.notice_referral(eld, pov, hh["H004"], "after-switch")
        got = harness.wait_arrived(pov, [rid], alive)
        check((got[rid][0].get("sheet") or {}).get("marker") == "after-switch",
              "a letter sealed to the new key did not open")
        rid = harness.notice_referral(pov, eld, hh["H007"], "after-switch-back")
        harness.wait_arrived(eld, [rid], alive)
        records = [json.loads(line.split(b" ", 4)[4]) for line in
                   open(cluster.audit_path(), "rb").read().split(b"\n") if line]
        kinds = [r.get("kind") for r in records if r.get("event") == "registry"
                 and (r.get("details") or {}).get("agency") == pov.id]
        check("agency-rotate" in kinds and "agency-keys-switched" in kinds,
              "the audit log lacks the rotation: %r" % kinds)

    results.check("after the switch the registry holds the new key and eldercare has the new directory; "
                  "new letters go both ways; the rotation and the switch are audited",
                  switched_everywhere)

    def old_key_refused():
        argv = [cluster.exe("tsunagu-rogue-client"), "--endpoint", cluster.endpoint,
                "--server-key", cluster.coordinator_box_public(), "--keys", old_key_file,
                "--send", "--expect", "stored", "--sequence", "1000", "--to", eld.id,
                "--to-box-public", eld.public_key_z85(), "--claim-type", "poverty",
                "--legal-basis", "none", "--urgency", "normal", "--marker", "old-key",
                "--timeout", "10"]
        r = harness.run(argv, timeout=30, env=cluster.env)
        check("refused: authentication failed" in r.stdout,
              "the old key was not refused at the handshake: %s" % (r.stdout + r.stderr))

    results.check("the old key is refused at the handshake after the switch", old_key_refused)

    def refusals():
        r = cluster.ctl("agency", "rotate-keys", pov.id, "--out",
                        os.path.join(cluster.root, "nope"), check_rc=False)
        check(r.returncode == 0, "a second rotation is refused: %s" % r.stderr)
        cluster.ctl("agency", "revoke", eld.id, "--reason", "test")
        r = cluster.ctl("agency", "rotate-keys", eld.id, "--out",
                        os.path.join(cluster.root, "revoked"), check_rc=False)
        check(r.returncode != 0 and "revoked" in r.stderr, "a revoked agency rotated: %r" % (r,))
        check(not os.path.exists(os.path.join(cluster.root, "revoked", "keys")),
              "the refused rotation left a bundle behind")
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s" % (r.stdout + r.stderr))

    results.check("a rotation may replace one under way; a revoked agency's is refused and "
                  "leaves no bundle; the audit chain verifies", refusals)


if __name__ == "__main__":
    harness.main("key_rotation", __doc__, body)
