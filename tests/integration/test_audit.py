#!/usr/bin/env python3
"""The coordinator's audit log is a hash chain anyone can check: every routing decision (allowed
with its basis, refused with its code, an emergency alert, consents granted and revoked) is one
record of ids and codes in DATA_DIR/audit.log; `tsunaguctl audit verify` recomputes the chain
(exit 0, the count) and finds a flipped byte, an edited hash, a removed or reordered line
(exit 1, naming the line); records of a batch that never committed are dropped at start-up; and
a kill -9 of the coordinator in the middle of traffic leaves a chain that verifies, with each
referral decided exactly once."""

import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_blind_coordinator as blind  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
BURST = 40
LINE_RE = re.compile(rb"^(\d+) (\S+) ([0-9a-f]{64}) ([0-9a-f]{64}) (\{.*\})$")


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        return []
    check(data.endswith(b"\n"), "%s does not end with a newline" % path)
    return data.split(b"\n")[:-1]


def chain_records(path):
    """Checks the chain in Python, independently of tsunaguctl: returns the records (dicts)."""
    prev = b"\0" * 32
    records = []
    for n, line in enumerate(read_lines(path), 1):
        m = LINE_RE.match(line)
        check(m, "line %d is not `seq time prev hash json`: %r" % (n, line[:200]))
        seq, at, prev_hex, hash_hex, js = m.groups()
        check(int(seq) == n, "line %d holds seq %s" % (n, seq))
        check(bytes.fromhex(prev_hex.decode()) == prev, "line %d: prev_hash is not the hash of "
              "line %d" % (n, n - 1))
        digest = hashlib.sha256(prev + js).digest()
        check(digest.hex() == hash_hex.decode(), "line %d: hash is not SHA-256(prev || json)" % n)
        rec = json.loads(js.decode("utf-8"))
        check(rec.get("seq") == n and rec.get("at") == at.decode(),
              "line %d: the JSON's seq/at %r/%r differ from the line's" % (
                  n, rec.get("seq"), rec.get("at")))
        records.append(rec)
        prev = digest
    return records


def verify(cluster, expect_ok, line=None):
    """Runs `tsunaguctl audit verify`; checks the exit status and, for a broken chain, that the
    output names `line`.  Returns the output."""
    r = cluster.audit_verify()
    out = (r.stdout + r.stderr).strip()
    if expect_ok:
        check(r.returncode == 0, "audit verify exit %d on an intact log:\n%s" % (
            r.returncode, out))
        check("OK" in out, "no OK in:\n%s" % out)
    else:
        check(r.returncode == 1, "audit verify exit %d on a broken log, expected 1:\n%s" % (
            r.returncode, out))
        if line is not None:
            check(re.search(r"\bline %d\b" % line, out),
                  "the output does not name line %d:\n%s" % (line, out))
    return out


