#!/usr/bin/env python3
"""Hostile peer, the envelope and its sequence: a registered agency (its key file, no daemon on
it) sends the coordinator frames that are not envelopes, envelopes with bad signatures, wrong
versions, bad ids, skewed clocks, oversize bodies and headers, too many envelopes in one message,
kinds an agency may not send, letters to nobody, reused, replayed and skipped sequence numbers.
Each is refused with its named error (and final flag), nothing changes anywhere — inboxes,
cases, consents, mailboxes, counters — the audit log records exactly the refusal, and every
daemon keeps running and connected."""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from hostile import (ANSWER_MS, QUIET_MS, SKEW_AHEAD_MS, SKEW_BEHIND_MS, Peer, check,  # noqa: E402
                     expect_error, expect_stored, harness, new_id, nothing_else, referral)


def body(cluster, results, args):
    ag, probes = hostile.start_cluster(
        cluster, probes=[("probe-eldercare", "eldercare"), ("probe-poverty", "poverty"),
                         ("sink-child", "child"), ("paused-child", "child"),
                         ("gone-disability", "disability")])
    eld = ag["eldercare"]
    pe, pp, sink = probes["probe-eldercare"], probes["probe-poverty"], probes["sink-child"]
    # A suspended and a revoked recipient.
    cluster.ctl("agency", "suspend", "paused-child")
    cluster.ctl("agency", "revoke", "gone-disability")
    harness.wait_json(lambda: cluster.coord_json("/v1/agencies"),
                      lambda j: {e["id"]: e["status"] for e in j["agencies"]}.get(
                          "gone-disability") == "revoked"
                      and {e["id"]: e["status"] for e in j["agencies"]}.get(
                          "paused-child") == "suspended", 30,
                      "the coordinator to see the suspension and the revocation",
                      alive=cluster.alive)
    cluster.wait_ready()

    e = Peer(cluster, pe)   # the attacker: probe-eldercare's key file
    p = Peer(cluster, pp)   # a second one: probe-poverty's
    peers = [e, p]

    # One honest-looking letter the coordinator stored: replays are made of it.
    r0 = referral(pe, eld, e.take(), label="r0")
    expect_stored(e.send(r0), "r0")
    hostile.settle(cluster, peers)
    results.ok("setup: probe-eldercare's referral r0 stored and delivered to eldercare-chuo")

    def case(name, fn, **kw):
        kw.setdefault("peers", peers)
        kw.setdefault("audit_sender", None)
        return hostile.run_case(cluster, results, name, fn, **kw)

    def attack(peer, letter, label, code, final, **kw):
        """peer sends letter; the coordinator refuses it with code/final and sends nothing
        else.  With or_silent=True no answer at all is fine too (then 3 s of silence)."""
        evs = peer.send(letter, label=label, ms=3000 if kw.get("or_silent") else ANSWER_MS)
        expect_error(evs, label, code, final, **kw)
        nothing_else(evs, (label,))
        return evs

    # --- frames that are no envelope --------------------------------------------------------

    def garbage_frame():
        attack(e, {"kind": "referral", "recipient": eld.id, "sequence": e.peek(),
                   "frame": "garbage"}, "garbage", "malformed", True)

    case("garbage_frame: bytes that are no Envelope → malformed (final)", garbage_frame,
         audit_maybe=["malformed"])

    def truncated_envelope():
        attack(e, dict(referral(pe, eld, e.peek()), frame="truncated"), "truncated",
               "malformed", True)

    case("truncated_envelope: the first half of a valid envelope → malformed (final)",
         truncated_envelope, audit_maybe=["malformed"])

    def empty_frame():
        attack(e, {"kind": "hello", "frame": "empty"}, "empty-frame", "malformed", True)

    case("empty_frame: a zero-length frame → malformed (final)", empty_frame,
         audit_maybe=["malformed"])

    def oversize_frame():
        attack(e, referral(pe, eld, e.peek(), body={"garbage": 1200 * 1024}),
               "oversize-frame", "too_large", True)

    case("oversize_frame: an envelope frame over 1 MiB → too_large (final)", oversize_frame,
         audit_maybe=["too_large"])

    def oversize_body():
        attack(e, referral(pe, eld, e.peek(), body={"garbage": 800 * 1024}),
               "oversize-body", "too_large", True)

    case("oversize_body: a body over 768 KiB in a frame under 1 MiB → too_large (final)",
         oversize_body, audit_maybe=["too_large"])

    def sixty_five_envelopes():
        # One run of the peer in script mode, a connection of its own.
        evs = hostile.run_script(cluster, pe, [
            {"op": "connect", "conn": 0, "wait_ms": ANSWER_MS},
            {"op": "send", "kind": "hello", "copies": 65, "label": "many"},
            {"op": "wait", "ms": ANSWER_MS * 2, "for": ["many.*"]}])
        evs = evs[[i for i, x in enumerate(evs) if x.get("event") == "connected"][0]:]
        hellos = [x for x in hostile.received(evs, "hello") if x.get("from") == "coordinator"]
        errors = hostile.received(evs, "error")
        check(len(hellos) == 64, "expected 64 HELLO answers for the first 64 envelopes, got %d" %
              len(hellos))
        check(len(errors) == 1 and errors[0].get("code") == "too_large",
              "expected one too_large ERROR for the 65th envelope, got:%s" % hostile.brief(errors))
        check(errors[0].get("verified") is True, "the ERROR does not verify")
        print("     65 envelopes: 64 answered, the rest refused: %s" % errors[0].get("detail"))

    case("sixty_five_envelopes: 65 envelopes in one message → the first 64 handled, the rest "
         "refused too_large", sixty_five_envelopes, audit=None)

    def two_envelopes_each_refused():
        a = {"kind": "referral", "recipient": "nobody-here", "sequence": e.peek(),
             "label": "pair-a", "header": {"case_id": new_id(), "referral_id": new_id(),
                                           "legal_basis": "none"}}
        b = dict(referral(pe, eld, e.peek() + 1), label="pair-b", signature="flip")
        e.take()
        evs = e.act({"op": "send", "letters": [a, b]}) + e.wait(ANSWER_MS, ["pair-a", "pair-b"])
        expect_error(evs, "pair-a", "unknown_recipient", True)
        expect_error(evs, "pair-b", "bad_signature", True)
        nothing_else(evs, ("pair-a", "pair-b"))

    case("two_envelopes_in_one_message: each handled on its own (unknown recipient, bad "
         "signature)", two_envelopes_each_refused, audit=["unknown_recipient", "bad_signature"])

    # --- versions and ids -------------------------------------------------------------------

    def wrong_protocol_version():
        attack(e, dict(referral(pe, eld, e.peek()), version=2), "v2", "bad_version", True)

    case("wrong_protocol_version: version 2 → bad_version (final)", wrong_protocol_version,
         audit_maybe=["bad_version"])

    def version_zero():
        attack(e, dict(referral(pe, eld, e.peek()), version=0), "v0", "malformed", True)

    case("version_zero: no version at all → malformed (final)", version_zero,
         audit_maybe=["malformed"])

    def empty_message_id():
        attack(e, dict(referral(pe, eld, e.peek()), message_id=""), "no-id", "malformed", True)

    case("empty_message_id: a letter without message id → malformed (final)", empty_message_id,
         audit_maybe=["malformed"])

    def short_message_id():
        attack(e, dict(referral(pe, eld, e.peek()), message_id="0123456789abcdef"), "short-id",
               "malformed", True)

    case("short_message_id: an 8-byte message id → malformed (final)", short_message_id,
         audit_maybe=["malformed"])

    # --- signatures and senders -------------------------------------------------------------

    def flipped_signature():
        seq = e.peek()
        attack(e, dict(referral(pe, eld, seq), signature="flip"), "flip", "bad_signature", True)
        # The number was not burnt: the same sequence is still the next one.
        attack(e, {"kind": "referral", "recipient": "nobody-here", "sequence": e.take(),
                   "header": {"case_id": new_id(), "referral_id": new_id(),
                              "legal_basis": "none"}}, "after-flip", "unknown_recipient", True)
        check(seq == e.peek() - 1, "sequence bookkeeping")

    case("bad_signature_takes_no_sequence: one flipped signature bit → bad_signature (final), "
         "and the sequence number is still free", flipped_signature,
         audit=["unknown_recipient"], audit_maybe=["bad_signature"])

    def random_signature():
        attack(e, dict(referral(pe, eld, e.peek()), signature="random"), "random-sig",
               "bad_signature", True)

    case("random_signature: 64 random bytes as signature → bad_signature (final)",
         random_signature, audit_maybe=["bad_signature"])

    def signature_by_another_key():
        attack(e, dict(referral(pe, eld, e.peek()), signature="fresh_key"), "fresh-sig",
               "bad_signature", True)

    case("signature_by_another_key: signed with a key that is not the agency's → bad_signature "
         "(final)", signature_by_another_key, audit_maybe=["bad_signature"])

    def empty_signature():
        attack(e, dict(referral(pe, eld, e.peek()), signature="empty"), "no-sig", "malformed",
               True)

    case("empty_signature: an envelope without signature → malformed (final)", empty_signature,
         audit_maybe=["malformed"])

    def sender_another_agency():
        attack(e, dict(referral(pe, eld, e.peek()), sender=ag["child"].id), "as-child",
               "sender_mismatch", True)

    case("sender_another_agency: sender names child-chuo on probe-eldercare's connection → "
         "sender_mismatch (final)", sender_another_agency, audit_maybe=["sender_mismatch"])

    def sender_coordinator():
        attack(e, dict(referral(pe, eld, e.peek()), sender="coordinator"), "as-coord",
               "sender_mismatch", True)

    case("sender_coordinator: an agency's letter claiming to be from the coordinator → "
         "sender_mismatch (final)", sender_coordinator, audit_maybe=["sender_mismatch"])

    # --- clocks -----------------------------------------------------------------------------

    def ahead_six_minutes():
        attack(e, dict(referral(pe, eld, e.take()), created_at_offset_ms=SKEW_AHEAD_MS),
               "ahead", "clock_skew", True)

    case("created_at_6_min_ahead: a referral 6 minutes in the future → clock_skew (final)",
         ahead_six_minutes, audit=["clock_skew"])

    def behind_31_days():
        attack(e, dict(referral(pe, eld, e.take()), created_at_offset_ms=-SKEW_BEHIND_MS),
               "old", "clock_skew", True)

    case("created_at_31_days_old: a referral older than the 30 days ids are kept → clock_skew "
         "(final)", behind_31_days, audit=["clock_skew"])

    def hello_ahead():
        evs = e.send({"kind": "hello", "created_at_offset_ms": SKEW_AHEAD_MS},
                     label="hello-ahead")
        got = hostile.answers(evs, "hello-ahead")
        nothing_else(evs, ("hello-ahead",))
        if got and got[0].get("kind") == "hello":
            # Answered with the coordinator's clock, for the agency to compare with its own.
            now = int(time.time() * 1000)
            check(abs(got[0]["created_at_ms"] - now) < 60000 and got[0].get("verified") is True,
                  "the HELLO answering a skewed HELLO does not carry the coordinator's clock: "
                  "%s" % hostile.brief(got))
            print("     answered with a HELLO carrying the coordinator's clock")
            return
        expect_error(evs, "hello-ahead", "clock_skew", True)

    case("hello_6_min_ahead: an unsequenced HELLO 6 minutes ahead → clock_skew (final), or a "
         "HELLO that carries the coordinator's own clock; nothing else", hello_ahead,
         audit_maybe=["clock_skew"])

    # --- header limits ----------------------------------------------------------------------

    def too_many_tags():
        attack(e, referral(pe, eld, e.peek(), tags=["t%d" % i for i in range(17)]), "tags17",
               "malformed", True)

    case("too_many_tags: 17 tags → malformed (final)", too_many_tags, audit_maybe=["malformed"])

    def tag_too_long():
        attack(e, referral(pe, eld, e.peek(), tags=["x" * 65]), "tag65", "malformed", True)

    case("tag_too_long: a 65-byte tag → malformed (final)", tag_too_long,
         audit_maybe=["malformed"])

    def empty_tag():
        attack(e, referral(pe, eld, e.take(), tags=[""]), "tag0", "malformed", True)

    case("empty_tag: a tag of 0 bytes → malformed (final)", empty_tag, audit=["malformed"])

    def header_id_too_long():
        attack(e, referral(pe, eld, e.peek(), case_id="c" * 65), "id65", "malformed", True)

    case("header_id_too_long: a 65-byte case_id → malformed (final)", header_id_too_long,
         audit_maybe=["malformed"])

    def unknown_urgency():
        attack(e, referral(pe, eld, e.take(), urgency=7), "urgency7", "malformed", True)

    case("unknown_urgency: urgency 7 → malformed (final)", unknown_urgency, audit=["malformed"])

    # --- recipients -------------------------------------------------------------------------

    def unknown_recipient():
        attack(e, referral(pe, "nobody-here", e.take(), body=False), "nobody",
               "unknown_recipient", True)

    case("unknown_recipient: a referral to an agency nobody registered → unknown_recipient "
         "(final)", unknown_recipient, audit=["unknown_recipient"])

    def suspended_recipient():
        attack(e, referral(pe, probes["paused-child"], e.take()), "to-suspended",
               "recipient_inactive", True)

    case("suspended_recipient: a referral to a suspended agency → recipient_inactive (final)",
         suspended_recipient, audit=["recipient_inactive"])

    def revoked_recipient():
        attack(e, referral(pe, probes["gone-disability"], e.take()), "to-revoked",
               "recipient_inactive", True)

    case("revoked_recipient: a referral to a revoked agency → recipient_inactive (final)",
         revoked_recipient, audit=["recipient_inactive"])

    def referral_to_coordinator():
        attack(e, referral(pe, "coordinator", e.take(), body=False), "to-coord",
               "not_permitted", True)

    case("referral_to_coordinator: the coordinator takes only case-event and consent letters → "
         "not_permitted (final)", referral_to_coordinator, audit=["not_permitted"])

    def referral_to_itself():
        attack(e, referral(pe, pe, e.take()), "to-self", "not_permitted", True)

    case("referral_to_itself: an agency referring to itself → not_permitted (final)",
         referral_to_itself, audit=["not_permitted"])

    def case_event_to_agency():
        letter = hostile.case_event(e.take(), new_id(), 1,
                                    {"type": "note", "note": {"category": "call",
                                                              "written_on":
                                                                  harness.today_jst_plus(0)}})
        letter["recipient"] = eld.id
        attack(e, letter, "event-to-agency", "not_permitted", True)

    case("case_event_to_an_agency: a case event addressed past the coordinator → not_permitted "
         "(final)", case_event_to_agency, audit=["not_permitted"])

    # --- kinds an agency may not send -------------------------------------------------------

    def forged_receipt_stored():
        attack(e, {"kind": "receipt", "recipient": eld.id,
                   "receipt": {"type": "stored", "about": "r0"}}, "forged-stored",
               "not_permitted", True, or_silent=True)

    case("receipt_stored_forged: an agency sending a RECEIPT_STORED → not_permitted (final) or "
         "no answer (a receipt is never answered with a letter that can be refused)",
         forged_receipt_stored, audit_maybe=["not_permitted"])

    def directory_from_agency():
        attack(e, {"kind": "directory", "recipient": eld.id,
                   "directory": {"serial": 999999, "agencies": [
                       {"id": eld.id, "type": "eldercare", "name": "偽のディレクトリ",
                        "status": "active"}]}}, "forged-dir", "not_permitted", True)

    case("directory_from_an_agency: a DIRECTORY with the attacker's keys for eldercare-chuo → "
         "not_permitted (final); nobody's directory changes", directory_from_agency,
         audit_maybe=["not_permitted"])

    def case_update_from_agency():
        attack(e, {"kind": "case-update", "recipient": eld.id,
                   "case_update": {"case_id": new_id(), "state": "closed", "version": 99,
                                   "agencies": [eld.id, pe.id]}}, "forged-update",
               "not_permitted", True)

    case("case_update_from_an_agency: a CASE_UPDATE sent by an agency → not_permitted (final)",
         case_update_from_agency, audit_maybe=["not_permitted"])

    def error_from_agency():
        attack(e, {"kind": "error", "recipient": eld.id,
                   "error": {"code": "missing_legal_basis", "about": "r0", "final": True,
                             "detail": "withheld: consent revoked"}}, "forged-error",
               "not_permitted", True)

    case("error_from_an_agency: an ERROR (a forged withholding) sent by an agency → "
         "not_permitted (final)", error_from_agency, audit_maybe=["not_permitted"])

    def unknown_kind():
        attack(e, {"kind": 42, "recipient": eld.id}, "kind42", "not_permitted", True)

    case("unknown_kind: a letter of kind 42 → not_permitted (final)", unknown_kind,
         audit_maybe=["not_permitted"])

    def sequenced_hello():
        attack(e, {"kind": "hello", "sequence": e.take()}, "hello-seq", "not_permitted", True)

    case("sequenced_hello: a HELLO with a sequence number → not_permitted (final)",
         sequenced_hello, audit=["not_permitted"])

    def unsequenced_referral():
        attack(e, referral(pe, eld, 0), "no-seq", "malformed", True)

    case("unsequenced_referral: a referral without sequence number → malformed (final)",
         unsequenced_referral, audit_maybe=["malformed"])

    # --- receipts about mail that is not the sender's ----------------------------------------

    held = {}

    def mail_for_the_sink():
        if "id" not in held:
            evs = e.send(referral(pe, sink, e.take(), label="for-sink"), label="for-sink")
            expect_stored(evs, "for-sink")
            held["id"] = hostile.sent_id(evs, "for-sink")

    def receipt_about_others_mail():
        evs = p.send({"kind": "receipt", "recipient": pe.id,
                      "receipt": {"type": "delivered", "about": held["id"]}}, label="not-mine",
                     ms=3000)
        got = expect_error(evs, "not-mine", "not_permitted", True, or_silent=True)
        nothing_else(evs, ("not-mine",))
        nothing_else(e.listen(QUIET_MS), what="probe-eldercare (the letter's sender)")
        return {"audit": ["not_permitted"] if got else []}

    case("receipt_about_another_agencys_mail: probe-poverty acknowledges a letter waiting in "
         "sink-child's mailbox → not_permitted (or no answer); the letter stays in the mailbox "
         "and its sender hears nothing", receipt_about_others_mail, setup=mail_for_the_sink)

    def receipt_without_about():
        evs = p.send({"kind": "receipt", "recipient": eld.id, "receipt": {"type": "delivered"}},
                     label="about-nothing", ms=3000)
        got = expect_error(evs, "about-nothing", "not_permitted", True, or_silent=True)
        nothing_else(evs, ("about-nothing",))
        return {"audit": ["not_permitted"] if got else []}

    case("receipt_without_about: a RECEIPT_DELIVERED about no letter → not_permitted (or no "
         "answer)", receipt_without_about)

    def receipt_about_unknown_letter():
        evs = p.send({"kind": "receipt", "recipient": eld.id,
                      "receipt": {"type": "delivered", "about": "00" * 16}},
                     label="about-unknown", wait=False)
        evs += p.listen(QUIET_MS)
        check(not hostile.answers(evs, "about-unknown"),
              "an acknowledgement of a letter the coordinator never held was answered:%s" %
              hostile.brief(evs))

    case("receipt_about_unknown_letter: an acknowledgement of a letter nobody sent is ignored "
         "(no answer, nothing changes)", receipt_about_unknown_letter)

    # --- sequences and replays --------------------------------------------------------------

    def sequence_reuse():
        last = e.peek() - 1
        attack(e, referral(pe, eld, last), "reuse", "out_of_order", True)

    case("sequence_reuse: a new letter with an already used sequence → out_of_order (final)",
         sequence_reuse, audit_maybe=["out_of_order"])

    def sequence_gap():
        attack(e, referral(pe, eld, e.peek() + 5), "gap", "out_of_order", False)
        # The gap took nothing: the next number is still free.
        attack(e, referral(pe, "nobody-here", e.take(), body=False), "after-gap",
               "unknown_recipient", True)

    case("sequence_gap: a sequence 5 ahead → out_of_order (not final), and the next number "
         "is still free", sequence_gap, audit=["unknown_recipient"], audit_maybe=["out_of_order"])

    def replay_with_new_sequence():
        attack(e, dict(r0, same_as="r0", sequence=e.take()), "replay", "not_permitted", True)

    case("replay_old_message_id_new_sequence: r0's message id again under a new sequence → "
         "not_permitted (final); nothing doubled", replay_with_new_sequence,
         audit=["not_permitted"])

    def resend_same_sequence():
        evs = e.send(dict(r0, same_as="r0"), label="resend")
        expect_stored(evs, "resend")
        nothing_else(evs, ("resend",))

    case("resend_same_letter: r0 resent with its own sequence → RECEIPT_STORED again, "
         "nothing doubled", resend_same_sequence, audit=[])

    def refused_letter_resent():
        letter = referral(pe, "nobody-here", e.take(), body=False)
        attack(e, letter, "refused-once", "unknown_recipient", True)
        attack(e, dict(letter, same_as="refused-once"), "refused-again", "unknown_recipient",
               True)

    case("refused_letter_resent: a refused letter resent is refused again the same way, and "
         "audited once", refused_letter_resent, audit=["unknown_recipient"])

    def duplicate_referral_id():
        attack(e, referral(pe, eld, e.take(), referral_id=r0["header"]["referral_id"],
                           case_id=r0["header"]["case_id"]), "dup-ref", "not_permitted", True)

    case("duplicate_referral_id: a new letter reusing r0's referral id → not_permitted (final)",
         duplicate_referral_id, audit=["not_permitted"])

    e.close()
    p.close()


if __name__ == "__main__":
    harness.main("hostile-wire", __doc__, body)
