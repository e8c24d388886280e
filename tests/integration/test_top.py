#!/usr/bin/env python3
"""The coordinator's overview (概況), end to end: a real coordinator and four agencies; an
eldercare referral opens a case.  GET /v1/overview (bearer token) then shows the case as new
this week and month, the agencies online with their last contact, letters in the last minute;
`tsunaguctl top --once` prints the same in one plain frame (Japanese labels, English with
--lang en) that fits 80 columns, without terminal codes; `top --once --json` is the route's
JSON.  Without a running coordinator `top` says so and exits non-zero."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

WAIT = 30


def display_width(text):
    """Columns a terminal gives text: East Asian wide characters take two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def body(cluster, results, args):
    h = harness.load_households(args.data)[0]
    cluster.init()
    agencies = cluster.add_standard_agencies()
    elder, pov = agencies["eldercare"], agencies["poverty"]

    def not_running():
        r = cluster.ctl("top", "--once", check_rc=False)
        check(r.returncode != 0, "top without a coordinator exited %d" % r.returncode)
        check("not running" in r.stderr or "動いていません" in r.stderr,
              "top without a coordinator said: %r" % r.stderr)

    results.check("without a running coordinator, top says so and exits non-zero", not_running)

    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    case_id = harness.open_case(elder, pov, h)
    results.ok("eldercare opened case %s with a referral to poverty" % case_id[:8])

    def overview_route():
        r = cluster.coord_get("/v1/overview", token=False)
        check(r.status == 401, "GET /v1/overview without the token: %r" % r)
        o = harness.wait_json(lambda: cluster.coord_json("/v1/overview"),
                              lambda o: (o.get("letters_last_minute") or 0) >= 1, WAIT,
                              "the overview counts the letters of the last minute",
                              alive=cluster.alive)
        check(o["new_cases"]["week"] >= 1 and o["new_cases"]["month"] >= 1
              and o["new_cases"]["today"] >= 1, "new cases: %r" % o["new_cases"])
        by_state = o["cases_by_state"]
        check(sum(by_state.values()) == 1 and by_state.get("multi-agency") == 1,
              "cases by state: %r" % by_state)
        check(len(o["letters_per_minute"]) == 60 and sum(o["letters_per_minute"]) >= 1,
              "letters per minute: %r" % o["letters_per_minute"])
        ids = {a["id"]: a for a in o["agencies"]}
        check(set(ids) == {a.id for a in agencies.values()}, "agencies: %r" % sorted(ids))
        for a in ids.values():
            check(a["online"] is True and isinstance(a["last_seen"], str)
                  and a["status"] == "active", "agency %r" % a)
        for key in ("overdue", "withheld", "consents_expiring", "alerts_open", "as_of"):
            check(key in o, "no %s in the overview" % key)
        check(o["overdue"]["total"] == {"received": 0, "accepted": 0}, "overdue %r" % o["overdue"])
        return o

    results.check("GET /v1/overview shows the new case, every agency online with its last "
                  "contact, and the letters of the last minute", overview_route)

    def top_once():
        r = cluster.ctl("top", "--once")
        out = r.stdout
        check("\033" not in out, "--once printed terminal codes: %r" % out)
        check("概況" in out and "多機関協働 1" in out, "top --once: %s" % out)
        for a in agencies.values():
            check(a.id in out, "top --once does not list %s:\n%s" % (a.id, out))
        wide = [line for line in out.splitlines() if display_width(line) > 80]
        check(not wide, "lines wider than 80 columns: %r" % wide)
        check("今週 1" in out and "今月 1" in out, "new cases in top: %s" % out)
        en = cluster.ctl("top", "--once", "--lang", "en").stdout
        check("overview" in en and "multi-agency 1" in en and "week 1" in en, "en: %s" % en)
        j = json.loads(cluster.ctl("top", "--once", "--json").stdout)
        check(j["cases_by_state"]["multi-agency"] == 1 and len(j["agencies"]) == 4,
              "top --once --json: %r" % j)
        bad = cluster.ctl("top", "--interval", "0", check_rc=False)
        check(bad.returncode == 2, "--interval 0: %r" % (bad,))
        print(out)

    results.check("tsunaguctl top --once prints the overview in one plain frame of at most 80 "
                  "columns (Japanese, --lang en, --json)", top_once)


if __name__ == "__main__":
    harness.main("top", __doc__, body)
