#!/usr/bin/env python3
"""Spreadsheets in, on real daemons: the municipality's referral list (data/referrals-utf8-bom.csv
and its CP932 twin, the way Excel on an office PC writes them) imported into each of the four
agency daemons through POST /v1/imports/referrals and through tsunagu-import, the command line.

Without the mapping every row of the agency is refused naming what it lacks and nothing is sent;
a dry run with docs/examples/import-mapping-tsunagu-city.conf finds nothing wrong and sends
nothing; the import sends each agency's own rows (the others skipped), a consent registered per
row, and the referrals arrive decrypted at the recipients with the cells of the file; importing
the same file again sends nothing; a file in no encoding, one without 紹介先, and one with an
unknown agency type and an impossible date are refused row by row and column and leave no
consent and no letter behind; the template opens in Excel (BOM, CRLF, CP932 on request).  A
second, fresh cluster takes the CP932 file through tsunagu-import alone."""

import csv
import io
import json
import os
import re
import select
import shutil
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 60
MAPPING = "tsunagu-city"
MAPPING_FILE = os.path.join(harness.REPO_ROOT, "docs", "examples",
                            "import-mapping-tsunagu-city.conf")
BOM_FILE = "referrals-utf8-bom.csv"
CP932_FILE = "referrals-excel-cp932.csv"
STANDARD = ["世帯ID", "紹介元", "紹介先", "緊急度", "氏名", "フリガナ", "生年月日", "住所", "電話",
            "課題タグ", "概要"]
COUNT_KEYS = ("sent", "already_sent", "skipped", "invalid", "valid")
STATUSES = ("sent", "already_sent", "skipped", "valid", "invalid")


# --- the file and the answer -----------------------------------------------------------------

def read_rows(raw, encoding):
    """The data rows of a CSV file as dicts, each with "_row": its row number as Excel shows it
    (the header is row 1)."""
    text = raw.decode(encoding)
    table = list(csv.reader(io.StringIO(text, newline="")))
    header = table[0]
    return [dict(zip(header, cells), _row=i + 2) for i, cells in enumerate(table[1:])]


def import_path(mapping=None, dry_run=False):
    query = []
    if mapping:
        query.append("mapping=" + mapping)
    if dry_run:
        query.append("dry_run=true")
    return "/v1/imports/referrals" + ("?" + "&".join(query) if query else "")


def post_import(agency, data, mapping=None, dry_run=False, content_type="text/csv", **kw):
    return agency.http("POST", import_path(mapping, dry_run), body=data,
                       content_type=content_type, timeout=60, **kw)


def post_oversized(agency, size):
    """POSTs size bytes to the import with "Expect: 100-continue", the way a client that sends
    a large body should, and reads the answer whenever the daemon gives it (before the body,
    for a Content-Length over the limit).  Returns (status, JSON or None)."""
    s = socket.create_connection(("127.0.0.1", agency.http_port), timeout=30)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: text/csv\r\nContent-Length: %d\r\nExpect: 100-continue\r\n"
                   "Connection: close\r\n\r\n" % (import_path(MAPPING), agency.token, size)
                   ).encode())
        data = b""
        if select.select([s], [], [], 5)[0]:
            data = s.recv(65536)
        if not data or data.startswith(b"HTTP/1.1 100"):
            data = b""
            chunk = b"a" * 65536
            try:
                for offset in range(0, size, len(chunk)):
                    s.sendall(chunk[:min(len(chunk), size - offset)])
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        except (ConnectionResetError, socket.timeout):
            pass
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    check(m, "no HTTP answer to a POST of %d bytes: %r" % (size, data[:200]))
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    try:
        return int(m.group(1)), json.loads(body.decode("utf-8"))
    except ValueError:
        return int(m.group(1)), None


def report_of(r, status, what, error=None):
    """The answer's JSON, checked: the status, the report's shape (every member the contract
    names), and for 400/422 the error code and a message."""
    check(r.status == status, "%s: expected HTTP %d, got %r" % (what, status, r))
    j = r.json
    check(isinstance(j, dict), "%s: the answer is not a JSON object: %r" % (what, r))
    for key in ("dry_run", "mapping", "encoding", "rows", "counts", "results", "problems",
                "warnings"):
        check(key in j, "%s: the report has no %r: %s" % (what, key, r.text[:600]))
    check(isinstance(j["counts"], dict) and all(isinstance(j["counts"].get(k), int)
                                                for k in COUNT_KEYS),
          "%s: counts %r" % (what, j["counts"]))
    check(isinstance(j["results"], list) and isinstance(j["problems"], list)
          and isinstance(j["warnings"], list), "%s: results/problems/warnings not lists" % what)
    for res in j["results"]:
        check(isinstance(res.get("row"), int) and res.get("status") in STATUSES,
              "%s: a result %r" % (what, res))
    if error:
        check(j.get("error") == error and isinstance(j.get("message"), str) and j["message"],
              "%s: expected error %r with a message, got %r / %r" % (
                  what, error, j.get("error"), j.get("message")))
    return j


