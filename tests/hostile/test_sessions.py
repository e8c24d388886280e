#!/usr/bin/env python3
"""Hostile peer, sessions and the agency's standing: a second connection with a registered
agency's CURVE key sends a HELLO whose signature does not verify (F2) — it is refused and gets
none of that agency's mailbox, and the genuine daemon keeps receiving its mail; a rejecting
receipt cannot carry personal data in cleartext to the sender (F9); receipts and errors with a
skewed clock, acknowledged the way an agency daemon acknowledges every final ERROR, do not start
a ping-pong of refusals (F12); a suspended and then revoked agency's daemon says so on /healthz
and its API, and the coordinator answers its letters agency_suspended (not final) /
agency_revoked (final), audited once (F6).  Every refusal leaves inboxes, cases, consents and
mailboxes unchanged and every daemon running."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
from hostile import (QUIET_MS, SKEW_AHEAD_MS, Peer, check, expect_error,  # noqa: E402
                     harness, nothing_else, referral)

WAIT = 30
STATUS_WAIT = 25  # how long a daemon may take to show a registry change on /healthz


def body(cluster, results, args):
    h1 = harness.load_households(args.data)[0]
    ag, probes = hostile.start_cluster(
        cluster, probes=[("probe-child", "child"), ("probe-eldercare", "eldercare")])
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    pc, pe = probes["probe-child"], probes["probe-eldercare"]
    alive = cluster.alive

    def case(name, fn, **kw):
        return hostile.run_case(cluster, results, name, fn, **kw)

    def notice_to(sender, recipient):
        req = harness.referral_request(h1, to_agency=recipient.id,
                                       sheet=harness.notice_sheet(h1, sender.type),
                                       legal_basis="none", urgency="normal")
        r = sender.post("/v1/referrals", req)
        check(r.status == 202, "%s POST /v1/referrals: %r" % (sender.id, r))
        return r.json["referral_id"]

    # --- F2: a HELLO that does not verify moves nothing ---------------------------------------

    # probe-child's genuine connection (conn 0) holds the session and does not acknowledge, so
    # a letter for it stays in its mailbox, outstanding, while the forger tries.
    g = Peer(cluster, pc, ack="none")
    held = {}

    def mail_waiting():
        held["rid"] = notice_to(eld, pc)
        for _ in range(100):
            evs = g.wait(500, count=1)
            got = [x for x in hostile.received(evs, "referral") if x.get("from") == eld.id
                   and (x.get("header") or {}).get("referral_id") == held["rid"]]
            if got:
                held["mid"] = got[0]["message_id"]
                return
        harness.fail("eldercare-chuo's referral never reached probe-child's connection")

    def f2_forged_hello_gets_no_mail():
        g.connect(1, hello=False)
        evs = g.send({"kind": "hello", "conn": 1, "signature": "random",
                      "hello": {"resend_from_oldest": True}}, label="forged-hello")
        expect_error(evs, "forged-hello", "bad_signature", True)
        # Longer than the coordinator's 5 s stall: a moved session would be resent the mail.
        evs += g.listen(6000)
        on1 = [x for x in hostile.received(evs) if x.get("conn") == 1
               and x.get("about_label") != "forged-hello"]
        check(not on1, "the forged connection received the agency's letters:%s" %
              hostile.brief(on1))
        g.act({"op": "close", "conn": 1})

    case("f2_forged_hello_gets_no_mail: a second connection with probe-child's CURVE key sends "
         "a HELLO (asking for the mailbox from its oldest) with a random signature → "
         "bad_signature (final); it receives no directory and none of the mail waiting for "
         "probe-child", f2_forged_hello_gets_no_mail, setup=mail_waiting,
         audit_maybe=["bad_signature"], audit_sender=pc.id)

    # The genuine connection acknowledges what it holds, so the case above leaves nothing open.
    g.send({"kind": "receipt", "recipient": eld.id,
            "receipt": {"type": "delivered", "about": held["mid"]}}, label="g-ack", wait=False)
    harness.wait_delivered(eld, held["rid"], WAIT, alive=alive)

    # --- a receipt is no way around the cleartext rules -----------------------------------------

    member = h1["members"][0]
    smuggled = [member["name"], member["birthdate"], h1["phone"], h1["address"]]

    def f9_personal_data_in_rejected_receipt():
        evs = g.send({"kind": "receipt", "recipient": eld.id,
                      "receipt": {"type": "rejected", "about": held["mid"],
                                  "detail": "%s（%s生）%s %s" % tuple(smuggled)}},
                     label="smuggle", ms=3000)
        got = hostile.answers(evs, "smuggle")
        if got:
            check(got[0].get("kind") == "error"
                  and got[0].get("code") in ("personal_data", "malformed"),
                  "the receipt was answered, but not refused personal_data:%s" %
                  hostile.brief(got))
        # Whatever the coordinator did, the sender's API must not show what was smuggled.
        # Rejected (reason relayed), or withheld with the coordinator's word that the recipient
        # rejected it and its reason was not passed on, or still stored (receipt ignored).
        j = harness.wait_delivery(eld, held["rid"], ("rejected", "withheld", "delivered", "stored"),
                                  WAIT, alive=alive)
        shown = harness.texts_in(j, smuggled)
        check(not shown, "eldercare-chuo's API shows what probe-child put in the cleartext "
              "detail of a RECEIPT_REJECTED: %r (delivery %s)" % (shown, j.get("delivery")))
        if j.get("delivery") == "stored":
            g.send({"kind": "receipt", "recipient": eld.id,
                    "receipt": {"type": "delivered", "about": held["mid"]}}, label="fair-ack",
                   wait=False)
            harness.wait_delivered(eld, held["rid"], WAIT, alive=alive)
        # The rejection itself is applied: the letter leaves probe-child's mailbox.
        return {"except_": (eld.id, "coordinator /v1/cases", "coordinator /v1/stats",
                            "mailbox %s" % pc.id),
                "audit": None}

    case("f9_personal_data_in_rejected_receipt: probe-child rejects eldercare-chuo's referral with "
         "a receipt whose cleartext detail holds a name, a birth date, a phone number and an "
         "address → refused personal_data (or relayed without it); eldercare-chuo's API never "
         "shows them", f9_personal_data_in_rejected_receipt, setup=mail_waiting, audit=None)
    g.close()

    def f2_genuine_daemon_keeps_its_mail():
        with Peer(cluster, chi, name="forger-child", connect=False, ack="none") as f:
            f.connect(0, hello=False)
            evs = []
            for i in range(3):
                evs += f.send({"kind": "hello", "signature": "random"}, label="forged-%d" % i)
                expect_error(evs, "forged-%d" % i, "bad_signature", True)
            rid = notice_to(eld, chi)
            harness.wait_delivered(eld, rid, WAIT, alive=alive)
            evs += f.listen(QUIET_MS)
            nothing_else(evs, ("forged-0", "forged-1", "forged-2"),
                         what="the forger with child-chuo's key")
            check(not hostile.received(evs, "directory"), "the forger received a DIRECTORY: the "
                  "session moved to it")
            items = [it for it in chi.inbox() if it.get("referral_id") == rid]
            check(len(items) == 1, "child-chuo holds %d copies of the referral" % len(items))
        return {"except_": (eld.id, chi.id, "coordinator /v1/cases", "coordinator /v1/stats")}

    case("f2_genuine_daemon_keeps_its_mail: three forged HELLOs on a second connection with "
         "child-chuo's key → bad_signature each; eldercare-chuo's referral to child-chuo is "
         "still delivered to the daemon, once, and the forger sees none of it",
         f2_genuine_daemon_keeps_its_mail, audit_maybe=["bad_signature"] * 3,
         audit_others=["allowed"])

    # --- F12: no ping-pong of refusals ---------------------------------------------------------

    s = Peer(cluster, pe)

    def pingpong(letter, label):
        """Sends letter skewed, acknowledging every final ERROR as an agency daemon does (with
        the same skew); at most one answer may come back."""
        s.act({"op": "auto_ack", "mode": "all", "created_at_offset_ms": SKEW_AHEAD_MS,
               "max": 20})
        try:
            evs = s.send(dict(letter, created_at_offset_ms=SKEW_AHEAD_MS), label=label,
                         wait=False)
            evs += s.listen(3000)
        finally:
            s.act({"op": "auto_ack", "mode": "mail"})
        got = hostile.received(evs)
        check(len(got) <= 1, "%d letters came back for one skewed %s (a ping-pong of "
              "refusals):%s" % (len(got), letter["kind"], hostile.brief(got)))
        if got:
            check(got[0].get("kind") == "error" and got[0].get("verified") is True,
                  "the one answer is not a refusal of the coordinator:%s" % hostile.brief(got))
        print("     %d answer(s)%s" % (len(got), ": %s: %s" % (got[0].get("code"), got[0].get(
            "detail")) if got else ""))
        return {"audit_maybe": [x.get("code") for x in got]}

    def f12_skewed_receipt():
        return pingpong({"kind": "receipt", "recipient": eld.id,
                         "receipt": {"type": "delivered", "about": "11" * 16}}, "skewed-receipt")

    case("f12_skewed_receipt_no_ping_pong: one receipt 6 minutes ahead, its refusal acknowledged "
         "with the same skew → at most one answer", f12_skewed_receipt, peers=[s],
         audit_sender=pe.id)

    def f12_skewed_error():
        return pingpong({"kind": "error", "recipient": "coordinator",
                         "error": {"code": "malformed", "about": "22" * 16, "final": True,
                                   "detail": "x"}}, "skewed-error")

    case("f12_skewed_error_no_ping_pong: one ERROR letter 6 minutes ahead, its refusal "
         "acknowledged with the same skew → at most one answer", f12_skewed_error, peers=[s],
         audit_sender=pe.id)

    def letter_for_probe_child():
        if "for-pc" not in held:
            evs = s.send(referral(pe, pc, s.take()), label="for-pc")
            hostile.expect_stored(evs, "for-pc")
            held["for-pc"] = hostile.sent_id(evs, "for-pc")

    def f12_refused_receipt():
        s.act({"op": "auto_ack", "mode": "all", "max": 20})
        try:
            evs = s.send({"kind": "receipt", "recipient": pe.id,
                          "receipt": {"type": "delivered", "about": held["for-pc"]}},
                         label="late-ack", wait=False)
            evs += s.listen(3000)
        finally:
            s.act({"op": "auto_ack", "mode": "mail"})
        got = hostile.received(evs)
        check(len(got) <= 1, "%d letters came back for one refused receipt:%s" % (
            len(got), hostile.brief(got)))
        return {"audit_maybe": [x.get("code") for x in got if x.get("kind") == "error"]}

    case("f12_refused_receipt_no_ping_pong: probe-eldercare acknowledges its own letter waiting "
         "in probe-child's mailbox, and the answer like any final ERROR → at most one answer; "
         "the letter stays in the mailbox", f12_refused_receipt, setup=letter_for_probe_child,
         peers=[s], audit_sender=pe.id)
    s.close()

    # --- F6: a suspended, then revoked agency ---------------------------------------------------

    d = Peer(cluster, dis, name="as-disability", connect=False, ack="none")
    log_mark = {}

    def coordinator_log_since():
        with open(cluster.coordinator.log_path, "rb") as f:
            f.seek(log_mark.get("offset", 0))
            return f.read().decode("utf-8", "replace")

    def refusal_lines(text, code):
        key = dis.public_key_z85()
        return [ln for ln in text.splitlines()
                if (dis.id in ln or key in ln) and ("refused" in ln or code in ln)
                and "zap:" not in ln]

    def audited(code):
        return [r for r in hostile.audit_records(cluster) if r.get("event") == "refused"
                and r.get("sender") == dis.id and (r.get("details") or {}).get("code") == code]

    def set_status(verb, status):
        log_mark["offset"] = os.path.getsize(cluster.coordinator.log_path)
        cluster.ctl("agency", verb, dis.id)
        harness.wait_json(lambda: cluster.coord_json("/v1/agencies"),
                          lambda j: {e["id"]: e["status"] for e in j["agencies"]}.get(
                              dis.id) == status, WAIT,
                          "the coordinator to list %s as %s" % (dis.id, status), alive=alive)

    def admitted(conn):
        """Opens connection conn of the peer with disability-chuo's key (no HELLO, so the
        daemon keeps its session) and waits for the CURVE handshake: the coordinator admitted
        it while the agency was active."""
        evs = d.connect(conn, hello=False)
        for _ in range(50):
            if any(x.get("event") == "monitor" and x.get("conn") == conn
                   and x.get("what") == "handshake-succeeded" for x in evs):
                return
            evs += d.wait(200)
        harness.fail("the peer's connection %d with disability-chuo's key was not admitted" % conn)

    def suspend():
        admitted(0)
        set_status("suspend", "suspended")

    def revoke():
        admitted(1)
        set_status("revoke", "revoked")

    def health_status(want):
        return harness.wait_for(lambda: (dis.healthz() or {}).get("status") == want,
                                STATUS_WAIT, "%s /healthz status %s" % (dis.id, want),
                                alive=alive)

    def f6_suspended_healthz():
        health_status("suspended")

    case("f6_suspended_healthz: disability-chuo suspended while running → its /healthz says "
         "\"status\": \"suspended\"", f6_suspended_healthz,
         setup=suspend, audit=None,
         except_=("/v1/directory",), offline=(dis.id,))

    def f6_suspended_post_503():
        before = len(eld.inbox())
        r = dis.post("/v1/referrals", harness.referral_request(
            h1, to_agency=eld.id, sheet=harness.notice_sheet(h1, dis.type), legal_basis="none",
            urgency="normal"))
        check(r.status == 503 and isinstance(r.json, dict)
              and r.json.get("error") == "agency_suspended",
              "POST /v1/referrals of a suspended agency: expected 503 agency_suspended, got %r" % r)
        check(any(k.lower() == "retry-after" for k in r.headers), "the 503 has no Retry-After")
        check(len(eld.inbox()) == before, "something reached eldercare-chuo")

    case("f6_suspended_post_referral_503: POST /v1/referrals at the suspended daemon → 503 "
         "\"error\": \"agency_suspended\" with Retry-After; nothing is sent",
         f6_suspended_post_503, audit=None, offline=(dis.id,))

    def f6_suspended_letters():
        evs = []
        letters = [({"kind": "hello"}, "susp-hello"),
                   (referral(dis, eld, 1), "susp-referral"),
                   (referral(dis, eld, 2), "susp-referral-2")]
        for letter, label in letters:
            evs += d.send(letter, label=label, wait=False)
        evs += d.wait(4000, [label for _, label in letters])
        for _, label in letters:
            expect_error(evs, label, "agency_suspended", False)
        d.act({"op": "close", "conn": 0})
        n = len(audited("agency_suspended"))
        check(n == 1, "the suspension is audited %d times, not once (refusals of disability-chuo "
              "with agency_suspended since it was suspended)" % n)
        lines = refusal_lines(coordinator_log_since(), "agency_suspended")
        check(len(lines) <= 1, "the coordinator logged %d refusals of the suspended agency, not "
              "once:\n    %s" % (len(lines), "\n    ".join(lines[:5])))
        return {"audit": None}

    case("f6_suspended_letters_refused_not_final: letters of the suspended agency (its own key, "
         "on a connection admitted before the suspension) → agency_suspended (not final) each; "
         "audited and logged once, not per letter",
         f6_suspended_letters, offline=(dis.id,))

    def f6_resumed():
        health_status("ok")
        rid = notice_to(dis, eld)
        harness.wait_delivered(dis, rid, WAIT, alive=alive)
        return {"except_": (dis.id, eld.id, "coordinator /v1/cases", "coordinator /v1/stats"),
                "audit": [], "audit_others": ["allowed"]}

    case("f6_resumed: disability-chuo resumed → /healthz \"ok\" again and its referral is "
         "delivered", f6_resumed, setup=lambda: set_status("resume", "active"),
         except_=("/v1/directory",))

    def f6_revoked_healthz_409():
        health_status("revoked")
        r = dis.post("/v1/referrals", harness.referral_request(
            h1, to_agency=eld.id, sheet=harness.notice_sheet(h1, dis.type), legal_basis="none",
            urgency="normal"))
        check(r.status == 409 and isinstance(r.json, dict)
              and r.json.get("error") == "agency_revoked",
              "POST /v1/referrals of a revoked agency: expected 409 agency_revoked, got %r" % r)

    case("f6_revoked_healthz_and_409: disability-chuo revoked while running → /healthz "
         "\"status\": \"revoked\"; POST /v1/referrals → 409 \"error\": \"agency_revoked\"",
         f6_revoked_healthz_409, setup=revoke, audit=None,
         except_=("/v1/directory",), offline=(dis.id,))

    def f6_revoked_letters():
        evs = []
        letters = [(dict(referral(dis, eld, 3), conn=1), "rev-referral"),
                   (dict(referral(dis, eld, 4), conn=1), "rev-referral-2")]
        for letter, label in letters:
            evs += d.send(letter, label=label, wait=False)
        evs += d.wait(4000, [label for _, label in letters])
        for _, label in letters:
            expect_error(evs, label, "agency_revoked", True)
        n = len(audited("agency_revoked"))
        check(n == 1, "the revocation is audited %d times, not once" % n)
        lines = refusal_lines(coordinator_log_since(), "agency_revoked")
        check(len(lines) <= 1, "the coordinator logged %d refusals of the revoked agency, not "
              "once:\n    %s" % (len(lines), "\n    ".join(lines[:5])))
        return {"audit": None}

    case("f6_revoked_letters_refused_final: letters of the revoked agency (on a connection "
         "admitted before the revocation) → agency_revoked (final) each; audited and logged "
         "once", f6_revoked_letters, offline=(dis.id,))
    d.close()


if __name__ == "__main__":
    harness.main("hostile-sessions", __doc__, body)