def body(cluster, results, args):
    hh = {h["id"]: h for h in harness.load_households(args.data)}
    cluster.init()
    ag = cluster.add_standard_agencies(("eldercare", "poverty"))
    eld, pov = ag["eldercare"], ag["poverty"]
    probe = cluster.add_agency("probe-eldercare", "eldercare", "つなぐ市検証用地域包括支援センター")
    running = [eld.id, pov.id]
    cluster.start_all(running)
    cluster.wait_ready(running)
    cluster.wait_coordinator_http()
    alive = cluster.alive
    path = cluster.audit_path()
    results.ok("coordinator, eldercare and poverty are up")

    h1, h4 = hh["H001"], hh["H004"]
    personal = harness.personal_strings(h1) + harness.personal_strings(h4)
    made = {}

    # --- decisions of every sort ---------------------------------------------------------------
    def decisions():
        req = harness.consented_request(eld, h1, to_agency=pov.id)
        made["case"], made["consent"] = req["case_id"], req["consent_id"]
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "consent referral: %r" % r)
        made["allowed"] = r.json["referral_id"]
        r = eld.post("/v1/referrals", harness.referral_request(
            h4, to_agency=pov.id, legal_basis="emergency", urgency="emergency"))
        check(r.status == 202, "emergency referral: %r" % r)
        made["emergency"] = r.json["referral_id"]
        for rid in (made["allowed"], made["emergency"]):
            harness.wait_delivered(eld, rid, WAIT, alive=alive)
        cluster.rogue_send(probe, pov, "missing_legal_basis", legal_basis="none",
                           categories=["identity"])
        r = eld.revoke_consent(made["consent"])
        check(r.status == 202, "revoke: %r" % r)
        eld.wait_outbox_empty(WAIT)
        items = {it.get("referral_id"): it for it in pov.inbox()}
        made["allowed_mid"] = items[made["allowed"]]["message_id"]
        made["emergency_mid"] = items[made["emergency"]]["message_id"]
        return True

    if not results.check("a referral on consent, an emergency, a refused letter (probe) and a "
                         "revocation", decisions):
        fail("no decisions to audit")

    def wait_records():
        def enough():
            return os.path.exists(path) and any(
                b"consent-revoked" in ln or b"revoked" in ln for ln in read_lines(path))
        harness.wait_for(enough, WAIT, "the revocation in audit.log", alive=alive)

    results.check("audit.log exists and records the revocation", wait_records)

    def records_hold_decisions():
        recs = chain_records(path)
        events = [r.get("event") for r in recs]
        print("     %d records: %s" % (len(recs), sorted(set(events))))
        for want in ("allowed", "refused", "alert"):
            check(want in events, "no %r record among %r" % (want, sorted(set(events))))
        check(any(e and e.startswith("consent") and "grant" in e for e in events),
              "no consent-granted record")
        check(any(e and e.startswith("consent") and "revok" in e for e in events),
              "no consent-revoked record")

        def about(mid):
            return [r for r in recs if r.get("message_id") == mid]

        allowed = [r for r in about(made["allowed_mid"]) if r.get("event") == "allowed"]
        check(len(allowed) == 1, "%d allowed records for the consent referral" % len(allowed))
        text = json.dumps(allowed[0])
        check("consent" in text and made["consent"] in text,
              "the allowed record does not name the basis and the consent: %s" % text)
        check(allowed[0].get("sender") == eld.id and allowed[0].get("recipient") == pov.id,
              "sender/recipient of %s" % text)
        emerg = about(made["emergency_mid"])
        check(any(r.get("event") == "allowed" and "emergency" in json.dumps(r) for r in emerg),
              "no allowed record with basis emergency: %r" % emerg)
        check(any(r.get("event") == "alert" for r in emerg) or any(
            r.get("event") == "alert" and made["emergency"] in json.dumps(r) for r in recs),
            "no alert record for the emergency")
        refused = [r for r in recs if r.get("event") == "refused"
                   and r.get("sender") == probe.id]
        check(refused and "missing_legal_basis" in json.dumps(refused[0]).lower().replace(
            "-", "_"), "the probe's refusal: %r" % refused)
        made["count"] = len(recs)

    results.check("the chain verifies in Python; it holds allowed (basis, consent id), "
                  "refused (code), alert, consent granted and revoked records",
                  records_hold_decisions)

    def no_personal_data():
        needles = {}
        for t in personal:
            for enc, data in blind.encodings_of(t).items():
                needles[(t, enc)] = data
        hits, searched = blind.search_tree(path, needles)
        check(searched > 0, "nothing searched")
        check(not hits, "personal data in audit.log: %r" % sorted(hits)[:10])

    results.check("audit.log holds no personal data", no_personal_data)

    def verify_running():
        out = verify(cluster, True)
        check(re.search(r"\b%s records\b" % made.get("count"), out),
              "the count (%s records) is not in: %s" % (made.get("count"), out))
        print("     " + out)

    results.check("tsunaguctl audit verify with the coordinator running: exit 0, OK and the "
                  "count", verify_running)

    def show():
        r = cluster.ctl("audit", "show", "--last", "3")
        lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
        check(len(lines) >= 3, "audit show --last 3 printed:\n%s" % r.stdout)
        check(str(made["count"]) in r.stdout, "the last seq is not shown:\n%s" % r.stdout)
        check(not harness.texts_in(r.stdout, personal), "audit show prints personal data")
        r = cluster.ctl("audit", "show", "--json")
        shown = json.loads(r.stdout)
        check(isinstance(shown, list) and len(shown) == made["count"],
              "audit show --json: %d records, expected %d" % (len(shown), made["count"]))

    results.check("tsunaguctl audit show --last 3 and --json", show)

    rc = cluster.coordinator.stop()
    results.expect("the coordinator stops cleanly", rc == 0, "status %r" % rc)
    results.check("audit verify with the coordinator stopped: exit 0", verify, cluster, True)

    # --- tampering -----------------------------------------------------------------------------
    pristine = os.path.join(cluster.root, "audit.pristine")
    shutil.copyfile(path, pristine)
    lines = read_lines(path)
    n = len(lines)
    k = max(2, n // 2)  # a line in the middle (from 1)

    def write_lines(new_lines):
        with open(path, "wb") as f:
            f.write(b"".join(ln + b"\n" for ln in new_lines))

    def flip_in(line, part):
        """line with one byte changed in `part` (json, hash, prev, time): the first digit or
        letter from the middle of the part on, changed to another of its kind (hex stays
        hex)."""
        m = LINE_RE.match(line)
        start, end = {"json": m.span(5), "hash": m.span(4), "prev": m.span(3),
                      "time": m.span(2)}[part]
        for i in range((start + end) // 2, end):
            c = chr(line[i])
            if c.isdigit():
                new = str((int(c) + 1) % 10)
            elif c in "abcdef":
                new = "abcdef"[("abcdef".index(c) + 1) % 6]
            elif c.isascii() and c.isalpha():
                new = "x" if c != "x" else "y"
            else:
                continue
            return line[:i] + new.encode() + line[i + 1:]
        fail("no byte to change in the %s of %r" % (part, line[:80]))

    check(n >= 4, "only %d records: too few to tamper with" % n)

    tamperings = [
        ("one byte flipped in the JSON of line %d" % k, k,
         lines[:k - 1] + [flip_in(lines[k - 1], "json")] + lines[k:]),
        ("one hex digit flipped in the hash of line %d" % k, k,
         lines[:k - 1] + [flip_in(lines[k - 1], "hash")] + lines[k:]),
        ("one hex digit flipped in the prev hash of line %d" % k, k,
         lines[:k - 1] + [flip_in(lines[k - 1], "prev")] + lines[k:]),
        ("one digit flipped in the time of line %d" % k, k,
         lines[:k - 1] + [flip_in(lines[k - 1], "time")] + lines[k:]),
        ("a byte 0xff written into the JSON of line %d" % k, k,
         lines[:k - 1] + [lines[k - 1][:-3] + b"\xff" + lines[k - 1][-2:]] + lines[k:]),
        ("line %d removed" % k, k, lines[:k - 1] + lines[k:]),
        ("lines %d and %d swapped" % (k, k + 1), k,
         lines[:k - 1] + [lines[k], lines[k - 1]] + lines[k + 1:]),
        ("one byte flipped in the JSON of the last line (%d)" % n, n,
         lines[:-1] + [flip_in(lines[-1], "json")]),
        ("the last line (%d) removed" % n, n, lines[:-1]),
    ]
    for name, line_no, new_lines in tamperings:
        def tampered(new_lines=new_lines, line_no=line_no):
            write_lines(new_lines)
            try:
                out = verify(cluster, False, line_no)
                print("     " + out.replace("\n", "\n     "))
            finally:
                shutil.copyfile(pristine, path)
            verify(cluster, True)

        results.check("%s: audit verify exit 1 naming line %d; restored: exit 0" % (
            name, line_no), tampered)

    # --- a batch that never committed is dropped at start-up ---------------------------------
    def uncommitted_tail():
        recs = chain_records(path)
        last = read_lines(path)[-1]
        prev = bytes.fromhex(LINE_RE.match(last).group(4).decode())
        seq = len(recs) + 1
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        marker = "uncommitted-" + uuid.uuid4().hex
        js = json.dumps({"seq": seq, "at": at, "event": "allowed", "sender": marker},
                        separators=(",", ":")).encode()
        digest = hashlib.sha256(prev + js).hexdigest()
        with open(path, "ab") as f:
            f.write(b"%d %s %s %s %s\n" % (seq, at.encode(), prev.hex().encode(),
                                            digest.encode(), js))
            f.write(b"%d 2026-01-01T00:00:00.000Z 00" % (seq + 1))  # torn write, no newline
        r = cluster.audit_verify()
        check(r.returncode == 1, "a torn last line: audit verify exit %d:\n%s" % (
            r.returncode, r.stdout + r.stderr))
        cluster.start_coordinator()
        cluster.wait_coordinator_http()
        cluster.wait_ready(running)
        data = open(path, "rb").read()
        check(marker.encode() not in data and data.endswith(b"\n"),
              "the coordinator kept records its store never committed")
        verify(cluster, True)
        check(len(chain_records(path)) == len(recs), "records %d, expected %d" % (
            len(chain_records(path)), len(recs)))

    results.check("a well-chained record and a torn line appended after the committed head "
                  "(a batch that never committed) are dropped when the coordinator starts",
                  uncommitted_tail)

    # --- kill -9 in the middle of traffic ------------------------------------------------------
    def kill9():
        if not cluster.coordinator.running():
            cluster.start_coordinator()
            cluster.wait_ready(running)
        h = hh["H001"]
        req = harness.consented_request(eld, h, to_agency=pov.id)
        rids = []
        for i in range(BURST):
            if i == BURST // 2:
                cluster.coordinator.kill9()
                cluster.start_coordinator()
            r = eld.post("/v1/referrals", dict(req, client_ref="audit-burst-%d" % i))
            check(r.status == 202, "POST %d: %r" % (i, r))
            rids.append(r.json["referral_id"])
        for rid in rids:
            harness.wait_delivered(eld, rid, 60, alive=alive)
        eld.wait_outbox_empty(WAIT)
        mids = {it.get("referral_id"): it.get("message_id") for it in pov.inbox()}
        rc = cluster.coordinator.stop()
        check(rc == 0, "the coordinator did not stop cleanly: %r" % rc)
        verify(cluster, True)
        recs = chain_records(path)
        for rid in rids:
            allowed = [r for r in recs if r.get("event") == "allowed"
                       and r.get("message_id") == mids.get(rid)]
            check(len(allowed) == 1, "referral %s (message %s): %d allowed records" % (
                rid, mids.get(rid), len(allowed)))
        print("     %d records after the burst" % len(recs))

    results.check("%d referrals with a kill -9 of the coordinator half way: the chain "
                  "verifies and each referral has exactly one allowed record" % BURST, kill9)


if __name__ == "__main__":
    harness.main("audit", __doc__, body)