def results_by_row(j):
    out = {}
    for res in j["results"]:
        check(res["row"] not in out, "row %d has two results: %r" % (res["row"], j["results"]))
        out[res["row"]] = res
    return out


def problems_of_row(j, row):
    return [p for p in j["problems"] if p.get("row") == row]


def names(p):
    """Everything a problem names: its column, its field and its sentence."""
    return " ".join(str(p.get(k) or "") for k in ("column", "field", "problem"))


# --- what was sent ---------------------------------------------------------------------------

def event_list(agency):
    out, after = [], 0
    for _ in range(1000):
        r = agency.get("/v1/events?after=%d&limit=500" % after)
        check(r.status == 200 and isinstance(r.json, dict), "%s GET /v1/events: %r" % (
            agency.id, r))
        batch = r.json.get("events") or []
        if not batch:
            return out
        out.extend(batch)
        after = r.json["next_after"]
    fail("the event feed of %s never ended" % agency.id)


def letters_stored(agency):
    """The message ids of the letters this agency sent that the coordinator stored."""
    return sorted(e["data"].get("message_id") or "" for e in event_list(agency)
                  if e["type"] == "delivery.stored")


def snapshot(cluster, agencies):
    """What sending anything would change: every agency's consents, the letters it sent that
    were stored, its inbox; and the referrals the coordinator has counted.  Taken when every
    outbox is empty, so a letter committed before is counted."""
    for a in agencies.values():
        a.wait_outbox_empty(WAIT)
    snap = {}
    for a in agencies.values():
        snap[a.id] = {
            "consents": sorted(c.get("consent_id") for c in a.consents()),
            "letters": letters_stored(a),
            "referrals in": sorted(it.get("referral_id") or "" for it in a.inbox()
                                   if it.get("kind") == "referral"),
        }
    stats = cluster.coord_json("/v1/stats")
    snap["coordinator referrals"] = stats["referrals"]["created"]
    return snap


def settled(cluster, agencies):
    """A snapshot once what earlier steps sent has come to rest (two in a row alike): the
    baseline an import that must send nothing is held to."""
    last = {"snap": None}

    def same():
        snap = snapshot(cluster, agencies)
        previous, last["snap"] = last["snap"], snap
        return snap if snap == previous else None

    return harness.wait_for(same, WAIT, "the cluster to come to rest", interval=0.5,
                            alive=cluster.alive)


def unchanged(cluster, agencies, before, what):
    after = snapshot(cluster, agencies)
    for key in before:
        if before[key] != after[key]:
            if isinstance(before[key], dict):
                changed = [k for k in before[key] if before[key][k] != after[key][k]]
                fail("%s changed %s of %s: before %s, after %s" % (
                    what, ", ".join(changed), key,
                    json.dumps({k: before[key][k] for k in changed})[:600],
                    json.dumps({k: after[key][k] for k in changed})[:600]))
            fail("%s changed %s: %r → %r" % (what, key, before[key], after[key]))


# --- the command line ------------------------------------------------------------------------

def cli(cluster, *argv, expect=None, timeout=120):
    """Runs tsunagu-import; checks the exit code when expect is given; the CompletedProcess.
    No token ever appears in what it prints."""
    r = harness.run([cluster.exe("tsunagu-import")] + list(argv), timeout=timeout,
                    env=cluster.env)
    for a in cluster.agencies.values():
        check(a.token not in r.stdout and a.token not in r.stderr,
              "tsunagu-import %s printed %s's token" % (" ".join(argv), a.id))
    if expect is not None:
        check(r.returncode == expect, "tsunagu-import %s: exit %d, expected %d\nstdout: %s\n"
              "stderr: %s" % (" ".join(argv), r.returncode, expect, r.stdout[-3000:],
                              r.stderr[-2000:]))
    return r


def has(text, *needles):
    for n in needles:
        check(n in text, "expected %r in:\n%s" % (n, text[-3000:]))


# --- the cluster -----------------------------------------------------------------------------

