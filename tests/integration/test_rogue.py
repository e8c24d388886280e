#!/usr/bin/env python3
"""A rogue client (tsunagu-rogue-client) is refused by the coordinator: unregistered keys fail the
CURVE handshake, a registered agency cannot send as another, garbage and forged letters get an
ERROR, and the coordinator keeps serving honest agencies throughout."""

import json
import os
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402


def body(cluster, results, args):
    households = harness.load_households(args.data)
    rogue_exe = cluster.exe("tsunagu-rogue-client")
    cluster.init()
    agencies = cluster.add_standard_agencies()
    # Registered and active, but no daemon ever runs on these keys: the rogue client uses them.
    # Each sequenced forgery comes from a key of its own, so every one is that sender's
    # sequence 1 and nothing but the check under test can refuse it.
    kita = cluster.add_agency("rogue-kita", "eldercare", "つなぐ市北地域包括支援センター")
    minami = cluster.add_agency("rogue-minami", "poverty", "つなぐ市南自立相談支援機関")
    nishi = cluster.add_agency("rogue-nishi", "child", "つなぐ市西こども家庭センター")
    honest = [a.id for a in agencies.values()]
    cluster.start_all(honest)
    cluster.wait_ready(honest)

    server_key = cluster.coordinator_box_public()
    base = [rogue_exe, "--endpoint", cluster.endpoint, "--server-key", server_key,
            "--timeout", "10"]

    def rogue(*extra, expect_line):
        r = harness.run(base + list(extra), timeout=30)
        out = r.stdout + r.stderr
        print("     " + out.strip().replace("\n", "\n     "))
        check(r.returncode == 0, "rogue client exit %d (0 refused, 3 answered, 4 timeout):\n%s" % (
            r.returncode, out))
        check(expect_line in out, "expected %r in its output:\n%s" % (expect_line, out))
        cluster.alive()
        return out

    eld, dis, chi, pov = (agencies[t] for t in harness.AGENCY_TYPES)

    # (a) A fresh, unregistered key fails the handshake.
    results.check("fresh unregistered key: CURVE handshake refused (ZAP)",
                  rogue, "--fresh", expect_line="refused: authentication failed")

    # (b) A registered key claiming another agency's id.
    rogue_rid = str(uuid.uuid4())
    marker = "rogue-marker-" + uuid.uuid4().hex
    results.check("registered key claiming eldercare-chuo: ERROR_SENDER_MISMATCH",
                  rogue, "--keys", kita.key_file, "--claim", eld.id, "--claim-type", "eldercare",
                  "--to", pov.id, "--to-box-public", pov.public_key_z85(),
                  "--referral-id", rogue_rid, "--marker", marker,
                  expect_line="refused: sender mismatch")
    rogue_rid2 = str(uuid.uuid4())
    results.check("registered key claiming to be the coordinator: ERROR_SENDER_MISMATCH",
                  rogue, "--keys", nishi.key_file, "--claim", "coordinator",
                  "--to", pov.id, "--to-box-public", pov.public_key_z85(),
                  "--referral-id", rogue_rid2, "--marker", marker,
                  expect_line="refused: sender mismatch")

    # (c) Garbage, a truncated envelope, a forged signature, an oversize frame.
    results.check("garbage bytes: ERROR_MALFORMED", rogue, "--keys", kita.key_file, "--garbage",
                  expect_line="refused: malformed")
    results.check("truncated envelope: ERROR_MALFORMED", rogue, "--keys", kita.key_file,
                  "--truncated", "--to", pov.id, expect_line="refused: malformed")
    results.check("letter with a broken signature: ERROR_BAD_SIGNATURE",
                  rogue, "--keys", minami.key_file, "--bad-signature", "--to", chi.id,
                  "--claim-type", "poverty", "--to-box-public", chi.public_key_z85(),
                  "--marker", marker, expect_line="refused: bad signature")
    results.check("envelope frame over 1 MiB: ERROR_TOO_LARGE",
                  rogue, "--keys", kita.key_file, "--oversize", expect_line="refused: too large")

    # Afterwards honest referrals still flow, and arrive after anything the rogue got stored:
    # a mailbox is delivered in order, so once these are in, nothing rogue is still on its way.
    def honest_flow(sender, recipient, h):
        req = harness.consented_request(sender, h, to_agency=recipient.id,
                                        sheet=harness.sheet_for_sender(h, sender.type),
                                        client_ref="after-rogue-" + sender.id)
        r = sender.post("/v1/referrals", req)
        check(r.status == 202, "POST: %r" % r)
        rid = r.json["referral_id"]
        harness.wait_delivered(sender, rid, 30, alive=cluster.alive)
        items = [it for it in recipient.inbox() if it.get("referral_id") == rid]
        check(len(items) == 1 and items[0].get("sheet") == req["sheet"],
              "the honest referral is not in %s's inbox intact" % recipient.id)
        return rid

    results.check("after the rogue: eldercare → poverty still flows", honest_flow, eld, pov,
                  households[0])
    results.check("after the rogue: poverty → child still flows", honest_flow, pov, chi,
                  households[6])
    results.check("after the rogue: child → disability still flows", honest_flow, chi, dis,
                  households[1])

    def nothing_rogue_delivered():
        for agency in agencies.values():
            for it in agency.inbox():
                text = json.dumps(it, ensure_ascii=False)
                if marker in text or it.get("referral_id") in (rogue_rid, rogue_rid2):
                    fail("a rogue letter reached %s: %s" % (agency.id, text[:500]))
                if it.get("from") in (kita.id, minami.id, nishi.id, "coordinator"):
                    fail("%s holds a letter from %s" % (agency.id, it.get("from")))
        r = eld.get("/v1/referrals/" + rogue_rid)
        check(r.status == 404, "eldercare knows the forged referral: %r" % r)

    results.check("no impersonated or forged letter reached any inbox", nothing_rogue_delivered)

    def still_connected():
        cluster.alive()
        for agency in agencies.values():
            h = agency.healthz()
            check(h and h.get("coordinator") == "connected", "%s: %r" % (agency.id, h))

    results.check("coordinator still up and every honest agency connected", still_connected)


if __name__ == "__main__":
    harness.main("rogue", __doc__, body)
