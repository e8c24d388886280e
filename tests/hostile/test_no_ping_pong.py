#!/usr/bin/env python3
"""No refusal ping-pong: for every final refusal code a peer can provoke, the peer (acknowledging
every final ERROR, as an agency daemon does, with its clock 10 minutes ahead so that even its
acknowledgements are suspect) gets exactly one ERROR, its acknowledgement is answered with
nothing, and the coordinator adds at most a line or two to its log and one audit record; repeats
of a cause are counted, not logged."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from hostile import Peer, check, harness, new_id, referral  # noqa: E402

LISTEN_MS = 2500      # how long the peer listens after each provocation
MAX_LINES = 3         # coordinator log lines (not debug) per provocation
MAX_AUDIT = 1         # audit records per provocation
REPEATS = 20          # provocations of one repeatable cause, of which one is logged


def coordinator_lines(cluster):
    with open(cluster.coordinator.log_path, encoding="utf-8", errors="replace") as f:
        return [line for line in f if " debug: " not in line and "===== harness" not in line]


def body(cluster, results, args):
    ag, probes = hostile.start_cluster(cluster, probes=[("probe-poverty", "poverty")],
                                       extra_agencies=[("gone-agency", "child")])
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    pp = probes["probe-poverty"]
    cluster.ctl("agency", "suspend", "gone-agency")
    results.ok("coordinator, four agency daemons and a probe agency up; gone-agency suspended")

    peer = Peer(cluster, pp, ack="all")
    # Its acknowledgements say they were written 10 minutes from now.
    peer.act({"op": "auto_ack", "mode": "all", "created_at_offset_ms": 10 * 60 * 1000})
    case_p = new_id()

    def provocations():
        """(name, letter, code, takes a sequence number) for every final code."""
        out = []

        def seq():
            return peer.peek()

        out.append(("malformed", {"kind": "referral", "recipient": dis.id, "frame": "garbage"},
                    "malformed", False))
        out.append(("bad_signature", dict(referral(pp, dis, seq()), signature="flip"),
                    "bad_signature", False))
        out.append(("sender_mismatch", dict(referral(pp, dis, seq()), sender=eld.id),
                    "sender_mismatch", False))
        out.append(("too_large", referral(pp, dis, seq(), body={"garbage": 800 * 1024}),
                    "too_large", False))
        out.append(("bad_version", dict(referral(pp, dis, seq()), version=2), "bad_version",
                    False))
        out.append(("clock_skew", dict(referral(pp, dis, 0), created_at_offset_ms=6 * 60 * 1000),
                    "clock_skew", True))
        out.append(("unknown_recipient", referral(pp, "nobody-here", 0, body=False),
                    "unknown_recipient", True))
        out.append(("recipient_inactive", referral(pp, "gone-agency", 0), "recipient_inactive",
                    True))
        out.append(("not_permitted", {"kind": "directory", "recipient": dis.id, "sequence": 0,
                                      "directory": {"serial": 1, "agencies": []}},
                    "not_permitted", False))
        out.append(("missing_legal_basis", referral(pp, dis, 0, categories=["identity"],
                                                    content=hostile.notice("poverty")),
                    "missing_legal_basis", True))
        out.append(("unknown_referral", {"kind": "referral-status", "recipient": dis.id,
                                         "sequence": 0,
                                         "header": {"referral_id": new_id(), "case_id": new_id(),
                                                    "status": "received", "base_version": 1,
                                                    "legal_basis": "none"}},
                    "unknown_referral", True))
        out.append(("unknown_case", hostile.case_event(0, new_id(), 1,
                                                       {"type": "state", "state": "assessment"}),
                    "unknown_case", True))
        out.append(("personal_data", referral(pp, dis, 0, tags=("山田花子さん",)), "personal_data",
                    True))
        out.append(("sender_type", referral(pp, dis, 0, sender_type="eldercare"),
                    "sender_mismatch", True))
        return out

    def one(name, letter, code, sequenced):
        if sequenced:
            letter = dict(letter, sequence=peer.take())
        label = "pp-" + name
        lines_before = len(coordinator_lines(cluster))
        audit_before = len(hostile.audit_records(cluster))
        evs = peer.send(letter, label=label)
        evs += peer.listen(LISTEN_MS)
        got = hostile.received(evs)
        errors = [e for e in got if e.get("kind") == "error"]
        check(len(errors) == 1 and errors[0].get("code") == code and errors[0].get("final"),
              "%s: expected exactly one final %s, got %s" % (name, code, hostile.brief(got)))
        others = [e for e in got if e.get("kind") not in ("error", "hello", "directory")]
        check(not others, "%s: letters after the refusal: %s" % (name, hostile.brief(others)))
        lines = coordinator_lines(cluster)[lines_before:]
        audit = len(hostile.audit_records(cluster)) - audit_before
        check(len(lines) <= MAX_LINES, "%s: %d coordinator lines:\n%s" % (
            name, len(lines), "".join(lines)))
        check(audit <= MAX_AUDIT, "%s: %d audit records" % (name, audit))
        cluster.alive()
        print("     %s: one ERROR, its acknowledgement unanswered; %d log lines, %d audit records"
              % (name, len(lines), audit))

    for name, letter, code, sequenced in provocations():
        results.check("%s: one refusal, nothing after it" % name, one, name, letter, code,
                      sequenced)

    def repeated():
        """A repeatable cause (a bad signature) 20 times: one line, one audit record, and the
        rest counted in /metrics."""
        lines_before = len(coordinator_lines(cluster))
        audit_before = len(hostile.audit_records(cluster))
        for i in range(REPEATS):
            evs = peer.send(dict(referral(pp, dis, peer.peek()), signature="random"),
                            label="again-%d" % i)
            hostile.expect_error(evs, "again-%d" % i, "bad_signature", True)
        peer.listen(LISTEN_MS)
        lines = coordinator_lines(cluster)[lines_before:]
        audit = len(hostile.audit_records(cluster)) - audit_before
        check(len(lines) <= 2, "%d lines for %d bad signatures:\n%s" % (
            len(lines), REPEATS, "".join(lines)))
        check(audit <= 1, "%d audit records for %d bad signatures" % (audit, REPEATS))
        m = cluster.coord_get("/metrics")
        text = m.text
        check('tsunagu_refusals_repeated_total{reason="bad_signature"}' in text,
              "/metrics has no tsunagu_refusals_repeated_total for bad_signature")
        print("     %d bad signatures: %d log lines, %d audit records" % (REPEATS, len(lines),
                                                                          audit))

    results.check("a repeated cause is logged and audited once, then counted in /metrics",
                  repeated)

    def revoked():
        """Last: the peer's own agency is revoked; each of its letters gets agency_revoked,
        logged and audited once in all."""
        cluster.ctl("agency", "revoke", pp.id)
        harness.wait_for(lambda: "revoked" in cluster.ctl("agency", "show", pp.id).stdout, 10,
                         "the registry says revoked")
        peer.listen(1500)  # the coordinator notices the registry change (its own log lines)
        lines_before = len(coordinator_lines(cluster))
        audit_before = len(hostile.audit_records(cluster))
        answers = 0
        for i in range(5):
            evs = peer.send({"kind": "hello"}, label="gone-hello-%d" % i, ms=3000)
            got = [e for e in hostile.received(evs) if e.get("kind") == "error"]
            answers += len(got)
            check(all(e.get("code") == "agency_revoked" and e.get("final") for e in got),
                  "a HELLO of the revoked agency: %s" % hostile.brief(got))
        peer.listen(LISTEN_MS)
        lines = coordinator_lines(cluster)[lines_before:]
        audit = len(hostile.audit_records(cluster)) - audit_before
        check(answers <= 5, "%d answers to 5 HELLOs" % answers)
        check(len(lines) <= 3, "%d lines:\n%s" % (len(lines), "".join(lines)))
        check(audit <= 1, "%d audit records" % audit)
        print("     revoked: %d answers to 5 HELLOs; %d log lines, %d audit records" % (
            answers, len(lines), audit))

    results.check("a revoked agency's letters: agency_revoked, logged and audited once", revoked)
    peer.close()
    hostile.assert_all_alive(cluster)


if __name__ == "__main__":
    harness.main("no_ping_pong", __doc__.splitlines()[0], body)