def start(cluster):
    """Coordinator and one agency of each type, the example mapping in each agency's mappings
    folder (import-mappings/ beside agency.conf, the default), all connected."""
    cluster.init()
    agencies = cluster.add_standard_agencies()
    check(os.path.isfile(MAPPING_FILE), "%s is missing" % MAPPING_FILE)
    for a in agencies.values():
        folder = os.path.join(a.bundle, "import-mappings")
        os.makedirs(folder, exist_ok=True)
        shutil.copy(MAPPING_FILE, os.path.join(folder, MAPPING + ".conf"))
    cluster.start_all()
    cluster.wait_ready()
    return agencies


def wait_arrived(agencies, sender, row, res):
    """The referral of row, sent by sender, is delivered and in the recipient's inbox with the
    row's cells, decrypted."""
    rid = res["referral_id"]
    harness.wait_delivered(sender, rid, WAIT, alive=sender.cluster.alive)
    recipient = agencies[row["紹介先"]]
    item = harness.wait_json(
        lambda: next((it for it in recipient.inbox() if it.get("referral_id") == rid), None),
        lambda it: True, WAIT, "referral %s (row %d) in %s's inbox" % (
            rid[:8], row["_row"], recipient.id), alive=sender.cluster.alive)
    sheet = item.get("sheet")
    check(isinstance(sheet, dict), "row %d at %s: no decrypted sheet in %r" % (
        row["_row"], recipient.id, item))
    members = sheet.get("members") or [{}]
    got = {"氏名": members[0].get("name"), "フリガナ": members[0].get("kana"),
           "生年月日": members[0].get("birthdate"), "住所": sheet.get("address"),
           "電話": sheet.get("phone"), "概要": sheet.get("summary")}
    want = {k: row[k] for k in got}
    check(got == want, "row %d at %s: the sheet holds %r, the file %r" % (
        row["_row"], recipient.id, got, want))
    check(item.get("from") == sender.id, "row %d: from %r" % (row["_row"], item.get("from")))
    check(item.get("urgency") == row["緊急度"], "row %d: urgency %r" % (
        row["_row"], item.get("urgency")))
    check(item.get("tags") == row["課題タグ"].split("・"), "row %d: tags %r" % (
        row["_row"], item.get("tags")))
    check(item.get("legal_basis") == "consent", "row %d: legal basis %r" % (
        row["_row"], item.get("legal_basis")))
    check(sheet.get(sender.type), "row %d: the sheet lacks the %s intake fields the mapping "
          "gives: %r" % (row["_row"], sender.type, sheet))
    return item


def check_sent(agencies, sender, rows, j, status):
    """The answer of a real import that sent this agency's rows: each of them sent with its
    ids, the others skipped naming whose they are."""
    mine = [row for row in rows if row["紹介元"] == sender.type]
    by_row = results_by_row(j)
    check(j["dry_run"] is False and j["mapping"] == MAPPING and j["rows"] == len(rows),
          "dry_run/mapping/rows: %r/%r/%r" % (j["dry_run"], j["mapping"], j["rows"]))
    check(j["counts"]["sent"] == len(mine) and j["counts"]["skipped"] == len(rows) - len(mine)
          and j["counts"]["invalid"] == 0 and j["counts"]["already_sent"] == 0,
          "%s: counts %r, expected %d sent" % (sender.id, j["counts"], len(mine)))
    check(not j["problems"], "%s: problems %r" % (sender.id, j["problems"]))
    sent = []
    for row in rows:
        res = by_row.get(row["_row"])
        check(res is not None, "%s: no result for row %d" % (sender.id, row["_row"]))
        if row["紹介元"] != sender.type:
            check(res["status"] == "skipped" and row["紹介元"] in (res.get("reason") or ""),
                  "%s: row %d (紹介元 %s) should be skipped saying whose: %r" % (
                      sender.id, row["_row"], row["紹介元"], res))
            continue
        key = "%s/%s" % (row["世帯ID"], row["紹介先"])
        check(res["status"] == status and res.get("key") == key,
              "%s: row %d should be %s with key %s: %r" % (sender.id, row["_row"], status,
                                                          key, res))
        for id_key in ("referral_id", "case_id") + (("consent_id",) if status == "sent" else ()):
            check(harness.UUID_RE.match(res.get(id_key) or ""), "%s: row %d %s %r" % (
                sender.id, row["_row"], id_key, res.get(id_key)))
        recipient = agencies[row["紹介先"]]
        check(res.get("to") in (recipient.type, recipient.id), "row %d: to %r" % (
            row["_row"], res.get("to")))
        sent.append((row, res))
    return sent


# --- the test --------------------------------------------------------------------------------

