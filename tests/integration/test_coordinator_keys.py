#!/usr/bin/env python3
"""The coordinator's own keys replaced (tsunaguctl rotate-keys) while agencies work, on real
daemons.  The new keys are handed over in the directory, signed by the old key and endorsed by
the new one; the switch waits while an active agency is offline and comes once every active
agency holds them; the agencies keep working, restarted too, with the bundles they had; mail
waiting at the coordinator from before arrives exactly once; the old server key gets no answer
after the switch; the coordinator restarted on its new key file serves them.  A second rotation
switched by --finish while one agency that held the keys was offline (it finds the new server
key when it comes back) and one that never got them was too (it joins with the new keys put
into its agency.conf); everything audited.  Forged hand-overs: unit_test_agency_coordinator_pin."""

import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 60
PASSWORD = "kagi-no-koushin-2026"
QUEUED = 3


def event_types(agency):
    r = agency.get("/v1/events?after=0&limit=500")
    check(r.status == 200, "%s GET /v1/events: %r" % (agency.id, r))
    return [e.get("type") for e in r.json.get("events", [])]


def wait_event(agency, kind, count, alive):
    return harness.wait_for(lambda: event_types(agency).count(kind) >= count or None, WAIT,
                            "%d %s events at %s" % (count, kind, agency.id), interval=0.2,
                            alive=alive)


def coordinator_sign_public(cluster):
    return harness.read_key_field(os.path.join(cluster.data_dir, "keys", "coordinator.pub"),
                                  "sign-public")


