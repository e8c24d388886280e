#!/usr/bin/env python3
"""The agency's event feed, GET /v1/events, on real daemons: a referral from eldercare to
poverty gives poverty referral.received and eldercare delivery.stored and delivery.delivered;
poverty's status change shows on both sides; a long-poll returns as soon as an event is
committed (and, with nothing new, when its wait ends); after a SIGKILL of the agency daemon
every event is still there, in order; a cursor older than the kept range gets 410."""

import os
import re
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def events(agency, after=0, limit=500, wait=None, timeout=15):
    """GET /v1/events; the answer JSON (checked: 200, its shape, order and ids)."""
    path = "/v1/events?after=%d&limit=%d" % (after, limit)
    if wait is not None:
        path += "&wait=%d" % wait
    r = agency.get(path, timeout=timeout)
    check(r.status == 200 and isinstance(r.json, dict), "%s GET %s: %r" % (agency.id, path, r))
    got = r.json.get("events")
    check(isinstance(got, list) and len(got) <= limit, "%s events %r" % (agency.id, got))
    prev = after
    for e in got:
        check(isinstance(e.get("seq"), int) and e["seq"] > prev,
              "%s event seq %r not above %d" % (agency.id, e.get("seq"), prev))
        check(e.get("id") == "%s:%d" % (agency.id, e["seq"]), "event id %r" % e.get("id"))
        check(ISO_UTC.match(e.get("at") or ""), "event at %r" % e.get("at"))
        check(isinstance(e.get("type"), str) and isinstance(e.get("data"), dict),
              "event %r" % e)
        prev = e["seq"]
    check(r.json.get("next_after") == prev, "next_after %r, last event %d" % (
        r.json.get("next_after"), prev))
    check(isinstance(r.json.get("last"), int) and r.json["last"] >= prev,
          "last %r" % r.json.get("last"))
    return r.json


def all_events(agency, page=7):
    """Every kept event, page by page."""
    out, after = [], 0
    for _ in range(10000):
        got = events(agency, after, page)
        if not got["events"]:
            return out
        out.extend(got["events"])
        after = got["next_after"]
    fail("the feed of %s never ended" % agency.id)


def wait_event(agency, type_, match, what):
    """Polls the feed until an event of type_ whose data match (a dict) holds; returns it."""
    def find():
        for e in all_events(agency, 500):
            if e["type"] == type_ and all(e["data"].get(k) == v for k, v in match.items()):
                return e
        return None
    return harness.wait_for(find, WAIT, what, alive=agency.cluster.alive)


def metric(agency, name):
    r = agency.get("/metrics")
    check(r.status == 200, "/metrics: %r" % r)
    for line in r.text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    fail("%s has no %s" % (agency.id, name))


def set_retention(agency, keep, days):
    """Writes [retention] events_keep and events_days into the agency's configuration."""
    with open(agency.conf, encoding="utf-8") as f:
        text = f.read()
    lines = "events_keep = %d\nevents_days = %d\n" % (keep, days)
    if "[retention]" in text:
        text = text.replace("[retention]\n", "[retention]\n" + lines, 1)
    else:
        text += "\n[retention]\n" + lines
    with open(agency.conf, "w", encoding="utf-8") as f:
        f.write(text)