def body(cluster, results, args):
    bom = open(os.path.join(args.data, BOM_FILE), "rb").read()
    cp932 = open(os.path.join(args.data, CP932_FILE), "rb").read()
    check(bom.startswith(b"\xef\xbb\xbf"), "%s has no BOM" % BOM_FILE)
    rows = read_rows(bom, "utf-8-sig")
    check(read_rows(cp932, "cp932") == rows, "the two files do not hold the same rows")
    agencies = start(cluster)
    results.ok("coordinator and four agencies up, the mapping %s in each" % MAPPING)
    mine = {t: [row for row in rows if row["紹介元"] == t] for t in harness.AGENCY_TYPES}
    check(all(mine.values()), "every agency type sends a row of the file")
    base = settled(cluster, agencies)

    # 1. Without the mapping: refused, every row of the agency naming what it lacks.
    def without_mapping():
        for name, data, encoding in ((BOM_FILE, bom, "utf-8-bom"), (CP932_FILE, cp932, "cp932")):
            for a in agencies.values():
                what = "%s without mapping at %s" % (name, a.id)
                j = report_of(post_import(a, data), 422, what, "import_invalid")
                check(j["mapping"] is None and j["encoding"] == encoding
                      and j["rows"] == len(rows), "%s: mapping/encoding/rows %r/%r/%r" % (
                          what, j["mapping"], j["encoding"], j["rows"]))
                check(j["counts"]["invalid"] == len(mine[a.type]) and j["counts"]["sent"] == 0,
                      "%s: counts %r" % (what, j["counts"]))
                by_row = results_by_row(j)
                intake = harness.INTAKE_FIELDS[a.type][0]
                for row in rows:
                    res = by_row.get(row["_row"]) or {}
                    if row["紹介元"] != a.type:
                        check(res.get("status") == "skipped", "%s: row %d %r" % (
                            what, row["_row"], res))
                        continue
                    check(res.get("status") == "invalid", "%s: row %d %r" % (
                        what, row["_row"], res))
                    told = " | ".join(names(p) for p in problems_of_row(j, row["_row"]))
                    check("legal_basis" in told and intake in told,
                          "%s: row %d should name legal_basis and %s, names: %s" % (
                              what, row["_row"], intake, told))
        unchanged(cluster, agencies, base, "an import without the mapping")

    results.check("without the mapping both files are 422 import_invalid, every row of the "
                  "agency naming legal_basis and its type's intake field; nothing sent",
                  without_mapping)

    # 2. The dry run: nothing wrong, nothing sent.
    def dry_run():
        for name, data, encoding in ((BOM_FILE, bom, "utf-8-bom"), (CP932_FILE, cp932, "cp932")):
            for a in agencies.values():
                what = "dry run of %s at %s" % (name, a.id)
                j = report_of(post_import(a, data, MAPPING, dry_run=True), 200, what)
                check(j["dry_run"] is True and j["mapping"] == MAPPING
                      and j["encoding"] == encoding, "%s: %r/%r/%r" % (
                          what, j["dry_run"], j["mapping"], j["encoding"]))
                check(j["counts"]["valid"] == len(mine[a.type]) and j["counts"]["invalid"] == 0
                      and j["counts"]["sent"] == 0, "%s: counts %r" % (what, j["counts"]))
                check(not j["problems"], "%s: problems %r" % (what, j["problems"]))
                by_row = results_by_row(j)
                for row in mine[a.type]:
                    check((by_row.get(row["_row"]) or {}).get("status") == "valid",
                          "%s: row %d %r" % (what, row["_row"], by_row.get(row["_row"])))
        unchanged(cluster, agencies, base, "a dry run")

    results.check("dry_run=true with the mapping: 200, the agency's rows valid in both files, "
                  "nothing sent", dry_run)

    # 3. The import: each agency sends its own rows; they arrive decrypted.
    sent = {}

    def import_all():
        for a in agencies.values():
            before = {c.get("consent_id") for c in a.consents()}
            j = report_of(post_import(a, bom, MAPPING), 202, "import of %s at %s" % (
                BOM_FILE, a.id))
            check(j["encoding"] == "utf-8-bom", "encoding %r" % j["encoding"])
            sent[a.id] = check_sent(agencies, a, rows, j, "sent")
            after = {c.get("consent_id") for c in a.consents()}
            want = {res["consent_id"] for _row, res in sent[a.id]}
            check(len(want) == len(sent[a.id]) and want <= after - before,
                  "%s: the consents of its rows %r are not all newly registered (new: %r)" % (
                      a.id, sorted(want), sorted(after - before)))

    results.check("the UTF-8 BOM file with the mapping into each agency: 202, its rows sent "
                  "with a consent each, the others skipped", import_all)

    def arrived():
        for a in agencies.values():
            for row, res in sent.get(a.id, []):
                wait_arrived(agencies, a, row, res)
        check(sum(len(v) for v in sent.values()) == len(rows), "not every row was sent once")

    results.check("every referral arrives decrypted at its recipient with 氏名, 概要 and the "
                  "other cells of the file", arrived)

    # 4. Again: nothing new.
    answers = {}

    def reimport():
        snap = settled(cluster, agencies)
        check(snap["coordinator referrals"] == base["coordinator referrals"] + len(rows),
              "the coordinator counted %d referrals, expected %d" % (
                  snap["coordinator referrals"], base["coordinator referrals"] + len(rows)))
        # What the snapshot counts saw the import: its letters stored, its referrals in.
        check(all(len(snap[a.id]["letters"]) >= 2 * len(mine[a.type]) for a in agencies.values())
              and sum(len(snap[a.id]["referrals in"]) for a in agencies.values()) == len(rows),
              "the snapshot does not see what the import sent: %s" % json.dumps(
                  {a.id: {k: len(v) for k, v in snap[a.id].items()} for a in agencies.values()}))
        for a in agencies.values():
            j = report_of(post_import(a, bom, MAPPING), 200, "re-import at %s" % a.id)
            check(j["counts"]["sent"] == 0 and j["counts"]["already_sent"] == len(mine[a.type]),
                  "%s: counts %r" % (a.id, j["counts"]))
            answers[a.id] = j
        unchanged(cluster, agencies, snap, "a re-import")

    results.check("the same file again: 200, every row of the agency already_sent; no new "
                  "letter and no new consent", reimport)

    def reimport_names():
        for a in agencies.values():
            j = answers.get(a.id)
            check(j, "%s: no answer to the re-import" % a.id)
            again = check_sent(agencies, a, rows, dict(j, counts=dict(
                j["counts"], sent=j["counts"]["already_sent"], already_sent=0)), "already_sent")
            first = {row["_row"]: (res["referral_id"], res["case_id"])
                     for row, res in sent.get(a.id, [])}
            check({row["_row"]: (res["referral_id"], res["case_id"]) for row, res in again}
                  == first, "%s: the re-import names other referrals or cases than the "
                  "import" % a.id)

    results.check("the re-import names, for each row already sent, the referral and the case "
                  "the first import made", reimport_names)

    # 5. The command line, on the running cluster: the CP932 file is already sent.
    cli_checks(cluster, agencies, results, args, rows, mine, sent)

    # 6. Broken files.
    broken_files(cluster, agencies, results, args, bom, rows)

    # 7. The template.
    template(cluster, agencies, results)

    # 5b. A fresh cluster: the CP932 file through tsunagu-import only.
    fresh_cli(args, results, rows, mine)


