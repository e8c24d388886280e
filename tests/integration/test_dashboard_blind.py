#!/usr/bin/env python3
"""The dashboard shows no personal data.  A real coordinator and four agencies route every
synthetic household's つなぐシート (names, kana, addresses, birth dates, phone numbers, the
summary and referral notes in free text) on its own legal basis, and the agencies add case
events and answers with personal free text; then a staff account logs in with http.client (GET
/login for the CSRF cookie and field, POST /login) and crawls the whole dashboard — 概況, ケース
一覧 under every filter and sort and its next pages, every case page, 機関, 実績・報告 and both
CSV encodings, in Japanese and English, every local link the pages hold — plus every /v1/* JSON
answer with the bearer token, /metrics and /healthz.  None of the personal strings may appear in
any of them, as UTF-8, HTML character references, percent-encoding, JSON escapes or CP932.  The
scan is shown to find a planted value in each of those forms (and in a real page it is planted
into), so a page that did show one would fail the test."""

import html
import json
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
STAFF = ("kudo", "coordinator", "kudo-blind-pass-1")
CRAWL_MAX = 800  # page fetches at most (the crawl is bounded whatever the pages link to)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Personal free text the agencies write into case events and answers (synthetic): it travels
# sealed to the agencies on the case and must never reach a page.
FREE_TEXT = {
    "reason": "コア会議で山田ハナさんの介護と長男の家計の課題を確認したため課題整理へ移る。",
    "note": "訪問記録：山田一郎さんが玄関先で十分ほど話し、家賃の滞納額を教えてくれた。",
    "status": "受付メモ：母親の携帯 090-1234-5678 に折り返し、来週水曜の面談を約束した。",
}


def household_strings(households):
    """{string: household id}: each household's personal strings (harness.personal_strings) and
    the text values of its type sections (care level, income band, school...)."""
    out = {}
    for h in households:
        for s in harness.personal_strings(h):
            out.setdefault(s, h["id"])
        for section in harness.AGENCY_TYPES:
            for value in (h.get(section) or {}).values():
                if isinstance(value, str) and len(value) >= 4:
                    out.setdefault(value, h["id"])
        out.setdefault(harness.sheet_from_household(h)["summary"], h["id"])
    for name, text in FREE_TEXT.items():
        out[text] = "free text (%s)" % name
    return out


# --- the scan --------------------------------------------------------------------------------

def views_of(body, content_type):
    """Every text a body can show a reader: decoded (CP932 when the answer says Shift_JIS),
    with HTML character references resolved, percent-encoding undone, and JSON re-serialised
    without escapes."""
    ct = (content_type or "").lower()
    texts = []
    if "shift_jis" in ct or "cp932" in ct:
        texts.append(body.decode("cp932", "replace"))
    texts.append(body.decode("utf-8", "replace"))
    more = []
    for t in texts:
        more.append(html.unescape(t))
        more.append(urllib.parse.unquote(t))
        more.append(urllib.parse.unquote_plus(html.unescape(t)))
        try:
            more.append(json.dumps(json.loads(t), ensure_ascii=False))
        except ValueError:
            pass
    return texts + more


def scan(body, content_type, needles):
    """The needles (strings) found in body in any form views_of gives, or as CP932 bytes."""
    found = set()
    views = views_of(body, content_type)
    for needle in needles:
        if any(needle in v for v in views):
            found.add(needle)
            continue
        try:
            if needle.encode("cp932") in body:
                found.add(needle)
        except UnicodeEncodeError:
            pass
    return found


# --- traffic -----------------------------------------------------------------------------------

def route_households(cluster, agencies, households, results):
    """Every household from its sender type to its recipient type on its own legal basis, with
    a referral note in free text; returns [(sender, recipient, household, request, answer)]."""
    sent = []
    for h in households:
        sender, recipient = agencies[h["from"]], agencies[h["to"]]
        sheet = harness.sheet_for_sender(h, sender.type, {
            "referral_note": "%sさん世帯について%sへ相談をお願いします。連絡先 %s" % (
                h["members"][0]["name"], recipient.name, h["phone"])})
        req = harness.basis_request(sender, h, recipient, sheet=sheet,
                                    client_ref="dashboard-blind-" + h["id"])
        r = sender.post("/v1/referrals", req)
        check(r.status == 202, "POST %s %s → %s: %r" % (h["id"], sender.id, recipient.id, r))
        sent.append((sender, recipient, h, req, r.json))
    for sender, recipient, h, req, answer in sent:
        harness.wait_delivered(sender, answer["referral_id"], WAIT, alive=cluster.alive)
    results.ok("every household's sheet is delivered (%d referrals)" % len(sent))
    return sent


