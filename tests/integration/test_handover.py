#!/usr/bin/env python3
"""担当交代 (staff turnover inside an agency) without losing the case: poverty records that the
staff member responsible for a two-agency case changed — staff codes, the day it takes effect
and a hand-over note (引き継ぎメモ) sealed to eldercare on the household's consent.  Eldercare
receives the event and reads the note decrypted; both copies keep the hand-over in the case's
history; the coordinator's timeline, dashboard, JSON list (?handed_over=1) and `tsunaguctl case
list --handed-over` show the case as handed over until a meeting or a plan reviews it, with
codes and dates only.  A note without a legal basis is refused 422 before 202, a staff code
that looks like a name or a phone number is refused, and the coordinator's data dir holds no
byte of either note."""

import html
import os
import re
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_blind_coordinator as blind  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
STAFF = ("sato-handover", "coordinator", "handover-pass-1")

# Synthetic hand-over notes: personal content, sealed to the other agency on the case only.
NOTE_1 = ("引き継ぎメモ：長男とは午後の訪問なら会える。家賃の分割納付は大家と月末に再協議の"
          "予定。母の通院日は毎週木曜で、その日は訪問を避ける。")
NOTE_2 = "引き継ぎメモ（二回目）：家計表は先月分まで記入済み、次回は光熱費の領収書を確認する。"
REFUSED_NOTE = "根拠のない引き継ぎメモ：これは送られても保存されてもならない。"
NOTES = [NOTE_1, NOTE_2, REFUSED_NOTE]
CODE_BEFORE, CODE_NOW, CODE_NEXT = "S-0042", "S-0123", "S-0777"


def handover(staff_code, previous=None, note=None, **basis):
    ho = {"staff_code": staff_code, "effective_on": harness.today_jst_plus(0)}
    if previous is not None:
        ho["previous_staff_code"] = previous
    if note is not None:
        ho["note"] = note
    return dict({"type": "handover", "handover": ho}, **basis)


def listed(cluster, case_id, query="handed_over=1"):
    """The case's summary in the coordinator's GET /v1/cases?query, or None."""
    j = cluster.coord_json("/v1/cases?" + query)
    for c in j.get("cases") or []:
        if c.get("case_id") == case_id:
            return c
    return None