def cli_checks(cluster, agencies, results, args, rows, mine, sent):
    cp932_path = os.path.join(args.data, CP932_FILE)

    def again_by_cli():
        snap = settled(cluster, agencies)
        for a in agencies.values():
            r = cli(cluster, "--config", a.conf, "--mapping", MAPPING, cp932_path, expect=0)
            has(r.stdout, CP932_FILE, "Shift_JIS（CP932）", "送信 0 件",
                "送信済み %d 件" % len(mine[a.type]),
                "対象外 %d 件" % (len(rows) - len(mine[a.type])), "新しく送る行はありませんでした")
            for row, res in sent.get(a.id, []):
                has(r.stdout, "行 %d ・ %s/%s" % (row["_row"], row["世帯ID"], row["紹介先"]),
                    res["referral_id"])
        unchanged(cluster, agencies, snap, "tsunagu-import of the file already sent")

    results.check("tsunagu-import --config agency.conf --mapping: the CP932 file, already sent "
                  "(exit 0; the report in Japanese names the encoding, the counts and each "
                  "row's referral)", again_by_cli)

    elder = agencies["eldercare"]

    def other_modes():
        snap = settled(cluster, agencies)
        r = cli(cluster, "--config", elder.conf, "--mapping", MAPPING, "--lang", "en",
                "--dry-run", cp932_path, expect=0)
        has(r.stdout, "Encoding: Shift_JIS (CP932)", "Dry run: no problem found")
        r = cli(cluster, "--config", elder.conf, "--mapping", MAPPING, "--json", cp932_path,
                expect=0)
        j = json.loads(r.stdout)
        check(j.get("encoding") == "cp932" and j["counts"]["already_sent"] == len(
            mine["eldercare"]), "--json printed %r" % r.stdout[:500])
        r = cli(cluster, "--config", elder.conf, cp932_path, expect=0)
        has(r.stdout, "対応表: なし", "送信済み %d 件" % len(mine["eldercare"]))
        r = cli(cluster, "--url", "http://127.0.0.1:%d" % elder.http_port, "--token-file",
                os.path.join(elder.bundle, "http.token"), "--mapping", "nosuch", cp932_path,
                expect=2)
        has(r.stderr, "no_such_mapping")
        unchanged(cluster, agencies, snap, "tsunagu-import's dry run, --json and refusals")

    results.check("tsunagu-import --dry-run --lang en, --json (the daemon's JSON), without the "
                  "mapping (the rows already sent), --mapping nosuch (exit 2)", other_modes)

    def refusals():
        loose = os.path.join(cluster.root, "loose.token")
        shutil.copy(os.path.join(elder.bundle, "http.token"), loose)
        os.chmod(loose, 0o644)
        r = cli(cluster, "--url", "http://127.0.0.1:%d" % elder.http_port, "--token-file", loose,
                cp932_path, expect=2)
        has(r.stderr, loose, "chmod 600")
        r = cli(cluster, "-n", "--url", "http://127.0.0.1:%d" % elder.http_port, "--token-file",
                loose, expect=2)
        has(r.stderr, loose, "chmod 600")
        r = cli(cluster, "-n", "--lang", "en", "--config", elder.conf, expect=0)
        has(r.stdout, "configuration OK (http://127.0.0.1:%d)" % elder.http_port)
        port = harness.free_port()
        r = cli(cluster, "--url", "http://127.0.0.1:%d" % port, "--token-file",
                os.path.join(elder.bundle, "http.token"), "--lang", "en", cp932_path, expect=2)
        has(r.stderr, "the agency daemon at http://127.0.0.1:%d does not answer" % port)
        wrong = os.path.join(cluster.root, "wrong.token")
        with open(wrong, "w") as f:
            f.write("0" * 64 + "\n")
        os.chmod(wrong, 0o600)
        r = cli(cluster, "--url", "http://127.0.0.1:%d" % elder.http_port, "--token-file", wrong,
                cp932_path, expect=2)
        has(r.stderr, "401")
        cli(cluster, cp932_path, expect=2)
        cli(cluster, "--config", elder.conf, expect=2)

    results.check("tsunagu-import refuses a token file others may read (also with -n, which "
                  "checks the configuration), says which daemon does not answer, and a refused "
                  "token or bad usage exits 2", refusals)