def free_text_events(cluster, sent, results):
    """On the first consent-based case: the sender moves it to assessment with a reason and
    writes a note, the recipient receives the referral with a note — all personal free text."""
    sender, recipient, h, req, answer = next(x for x in sent if x[3].get("legal_basis") ==
                                             "consent")
    case_id = answer["case_id"]
    basis = {"legal_basis": "consent", "consent_id": req["consent_id"],
             "data_categories": ["free-text"]}

    def version():
        c = harness.wait_json(lambda: cluster.coordinator_case(case_id), lambda c: True, WAIT,
                              "the coordinator's case %s" % case_id[:8], alive=cluster.alive)
        return c["version"]

    for event in ({"type": "state", "state": "assessment", "reason": FREE_TEXT["reason"]},
                  {"type": "note", "note": {"category": "visit",
                                            "written_on": harness.today_jst_plus(0),
                                            "text": FREE_TEXT["note"]}}):
        base = version()
        r = sender.case_event(case_id, dict(event, base_version=base, **basis))
        check(r.status == 202, "%s's %s event with free text: %r" % (sender.id, event["type"], r))
        harness.wait_json(lambda: cluster.coordinator_case(case_id),
                          lambda c, base=base: c.get("version") == base + 1, WAIT,
                          "the coordinator applies the %s event" % event["type"],
                          alive=cluster.alive)
    r = recipient.set_status(answer["referral_id"], "received", note=FREE_TEXT["status"])
    check(r.status == 202, "%s receives with a note: %r" % (recipient.id, r))
    harness.wait_json(lambda: sender.referral(answer["referral_id"]),
                      lambda j: j.get("state") == "received", WAIT,
                      "the sender sees the referral received", alive=cluster.alive)
    results.ok("agencies wrote free text into case %s (a reason, a note, a status note)" %
               case_id[:8])
    return case_id


# --- the crawl ---------------------------------------------------------------------------------

def api_all_cases(cluster):
    ids, cursor = [], None
    for _ in range(1000):
        j = cluster.coord_json("/v1/cases" + ("?cursor=" + urllib.parse.quote(cursor)
                                              if cursor else ""))
        batch = j.get("cases") if isinstance(j, dict) else j
        ids += [c["case_id"] for c in batch]
        cursor = j.get("next_cursor") if isinstance(j, dict) else None
        if not cursor or not batch:
            return ids
    fail("/v1/cases paging never ended")


def local_links(page):
    """The local GET targets of a page's links (not the forms' POST actions)."""
    out = []
    for m in re.finditer(rb'<a\b[^>]*\bhref="([^"]*)"', page):
        href = html.unescape(m.group(1).decode("utf-8", "replace"))
        if href.startswith("/") and not href.startswith("//"):
            out.append(href.split("#", 1)[0])
    return out