def audit_kinds(cluster):
    records = [json.loads(line.split(b" ", 4)[4]) for line in
               open(cluster.audit_path(), "rb").read().split(b"\n") if line]
    return [r.get("kind") for r in records if r.get("event") == "registry"]


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-chuo", "poverty")
    chi = cluster.add_agency("child-chuo", "child")
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    old_box, old_sign = cluster.coordinator_box_public(), coordinator_sign_public(cluster)
    bundle_before = {a.id: harness.read_ini(a.conf)["coordinator"] for a in (eld, pov, chi)}
    queued = []

    def announce_while_one_is_offline():
        rid = harness.notice_referral(eld, pov, hh["H001"], "before")
        harness.wait_arrived(pov, [rid], alive)
        pov.daemon.stop()
        for i in range(QUEUED):
            queued.append(harness.notice_referral(eld, pov, hh["H001"], "queued-%d" % i))
        for rid in queued:
            harness.wait_delivery(eld, rid, ("stored",), WAIT, alive=alive)
        out = cluster.ctl("rotate-keys", "--reason", "鍵の定期更新").stdout
        check("handed over" in out, "rotate-keys said %r" % out)
        r = cluster.ctl("rotate-keys", check_rc=False)
        check(r.returncode != 0 and "under way" in r.stderr,
              "a second rotation while one is under way: %r" % (r,))
        wait_event(eld, "coordinator.keys_handed_over", 1, alive)
        # eldercare holds the new keys; poverty-chuo, active, has not been heard: no switch.
        check(coordinator_sign_public(cluster) == old_sign and
              cluster.coordinator_box_public() == old_box,
              "the coordinator switched while an active agency was offline")
        check("coordinator.keys_switched" not in event_types(eld),
              "eldercare switched while poverty-chuo was offline")
        status = json.loads(cluster.ctl("status", "--json", check_rc=False).stdout)
        keys = status.get("coordinator_keys") or {}
        check(keys.get("state") == "announced" and keys.get("switch_by"),
              "status shows no rotation under way: %r" % keys)
        flagged = [a.get("message", "") for a in status.get("attention", [])
                   if a.get("code") == "keys_rotation"]
        check(flagged and "not yet held by: poverty-chuo" in flagged[0]
              and "eldercare-chuo" not in flagged[0],
              "status does not say who lacks the new keys: %r" % status.get("attention"))
        holds = {a["id"]: a.get("holds_next_keys") for a in status.get("agencies", [])}
        check(holds.get("eldercare-chuo") is True and holds.get("poverty-chuo") is False,
              "status: who holds the next keys %r" % holds)
        # The dashboard's 機関 page says so too, by agency name.
        harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add", "--name",
                     "kanri", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n",
                    env=cluster.env)
        staff = harness.Staff(cluster.http_port)
        staff.login("kanri", PASSWORD)
        code, _, page = staff.request("GET", "/agencies")
        text = page.decode("utf-8")
        m = re.search(r'<section class="panel" id="key-rotation">(.*?)</section>', text, re.S)
        check(code == 200 and m, "/agencies shows no key rotation: %d" % code)
        check(pov.name in m.group(1) and eld.name not in m.group(1),
              "/agencies names who lacks the new keys wrongly: %r" % m.group(1))
        rid = harness.notice_referral(eld, pov, hh["H004"], "during")
        harness.wait_delivery(eld, rid, ("stored",), WAIT, alive=alive)
        queued.append(rid)

    results.check("rotate-keys hands the new keys over in the directory; a second rotation is "
                  "refused meanwhile; the switch waits while an active agency is offline, and "
                  "eldercare keeps sending", announce_while_one_is_offline)

    def switch_when_all_hold():
        pov.daemon.start()
        harness.wait_for(lambda: coordinator_sign_public(cluster) != old_sign or None, WAIT,
                         "the coordinator's new public key file", alive=alive)
        check(cluster.coordinator_box_public() != old_box, "the transport key did not change")
        for a in (eld, pov, chi):
            wait_event(a, "coordinator.keys_switched", 1, alive)
        cluster.wait_ready()
        got = harness.wait_arrived(pov, queued, alive)
        for rid, items in got.items():
            check(len(items) == 1, "referral %s arrived %d times" % (rid, len(items)))
        status = json.loads(cluster.ctl("status", "--json", check_rc=False).stdout)
        keys = status.get("coordinator_keys") or {}
        check(keys.get("state") == "switched"
              and keys.get("sign_public") == coordinator_sign_public(cluster),
              "status after the switch: %r" % keys)

    results.check("poverty-chuo back: it is handed the keys, the coordinator switches, both "
                  "agencies reconnect to the new server key; the mail that waited arrives "
                  "exactly once", switch_when_all_hold)

    def agencies_keep_working():
        rid = harness.notice_referral(eld, pov, hh["H007"], "after")
        harness.wait_arrived(pov, [rid], alive)
        harness.wait_delivered(eld, rid, WAIT, alive=alive)
        rid = harness.notice_referral(pov, eld, hh["H010"], "after-back")
        harness.wait_arrived(eld, [rid], alive)
        for a in (eld, pov):
            check(harness.read_ini(a.conf)["coordinator"] == bundle_before[a.id],
                  "%s's agency.conf changed" % a.id)
        eld.daemon.stop()
        eld.daemon.start()
        cluster.wait_ready()
        rid = harness.notice_referral(eld, pov, hh["H004"], "after-restart")
        harness.wait_arrived(pov, [rid], alive)
        harness.wait_delivered(eld, rid, WAIT, alive=alive)

    results.check("new letters go both ways; with their bundles unchanged (old coordinator "
                  "keys in agency.conf) the agencies keep working, restarted too",
                  agencies_keep_working)

    def old_server_key_refused():
        argv = [cluster.exe("tsunagu-rogue-client"), "--endpoint", cluster.endpoint,
                "--server-key", old_box, "--keys", eld.key_file,
                "--send", "--expect", "stored", "--sequence", "100000", "--to", pov.id,
                "--to-box-public", pov.public_key_z85(), "--claim-type", "eldercare",
                "--legal-basis", "none", "--urgency", "normal", "--marker", "old-server-key",
                "--timeout", "5"]
        r = harness.run(argv, timeout=30, env=cluster.env)
        # 4: nothing decisive came back in time (the handshake never completes); 0 or 3 would
        # mean it was answered, 1 that it did not even try.
        check(r.returncode == 4, "a client of the old server key: exit %d: %s"
              % (r.returncode, r.stdout + r.stderr))
        # The same letter with the new keys is answered (a sequence gap: out_of_order).
        argv[argv.index("--server-key") + 1] = cluster.coordinator_box_public()
        argv[argv.index("--expect") + 1] = "out_of_order"
        argv += ["--coordinator-pub", os.path.join(cluster.data_dir, "keys", "coordinator.pub")]
        r = harness.run(argv, timeout=30, env=cluster.env)
        check(r.returncode == 0, "the same client with the new server key: exit %d: %s"
              % (r.returncode, r.stdout + r.stderr))

    results.check("a client holding the coordinator's old server key gets no answer",
                  old_server_key_refused)

    def restart_and_finish_a_second():
        cluster.coordinator.stop()
        cluster.coordinator.start()
        cluster.wait_ready()
        rid = harness.notice_referral(pov, eld, hh["H010"], "after-coordinator-restart")
        harness.wait_arrived(eld, [rid], alive)
        second_sign = coordinator_sign_public(cluster)
        chi.daemon.stop()  # active, never handed the second keys: the switch waits for it
        cluster.ctl("rotate-keys", "--deadline-days", "30")
        for a in (eld, pov):
            wait_event(a, "coordinator.keys_handed_over", 2, alive)
        check(coordinator_sign_public(cluster) == second_sign,
              "the coordinator switched while child-chuo was offline")
        # kill -9 while the keys are handed over: it comes back with the rotation under way.
        cluster.coordinator.kill9()
        cluster.coordinator.start()
        cluster.wait_ready([eld.id, pov.id])
        rid = harness.notice_referral(eld, pov, hh["H004"], "after-kill9")
        harness.wait_arrived(pov, [rid], alive)
        status = json.loads(cluster.ctl("status", "--json", check_rc=False).stdout)
        check((status.get("coordinator_keys") or {}).get("state") == "announced"
              and coordinator_sign_public(cluster) == second_sign,
              "after kill -9 the rotation is not under way: %r" % status.get("coordinator_keys"))
        pov.daemon.stop()  # holds the second keys, offline at the switch
        out = cluster.ctl("rotate-keys", "--finish", "--reason",
                          "子ども家庭センター移転のため").stdout
        check("switch" in out, "--finish said %r" % out)
        harness.wait_for(lambda: coordinator_sign_public(cluster) != second_sign or None, WAIT,
                         "the second switch", alive=alive)
        wait_event(eld, "coordinator.keys_switched", 2, alive)
        # poverty-chuo comes back to the old server key, hears nothing, tries the one it holds.
        pov.daemon.start()
        wait_event(pov, "coordinator.keys_switched", 2, alive)
        rid = harness.notice_referral(eld, pov, hh["H001"], "after-second")
        harness.wait_arrived(pov, [rid], alive)
        r = cluster.ctl("rotate-keys", "--finish", check_rc=False)
        check(r.returncode != 0 and "no rotation" in r.stderr, "--finish with none: %r" % (r,))

    results.check("the coordinator restarted on its new key file serves the agencies; a second "
                  "rotation waits for an offline agency and goes on after a kill -9 of the "
                  "coordinator, --finish switches it; an agency that "
                  "held the keys but was offline at the switch finds the new server key",
                  restart_and_finish_a_second)

    def rebundled_agency_joins():
        # child-chuo missed the second hand-over: it needs the coordinator's new keys.
        pub = os.path.join(cluster.data_dir, "keys", "coordinator.pub")
        box = harness.read_key_field(pub, "box-public")
        sign = harness.read_key_field(pub, "sign-public")
        with open(chi.conf, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^box_public = .*$", "box_public = " + box, text)
        text = re.sub(r"(?m)^sign_public = .*$", "sign_public = " + sign, text)
        with open(chi.conf, "w", encoding="utf-8") as f:
            f.write(text)
        chi.daemon.start()
        cluster.wait_ready()
        rid = harness.notice_referral(chi, pov, hh["H003"], "rebundled")
        harness.wait_arrived(pov, [rid], alive)
        kinds = audit_kinds(cluster)
        check(kinds.count("coordinator-keys-announced") == 2
              and kinds.count("coordinator-keys-switched") == 2
              and kinds.count("coordinator-keys-finish") == 1,
              "the audit log lacks the rotations: %r" % kinds)
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %s" % (r.stdout + r.stderr))

    results.check("an agency offline through the hand-over joins with the new [coordinator] "
                  "keys in its agency.conf; --finish with none under way is refused; both "
                  "rotations audited, the chain verifies", rebundled_agency_joins)


if __name__ == "__main__":
    harness.main("coordinator_keys", __doc__, body)
