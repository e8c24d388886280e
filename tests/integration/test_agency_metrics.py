#!/usr/bin/env python3
"""An agency daemon's GET /metrics (issue 10, item 6) on real daemons, read the way Prometheus
reads it: every line parses as the text format 0.0.4, each sample under a TYPE, histograms whole
(cumulative buckets in order, +Inf equal to _count).  eldercare refers three households to
poverty: eldercare's group commits of API letters and poverty's of inbound letters are counted
in tsunagu_agency_commit_letters and _duration_seconds.  The API's refusals are counted by
status and code (a 422 missing_legal_basis, a 400 invalid, a 401).  With the coordinator frozen
a letter waits in the outbox and its age grows, the coordinator shows disconnected after 5 s,
and two agencies' case notes on the same version race; thawed, the coordinator stores one and
refuses the other as stale_version, which the loser counts under
tsunagu_agency_letters_refused_total{code="stale_version"}; the outbox empties (age 0) and the
coordinator shows connected again."""

import math
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
NOTE = "電話連絡：本人と面談日程を調整した。"

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse_value(text, where):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    try:
        return float(text)
    except ValueError:
        fail("%s: the value %r is not a number" % (where, text))


def parse_labels(text, where):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        check(m and m.end() > pos, "%s: bad labels at %r" % (where, text[pos:]))
        check(m.group(1) not in labels, "%s: label %s twice" % (where, m.group(1)))
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def family_of(name, types):
    """The family a sample name belongs to (a histogram's _bucket, _sum, _count)."""
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return None


def parse_prometheus(text):
    """The text format 0.0.4 as Prometheus reads it: {family: {"type": t, "help": h, "samples":
    [(name, labels, value)]}}.  Fails on any line that does not parse, a sample without a
    TYPE before it, a family typed twice, a series twice, or a broken histogram."""
    check(text.endswith("\n"), "the exposition does not end with a newline")
    families, types, seen = {}, {}, set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line)
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            check(len(parts) == 4 and METRIC_NAME.match(parts[2]), where + ": bad HELP")
            families.setdefault(parts[2], {"samples": []})["help"] = parts[3]
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            check(len(parts) == 4 and METRIC_NAME.match(parts[2]) and parts[3] in TYPES,
                  where + ": bad TYPE")
            check(parts[2] not in types, where + ": typed twice")
            check(not families.get(parts[2], {}).get("samples"), where + ": TYPE after samples")
            types[parts[2]] = parts[3]
            families.setdefault(parts[2], {"samples": []})["type"] = parts[3]
            continue
        check(line and not line.startswith("#"), where + ": neither a comment nor a sample")
        m = SAMPLE.match(line)
        check(m, where + ": not a sample")
        name, labels = m.group(1), parse_labels(m.group(3) or "", where)
        family = family_of(name, types)
        check(family, where + ": a sample without a TYPE before it")
        key = (name, tuple(sorted(labels.items())))
        check(key not in seen, where + ": the same series twice")
        seen.add(key)
        families[family]["samples"].append((name, labels, parse_value(m.group(4), where)))
    for family, f in families.items():
        check("type" in f and "help" in f, "%s has no TYPE or no HELP" % family)
        if f["type"] == "histogram":
            check_histogram(family, f["samples"])
        if f["type"] == "counter":
            check(all(v >= 0 for _n, _l, v in f["samples"]), "%s is negative" % family)
    return families


def check_histogram(family, samples):
    """Each label set of a histogram: buckets ascending by le and cumulative, +Inf last and
    equal to _count, a _sum."""
    groups = {}
    for name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name == family + "_bucket":
            check("le" in labels, "%s bucket without le" % family)
            g["buckets"].append((parse_value(labels["le"], family), value))
        elif name == family + "_sum":
            g["sum"] = value
        elif name == family + "_count":
            g["count"] = value
        else:
            fail("%s: sample %s" % (family, name))
    check(groups, "%s has no samples" % family)
    for rest, g in groups.items():
        les = [le for le, _v in g["buckets"]]
        counts = [v for _le, v in g["buckets"]]
        check(les and les == sorted(les) and len(set(les)) == len(les) and math.isinf(les[-1]),
              "%s%r: le %r" % (family, rest, les))
        check(counts == sorted(counts), "%s%r: buckets not cumulative %r" % (family, rest, counts))
        check(g["count"] is not None and g["sum"] is not None and counts[-1] == g["count"],
              "%s%r: +Inf %r, count %r, sum %r" % (family, rest, counts[-1], g["count"],
                                                  g["sum"]))


