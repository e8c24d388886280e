#!/usr/bin/env python3
"""A protocol 1.0 agency among 1.1 ones (proto/README.md §2.1): plain-poverty, registered but run
by no daemon, is played by tsunagu-rogue-client --plain-agency, which says HELLO without
batch_proofs and checks every letter the 1.0 way — no batch proof, the Ed25519 signature over the
signed bytes exactly, with the bundle's coordinator key or the directory's sign_public — and
acknowledges each with a plain RECEIPT_DELIVERED.  eldercare sends 40 referrals to plain-poverty
and 40 to the real poverty daemon, in two rounds of concurrent POSTs so that group commits hold
letters for both, and between the rounds moves the 20 cases it shares with plain-poverty to
assessment (CASE_EVENTs fanned out to it, the coordinator's CASE_UPDATEs to both parties): the
1.0 agency gets all of its 40 referrals and every event and update plain and verified,
poverty-chuo gets its 40, eldercare sees its referrals to plain-poverty delivered (the 1.0
agency's plain receipts are taken), and eldercare's and the coordinator's /metrics show letters
signed in batches (the batch path was taken for the capable recipients)."""

import concurrent.futures
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

PLAIN_ID = "plain-poverty"
PLAIN_NAME = "つなぐ市検証用自立相談支援機関"
COUNT = 40            # referrals to each of the two poverty agencies
SENDERS = 8           # POST /v1/referrals in flight at once
CLIENT_TIMEOUT = 120  # the 1.0 agency's own deadline for its referrals (seconds)
SETTLE = 3            # it keeps checking letters this long after the last referral
WAIT = 90             # seconds for the referrals to arrive and be delivered

BATCH_SIGNED = re.compile(r'^tsunagu_agency_letters_signed_total\{form="batch"\} (\S+)$', re.M)
PLAIN_SIGNED = re.compile(r'^tsunagu_agency_letters_signed_total\{form="plain"\} (\S+)$', re.M)