def broken_files(cluster, agencies, results, args, bom, rows):
    elder = agencies["eldercare"]

    def no_encoding():
        snap = settled(cluster, agencies)
        data = (b"household,from,to\r\n" b"H101,eldercare,poverty\r\n"
                b"H102,eldercare,pov\x81 erty\r\n")
        j = report_of(post_import(elder, data, MAPPING), 400, "a file in no encoding",
                      "invalid_file")
        told = j["message"] + " " + " ".join(names(p) + " row=%s" % p.get("row")
                                              for p in j["problems"])
        check(any(p.get("row") == 3 for p in j["problems"])
              or re.search(r"\b(line|row|行) ?3\b", j["message"]),
              "the refusal does not name line 3: %s" % told)
        unchanged(cluster, agencies, snap, "a file in no encoding")

    results.check("a file valid in no encoding: 400 invalid_file naming its line 3, nothing "
                  "sent", no_encoding)

    def no_recipient_column():
        snap = settled(cluster, agencies)
        text = bom.decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text, newline="")))
        drop = table[0].index("紹介先")
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(
            [c for i, c in enumerate(line) if i != drop] for line in table)
        data = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
        j = report_of(post_import(elder, data, MAPPING), 400, "a file without 紹介先",
                      "invalid_file")
        told = j["message"] + " " + " ".join(names(p) for p in j["problems"])
        check("紹介先" in told, "the refusal does not name the column 紹介先: %s" % told)
        unchanged(cluster, agencies, snap, "a file without 紹介先")

    results.check("a file without the 紹介先 column: 400 invalid_file naming 紹介先, nothing "
                  "sent", no_recipient_column)

    def bad_rows():
        snap = settled(cluster, agencies)
        path = os.path.join(args.data, "import-broken-rows.csv")
        data = open(path, "rb").read()
        broken = read_rows(data, "utf-8-sig")
        check([r["世帯ID"] for r in broken] == ["H101", "H102", "H103", "H104"],
              "%s is not the fixture this test expects" % path)
        for dry in (True, False):
            what = "the file with broken rows%s" % (" (dry run)" if dry else "")
            j = report_of(post_import(elder, data, MAPPING, dry_run=dry), 422, what,
                          "import_invalid")
            check(j["counts"]["invalid"] == 2 and j["counts"]["valid"] == 2
                  and j["counts"]["sent"] == 0, "%s: counts %r" % (what, j["counts"]))
            by_row = results_by_row(j)
            check({r: by_row[r]["status"] for r in by_row} == {2: "valid", 3: "invalid",
                                                               4: "invalid", 5: "valid"},
                  "%s: results %r" % (what, j["results"]))
            where = sorted({(p.get("row"), p.get("column")) for p in j["problems"]},
                           key=str)
            check(where == sorted({(3, "紹介先"), (4, "生年月日")}, key=str),
                  "%s: the problems should be row 3 紹介先 and row 4 生年月日 only: %s" % (
                      what, json.dumps(j["problems"], ensure_ascii=False)))
        unchanged(cluster, agencies, snap, "the file with broken rows")
        r = cli(cluster, "--config", elder.conf, "--mapping", MAPPING, path, expect=1)
        has(r.stdout, "行 3 ・ 紹介先:", "行 4 ・ 生年月日:", "何も送信していません")
        unchanged(cluster, agencies, snap, "tsunagu-import of the file with broken rows")

    results.check("a file with an unknown agency type (row 3) and 2023-02-30 (row 4): 422 "
                  "naming exactly those rows and columns, the good rows valid, no consent and "
                  "no letter left behind (HTTP and tsunagu-import)", bad_rows)

    def refused_requests():
        r = post_import(elder, bom, MAPPING, token=False)
        check(r.status == 401, "no token: %r" % r)
        r = post_import(elder, bom, "nosuch")
        check(r.status == 404 and (r.json or {}).get("error") == "no_such_mapping",
              "an unknown mapping: %r" % r)
        r = post_import(elder, bom, MAPPING, content_type="application/json")
        check(r.status == 415, "application/json: %r" % r)
        status, j = post_oversized(elder, 4 * 1024 * 1024 + 1)
        check(status == 413 and (j or {}).get("error") == "too_large",
              "a file over 4 MiB: HTTP %d %r" % (status, j))
        big = os.path.join(cluster.root, "big.csv")
        with open(big, "wb") as f:
            f.write(b"a" * (5 * 1024 * 1024))
        r = cli(cluster, "--config", elder.conf, "--mapping", MAPPING, big, expect=1)
        has(r.stdout, "4 MiB", "何も送信していません")
        r = post_import(elder, bom, MAPPING, content_type="text/csv; charset=shift_jis",
                        dry_run=True)
        check(r.status == 200 and (r.json or {}).get("encoding") == "utf-8-bom",
              "the charset parameter is not ignored: %r" % r)

    results.check("401 without the token, 404 no_such_mapping, 415 not text/csv, 413 over "
                  "4 MiB; a charset parameter is ignored", refused_requests)