def crawl(cluster, staff, households, case_ids, first_month, this_month):
    """Fetches every page and answer; returns [(path, status, content type, body)]."""
    agencies = [a.id for a in cluster.agencies.values()]
    states = ["open", "multi-agency", "assessment", "planning", "conference", "support",
              "monitoring", "watch", "closed"]
    tags = sorted({t for h in households for t in h["tags"]})
    period = "from=%s&to=%s" % (first_month, this_month)
    seeds = ["/", "/cases", "/agencies", "/reports", "/reports?" + period,
             "/reports.csv", "/reports.csv?" + period, "/reports.csv?%s&encoding=cp932" % period,
             "/reports.csv?encoding=cp932", "/login", "/cases?overdue=1", "/cases?withheld=1",
             "/cases?candidate=1", "/cases?stuck=1", "/cases?stuck=30",
             "/cases?overdue=1&withheld=1&candidate=1"]
    seeds += ["/cases?state=" + s for s in states]
    seeds += ["/cases?agency=" + a for a in agencies]
    seeds += ["/cases?type=" + t for t in harness.AGENCY_TYPES]
    seeds += ["/cases?tag=" + urllib.parse.quote(t) for t in tags]
    seeds += ["/cases?sort=" + s for s in ("-updated", "updated", "-created", "id")]
    seeds += ["/cases?agency=%s&state=multi-agency&sort=updated" % a for a in agencies]
    seeds += ["/cases/" + c for c in case_ids]
    answers = []
    for lang in ("ja", "en"):
        staff.cookies["tsunagu_lang"] = lang
        queue, seen = list(seeds), set()
        while queue and len(answers) < CRAWL_MAX:
            path = queue.pop(0)
            if path in seen or path.startswith("/lang") or path.startswith("/logout"):
                continue
            seen.add(path)
            status, headers, body = staff.request("GET", path)
            answers.append(("%s (%s)" % (path, lang), status, headers.get("content-type", ""),
                            body))
            if status == 200 and "text/html" in headers.get("content-type", ""):
                queue += [p for p in local_links(body) if p not in seen]
    staff.cookies.pop("tsunagu_lang", None)
    check(len(answers) < CRAWL_MAX, "the crawl reached its bound of %d fetches" % CRAWL_MAX)

    api = ["/v1/agencies", "/v1/stats", "/v1/alerts", "/v1/overview",
           "/v1/referrals?overdue=received", "/v1/referrals?overdue=accepted",
           "/v1/reports?" + period, "/metrics", "/healthz", "/v1/cases"]
    api += ["/v1/cases?%s" % q for q in ("candidate=1", "overdue=1", "withheld=1", "stuck=1",
                                         "sort=-updated", "state=assessment")]
    referral_ids = set()
    for c in case_ids:
        api.append("/v1/cases/" + c)
        view = cluster.coordinator_case(c) or {}
        referral_ids |= {r.get("referral_id") for r in view.get("referrals") or []}
    api += ["/v1/referrals/" + r for r in sorted(x for x in referral_ids if x)]
    api += ["/v1/consents?case=" + c for c in case_ids]
    for path in api:
        r = cluster.coord_get(path)
        answers.append((path + " (token)", r.status, r.headers.get("Content-Type", ""), r.raw))
    return answers


