// dashboard.js — the coordinator's dashboard in Debian's Chromium, driven by playwright-core.
// Run by test_browser_dashboard.py with the path of a JSON config (the cluster it started: the
// coordinator's address and bearer token, the staff, viewer and lockout accounts, the case ids
// the live traffic made).  Prints one "ok   NAME" or "FAIL NAME" line per check (the reasons
// indented below a failure), "note ..." lines about the layout, and exits 1 when a check failed.
// Every wait is a wait for something with a deadline; nothing waits a fixed time to pass.
"use strict";

const fs = require("fs");
const path = require("path");

function loadPlaywright() {
  try {
    return require("playwright-core");
  } catch (e) {
    const dir = process.env.TSUNAGU_PLAYWRIGHT_DIR;
    if (!dir) throw e;
    return require(path.join(dir, "node_modules", "playwright-core"));
  }
}

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const BASE = config.base;
const VIEW = { width: 1366, height: 768 };
const NAV_JA = ["概況", "ケース一覧", "機関", "実績・報告"];
const NAV_EN = ["Overview", "Cases", "Agencies", "Reports"];
const failures = [];

function ok(name) {
  console.log("ok   " + name);
}

function bad(name, why) {
  failures.push(name);
  console.log("FAIL " + name);
  for (const line of String(why).split("\n")) console.log("     " + line);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function check(name, fn) {
  try {
    const value = await fn();
    ok(name);
    return value;
  } catch (e) {
    bad(name, e && e.stack ? e.stack : e);
    return undefined;
  }
}

// The coordinator's JSON API with the bearer token (machines' way in).
async function api(pathname) {
  const r = await fetch(BASE + pathname, { headers: { Authorization: "Bearer " + config.token } });
  const text = await r.text();
  assert(r.status === 200, "GET " + pathname + " with the token answered " + r.status + ": " +
    text.slice(0, 300));
  return JSON.parse(text);
}

// Every case id /v1/cases lists for query (following next_cursor).
async function apiCaseIds(query) {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    let q = query;
    if (cursor) q += (q ? "&" : "") + "cursor=" + encodeURIComponent(cursor);
    const j = await api("/v1/cases" + (q ? "?" + q : ""));
    const list = Array.isArray(j) ? j : j.cases || j.items || [];
    for (const c of list) ids.push(c.case_id);
    cursor = j.next_cursor;
    if (!cursor || list.length === 0) break;
  }
  return ids.sort();
}

async function rowIds(page) {
  const ids = await page.$$eval("table#case-list tr[data-case-id]", (rows) =>
    rows.map((r) => r.getAttribute("data-case-id")));
  return ids.sort();
}

function same(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// What at 1366 wide sticks out to the right or needs a horizontal scroll: printed as notes.
async function layoutNotes(page, name) {
  const found = await page.evaluate((width) => {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > width) out.push("the page scrolls sideways: " + doc.scrollWidth + "px wide");
    const seen = new Set();
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1) continue;
      let parent = el.parentElement, nested = false;
      while (parent) {
        if (seen.has(parent)) { nested = true; break; }
        parent = parent.parentElement;
      }
      seen.add(el);
      if (nested) continue;
      const id = el.id ? "#" + el.id : "";
      const cls = el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\s+/).join(".") : "";
      out.push(el.tagName.toLowerCase() + id + cls + " reaches x=" + Math.round(r.right));
      if (out.length > 8) break;
    }
    // A panel whose content is wider than the panel spills over its border.
    for (const panel of document.querySelectorAll(".panel")) {
      if (panel.scrollWidth > panel.clientWidth + 1) {
        const wide = Array.from(panel.querySelectorAll("table, svg, form, dl"))
          .filter((t) => t.getBoundingClientRect().right > panel.getBoundingClientRect().right + 1)
          .map((t) => t.tagName.toLowerCase() + (t.id ? "#" + t.id : "")).slice(0, 3);
        const title = (panel.querySelector("h2, h1") || {}).textContent || panel.id || "?";
        out.push("panel \"" + title.trim() + "\" overflows: content " + panel.scrollWidth +
          "px in " + panel.clientWidth + "px (" + wide.join(", ") + ")");
      }
    }
    // Text rendered smaller than 11px (an SVG's labels shrink with the chart).
    const small = new Map();
    for (const el of document.querySelectorAll("svg text")) {
      const h = el.getBoundingClientRect().height;
      const svg = el.closest("svg");
      const key = svg && svg.id ? "svg#" + svg.id : "svg";
      if (h > 0 && h < 11) small.set(key, Math.min(small.get(key) || 99, Math.round(h * 10) / 10));
    }
    for (const [key, h] of small) out.push(key + ": labels " + h + "px high");
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type === "hidden" || el.closest("[hidden]")) continue;
      const labelled = el.labels && el.labels.length > 0 || el.getAttribute("aria-label");
      if (!labelled) out.push("unlabelled " + el.tagName.toLowerCase() + "[name=" + el.name + "]");
    }
    return out;
  }, VIEW.width);
  for (const f of found) console.log("note " + name + ": " + f);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(config.artifacts, name + ".png"), fullPage: true });
  await layoutNotes(page, name);
}