def template(cluster, agencies, results):
    elder = agencies["eldercare"]
    mapped = ["要介護度", "障害者手帳", "法的根拠", "同意ID"]

    def fetch(query):
        r = elder.get("/v1/imports/referrals/template.csv" + query)
        check(r.status == 200, "GET template.csv%s: %r" % (query, r))
        ctype = r.headers.get("Content-Type") or r.headers.get("content-type") or ""
        check(ctype.startswith("text/csv"), "Content-Type %r" % ctype)
        check(r.raw.endswith(b"\r\n") and r.raw.count(b"\n") == r.raw.count(b"\r\n"),
              "the template%s has other line ends than CRLF: %r" % (query, r.raw[-40:]))
        return r.raw

    def bom_template():
        raw = fetch("?mapping=" + MAPPING)
        check(raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: %r" % raw[:10])
        header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        missing = [h for h in STANDARD + mapped if h not in header]
        check(not missing, "the header lacks %r: %r" % (missing, header))
        plain = next(csv.reader(io.StringIO(fetch("").decode("utf-8-sig"), newline="")))
        check(all(h in plain for h in STANDARD) and not any(h in plain for h in mapped),
              "the built-in template's header %r" % plain)
        out = os.path.join(cluster.root, "template.csv")
        r = cli(cluster, "--config", elder.conf, "--template", "--mapping", MAPPING, "-o", out,
                expect=0)
        check(open(out, "rb").read() == raw, "tsunagu-import --template wrote other bytes")
        return raw

    results.check("template.csv?mapping=: UTF-8 BOM, CRLF, the standard and the mapped "
                  "columns (tsunagu-import --template writes the same bytes)", bom_template)

    def cp932_template():
        raw = fetch("?mapping=%s&encoding=cp932" % MAPPING)
        check(not raw.startswith(b"\xef\xbb\xbf"), "a CP932 template with a UTF-8 BOM")
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError as e:
            fail("the CP932 template does not decode as CP932: %s" % e)
        header = next(csv.reader(io.StringIO(text, newline="")))
        check(all(h in header for h in STANDARD + mapped), "the CP932 header %r" % header)
        out = os.path.join(cluster.root, "template-cp932.csv")
        cli(cluster, "--config", elder.conf, "--template", "--mapping", MAPPING, "--cp932", "-o",
            out, expect=0)
        check(open(out, "rb").read() == raw, "tsunagu-import --template --cp932 wrote other "
              "bytes")

    results.check("template.csv?encoding=cp932 decodes as CP932 with the same header "
                  "(tsunagu-import --template --cp932 too)", cp932_template)


def fresh_cli(args, results, rows, mine):
    """A second cluster of its own: the CP932 file imported through tsunagu-import only."""
    cluster = harness.Cluster(args, "import-cli")
    print("import: the fresh cluster for tsunagu-import in %s" % cluster.root, flush=True)
    ok = False
    failed_before = len(results.failed)
    try:
        agencies = start(cluster)
        cp932_path = os.path.join(args.data, CP932_FILE)
        line = re.compile(r"^  行 (\d+) ・ (\S+) → (\S+) ・ 紹介ID (\S+)$", re.M)

        def without_mapping():
            snap = settled(cluster, agencies)
            for a in agencies.values():
                r = cli(cluster, "--config", a.conf, cp932_path, expect=1)
                has(r.stdout, "対応表: なし（標準の列名のみ）",
                    "問題のある行があるため、何も送信していません。",
                    "問題あり %d 件" % len(mine[a.type]), "legal_basis",
                    harness.INTAKE_FIELDS[a.type][0])
                for row in mine[a.type]:
                    has(r.stdout, "  行 %d ・ " % row["_row"])
                lines = [int(m) for m in re.findall(r"^  行 (\d+) ・", r.stdout, re.M)]
                check(lines == sorted(lines), "problems not sorted by row: %r" % lines)
            unchanged(cluster, agencies, snap, "tsunagu-import without the mapping")

        results.check("a fresh cluster: tsunagu-import of the CP932 file without the mapping "
                      "exits 1, every row of the agency's problems printed by row, nothing sent",
                      without_mapping)

        def by_cli():
            for a in agencies.values():
                n = len(mine[a.type])
                dry = cli(cluster, "--config", a.conf, "--mapping", MAPPING, "--dry-run",
                          cp932_path, expect=0)
                has(dry.stdout, "確認のみ", "送信できる %d 件" % n)
                r = cli(cluster, "--config", a.conf, "--mapping", MAPPING, cp932_path, expect=0)
                if a.type == "eldercare":
                    print("----- tsunagu-import at %s -----\n%s" % (a.id, r.stdout), flush=True)
                has(r.stdout, "文字コード: Shift_JIS（CP932）", "対応表: %s" % MAPPING,
                    "データ行: %d" % len(rows), "送信しました。",
                    "送信 %d 件 ・ 送信済み 0 件 ・ 対象外 %d 件 ・ 問題あり 0 件" % (
                        n, len(rows) - n), "送信した行:")
                printed = {int(m[0]): m for m in line.findall(r.stdout)}
                check(sorted(printed) == [row["_row"] for row in mine[a.type]],
                      "%s: the report lists the rows %r as sent, expected %r" % (
                          a.id, sorted(printed), [row["_row"] for row in mine[a.type]]))
                for row in mine[a.type]:
                    _n, key, _to, rid = printed[row["_row"]]
                    check(key == "%s/%s" % (row["世帯ID"], row["紹介先"]), "row %d key %r" % (
                        row["_row"], key))
                    wait_arrived(agencies, a, row, {"referral_id": rid})
                again = cli(cluster, "--config", a.conf, "--mapping", MAPPING, "--json",
                            cp932_path, expect=0)
                j = json.loads(again.stdout)
                check(j["counts"]["sent"] == 0 and j["counts"]["already_sent"] == n,
                      "%s: again: counts %r" % (a.id, j["counts"]))
                ids = {res["row"]: res.get("referral_id") for res in j["results"]
                       if res["status"] == "already_sent"}
                check(ids == {k: v[3] for k, v in printed.items()},
                      "%s: again names other referrals %r than the first run %r" % (
                          a.id, ids, printed))

        results.check("a fresh cluster: the CP932 file through tsunagu-import into each agency "
                      "(exit 0, the report says what was sent); the referrals arrive decrypted; "
                      "again: already sent", by_cli)
        ok = len(results.failed) == failed_before
    finally:
        stopped = cluster.close(ok)
    check(stopped or not ok, "the fresh cluster for tsunagu-import did not stop cleanly")


if __name__ == "__main__":
    harness.main("import", __doc__.splitlines()[0], body)