class Scrape:
    """One GET /metrics of an agency, parsed."""

    def __init__(self, agency):
        r = agency.get("/metrics")
        check(r.status == 200, "%s /metrics: %r" % (agency.id, r))
        ctype = r.headers.get("Content-Type") or r.headers.get("content-type") or ""
        check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              "%s /metrics Content-Type %r" % (agency.id, ctype))
        self.agency = agency
        self.families = parse_prometheus(r.text)

    def type(self, family):
        return (self.families.get(family) or {}).get("type")

    def value(self, name, default=None, **labels):
        """The value of the sample name{labels} (exactly those labels), or default."""
        family = family_of(name, {f: v.get("type") for f, v in self.families.items()})
        for n, l, v in (self.families.get(family) or {}).get("samples", []):
            if n == name and l == labels:
                return v
        if default is not None:
            return default
        fail("%s has no %s%r" % (self.agency.id, name, labels))


def wait_metric(agency, predicate, what):
    return harness.wait_for(lambda: (lambda s: s if predicate(s) else None)(Scrape(agency)),
                            WAIT, "%s: %s" % (agency.id, what), alive=agency.cluster.alive)


def body(cluster, results, args):
    households = harness.load_households(args.data)
    state = {}
    cluster.init()
    agencies = cluster.add_standard_agencies(("eldercare", "poverty"))
    eld, pov = agencies["eldercare"], agencies["poverty"]
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    results.ok("coordinator and two agencies are up and connected")

    def parses_connected():
        for ag in (eld, pov):
            s = Scrape(ag)
            for family, kind in (("tsunagu_agency_commit_letters", "histogram"),
                                 ("tsunagu_agency_commit_duration_seconds", "histogram"),
                                 ("tsunagu_agency_letters_refused_total", "counter"),
                                 ("tsunagu_agency_api_refusals_total", "counter"),
                                 ("tsunagu_agency_outbox_oldest_age_seconds", "gauge"),
                                 ("tsunagu_agency_coordinator_connected", "gauge"),
                                 ("tsunagu_agency_coordinator_last_seen_seconds", "gauge")):
                check(s.type(family) == kind, "%s: %s is %r, not a %s" % (
                    ag.id, family, s.type(family), kind))
            check(s.value("tsunagu_agency_coordinator_connected") == 1, "%s not connected" % ag.id)
            seen = s.value("tsunagu_agency_coordinator_last_seen_seconds")
            check(0 <= seen < 5, "%s last heard the coordinator %r s ago" % (ag.id, seen))
            check(s.value("tsunagu_agency_outbox_oldest_age_seconds") == 0,
                  "%s: outbox age with an empty outbox" % ag.id)
            # The directory came in an inbound batch already.
            check(s.value("tsunagu_agency_commit_letters_count", source="inbound") >= 1,
                  "%s: no inbound commit counted" % ag.id)

    results.check("each /metrics parses as Prometheus text, the new families typed; connected "
                  "1, heard within 5 s, outbox age 0", parses_connected)

    # --- group commits ------------------------------------------------------------------------
    def commits():
        before_e, before_p = Scrape(eld), Scrape(pov)
        api_before = before_e.value("tsunagu_agency_commit_letters_sum", source="api")
        in_before = before_p.value("tsunagu_agency_commit_letters_sum", source="inbound")
        rids = []
        for i, h in enumerate(households[:3]):
            req = harness.consented_request(eld, h, to_agency=pov.id, client_ref="m-%d" % i,
                                            sheet=harness.sheet_for_sender(h, "eldercare"))
            r = eld.post("/v1/referrals", req)
            check(r.status == 202, "POST /v1/referrals: %r" % r)
            rids.append(r.json["referral_id"])
            state.setdefault("consents", []).append(req["consent_id"])
        for rid in rids:
            harness.wait_delivered(eld, rid, WAIT, alive=alive)
        e, p = Scrape(eld), Scrape(pov)
        # Three consents and three referrals, each answered 202 after its group commit.
        check(e.value("tsunagu_agency_commit_letters_sum", source="api") - api_before >= 6,
              "eldercare's API letters committed: %r → %r" % (
                  api_before, e.value("tsunagu_agency_commit_letters_sum", source="api")))
        check(e.value("tsunagu_agency_commit_letters_count", source="api") >= 1,
              "no API group commit counted")
        check(p.value("tsunagu_agency_commit_letters_sum", source="inbound") - in_before >= 3,
              "poverty's inbound letters committed: %r → %r" % (
                  in_before, p.value("tsunagu_agency_commit_letters_sum", source="inbound")))
        for s in (e, p):
            n = s.value("tsunagu_agency_commit_duration_seconds_count")
            total = s.value("tsunagu_agency_commit_duration_seconds_sum")
            check(n >= s.value("tsunagu_agency_commit_letters_count", source="api") and n >= 1,
                  "%s: %r commits timed" % (s.agency.id, n))
            check(0 < total < n * 5, "%s: commits took %r s in all" % (s.agency.id, total))
            print("     %s: %d group commits, %.4f s in all; API letters %d in %d, inbound %d "
                  "in %d" % (s.agency.id, n, total,
                             s.value("tsunagu_agency_commit_letters_sum", source="api"),
                             s.value("tsunagu_agency_commit_letters_count", source="api"),
                             s.value("tsunagu_agency_commit_letters_sum", source="inbound"),
                             s.value("tsunagu_agency_commit_letters_count", source="inbound")))
        return rids

    rids = results.check("three referrals: eldercare's API group commits and poverty's inbound "
                         "ones in tsunagu_agency_commit_letters, timed in "
                         "tsunagu_agency_commit_duration_seconds", commits)
    if not rids:
        fail("no referrals: nothing else can be tested")

    # --- the API's refusals -------------------------------------------------------------------
    def api_refusals():
        def count(s, status, code):
            return s.value("tsunagu_agency_api_refusals_total", 0, status=status, code=code)

        before = Scrape(pov)
        h = households[3]
        # poverty may not send emergency reports: 422 missing_legal_basis before anything.
        req = harness.referral_request(h, to_agency=eld.id, legal_basis="emergency",
                                       urgency="emergency",
                                       sheet=harness.sheet_for_sender(h, "poverty"))
        r = pov.post("/v1/referrals", req)
        check(r.status == 422 and (r.json or {}).get("error") == "missing_legal_basis",
              "poverty's emergency report: %r" % r)
        r = pov.post("/v1/referrals", {"to": eld.id})
        check(r.status == 400 and (r.json or {}).get("error") == "invalid", "{to}: %r" % r)
        r = pov.get("/v1/inbox", token=None)
        check(r.status == 401, "no token: %r" % r)
        after = Scrape(pov)
        for status, code in (("422", "missing_legal_basis"), ("400", "invalid"),
                             ("401", "unauthorized")):
            got = count(after, status, code) - count(before, status, code)
            check(got == 1, "%s %s counted %r times" % (status, code, got))
        check(not any(l.get("code") == "other" and l.get("status") == "other"
                      for _n, l, _v in after.families["tsunagu_agency_api_refusals_total"][
                          "samples"]), "an answer of the API is outside the table")

    results.check("poverty's 422 missing_legal_basis, 400 invalid and 401 are counted in "
                  "tsunagu_agency_api_refusals_total{status,code}", api_refusals)

    # --- the coordinator frozen: outbox age, connection, a race refused as stale -------------
    rid = rids[0]
    ref = eld.referral(rid)
    case_id = ref["case_id"]

    def frozen():
        version = harness.wait_json(lambda: cluster.coordinator_case(case_id),
                                    lambda c: c.get("version"), WAIT, "the coordinator's case",
                                    alive=alive)["version"]
        for ag in (eld, pov):
            harness.wait_json(lambda: ag.case(case_id), lambda c: c.get("version") == version,
                              WAIT, "%s's copy at v%d" % (ag.id, version), alive=alive)
            ag.wait_outbox_empty(WAIT)
        state["before"] = {ag.id: Scrape(ag) for ag in (eld, pov)}
        cluster.coordinator.freeze()
        state["frozen"] = True
        started = time.monotonic()
        for ag in (eld, pov):
            r = ag.case_event(case_id, {"type": "note", "base_version": version,
                                        "legal_basis": "consent",
                                        "consent_id": state["consents"][0],
                                        "data_categories": ["free-text"],
                                        "note": {"category": "call",
                                                 "written_on": harness.today_jst_plus(0),
                                                 "text": NOTE + ag.id}})
            check(r.status == 202, "%s's note on v%d: %r" % (ag.id, version, r))
        s = wait_metric(eld, lambda s: s.value("tsunagu_agency_coordinator_connected") == 0,
                        "the coordinator disconnected")
        waited = time.monotonic() - started
        check(s.value("tsunagu_agency_outbox_letters") >= 1, "eldercare's outbox is empty")
        age = s.value("tsunagu_agency_outbox_oldest_age_seconds")
        check(waited - 1 <= age <= waited + 5, "outbox age %r after %.1f s frozen" % (age, waited))
        seen = s.value("tsunagu_agency_coordinator_last_seen_seconds")
        check(seen >= 5, "last heard the coordinator %r s ago while disconnected" % seen)
        print("     frozen %.1f s: eldercare's oldest letter %.1f s old, coordinator last heard "
              "%.1f s ago" % (waited, age, seen))

    try:
        results.check("with the coordinator frozen: the note waits in the outbox, its age grows; "
                      "connected 0 after 5 s", frozen)
    finally:
        if state.get("frozen"):
            cluster.coordinator.thaw()

    def stale_refused():
        check("before" in state, "nothing was sent while frozen")
        for ag in (eld, pov):
            ag.wait_outbox_empty(WAIT)

        def stale(ag):
            return Scrape(ag).value("tsunagu_agency_letters_refused_total", 0,
                                    code="stale_version")

        harness.wait_for(lambda: stale(eld) + stale(pov) >= 1, WAIT,
                         "one of the racing notes refused as stale_version", alive=alive)
        got = {ag.id: stale(ag) - state["before"][ag.id].value(
            "tsunagu_agency_letters_refused_total", 0, code="stale_version") for ag in (eld, pov)}
        check(sorted(got.values()) == [0, 1], "stale_version refusals %r" % got)
        loser = eld if got[eld.id] == 1 else pov
        case = loser.case(case_id) or {}
        check(any("stale" in str(x).lower() for x in case.get("rejected_events") or []),
              "%s's rejected_events do not show the refusal: %r" % (loser.id, case))
        for ag in (eld, pov):
            s = wait_metric(ag, lambda s: s.value("tsunagu_agency_coordinator_connected") == 1,
                            "connected again")
            check(s.value("tsunagu_agency_outbox_oldest_age_seconds") == 0,
                  "%s: outbox age once empty" % ag.id)
            check(s.value("tsunagu_agency_coordinator_last_seen_seconds") < 5,
                  "%s: last seen" % ag.id)
            total = sum(v for _n, _l, v in s.families["tsunagu_agency_letters_refused_total"][
                "samples"])
            check(total == got[ag.id], "%s: refusals by code %r" % (
                ag.id, s.families["tsunagu_agency_letters_refused_total"]["samples"]))
        print("     %s's note was refused as stale_version" % loser.id)

    results.check("thawed: one note stored, the other refused; the loser counts "
                  "tsunagu_agency_letters_refused_total{code=\"stale_version\"} 1, no other code; "
                  "outbox age 0, connected 1", stale_refused)


if __name__ == "__main__":
    harness.main("agency_metrics", __doc__, body)