def body(cluster, results, args):
    households = harness.load_households(args.data)
    strings = household_strings(households)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add", "--name",
                     STAFF[0], "--role", STAFF[1], "--password-stdin"], input=STAFF[2] + "\n",
                    env=cluster.env)
    check(r.returncode == 0, "user add: %s%s" % (r.stdout, r.stderr))
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    sent = route_households(cluster, agencies, households, results)
    free_text_events(cluster, sent, results)

    # The recipients do hold the personal data decrypted: the strings are real data, not
    # strings no system would ever show.
    def recipients_hold_it():
        for sender, recipient, h, req, answer in sent:
            items = [it for it in recipient.inbox()
                     if it.get("referral_id") == answer["referral_id"]]
            check(len(items) == 1, "%s: %d copies in %s's inbox" % (h["id"], len(items),
                                                                     recipient.id))
            text = json.dumps(items[0].get("sheet"), ensure_ascii=False)
            missing = [s for s in harness.personal_strings(h) if s not in text]
            check(not missing, "%s: missing from the decrypted sheet: %r" % (h["id"], missing))

    results.check("each recipient's inbox shows the sheet it got, personal data and all",
                  recipients_hold_it)

    case_ids = api_all_cases(cluster)
    check(len(case_ids) >= len(households), "only %d cases for %d households" % (
        len(case_ids), len(households)))
    created = [cluster.coordinator_case(c)["created_at"] for c in case_ids]
    to_month = lambda iso: time.strftime(  # noqa: E731  (JST month of an ISO UTC time)
        "%Y-%m", time.gmtime(time.mktime(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))
                             - time.timezone + 9 * 3600))
    first_month = min(to_month(c) for c in created)
    this_month = time.strftime("%Y-%m", time.gmtime(time.time() + 9 * 3600))

    staff = harness.Staff(cluster.http_port)
    login_page = staff.login(STAFF[0], STAFF[2])
    answers = crawl(cluster, staff, households, case_ids, first_month, this_month)
    answers.insert(0, ("/login (before the login)", 200, "text/html; charset=utf-8", login_page))
    by_path = {a[0]: a for a in answers}
    print("     crawled %d answers, %d bytes; %d personal strings to look for" % (
        len(answers), sum(len(a[3]) for a in answers), len(strings)))

    def every_page_answers():
        # /login, asked with a session, sends the staff member on to the overview.
        broken = ["%s: %d" % (p, s) for p, s, _t, _b in answers
                  if s != 200 and not (p.startswith("/login (") and s == 303)]
        check(not broken, "pages that did not answer 200:\n" + "\n".join(broken[:30]))
        pages = [p for p in by_path if re.match(r"/cases/%s \(ja\)$" % UUID, p)]
        check(len(pages) >= len(case_ids), "%d case pages crawled for %d cases" % (
            len(pages), len(case_ids)))
        for suffix in ("(ja)", "(en)"):
            for p in ("/", "/cases", "/agencies", "/reports", "/reports.csv?%s&encoding=cp932"
                      % ("from=%s&to=%s" % (first_month, this_month))):
                check("%s %s" % (p, suffix) in by_path, "%s %s was not crawled" % (p, suffix))

    results.check("every page, export and answer crawled answered 200 (every case page, both "
                  "languages, both CSV encodings)", every_page_answers)

    # Positive controls: the scan reads what the pages show.
    def scan_finds_planted():
        needle = households[0]["members"][0]["name"]
        real = by_path["/cases/%s (ja)" % case_ids[0]][3]
        plants = {
            "UTF-8 in a real case page": real.replace(b"</main>", ("<p>%s</p></main>" % needle)
                                                      .encode("utf-8")),
            "HTML character references": ("<td>%s</td>" % "".join(
                "&#x%x;" % ord(c) for c in needle)).encode("ascii"),
            "percent-encoded in a link": ('<a href="/cases?tag=%s">' % urllib.parse.quote(
                needle)).encode("ascii"),
            "JSON \\u escapes": json.dumps({"name": needle}, ensure_ascii=True).encode("ascii"),
        }
        for what, planted in plants.items():
            found = scan(planted, "text/html; charset=utf-8", strings)
            check(needle in found, "the scan misses a name planted as %s" % what)
        csv = by_path["/reports.csv?from=%s&to=%s&encoding=cp932 (ja)" % (first_month,
                                                                          this_month)]
        planted = csv[3] + ("%s,1\r\n" % households[1]["address"]).encode("cp932")
        check(households[1]["address"] in scan(planted, csv[2], strings),
              "the scan misses an address planted in the CP932 CSV (%s)" % csv[2])
        check(csv[3].decode("cp932").startswith("相談件数"), "the CP932 CSV does not decode "
              "as CP932 to its Japanese headers: %r" % csv[3][:40])
        check(not scan(real, "text/html", strings), "the real case page itself shows data")
        tags = {t for h in households for t in h["tags"]}
        shown = scan(by_path["/cases (ja)"][3], "text/html", tags)
        check(shown == tags, "the case list shows the tags %r of %r: the scan may not read it"
              % (sorted(shown), sorted(tags)))

    results.check("the scan finds a planted personal value as UTF-8 in a real page, as HTML "
                  "references, percent-encoded, JSON-escaped and in the CP932 CSV (and finds "
                  "the households' tags, which the list does show)", scan_finds_planted)

    def nothing_shown():
        hits = []
        for path, _status, ctype, data in answers:
            for s in sorted(scan(data, ctype, strings)):
                hits.append("%s shows %r (%s)" % (path, s, strings[s]))
        check(not hits, "personal data on the dashboard:\n" + "\n".join(hits[:60]))

    results.check("no page, export or answer shows any household's personal data (%d answers)"
                  % len(answers), nothing_shown)


if __name__ == "__main__":
    harness.main("dashboard_blind", __doc__, body)