def body(cluster, results, args):
    households = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies(("eldercare", "poverty"))
    elder, poverty = agencies["eldercare"], agencies["poverty"]
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    results.ok("coordinator and two agencies are up and connected")

    def arguments():
        check(poverty.get("/v1/events", token=None).status == 401, "no token: not 401")
        for query in ("limit=0", "limit=501", "wait=61", "after=-1", "after=x"):
            r = poverty.get("/v1/events?" + query)
            check(r.status == 400 and r.json.get("error") == "invalid", "%s: %r" % (query, r))
        first = events(poverty)
        check(any(e["type"] == "directory.changed" for e in first["events"]),
              "no directory.changed in %r" % first)
        r = poverty.get("/v1/events?after=%d" % (first["last"] + 5))
        check(r.status == 400, "a cursor past the last event: %r" % r)

    results.check("GET /v1/events checks its token and arguments; the directory is an event",
                  arguments)

    # --- a long-poll held until the referral arrives -----------------------------------------
    base = events(poverty)["last"]
    held = {}

    def long_poll():
        started = time.monotonic()
        try:
            held["answer"] = events(poverty, base, 100, wait=40, timeout=55)
        except Exception as e:  # reported below
            held["error"] = e
        held["elapsed"] = time.monotonic() - started

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    harness.wait_for(lambda: metric(poverty, "tsunagu_agency_events_long_polls") == 1, WAIT,
                     "poverty holding the long-poll", alive=alive)
    h = households[0]
    req = harness.consented_request(elder, h, to_agency=poverty.id, client_ref="events-1",
                                    sheet=harness.sheet_for_sender(h, "eldercare"))
    r = elder.post("/v1/referrals", req)
    check(r.status == 202, "POST /v1/referrals: %r" % r)
    rid, cid = r.json["referral_id"], r.json["case_id"]
    poller.join(50)

    def long_poll_answered():
        check(not poller.is_alive(), "the long-poll never came back")
        check("error" not in held, "the long-poll failed: %r" % held.get("error"))
        check(held["elapsed"] < 35, "the long-poll took %.1f s (its wait was 40)" % held["elapsed"])
        types = [e["type"] for e in held["answer"]["events"]]
        check(types, "the long-poll came back empty")
        check(metric(poverty, "tsunagu_agency_events_long_polls") == 0, "still held")

    results.check("a held long-poll comes back as soon as an event is committed",
                  long_poll_answered)

    def received():
        e = wait_event(poverty, "referral.received", {"referral_id": rid},
                       "poverty's referral.received")
        d = e["data"]
        check(d.get("case_id") == cid and d.get("from") == elder.id
              and d.get("urgency") == h["urgency"], "referral.received %r" % d)
        texts = [m.get("name") for m in h["members"] if m.get("name")] + [h["address"]]
        leaked = harness.texts_in(all_events(poverty), [t for t in texts if t])
        check(not leaked, "the feed shows personal data: %r" % leaked)

    results.check("poverty's feed: referral.received with ids and codes, no personal data",
                  received)

    def delivery():
        stored = wait_event(elder, "delivery.stored", {"referral_id": rid},
                            "eldercare's delivery.stored")
        delivered = wait_event(elder, "delivery.delivered", {"referral_id": rid},
                               "eldercare's delivery.delivered")
        for e in (stored, delivered):
            check(e["data"].get("recipient") == poverty.id and e["data"].get("kind") == "referral",
                  "%s %r" % (e["type"], e["data"]))
        check(delivered["seq"] > stored["seq"], "delivered before stored")

    results.check("eldercare's feed: delivery.stored, then delivery.delivered", delivery)

    def status_both_sides():
        r = poverty.set_status(rid, "received")
        check(r.status == 202, "status received: %r" % r)
        for agency, side in ((poverty, "recipient"), (elder, "sender")):
            e = wait_event(agency, "referral.status_changed", {"referral_id": rid,
                                                               "to": "received"},
                           "%s's referral.status_changed" % agency.id)
            d = e["data"]
            check(d.get("from") == "requested" and d.get("by") == poverty.id
                  and d.get("side") == side and d.get("version") == 2,
                  "%s referral.status_changed %r" % (agency.id, d))

    results.check("poverty's status change shows on both sides, saying by whom", status_both_sides)

    def empty_wait():
        last = events(poverty)["last"]
        started = time.monotonic()
        got = events(poverty, last, 10, wait=1)
        elapsed = time.monotonic() - started
        check(not got["events"] and got["next_after"] == last, "after the wait: %r" % got)
        check(0.8 <= elapsed < 10, "a 1 s wait answered after %.2f s" % elapsed)

    results.check("with nothing new a long-poll answers when its wait ends", empty_wait)

    # --- SIGKILL: every event is still there, in order --------------------------------------
    def survives_kill9():
        before = all_events(elder)
        check(before and before[0]["seq"] == 1, "eldercare's feed %r" % before[:2])
        check([e["seq"] for e in before] == list(range(1, len(before) + 1)),
              "gaps in eldercare's feed: %r" % [e["seq"] for e in before])
        elder.daemon.kill9()
        cluster.start_agency(elder.id)
        cluster.wait_ready([elder.id])
        after = all_events(elder, page=3)
        check(after[:len(before)] == before, "eldercare's events changed across the SIGKILL")
        check(metric(elder, "tsunagu_agency_events_total") == after[-1]["seq"],
              "tsunagu_agency_events_total is not the last seq")

    results.check("after a SIGKILL of eldercare every event is still there, in order",
                  survives_kill9)

    # --- retention: a cursor older than the kept range gets 410 ------------------------------
    def gone():
        last = events(poverty)["last"]
        check(last > 4, "poverty has only %d events" % last)
        # A long-poll held while the daemon stops: answered or closed, and the daemon exits 0.
        def poll():
            try:
                poverty.get("/v1/events?after=%d&wait=30" % last, timeout=40)
            except OSError:
                pass  # closed as the daemon went: as good as an answer

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        harness.wait_for(lambda: metric(poverty, "tsunagu_agency_events_long_polls") == 1, WAIT,
                         "poverty holding a long-poll", alive=alive)
        started = time.monotonic()
        rc = poverty.daemon.stop()
        check(rc == 0, "poverty's exit with a long-poll held: %r" % rc)
        poller.join(20)
        check(not poller.is_alive() and time.monotonic() - started < 15,
              "the held long-poll outlived the daemon")
        set_retention(poverty, 2, 0)
        cluster.start_agency(poverty.id)
        cluster.wait_ready([poverty.id])
        kept = harness.wait_for(
            lambda: (lambda got: got if got["events"] and got["events"][0]["seq"] > last - 2
                     else None)(events(poverty)), WAIT, "poverty's feed pruned to 2", alive=alive)
        first = kept["events"][0]["seq"]
        r = poverty.get("/v1/events?after=1")
        check(r.status == 410 and r.json.get("error") == "gone" and r.json.get("first") == first,
              "after=1 once pruned: %r" % r)
        check(events(poverty, first - 1)["events"][0]["seq"] == first, "first - 1 is not kept")
        check(metric(poverty, "tsunagu_agency_events_kept") <= 4, "still kept: too many")

    results.check("a SIGTERM with a long-poll held exits cleanly; pruned past [retention] "
                  "events_keep, an older cursor gets 410 Gone", gone)


if __name__ == "__main__":
    harness.main("events", __doc__, body)