// Submits a form by its submit button and waits for the page it leads to; the response.
async function submit(page, formSelector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(formSelector + " button[type=submit]"),
  ]);
  return response;
}

async function login(page, who, password) {
  await page.goto(BASE + "/login");
  await page.fill("form#login input[name=name]", who);
  await page.fill("form#login input[name=password]", password);
  return submit(page, "form#login");
}

async function navTexts(page) {
  return page.$$eval("nav#nav a", (as) => as.map((a) => a.textContent.trim()));
}

async function main(browser) {
  const caseId = config.case;
  const staffCtx = await browser.newContext({ viewport: VIEW, acceptDownloads: true,
    locale: "ja-JP" });
  const page = await staffCtx.newPage();
  page.setDefaultTimeout(15000);

  await check("without a login GET / goes (303) to /login, a case page to /login?next=, and " +
    "/v1/cases without the token answers 401", async () => {
    const r = await page.request.get(BASE + "/", { maxRedirects: 0 });
    assert(r.status() === 303 && (r.headers().location || "").startsWith("/login"),
      "GET / answered " + r.status() + " to " + r.headers().location);
    const resp = await page.goto(BASE + "/");
    assert(new URL(page.url()).pathname === "/login", "GET / ended at " + page.url());
    assert(resp.status() === 200, "the login page answered " + resp.status());
    await page.goto(BASE + "/cases/" + caseId);
    const u = new URL(page.url());
    assert(u.pathname === "/login" && u.searchParams.get("next") === "/cases/" + caseId,
      "a case page without a login ended at " + page.url());
    assert(await page.locator("form#login").count() === 1, "no form#login");
    assert(await page.locator("nav#nav").count() === 0, "the login page shows the navigation");
    const v1 = await page.request.get(BASE + "/v1/cases");
    assert(v1.status() === 401, "GET /v1/cases without the token answered " + v1.status());
    await page.goto(BASE + "/login");
    await shot(page, "login");
  });

  const loggedIn = await check("the staff account logs in and lands on 概況 (Japanese, the " +
    "navigation, its name in the header)", async () => {
    const r = await login(page, config.staff.name, config.staff.password);
    assert(r.status() === 200, "after the login: " + r.status() + " " + page.url());
    assert(new URL(page.url()).pathname === "/", "after the login at " + page.url());
    assert(await page.getAttribute("html", "lang") === "ja", "<html lang> is not ja");
    const nav = await navTexts(page);
    assert(same(nav, NAV_JA), "nav#nav says " + JSON.stringify(nav));
    const user = await page.textContent("#user");
    assert(user.includes(config.staff.name), "#user says " + user);
    const v1 = await page.request.get(BASE + "/v1/cases");
    assert(v1.status() === 401, "/v1/cases with only the session cookie answered " + v1.status());
    const ov = await api("/v1/overview");
    let open = 0;
    for (const [state, n] of Object.entries(ov.cases_by_state || {})) if (state !== "closed") open += n;
    const shown = (await page.textContent("#fig-active dd")).trim();
    assert(shown === String(open), "#fig-active shows " + shown + ", /v1/overview counts " + open);
    await shot(page, "overview");
    return true;
  });
  if (!loggedIn) return;

  let allIds = [];
  await check("ケース一覧 lists every case the live traffic made (table#case-list tr[data-case-id])",
    async () => {
      await page.goto(BASE + "/cases");
      allIds = await rowIds(page);
      const want = Object.values(config.cases).sort();
      assert(allIds.includes(caseId), "no row for case " + caseId + " in " + allIds);
      assert(same(allIds, want), "rows " + allIds + ", the traffic made " + want);
      const apiIds = await apiCaseIds("");
      assert(same(allIds, apiIds), "rows " + allIds + ", /v1/cases " + apiIds);
      await shot(page, "cases");
    });

  // A filter chosen in form#case-filter: the rows change to what /v1/cases says for the same.
  async function filtered(what, fill, query, expect) {
    await page.goto(BASE + "/cases");
    await fill();
    await submit(page, "form#case-filter");
    const url = new URL(page.url());
    assert(url.pathname === "/cases", "the filter went to " + page.url());
    const rows = await rowIds(page);
    const apiIds = await apiCaseIds(query);
    assert(same(rows, apiIds), what + ": rows " + rows + ", /v1/cases?" + query + " " + apiIds);
    assert(!same(rows, allIds), what + ": the list did not change (" + rows.length + " rows)");
    if (expect) expect(rows, url);
    return rows;
  }

  const agencyChild = config.agencies.child;
  await check("filtering by agency (" + agencyChild + "), by 会議候補, by 担当交代あり and by " +
    "state changes the " +
    "list to what /v1/cases answers for the same filter", async () => {
    const byAgency = await filtered("agency", () =>
      page.selectOption("form#case-filter select[name=agency]", agencyChild),
    "agency=" + agencyChild, (rows, url) => {
      assert(url.searchParams.get("agency") === agencyChild, "the query lacks agency: " + url);
      assert(rows.length === 3 && !rows.includes(caseId), "agency rows " + rows);
    });
    assert(await page.$eval("form#case-filter select[name=agency]", (s) => s.value) === agencyChild,
      "the filter form does not keep the agency chosen");
    await filtered("candidate", () => page.check("form#case-filter input[name=candidate]"),
      "candidate=1", (rows) => assert(same(rows, [caseId]), "会議候補 rows " + rows +
        " (only the case with three agencies is one)"));
    await filtered("handed_over", () => page.check("form#case-filter input[name=handed_over]"),
      "handed_over=1", (rows) => assert(same(rows, [config.cases.H003]), "担当交代あり rows " +
        rows + " (only H003's case was handed over)"));
    assert(await page.locator('tr[data-case-id="' + config.cases.H003 + '"] .handed-over')
      .count() === 1, "the handed-over row has no 担当交代あり badge");
    await filtered("state", () =>
      page.selectOption("form#case-filter select[name=state]", "assessment"),
    "state=assessment", (rows) => assert(rows.length === 0, "assessment rows " + rows));
    assert(await page.locator("#no-cases").count() === 1, "an empty list says nothing (#no-cases)");
    return byAgency;
  });

  let before = null;
  const opened = await check("the case opens from the list: #case-state, #timeline " +
    "li[data-event-type], table#referrals with both referrals, #trajectory svg", async () => {
    await page.goto(BASE + "/cases");
    await Promise.all([page.waitForNavigation(),
      page.click('table#case-list tr[data-case-id="' + caseId + '"] a')]);
    assert(new URL(page.url()).pathname === "/cases/" + caseId, "the link went to " + page.url());
    const c = await api("/v1/cases/" + caseId);
    const types = await page.$$eval("#timeline li[data-event-type]", (lis) =>
      lis.map((li) => li.getAttribute("data-event-type")));
    assert(types.length === (c.timeline || []).length && types.length >= 2,
      "timeline entries " + JSON.stringify(types) + ", /v1/cases/{id} has " +
      (c.timeline || []).length);
    assert(types.includes("referral"), "no referral in the timeline: " + types);
    const refs = await page.$$eval("table#referrals tbody tr", (trs) =>
      trs.map((tr) => tr.getAttribute("data-referral-id")));
    assert(refs.length === 2, "table#referrals rows " + refs);
    const svg = page.locator("#trajectory svg");
    assert(await svg.count() === 1 && await svg.isVisible(), "no visible #trajectory svg");
    const state = (await page.textContent("#case-state")).trim();
    assert(state === "多機関協働", "#case-state says " + state + " (" + c.state + ")");
    assert(c.state === "multi-agency", "the case is " + c.state);
    before = { version: c.version, timeline: types.length };
    await shot(page, "case");
    return true;
  });

  await check("a case event recorded from the page (state → assessment) shows #flash.flash, " +
    "the new state in #case-state, a new timeline entry, and /v1/cases/{id} says so",
  async () => {
    assert(opened, "the case page did not open");
    assert(await page.locator("form#case-event").count() === 1, "no form#case-event");
    await page.selectOption("form#case-event select[name=type]", "state");
    await page.selectOption("form#case-event select[name=state]", "assessment");
    const r = await submit(page, "form#case-event");
    assert(r.status() === 200, "after recording: " + r.status() + " at " + page.url());
    const url = new URL(page.url());
    assert(url.pathname === "/cases/" + caseId, "recording went to " + page.url());
    const flash = page.locator("#flash.flash");
    assert(await flash.count() === 1,
      "no #flash.flash; #flash says: " + (await page.locator("#flash").count()
        ? await page.textContent("#flash") : "(none)") + " at " + page.url());
    const state = (await page.textContent("#case-state")).trim();
    assert(state === "課題整理・コア会議", "#case-state says " + state);
    const types = await page.$$eval("#timeline li[data-event-type]", (lis) =>
      lis.map((li) => li.getAttribute("data-event-type")));
    assert(types.length === before.timeline + 1, "timeline entries " + types.length + ", were " +
      before.timeline);
    assert(types.includes("state"), "no state entry in the timeline: " + types);
    const c = await api("/v1/cases/" + caseId);
    assert(c.state === "assessment" && c.version === before.version + 1,
      "/v1/cases/{id}: state " + c.state + " version " + c.version + " (was " + before.version + ")");
    const last = (c.timeline || []).filter((e) => e.type === "state").pop() || {};
    assert(last.to === "assessment", "the last state event: " + JSON.stringify(last));
    before.version = c.version;
    await shot(page, "case-recorded");
    const rows = await apiCaseIds("state=assessment");
    assert(same(rows, [caseId]), "/v1/cases?state=assessment: " + rows);
    await page.goto(BASE + "/cases?state=assessment");
    assert(same(await rowIds(page), [caseId]), "/cases?state=assessment rows " +
      (await rowIds(page)));
  });

  await check("a form posted without its csrf field (or with a wrong one) is refused 403 and " +
    "changes nothing", async () => {
    const form = { type: "state", state: "planning", base_version: String(before.version) };
    const r = await page.request.post(BASE + "/cases/" + caseId + "/events",
      { form, maxRedirects: 0 });
    assert(r.status() === 403, "without csrf: " + r.status());
    const wrong = await page.request.post(BASE + "/cases/" + caseId + "/events",
      { form: Object.assign({ csrf: "A".repeat(43) }, form), maxRedirects: 0 });
    assert(wrong.status() === 403, "with a wrong csrf: " + wrong.status());
    const out = await page.request.post(BASE + "/logout", { form: {}, maxRedirects: 0 });
    assert(out.status() === 403, "logout without csrf: " + out.status());
    const c = await api("/v1/cases/" + caseId);
    assert(c.version === before.version && c.state === "assessment",
      "the case changed: " + c.state + " v" + c.version);
  });

  await check("a#lang-switch switches to English (<html lang=en>, English navigation, the same " +
    "page) and back to Japanese", async () => {
    await page.goto(BASE + "/cases?state=assessment");
    await Promise.all([page.waitForNavigation(), page.click("a#lang-switch")]);
    assert(await page.getAttribute("html", "lang") === "en", "<html lang> after the switch");
    const u = new URL(page.url());
    assert(u.pathname === "/cases" && u.searchParams.get("state") === "assessment",
      "the switch came back to " + page.url());
    let nav = await navTexts(page);
    assert(same(nav, NAV_EN), "nav#nav in English says " + JSON.stringify(nav));
    assert((await page.textContent("h1")).includes("Cases"), "the heading is not English");
    await page.goto(BASE + "/");
    assert(await page.getAttribute("html", "lang") === "en", "English did not stay");
    assert((await page.textContent("form#logout button")).includes("Log out"), "logout in English");
    await shot(page, "overview-en");
    await Promise.all([page.waitForNavigation(), page.click("a#lang-switch")]);
    assert(await page.getAttribute("html", "lang") === "ja", "<html lang> after switching back");
    nav = await navTexts(page);
    assert(same(nav, NAV_JA), "nav#nav back in Japanese says " + JSON.stringify(nav));
  });

  await check("機関 lists the four agencies (table#agencies tr[data-agency-id])", async () => {
    await page.goto(BASE + "/agencies");
    const ids = await page.$$eval("table#agencies tr[data-agency-id]", (trs) =>
      trs.map((tr) => tr.getAttribute("data-agency-id")).sort());
    const want = Object.values(config.agencies).sort();
    assert(same(ids, want), "agencies " + ids + ", registered " + want);
    await shot(page, "agencies");
  });

  await check("the report CSV (a#report-csv) of the whole period is UTF-8 with a BOM, CRLF, " +
    "Japanese headers, and its figures are /v1/stats's; the Shift_JIS one (a#report-csv-sjis) " +
    "decodes as CP932 to the same text", async () => {
    const cases = await api("/v1/cases");
    const list = Array.isArray(cases) ? cases : cases.cases || cases.items || [];
    const firstMs = Math.min(...list.map((c) => Date.parse(c.created_at)));
    const month = (ms) => new Date(ms + 9 * 3600 * 1000).toISOString().slice(0, 7); // JST
    const from = month(firstMs), to = month(Date.now());
    await page.goto(BASE + "/reports?from=" + from + "&to=" + to);
    const stats = await api("/v1/stats");
    const created = stats.referrals.created, opened = stats.cases.opened;
    assert(created === 5 && opened === 4, "/v1/stats: " + created + " referrals, " + opened +
      " cases (the traffic made 5 and 4)");
    const num = async (sel) => (await page.textContent(sel + " td")).trim();
    assert(await num("#r-consultations") === String(created), "#r-consultations shows " +
      (await num("#r-consultations")) + ", /v1/stats " + created);
    assert(await num("#r-cases-opened") === String(opened), "#r-cases-opened shows " +
      (await num("#r-cases-opened")));
    await shot(page, "reports");

    const download = async (sel) => {
      const [d] = await Promise.all([page.waitForEvent("download"), page.click(sel)]);
      const file = await d.path();
      assert(file, "the download of " + sel + " failed: " + (await d.failure()));
      fs.copyFileSync(file, path.join(config.artifacts, d.suggestedFilename()));
      return { bytes: fs.readFileSync(file), name: d.suggestedFilename() };
    };
    const utf8 = await download("a#report-csv");
    const b = utf8.bytes;
    assert(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf, "no UTF-8 BOM: " +
      b.subarray(0, 3).toString("hex"));
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 0x0a) assert(i > 0 && b[i - 1] === 0x0d, "a LF without CR at byte " + i);
      if (b[i] === 0x0d) assert(b[i + 1] === 0x0a, "a CR without LF at byte " + i);
    }
    assert(b[b.length - 1] === 0x0a, "the CSV does not end its last line");
    const text = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(3));
    const lines = text.split("\r\n");
    for (const h of ["期間,集計開始月,相談件数,新規ケース", "紹介元種別,紹介先種別,件数",
      "終結理由,件数", "再開件数,終結件数,再開率", "送付保留件数,緊急通報件数"]) {
      assert(lines.includes(h), "no header row " + h + " in:\n" + text.slice(0, 600));
    }
    const row = (header) => lines[lines.indexOf(header) + 1].split(",");
    const counts = row("期間,集計開始月,相談件数,新規ケース");
    assert(counts[2] === String(created) && counts[3] === String(opened),
      "CSV counts " + counts + ", /v1/stats " + created + " referrals, " + opened + " cases");
    let matrix = 0;
    for (let i = lines.indexOf("紹介元種別,紹介先種別,件数") + 1; lines[i]; i++) {
      matrix += Number(lines[i].split(",")[2]);
    }
    assert(matrix === created, "the CSV's type matrix adds up to " + matrix + ", not " + created);
    const reopened = row("再開件数,終結件数,再開率");
    assert(reopened[0] === String(stats.cases.reopened) && reopened[1] === String(stats.cases.closed),
      "CSV reopened/closed " + reopened + ", /v1/stats " + stats.cases.reopened + "/" +
      stats.cases.closed);
    const sjis = await download("a#report-csv-sjis");
    const s = sjis.bytes;
    assert(!(s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf), "the Shift_JIS CSV has a BOM");
    const decoded = new TextDecoder("shift_jis", { fatal: true }).decode(s);
    assert(decoded === text, "the CP932 CSV decodes to other text:\n" + decoded.slice(0, 400));
    assert(s.length < b.length, "the CP932 bytes are not shorter than the UTF-8 ones");
    console.log("note reports: " + utf8.name + " " + b.length + " bytes, " + sjis.name + " " +
      s.length + " bytes; period " + from + " to " + to);
  });

  await check("a viewer logs in and sees the case without form#case-event; a posted event " +
    "with its own csrf is refused 403", async () => {
    const ctx = await browser.newContext({ viewport: VIEW });
    try {
      const vp = await ctx.newPage();
      vp.setDefaultTimeout(15000);
      const r = await login(vp, config.viewer.name, config.viewer.password);
      assert(new URL(vp.url()).pathname === "/", "viewer login ended at " + vp.url() + " (" +
        r.status() + ")");
      await vp.goto(BASE + "/cases/" + caseId);
      assert(await vp.locator("#timeline").count() === 1, "the viewer sees no #timeline");
      assert(await vp.locator("form#case-event").count() === 0, "the viewer sees form#case-event");
      const csrf = await vp.getAttribute("form#logout input[name=csrf]", "value");
      const post = await vp.request.post(BASE + "/cases/" + caseId + "/events", { form: {
        csrf, type: "state", state: "planning", base_version: String(before.version) },
      maxRedirects: 0 });
      assert(post.status() === 403, "the viewer's event answered " + post.status());
      const c = await api("/v1/cases/" + caseId);
      assert(c.version === before.version, "the viewer's event changed the case");
    } finally {
      await ctx.close();
    }
  });

  await check("form#logout logs out: back on /login, and / needs a login again", async () => {
    const r = await submit(page, "form#logout");
    assert(new URL(page.url()).pathname === "/login", "logout ended at " + page.url() + " (" +
      r.status() + ")");
    await page.goto(BASE + "/");
    assert(new URL(page.url()).pathname === "/login", "after logout / is at " + page.url());
  });

  await check("five wrong passwords for one name lock it (429, #login-error says ロック); the " +
    "right password is then refused too", async () => {
    const ctx = await browser.newContext({ viewport: VIEW });
    try {
      const lp = await ctx.newPage();
      lp.setDefaultTimeout(15000);
      const deadline = Date.now() + 30000;
      // One attempt; a "busy" answer (the guard's checks per second, for everyone) is retried
      // once the guard has had a chance to let it through.
      const attempt = async (password) => {
        for (;;) {
          const r = await login(lp, config.locked.name, password);
          const error = await lp.locator("#login-error").count()
            ? (await lp.textContent("#login-error")).trim() : "";
          if (!(r.status() === 429 && error.includes("混み合")) || Date.now() > deadline) {
            return { status: r.status(), error };
          }
          await new Promise((resolve) => setTimeout(resolve, 1100)); // the next second's allowance
        }
      };
      for (let i = 1; i <= 5; i++) {
        const a = await attempt("wrong-password-" + i);
        if (i < 5) {
          assert(a.status === 401 && a.error.includes("違います"), "wrong password " + i + ": " +
            a.status + " " + a.error);
        } else {
          assert(a.status === 429 && a.error.includes("ロック"), "wrong password 5: " + a.status +
            " " + a.error);
        }
      }
      await shot(lp, "login-locked");
      const right = await attempt(config.locked.password);
      assert(right.status === 429 && right.error.includes("ロック"), "the right password while " +
        "locked: " + right.status + " " + right.error);
      assert(new URL(lp.url()).pathname === "/login" && await lp.locator("nav#nav").count() === 0,
        "the locked account got in: " + lp.url());
    } finally {
      await ctx.close();
    }
  });
}

(async () => {
  const { chromium } = loadPlaywright();
  fs.mkdirSync(config.artifacts, { recursive: true });
  const timer = setTimeout(() => {
    bad("the browser session", "did not finish within " + config.deadline_s + " s");
    process.exit(1);
  }, config.deadline_s * 1000);
  let browser = null;
  try {
    browser = await chromium.launch({
      executablePath: config.chromium,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking"],
      timeout: 30000,
    });
    const proc = browser.process && browser.process();
    if (proc && proc.pid) fs.writeFileSync(config.pid_file, String(proc.pid));
    console.log("note chromium " + browser.version());
    await main(browser);
  } catch (e) {
    bad("the browser session", e && e.stack ? e.stack : e);
  } finally {
    if (browser) await browser.close().catch(() => {});
    clearTimeout(timer);
  }
  console.log("browser: " + (failures.length ? "FAIL" : "PASS") + " (" + failures.length +
    " failed)");
  process.exit(failures.length ? 1 : 0);
})();
