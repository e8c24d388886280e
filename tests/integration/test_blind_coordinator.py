#!/usr/bin/env python3
"""The coordinator routes every synthetic household's つなぐシート yet holds none of their personal
data in cleartext: its data dir (and log) is searched byte for byte in several encodings."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

CHUNK = 8 * 1024 * 1024


def encodings_of(text):
    """Every byte form the text could take in a file: UTF-8, UTF-16LE/BE, CP932, and the JSON
    escapes a serializer might write (\\u with lower or upper case hex)."""
    forms = {
        "utf-8": text.encode("utf-8"),
        "utf-16le": text.encode("utf-16-le"),
        "utf-16be": text.encode("utf-16-be"),
    }
    try:
        forms["cp932"] = text.encode("cp932")
    except UnicodeEncodeError:
        pass
    escaped = json.dumps(text)[1:-1]
    if escaped != text:
        forms["json-escaped"] = escaped.encode("ascii")
        head, *rest = escaped.split("\\u")
        forms["json-escaped-upper"] = "\\u".join([head] + [p[:4].upper() + p[4:] for p in rest]
                                                ).encode("ascii")
    # Dedupe identical byte strings (ASCII text is the same in several forms).
    # Needles under 6 bytes (two kana in UTF-16) could match ciphertext by chance; the full
    # strings they come from are searched in every form anyway.
    out = {}
    for name, data in forms.items():
        if len(data) >= 6 and data not in out.values():
            out[name] = data
    return out


def data_regions(f, size):
    """(offset, length) of the parts of a file that hold data, skipping holes of a sparse file
    (an LMDB map may be a sparse file of its whole map size)."""
    fd = f.fileno()
    if not hasattr(os, "SEEK_DATA"):
        yield 0, size
        return
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, end - start
        pos = end


def search_tree(root, needles):
    """Searches every regular file under root for every needle.
    needles: {(text, encoding): bytes}.  Returns {(text, encoding): [paths]} of hits and the
    number of bytes searched."""
    hits = {}
    searched = 0
    longest = max(len(n) for n in needles.values())
    paths = []
    if os.path.isfile(root):
        paths = [root]
    else:
        for dirpath, _dirs, files in os.walk(root):
            paths += [os.path.join(dirpath, name) for name in files]
    for path in paths:
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            for start, length in data_regions(f, size):
                f.seek(start)
                carry = b""
                remaining = length
                while remaining > 0:
                    chunk = f.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    searched += len(chunk)
                    window = carry + chunk
                    if window.count(0) != len(window):
                        for key, needle in needles.items():
                            if needle in window:
                                hits.setdefault(key, set()).add(path)
                    carry = window[-(longest - 1):] if longest > 1 else b""
    return {k: sorted(v) for k, v in hits.items()}, searched


def body(cluster, results, args):
    households = harness.load_households(args.data)
    cluster.init()
    agencies = cluster.add_standard_agencies()
    cluster.start_all()
    cluster.wait_ready()

    # Route every household from its own sender type to its own recipient type, on its own legal
    # basis (consent granted first, a meeting held first, or an emergency report).
    sent = []
    for i, h in enumerate(households):
        sender, recipient = agencies[h["from"]], agencies[h["to"]]
        req = harness.basis_request(sender, h, recipient, client_ref="blind-" + h["id"])
        r = sender.post("/v1/referrals", req)
        if results.expect("POST %s %s → %s answers 202" % (h["id"], sender.id, recipient.id),
                          r.status == 202, repr(r)):
            sent.append((sender, recipient, h, req, r.json))
    check(len(sent) == len(households), "not every household could be posted")

    for sender, recipient, h, req, answer in sent:
        results.check("%s delivered to %s" % (h["id"], recipient.id), harness.wait_delivered,
                      sender, answer["referral_id"], 30, alive=cluster.alive)

    # The recipients do hold the personal data, decrypted: the strings we search for are real.
    strings = {}
    for sender, recipient, h, req, answer in sent:
        def decrypted(recipient=recipient, h=h, req=req, answer=answer):
            items = [it for it in recipient.inbox()
                     if it.get("referral_id") == answer["referral_id"]]
            check(len(items) == 1, "%d copies in %s's inbox" % (len(items), recipient.id))
            text = json.dumps(items[0].get("sheet"), ensure_ascii=False)
            missing = [s for s in harness.personal_strings(h) if s not in text]
            check(not missing, "missing from the decrypted sheet: %r" % missing)
            check(items[0].get("sheet") == req["sheet"], "sheet differs from what was sent")

        results.check("%s: %s shows the sheet decrypted" % (h["id"], recipient.id), decrypted)
        for s in harness.personal_strings(h):
            strings[s] = h["id"]
    results.expect("household data gives strings to search for", len(strings) > 50,
                   "only %d strings" % len(strings))

    needles = {}
    for text in strings:
        for enc, data in encodings_of(text).items():
            needles[(text, enc)] = data

    # Sanity: the search finds every needle in a plaintext file that holds them.
    def sanity():
        plain_dir = os.path.join(cluster.root, "sanity")
        os.makedirs(plain_dir)
        with open(os.path.join(plain_dir, "plain.bin"), "wb") as f:
            f.write(b"\0" * (3 * CHUNK - 5))  # forces needles across a chunk border
            for data in needles.values():
                f.write(b"--" + data)
        with open(os.path.join(plain_dir, "sheets.json"), "wb") as f:
            f.write(json.dumps([req["sheet"] for _s, _r, _h, req, _a in sent],
                               ensure_ascii=False).encode("utf-8"))
        hits, _ = search_tree(plain_dir, needles)
        missing = [k for k in needles if k not in hits]
        check(not missing, "the search misses %d needles, e.g. %r" % (len(missing), missing[:3]))
        hits, _ = search_tree(os.path.join(plain_dir, "sheets.json"),
                              {(s, "utf-8"): s.encode("utf-8") for s in strings})
        check(len(hits) == len(strings), "a plain sheets.json shows %d of %d strings" % (
            len(hits), len(strings)))

    results.check("sanity: the byte search finds every string in a plaintext file", sanity)

    # Stop the coordinator cleanly (it flushes whatever it holds), then search its files.
    rc = cluster.coordinator.stop()
    results.expect("coordinator exits 0 on SIGTERM", rc == 0, "status %r" % rc)

    def coordinator_blind():
        files = []
        for dirpath, _d, names in os.walk(cluster.data_dir):
            files += [os.path.join(dirpath, n) for n in names]
        check(any("store" in p for p in files), "no store files under %s: %r" % (
            cluster.data_dir, files))
        hits, searched = search_tree(cluster.data_dir, needles)
        print("     searched %d files, %d bytes of data, %d needles" % (
            len(files), searched, len(needles)))
        check(searched > 0, "nothing searched")
        # Positive control on the real store: the agencies' names (not personal data) are in
        # the registry in cleartext, so the same search does see inside the LMDB files.
        names = {(a.name, "utf-8"): a.name.encode("utf-8") for a in agencies.values()}
        seen, _ = search_tree(cluster.data_dir, names)
        check(len(seen) == len(names), "control: only %d of %d agency names found in the "
              "coordinator's store, so the search may not read it" % (len(seen), len(names)))
        if hits:
            lines = ["%s (%s, household %s) in %s" % (t, e, strings[t], ", ".join(p))
                     for (t, e), p in sorted(hits.items())]
            fail("personal data found in the coordinator's data dir:\n" + "\n".join(lines[:40]))

    results.check("coordinator data dir holds no personal data in any encoding", coordinator_blind)

    def log_blind():
        hits, _ = search_tree(cluster.coordinator.log_path, needles)
        if hits:
            fail("personal data in the coordinator's log: %r" % sorted(hits)[:20])

    results.check("coordinator log holds no personal data", log_blind)


if __name__ == "__main__":
    harness.main("blind_coordinator", __doc__, body)
