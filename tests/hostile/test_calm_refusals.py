#!/usr/bin/env python3
"""Refusals stay calm: a revoked or suspended agency whose daemon keeps running, and an agency
whose clock runs 10 minutes ahead, cost a handful of log lines and audit records over 30 s, not
one per letter; each daemon says why in /healthz and refuses new work with a clear error instead
of 202; a suspended agency resumes by itself; letters *to* the fast-clock agency are still
delivered (its receipts are dated by the coordinator's clock)."""

import glob
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 60
WINDOW_S = 30          # how long each misbehaving daemon runs while the test counts
MAX_LOG_LINES = 8      # coordinator lines (info and warn) about it in that window
MAX_AUDIT_RECORDS = 4  # audit records added in that window


def log_lines(path, about):
    """The coordinator's non-debug log lines that name agency id `about`."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line for line in f if about in line and " debug: " not in line
                and "===== harness" not in line]


def audit_records(cluster):
    path = cluster.audit_path()
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if line.strip())


def notice(h, to, sender_type):
    return harness.referral_request(h, to_agency=to.id, sheet=harness.notice_sheet(h, sender_type),
                                    legal_basis="none", urgency="normal")


def count_window(cluster, agency, seconds):
    """Lets the cluster run for `seconds`; returns (log lines naming agency, audit records)
    added meanwhile at the coordinator."""
    log = cluster.coordinator.log_path
    lines_before = len(log_lines(log, agency.id))
    audit_before = audit_records(cluster)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cluster.alive()
        time.sleep(0.5)
    added = log_lines(log, agency.id)[lines_before:]
    return added, audit_records(cluster) - audit_before


def health_is(agency, status, coordinator=None):
    def ok():
        h = agency.healthz()
        if h and h.get("status") == status and (coordinator is None
                                                or h.get("coordinator") == coordinator):
            return h
        return None
    return harness.wait_for(ok, WAIT, "%s /healthz status %s" % (agency.id, status),
                            alive=agency.cluster.alive)


def body(cluster, results, args):
    hh = harness.load_households(args.data)
    cluster.init()
    ag = cluster.add_standard_agencies()
    eld, dis, chi, pov = (ag[t] for t in harness.AGENCY_TYPES)
    extra = cluster.add_agency("eldercare-kita", "eldercare", "つなぐ市北部地域包括支援センター")
    preload = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not preload:
        harness.fail("libfaketime is not installed (scripts/lib/deps.sh installs faketime)")
    # eldercare-kita's daemon runs with its clock 10 minutes ahead (libfaketime preloaded into
    # the daemon itself, so that it is still the daemon the harness signals), the monotonic
    # clock left alone.
    extra.daemon.env = dict(cluster.env, LD_PRELOAD=preload[0], FAKETIME="+10m",
                            FAKETIME_DONT_FAKE_MONOTONIC="1",
                            ASAN_OPTIONS=cluster.env.get("ASAN_OPTIONS", "")
                            + ":verify_asan_link_order=0")
    cluster.start_all([eld.id, dis.id, chi.id, pov.id])
    cluster.wait_ready([eld.id, dis.id, chi.id, pov.id])
    results.ok("coordinator and four agency daemons are up")

    # --- revoked while running, and a clock 10 minutes ahead, in one 30 s window ------------
    def revoked_and_fast_clock():
        r = chi.post("/v1/referrals", notice(hh[0], pov, "child"))
        check(r.status == 202, "child refers before it is revoked: %r" % r)
        harness.wait_delivered(chi, r.json["referral_id"], WAIT, alive=cluster.alive)
        cluster.ctl("agency", "revoke", chi.id)
        cluster.start_agency(extra.id)
        h = health_is(chi, "revoked", "refused")
        check(h.get("registration") == "revoked", "/healthz: %r" % h)
        r = chi.post("/v1/referrals", notice(hh[1], pov, "child"))
        check(r.status == 409 and r.json.get("error") == "agency_revoked",
              "a referral from the revoked agency: expected 409 agency_revoked, got %r" % r)
        h = health_is(extra, "clock_skew")
        skew = h.get("clock_skew_ms")
        check(isinstance(skew, int) and 9 * 60 * 1000 < skew < 11 * 60 * 1000,
              "clock_skew_ms %r, expected about 600000" % skew)
        r = extra.post("/v1/referrals", notice(hh[3], pov, "eldercare"))
        check(r.status == 503 and r.json.get("error") == "clock_skew",
              "a referral from the fast-clock agency: expected 503 clock_skew, got %r" % r)
        # Letters to it still arrive, and their sender sees them delivered.
        r = pov.post("/v1/referrals", notice(hh[3], extra, "poverty"))
        check(r.status == 202, "poverty refers to the fast-clock agency: %r" % r)
        harness.wait_delivered(pov, r.json["referral_id"], WAIT, alive=cluster.alive)

        log = cluster.coordinator.log_path
        before = {a.id: len(log_lines(log, a.id)) for a in (chi, extra)}
        audit_before = audit_records(cluster)
        deadline = time.monotonic() + WINDOW_S
        while time.monotonic() < deadline:
            cluster.alive()
            time.sleep(0.5)
        records = audit_records(cluster) - audit_before
        for a, what in ((chi, "the revoked agency"), (extra, "the fast-clock agency")):
            lines = log_lines(log, a.id)[before[a.id]:]
            print("     %d s: %d coordinator lines about %s (%s)" % (WINDOW_S, len(lines), a.id,
                                                                    what))
            check(len(lines) <= MAX_LOG_LINES, "the coordinator logged %d lines about %s in "
                  "%d s:\n%s" % (len(lines), what, WINDOW_S, "".join(lines[:20])))
        print("     %d audit records in the window" % records)
        check(records <= MAX_AUDIT_RECORDS, "%d audit records in %d s" % (records, WINDOW_S))
        check(cluster.coord_get("/metrics").status == 200, "/metrics")

    results.check("a revoked agency's daemon, still running, and one whose clock is 10 minutes "
                  "ahead: /healthz says revoked / clock_skew, new work is refused (409 "
                  "agency_revoked, 503 clock_skew), mail to the fast clock is delivered, and "
                  "30 s of both cost a handful of log lines and audit records", revoked_and_fast_clock)

    # --- suspended, then resumed -----------------------------------------------------------
    def suspended():
        cluster.ctl("agency", "suspend", dis.id)
        health_is(dis, "suspended", "refused")
        r = dis.post("/v1/referrals", notice(hh[2], pov, "disability"))
        check(r.status == 503 and r.json.get("error") == "agency_suspended",
              "a referral from the suspended agency: expected 503 agency_suspended, got %r" % r)
        retry = r.headers.get("Retry-After") or r.headers.get("retry-after")
        check(retry and retry.isdigit() and int(retry) > 0, "no Retry-After: %r" % r.headers)
        lines, records = count_window(cluster, dis, 12)
        check(len(lines) <= MAX_LOG_LINES, "%d lines about the suspended agency:\n%s" % (
            len(lines), "".join(lines[:20])))
        check(records <= MAX_AUDIT_RECORDS, "%d audit records while suspended" % records)
        cluster.ctl("agency", "resume", dis.id)
        health_is(dis, "ok", "connected")
        r = dis.post("/v1/referrals", notice(hh[2], pov, "disability"))
        check(r.status == 202, "after resume: %r" % r)
        harness.wait_delivered(dis, r.json["referral_id"], WAIT, alive=cluster.alive)

    results.check("a suspended agency says so, answers 503 with Retry-After, logs little, and "
                  "resumes by itself", suspended)

    # The others were never disturbed.
    def others():
        r = eld.post("/v1/referrals", notice(hh[4], pov, "eldercare"))
        check(r.status == 202, "eldercare refers: %r" % r)
        harness.wait_delivered(eld, r.json["referral_id"], WAIT, alive=cluster.alive)
        check(json.dumps(eld.healthz()).find('"status": "ok"') >= 0, "eldercare /healthz")

    results.check("agencies in good standing are unaffected throughout", others)


if __name__ == "__main__":
    harness.main("calm_refusals", __doc__.splitlines()[0], body)