def body(cluster, results, args):
    h = {x["id"]: x for x in harness.load_households(args.data)}["H001"]
    cluster.init()
    agencies = cluster.add_standard_agencies()
    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add", "--name",
                     STAFF[0], "--role", STAFF[1], "--password-stdin"], input=STAFF[2] + "\n",
                    env=cluster.env)
    check(r.returncode == 0, "user add: %s%s" % (r.stdout, r.stderr))
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    alive = cluster.alive
    elder, pov = agencies["eldercare"], agencies["poverty"]

    # --- a case with two agencies, on the household's consent (free text included) ----------
    case_id = str(uuid.uuid4())
    sheet = harness.sheet_from_household(h)
    categories = sorted(set(harness.sheet_categories(sheet)) | {"free-text"})
    consent_id = elder.consent(case_id, cover_agencies=[elder.id, pov.id],
                               categories=categories, subject=harness.subject_id(h),
                               purpose="case-conference")
    req = harness.referral_request(h, to_agency=pov.id, sheet=sheet, case_id=case_id,
                                   legal_basis="consent", consent_id=consent_id,
                                   data_categories=harness.sheet_categories(sheet))
    r = elder.post("/v1/referrals", req)
    check(r.status == 202, "eldercare refers H001 to poverty: %r" % r)
    harness.wait_delivered(elder, r.json["referral_id"], WAIT, alive=alive)
    state = {}

    def converge(predicate=lambda c: True, what="the case"):
        coord = harness.wait_json(lambda: cluster.coordinator_case(case_id), predicate, WAIT,
                                  "coordinator: " + what, alive=alive)
        v = coord.get("version")
        for ag in (elder, pov):
            harness.wait_json(lambda ag=ag: ag.case(case_id),
                              lambda c: c.get("version") == v, WAIT,
                              "%s's copy at version %r (%s)" % (ag.id, v, what), alive=alive)
        state["version"] = v
        return coord

    def post(ag, event, what):
        base = state["version"]
        r = ag.case_event(case_id, dict(event, base_version=base))
        check(r.status == 202, "%s %s: expected 202, got %r" % (ag.id, what, r))
        return converge(lambda c: c.get("version") == base + 1, what)

    converge(lambda c: sorted(c.get("agencies") or []) == sorted([elder.id, pov.id]),
             "two agencies on the case")
    results.ok("a case with eldercare and poverty, every copy at version %r" % state["version"])

    # --- refusals before 202: nothing leaves, nothing changes --------------------------------
    def refused(event, status, code, field=None):
        r = pov.case_event(case_id, dict(event, base_version=state["version"]))
        check(r.status == status and isinstance(r.json, dict) and r.json.get("error") == code,
              "expected %d %s, got %r" % (status, code, r))
        if field:
            fields = r.json.get("fields") or {}
            check(field in fields, "the refusal names %s: %r" % (field, r.json))
        copy = pov.case(case_id)
        check(not copy.get("pending_events") and not copy.get("handovers"),
              "a refused hand-over left something in poverty's copy: %r" % copy)
        return r

    results.check("a hand-over note with no legal basis (no consent named, no 支援会議) is "
                  "422 missing_legal_basis before 202", refused,
                  handover(CODE_NOW, CODE_BEFORE, REFUSED_NOTE), 422, "missing_legal_basis",
                  "legal_basis")
    results.check("a hand-over note on support-meeting with no 支援会議 held is 422 "
                  "missing_legal_basis", refused,
                  handover(CODE_NOW, CODE_BEFORE, REFUSED_NOTE, legal_basis="support-meeting",
                           data_categories=["free-text"]), 422, "missing_legal_basis")
    for what, code in (("a name in kanji", "山田太郎"), ("a name in katakana", "ヤマダ タロウ"),
                       ("a romanized name", "taro-yamada"),
                       ("a phone number", "090-1234-5678")):
        results.check("staff_code that is %s is refused 422 personal_data" % what, refused,
                      handover(code, CODE_BEFORE), 422, "personal_data", "handover.staff_code")
    results.check("previous_staff_code that is a phone number is refused 422", refused,
                  handover(CODE_NOW, "03-1234-5678"), 422, "personal_data",
                  "handover.previous_staff_code")
    results.check("a hand-over to the same staff code is 400", refused,
                  handover(CODE_NOW, CODE_NOW), 400, "invalid", "handover.previous_staff_code")
    results.check("a hand-over without staff_code or effective_on is 400", refused,
                  {"type": "handover", "handover": {"note": "x"}}, 400, "invalid",
                  "handover.staff_code")

    def not_yet():
        check(listed(cluster, case_id) is None, "listed as handed over before any hand-over")
        c = cluster.coordinator_case(case_id)
        check(c.get("handed_over") is False and c.get("last_handover") is None,
              "summary before any hand-over: %r" % {k: c.get(k) for k in (
                  "handed_over", "last_handover")})
        check(c.get("version") == state["version"], "a refused hand-over moved the case")

    results.check("before any hand-over: the case is not listed, the version did not move",
                  not_yet)

    # --- the hand-over --------------------------------------------------------------------
    def hand_over():
        post(pov, handover(CODE_NOW, CODE_BEFORE, NOTE_1, legal_basis="consent",
                           consent_id=consent_id, data_categories=["free-text"]),
             "poverty's hand-over")
        return True

    if not results.check("poverty records a hand-over S-0042 → S-0123 with a note on the "
                         "consent: 202, every copy converges", hand_over):
        fail("no hand-over to follow")

    def successor_reads(ag, origin):
        c = ag.case(case_id)
        hos = c.get("handovers") or []
        check(len(hos) == 1, "%s's copy: handovers %r" % (ag.id, hos))
        ho = hos[0]
        check(ho.get("staff_code") == CODE_NOW and ho.get("previous_staff_code") == CODE_BEFORE
              and ho.get("effective_on") == harness.today_jst_plus(0) and ho.get("by") == pov.id,
              "%s's hand-over: %r" % (ag.id, ho))
        check(ho.get("note") == NOTE_1, "%s reads the note %r" % (ag.id, ho.get("note")))
        ev = [e for e in c.get("events") or [] if e.get("type") == "handover"]
        check(len(ev) == 1 and ev[0].get("origin") == origin
              and (ev[0].get("content") or {}).get("note") == NOTE_1,
              "%s's events: %r" % (ag.id, ev))

    results.check("eldercare (the other agency) received the event and reads the decrypted "
                  "note in GET /v1/cases/{id}", successor_reads, elder, "received")
    results.check("poverty's own copy keeps the hand-over and its note", successor_reads, pov,
                  "own")

    def coordinator_views():
        c = cluster.coordinator_case(case_id)
        check(c.get("handed_over") is True, "handed_over %r" % c.get("handed_over"))
        last = c.get("last_handover") or {}
        check(last.get("effective_on") == harness.today_jst_plus(0)
              and last.get("agency") == pov.id and last.get("at"), "last_handover %r" % last)
        ev = [e for e in c.get("timeline") or [] if e.get("type") == "handover"]
        check(len(ev) == 1 and ev[0].get("by") == pov.id and ev[0].get("handover") == {
            "staff_code": CODE_NOW, "previous_staff_code": CODE_BEFORE,
            "effective_on": harness.today_jst_plus(0)}, "the timeline's hand-over %r" % ev)
        leaked = harness.texts_in(c, NOTES)
        check(not leaked, "the note in the coordinator's case JSON: %r" % leaked)
        check(listed(cluster, case_id) is not None, "/v1/cases?handed_over=1 lacks the case")
        check(listed(cluster, case_id, "handed_over=true&state=" + c["state"]) is not None,
              "?handed_over=true&state= lacks the case")
        check(listed(cluster, case_id, "handed_over=0") is not None, "?handed_over=0 lacks it")
        r = cluster.coord_get("/v1/cases?handed_over=maybe")
        check(r.status == 400, "?handed_over=maybe answered %r" % r)

    results.check("coordinator: 担当交代 on the timeline with codes and the day, the case in "
                  "?handed_over=1, no note", coordinator_views)

    def ctl_lists(want):
        r = cluster.ctl("case", "list", "--handed-over")
        check((case_id in r.stdout) == want, "case list --handed-over %s the case:\n%s" % (
            "lacks" if want else "lists", r.stdout[:600]))
        r = cluster.ctl("case", "list", "--handed-over", "--json")
        check((case_id in r.stdout) == want, "case list --handed-over --json")
        if want:
            r = cluster.ctl("case", "show", case_id)
            check("担当交代" in r.stdout and CODE_NOW in r.stdout and CODE_BEFORE in r.stdout,
                  "case show lacks the hand-over:\n%s" % r.stdout[-1500:])

    results.check("tsunaguctl case list --handed-over lists it; case show shows 担当交代",
                  ctl_lists, True)

    staff = harness.Staff(cluster.http_port)
    staff.login(STAFF[0], STAFF[2])

    def page(path):
        status, _, data = staff.request("GET", path)
        check(status == 200, "GET %s answered %d" % (path, status))
        text = data.decode("utf-8")
        leaked = [n for n in NOTES if n in text or n[:12] in text]
        check(not leaked, "GET %s shows a note" % path)
        return text

    def dashboard_shows(want):
        text = page("/cases")
        check('name="handed_over"' in text and "担当交代あり" in text,
              "the case list has no 担当交代あり filter")
        text = page("/cases?handed_over=1")
        check((case_id in text) == want, "/cases?handed_over=1 %s the case" % (
            "lacks" if want else "lists"))
        check(re.search(r'name="handed_over" value="1" checked', text),
              "the filter is not shown as checked")
        text = page("/cases/" + case_id)
        m = re.search(r'<span id="case-handover">([^<]*)</span>', text)
        check(m and harness.today_jst_plus(0) in m.group(1),
              "the case page's summary lacks the last hand-over's day")
        check(("handed-over" in text) == want, "the case page %s the 見直し前 badge" % (
            "lacks" if want else "still shows"))
        items = re.findall(r'<li data-event-type="handover">(.*?)</li>', text, re.S)
        check(items, "the case page's timeline has no handover entry")
        shown = html.unescape(items[0])
        check("担当交代" in shown and CODE_NOW in shown and CODE_BEFORE in shown
              and harness.today_jst_plus(0) in shown,
              "the timeline's 担当交代 entry lacks codes or date: %s" % shown[:400])

    results.check("dashboard: the 担当交代あり filter finds the case; the case page's timeline "
                  "shows 担当交代 with the day and the staff codes", dashboard_shows, True)

    # --- what is not a review, then a review ---------------------------------------------------
    def note_keeps_it():
        post(elder, {"type": "note", "note": {"category": "call",
                                              "written_on": harness.today_jst_plus(0)}},
             "eldercare's note")
        check(listed(cluster, case_id) is not None,
              "a progress note (not a review) cleared the hand-over")

    results.check("a progress note is not a review: still listed", note_keeps_it)

    def meeting_reviews():
        post(elder, {"type": "meeting", "meeting": {
            "kind": "core", "held_on": harness.today_jst_plus(0),
            "attendees": [elder.id, pov.id], "decision": "continue"}}, "a コア会議")
        check(listed(cluster, case_id) is None, "still listed after the meeting reviewed it")
        c = cluster.coordinator_case(case_id)
        check(c.get("handed_over") is False and (c.get("last_handover") or {}).get(
            "effective_on") and c.get("last_review_at"),
              "after the review: %r" % {k: c.get(k) for k in (
                  "handed_over", "last_handover", "last_review_at")})

    results.check("a meeting after the hand-over reviews it: no longer listed, the last "
                  "hand-over kept", meeting_reviews)
    results.check("tsunaguctl case list --handed-over no longer lists it", ctl_lists, False)

    def second_then_plan():
        post(pov, handover(CODE_NEXT, CODE_NOW, NOTE_2, legal_basis="consent",
                           consent_id=consent_id, data_categories=["free-text"]),
             "poverty's second hand-over")
        check(listed(cluster, case_id) is not None, "the second hand-over is not listed")
        c = elder.case(case_id)
        notes = [x.get("note") for x in c.get("handovers") or []]
        check(notes == [NOTE_1, NOTE_2], "eldercare's copy keeps both notes in order: %r" % (
            notes,))
        post(pov, {"type": "plan", "plan": {"roles": [
            {"agency": elder.id, "role": "見守り"}, {"agency": pov.id, "role": "家計改善"}],
            "next_review_on": harness.today_jst_plus(30)}}, "a plan")
        check(listed(cluster, case_id) is None, "still listed after the plan reviewed it")

    results.check("a second hand-over lists it again (eldercare keeps both notes); a plan "
                  "reviews it", second_then_plan)
    results.check("dashboard: the filter no longer finds it after the review",
                  dashboard_shows, False)

    # --- nothing of the notes at the coordinator -----------------------------------------------
    rc = cluster.coordinator.stop()
    results.expect("coordinator exits 0 on SIGTERM", rc == 0, "status %r" % rc)

    def blind_store():
        needles = {}
        for text in NOTES:
            for enc, data in blind.encodings_of(text).items():
                needles[(text, enc)] = data
        hits, searched = blind.search_tree(cluster.data_dir, needles)
        print("     searched %d bytes for %d needles" % (searched, len(needles)))
        check(searched > 0, "nothing searched")
        # Control: the staff codes are cleartext by design, so the search reads the store.
        codes = {(t, "utf-8"): t.encode("utf-8") for t in (CODE_BEFORE, CODE_NOW, CODE_NEXT)}
        seen, _ = blind.search_tree(cluster.data_dir, codes)
        check(len(seen) == len(codes), "control: the staff codes are not found in the store "
              "(%d of %d), so the search may not read it" % (len(seen), len(codes)))
        log_hits, _ = blind.search_tree(cluster.coordinator.log_path, needles)
        if hits or log_hits:
            fail("a hand-over note at the coordinator:\n" + "\n".join(
                "%s… (%s) in %s" % (t[:16], e, ", ".join(p))
                for (t, e), p in sorted(list(hits.items()) + list(log_hits.items()))[:40]))

    results.check("the coordinator's data dir and log hold no byte of the hand-over notes",
                  blind_store)


if __name__ == "__main__":
    harness.main("handover", __doc__, body)
