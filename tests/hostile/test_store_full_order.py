#!/usr/bin/env python3
"""A recipient whose store fills and recovers keeps per-sender order: the recipient's LMDB map
starts at 1 MiB and may grow to 8 MiB, so a stream of referrals fills it several times; each
failed commit loses a batch of forwarded letters, the daemon holds everything behind the gap and
asks the coordinator for its mailbox again from the oldest letter, and at the end every referral
answered 202 is in the inbox exactly once, in the order it was sent."""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

REFERRALS = 900
WAIT = 120


def set_conf(path, section, values):
    """Sets values in [section] of an INI file (the bundle's agency.conf), replacing the keys
    the file already has."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, done, current = [], False, None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped
        key = stripped.split("=", 1)[0].strip() if "=" in stripped else None
        if current == "[%s]" % section and key in values:
            continue
        out.append(line)
        if stripped == "[%s]" % section and not done:
            out.extend("%s = %s" % kv for kv in values.items())
            done = True
    check(done, "no [%s] in %s" % (section, path))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def body(cluster, results, args):
    hh = harness.load_households(args.data)
    cluster.init()
    ag = cluster.add_standard_agencies(("eldercare", "poverty"))
    eld, pov = ag["eldercare"], ag["poverty"]
    set_conf(pov.conf, "agency", {"map_size_mb": 1, "map_max_mb": 8})
    cluster.start_all()
    cluster.wait_ready()
    results.ok("coordinator, eldercare and poverty (a 1 MiB store that may grow to 8 MiB) are up")

    sent = []

    def send():
        pad = "つなぐ" * 300  # about 2.7 KB of sheet, no personal data
        for i in range(REFERRALS):
            h = hh[i % len(hh)]
            sheet = harness.notice_sheet(h, "eldercare")
            sheet["padding"] = pad
            req = harness.referral_request(h, to_agency=pov.id, sheet=sheet, legal_basis="none",
                                           urgency="normal")
            r = eld.post("/v1/referrals", req)
            check(r.status == 202, "referral %d: %r" % (i, r))
            sent.append(r.json["referral_id"])
        eld.wait_outbox_empty(WAIT)

    results.check("eldercare sends %d referrals of about 3 KB to poverty" % REFERRALS, send)

    def arrived():
        want = set(sent)

        def complete():
            items = [i for i in pov.inbox() if i.get("kind") == "referral"]
            return items if {i["referral_id"] for i in items} >= want else None

        items = harness.wait_for(complete, WAIT, "every referral in poverty's inbox",
                                 interval=1.0, alive=cluster.alive)
        ids = [i["referral_id"] for i in items if i["referral_id"] in want]
        check(len(ids) == len(set(ids)), "%d referrals arrived twice" % (len(ids) - len(set(ids))))
        out_of_order = sum(1 for a, b in zip(ids, sent) if a != b)
        check(ids == sent, "%d of %d referrals out of per-sender order" % (out_of_order, len(sent)))
        with open(pov.daemon.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        held = log.count("holding the mailbox")
        resent = log.count("resends the mailbox from its oldest letter")
        grew = log.count("the map grew")
        print("     the store grew %d times; %d failed commits held the mailbox, %d resends from "
              "the oldest" % (grew, held, resent))
        check(grew >= 1 and held >= 1 and resent >= 1,
              "the store never filled (grew %d, held %d, resent %d): the test proved nothing"
              % (grew, held, resent))

    results.check("every referral arrived once, in the order sent, through the store filling "
                  "and growing", arrived)

    def delivered():
        last = sent[-1]
        harness.wait_delivered(eld, last, WAIT, alive=cluster.alive)
        h = pov.healthz()
        check(h and h.get("inbound_held") is False, "poverty still holds its mailbox: %r" % h)

    results.check("the sender sees them delivered and the recipient holds nothing", delivered)


if __name__ == "__main__":
    harness.main("store_full_order", __doc__.splitlines()[0], body)