def body(cluster, results, args):
    households = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    # Registered and active; no daemon runs on its keys: the rogue client plays it.
    plain = cluster.add_agency(PLAIN_ID, "poverty", PLAIN_NAME)
    running = [a.id for a in agencies.values()]
    cluster.start_all(running)
    cluster.wait_ready(running)
    eld, pov = agencies["eldercare"], agencies["poverty"]

    argv = [cluster.exe("tsunagu-rogue-client"), "--endpoint", cluster.endpoint,
            "--server-key", cluster.coordinator_box_public(), "--keys", plain.key_file,
            "--plain-agency", "--expect-referrals", str(COUNT), "--settle", str(SETTLE),
            "--timeout", str(CLIENT_TIMEOUT)]
    client = harness.Daemon(PLAIN_ID, argv, os.path.join(cluster.logs, PLAIN_ID + ".log"),
                            env=cluster.env)
    plain.daemon = client  # stopped by PID and its log shown with the daemons'
    client.start()
    client.expected_exit = True  # it ends by itself: its exit status is the verdict

    def alive():
        cluster.alive()
        if not client.running() and client.proc.returncode != 0:
            raise harness.DaemonDied("the 1.0 agency exited with status %s:\n%s" % (
                client.proc.returncode, harness.tail(client.log_path)))

    def plain_connected():
        for a in cluster.coord_json("/v1/agencies").get("agencies") or []:
            if a.get("id") == PLAIN_ID and a.get("connected") is True:
                return a
        return None

    results.check("the 1.0 agency %s is connected at the coordinator" % PLAIN_ID,
                  harness.wait_for, plain_connected, 30,
                  "%s connected (GET /v1/agencies)" % PLAIN_ID, interval=0.2, alive=alive)

    def listed_active():
        r = eld.get("/v1/directory")
        check(r.status == 200 and isinstance(r.json, dict), "eldercare /v1/directory: %r" % r)
        entry = [a for a in r.json.get("agencies") or [] if a.get("id") == PLAIN_ID]
        check(entry and entry[0].get("status") == "active",
              "eldercare's directory lists %s as %r" % (PLAIN_ID, entry))

    results.check("eldercare's directory lists %s active" % PLAIN_ID, listed_active)

    # eldercare must know who verifies batch proofs before it signs: its directory is the
    # coordinator's registry as it stands now (the same serial).
    def directory_current():
        serial = cluster.coord_json("/v1/agencies").get("serial")
        r = eld.get("/v1/directory")
        return r.status == 200 and serial is not None and r.json.get("serial") == serial
    results.check("eldercare holds the coordinator's current directory",
                  harness.wait_for, directory_current, 30, "eldercare's directory up to date",
                  interval=0.2, alive=alive)

    sent = {PLAIN_ID: [], pov.id: []}

    def post_round(first, count):
        """Referrals first..first+count-1 to each poverty agency, SENDERS at a time, the two
        recipients interleaved, so group commits hold letters for both."""
        jobs = []
        for i in range(first, first + count):
            h = households[i % len(households)]
            jobs.append((plain, h, "plain-%02d" % i))
            jobs.append((pov, h, "capable-%02d" % i))

        def post(job):
            recipient, h, marker = job
            return recipient.id, harness.notice_referral(eld, recipient, h, marker)

        got = {PLAIN_ID: [], pov.id: []}
        with concurrent.futures.ThreadPoolExecutor(max_workers=SENDERS) as pool:
            for recipient_id, rid in pool.map(post, jobs, timeout=WAIT):
                got[recipient_id].append(rid)
        check(len(got[PLAIN_ID]) == count and len(got[pov.id]) == count,
              "202s: %r" % {k: len(v) for k, v in got.items()})
        for k, v in got.items():
            sent[k].extend(v)
        return True

    def all_delivered(rids, to):
        def count():
            delivered = 0
            for rid in rids:
                j = eld.referral(rid)
                state = j.get("delivery") if j else None
                if state in ("rejected", "refused"):
                    fail("eldercare's referral %s to %s was %s: %r" % (rid, to, state, j))
                delivered += state == "delivered"
            return delivered == len(rids) or None
        harness.wait_for(count, WAIT, "eldercare's %d referrals to %s delivered" % (
            len(rids), to), interval=0.3, alive=alive)

    half = COUNT // 2
    if not results.check("eldercare takes %d referrals to %s and %d to %s at once (202 each)" % (
            half, PLAIN_ID, half, pov.id), post_round, 0, half):
        fail("nothing to check without the referrals")
    results.check("the first %d to %s are delivered (its plain receipts taken)" % (
        half, PLAIN_ID), all_delivered, list(sent[PLAIN_ID]), PLAIN_ID)

    # Events on the cases those referrals opened: eldercare's CASE_EVENTs are fanned out to the
    # 1.0 agency, and the coordinator's CASE_UPDATEs go to both parties, the coordinator signing
    # each batch of them together for eldercare only.
    def case_events():
        cases = []
        for rid in sent[PLAIN_ID]:
            j = eld.referral(rid)
            check(j and j.get("case_id"), "eldercare's referral %s: %r" % (rid, j))
            c = cluster.coordinator_case(j["case_id"])
            check(c and isinstance(c.get("version"), int), "coordinator case %s: %r" % (
                j["case_id"], c))
            cases.append((j["case_id"], c["version"]))

        def event(case):
            case_id, version = case
            return eld.case_event(case_id, {"type": "state", "state": "assessment",
                                            "base_version": version})

        with concurrent.futures.ThreadPoolExecutor(max_workers=SENDERS) as pool:
            answers = list(pool.map(event, cases, timeout=WAIT))
        bad = [r for r in answers if r.status != 202]
        check(not bad, "%d case events not taken: %r" % (len(bad), bad[:3]))
        for case_id, version in cases:
            harness.wait_json(lambda: cluster.coordinator_case(case_id),
                              lambda c: (c.get("version") or 0) > version, WAIT,
                              "the coordinator applies the event on %s" % case_id, alive=alive)

    results.check("eldercare moves the %d cases it shares with %s to assessment" % (
        half, PLAIN_ID), case_events)

    # The rest, behind those events in the 1.0 agency's mailbox.
    results.check("eldercare takes %d more to each, at once (202 each)" % (COUNT - half),
                  post_round, half, COUNT - half)

    # --- the 1.0 agency: every referral plain and verified ---------------------------------
    def client_verdict():
        harness.wait_for(lambda: not client.running(), CLIENT_TIMEOUT + 30,
                         "the 1.0 agency to finish", interval=0.2, alive=cluster.alive)
        out = harness.tail(client.log_path, 12)
        print("     " + out.replace("\n", "\n     "))
        rc = client.proc.returncode
        check(rc == 0, "the 1.0 agency exited %s (0 all plain and verified, 3 a batch proof or "
              "a letter that does not verify, 4 timeout):\n%s" % (
                  rc, harness.tail(client.log_path, 80)))
        summary = [ln for ln in out.splitlines() if ln.startswith("plain: ")]
        check(summary and summary[-1].startswith(
            "plain: %d referrals arrived, every letter plain and verified" % COUNT),
            "its last lines do not say all %d arrived plain and verified" % COUNT)
        for kind in ("case-event", "case-update"):
            m = re.search(r"(\d+) %s\b" % kind, summary[-1])
            check(m and int(m.group(1)) >= COUNT // 2,
                  "it verified %s %s letters, expected at least %d (one per case event)" % (
                      m.group(1) if m else "no", kind, COUNT // 2))

    results.check("%s (protocol 1.0) got its %d referrals, every letter plain and verified "
                  "with the 1.0 rule, and acknowledged them" % (PLAIN_ID, COUNT), client_verdict)

    # --- the capable recipient and the sender --------------------------------------------------
    results.check("%s (protocol 1.1) has its %d referrals in its inbox" % (pov.id, COUNT),
                  harness.wait_arrived, pov, sent[pov.id], cluster.alive, WAIT)

    results.check("eldercare sees its %d referrals to %s delivered (the plain receipts were "
                  "taken)" % (COUNT, PLAIN_ID), all_delivered, sent[PLAIN_ID], PLAIN_ID)
    results.check("eldercare sees its %d referrals to %s delivered" % (COUNT, pov.id),
                  all_delivered, sent[pov.id], pov.id)

    def batched():
        r = eld.get("/metrics")
        check(r.status == 200, "eldercare GET /metrics: %r" % r)
        b, p = BATCH_SIGNED.search(r.text), PLAIN_SIGNED.search(r.text)
        check(b and p, "eldercare /metrics has no tsunagu_agency_letters_signed_total by form")
        print("     eldercare signed %s letters in batches, %s plain" % (b.group(1), p.group(1)))
        check(float(b.group(1)) > 0, "eldercare signed no letter in a batch: the 1.1 path "
              "was never taken, so the test proves nothing about it")

    results.check("eldercare's /metrics: letters signed in batches > 0 (batching happened "
                  "beside the 1.0 agency)", batched)

    def coordinator_batched():
        r = cluster.coord_get("/metrics")
        check(r.status == 200, "coordinator GET /metrics: %r" % r)
        m = re.search(r'^tsunagu_letters_signed_total\{form="batch"\} (\S+)$', r.text, re.M)
        check(m, "the coordinator's /metrics has no tsunagu_letters_signed_total{form=\"batch\"}")
        print("     the coordinator signed %s letters in batches" % m.group(1))
        check(float(m.group(1)) > 0, "the coordinator signed no letter in a batch")

    results.check("the coordinator's /metrics: letters signed in batches > 0 (its answers and "
                  "CASE_UPDATEs to the 1.1 agencies)", coordinator_batched)


if __name__ == "__main__":
    harness.main("plain_agency", __doc__, body)
