#!/usr/bin/env python3
"""The command lines: --help, --version, -n config checks with file:line messages, refusal of a
readable key file, and tsunaguctl's onboarding refusals and listings."""

import hashlib
import json
import os
import re
import stat
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

DAEMONS = ["tsunagu-coordinator"] + ["tsunagu-" + t for t in harness.AGENCY_TYPES]
BINARIES = DAEMONS + ["tsunaguctl"]
OPTIONAL = ["tsunagu-bench"]


def project_version():
    with open(os.path.join(harness.REPO_ROOT, "include", "tsunagu", "tsunagu.h"),
              encoding="utf-8") as f:
        m = re.search(r'#define\s+TSUNAGU_VERSION\s+"([^"]+)"', f.read())
    check(m, "TSUNAGU_VERSION not found in include/tsunagu/tsunagu.h")
    return m.group(1)


def write_variant(src, dst, edit):
    """Copies the INI file src to dst (same folder, so relative paths still resolve) after
    edit(lines) -> lines.  Returns {marker: line number} for lines edit tagged with '#@name'."""
    with open(src, encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines = edit(lines)
    marks = {}
    out = []
    for i, line in enumerate(lines, 1):
        m = re.search(r"\s*#@(\w+)$", line)
        if m:
            marks[m.group(1)] = i
            line = line[:m.start()]
        out.append(line)
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return marks


def section_line(lines, section):
    for i, line in enumerate(lines):
        if line.strip() == "[%s]" % section:
            return i
    fail("no [%s] section in %r" % (section, lines))


def add_after_section(section, text):
    def edit(lines):
        i = section_line(lines, section)
        return lines[:i + 1] + [text] + lines[i + 1:]
    return edit


def drop_key(section, key):
    def edit(lines):
        start = section_line(lines, section)
        out = list(lines)
        for i in range(start + 1, len(out)):
            if out[i].strip().startswith("["):
                break
            if re.match(r"\s*%s\s*=" % re.escape(key), out[i]):
                del out[i]
                return out
        fail("no %s.%s to drop" % (section, key))
    return edit


def set_key(section, key, value, mark):
    def edit(lines):
        start = section_line(lines, section)
        out = list(lines)
        for i in range(start + 1, len(out)):
            if out[i].strip().startswith("["):
                break
            if re.match(r"\s*%s\s*=" % re.escape(key), out[i]):
                out[i] = "%s = %s #@%s" % (key, value, mark)
                return out
        fail("no %s.%s to set" % (section, key))
    return edit


def combine(*edits):
    def edit(lines):
        for e in edits:
            lines = e(lines)
        return lines
    return edit


def body(cluster, results, args):
    version = project_version()
    env = cluster.env

    # --- --help and --version -----------------------------------------------------------------
    for name in BINARIES + OPTIONAL:
        path = os.path.join(cluster.bin, name)
        if name in OPTIONAL and not os.path.exists(path):
            print("     (%s not built; skipped)" % name)
            continue

        def help_ok(path=path, name=name):
            check(os.access(path, os.X_OK), "%s is not built" % path)
            r = harness.run([path, "--help"], timeout=10, env=env)
            out = r.stdout + r.stderr
            check(r.returncode == 0, "--help exit %d: %s" % (r.returncode, out[-500:]))
            check(re.search(r"usage", out, re.I), "--help says nothing about usage: %r" % out[:300])
            check(r.stdout.strip(), "--help printed nothing on stdout")

        def version_ok(path=path, name=name):
            check(os.access(path, os.X_OK), "%s is not built" % path)
            r = harness.run([path, "--version"], timeout=10, env=env)
            check(r.returncode == 0, "--version exit %d: %s" % (r.returncode, r.stderr[-300:]))
            first = r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
            check(first == "%s %s" % (name, version), "--version printed %r, expected %r" % (
                first, "%s %s" % (name, version)))

        results.check("%s --help exits 0 with usage" % name, help_ok)
        results.check("%s --version prints \"%s %s\"" % (name, name, version), version_ok)

    # --- onboarding ---------------------------------------------------------------------------
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-chuo", "poverty")

    def bundle_shape():
        for a in (eld, pov):
            for rel in ("agency.conf", "keys/agency.key", "keys/coordinator.pub", "http.token"):
                check(os.path.isfile(os.path.join(a.bundle, rel)), "%s has no %s" % (a.bundle, rel))
            for rel in ("keys/agency.key", "http.token"):
                mode = stat.S_IMODE(os.stat(os.path.join(a.bundle, rel)).st_mode)
                check(mode == 0o600, "%s/%s has mode %o, expected 600" % (a.bundle, rel, mode))
            conf = harness.read_ini(a.conf)
            check(conf.get("agency", {}).get("id") == a.id, "agency.id in %s: %r" % (a.conf, conf))
            check(conf.get("agency", {}).get("type") == a.type, "agency.type: %r" % conf)
            check(conf.get("coordinator", {}).get("endpoint") == cluster.endpoint,
                  "coordinator.endpoint %r != %r" % (conf.get("coordinator"), cluster.endpoint))
            check(conf.get("http", {}).get("listen") == "127.0.0.1:%d" % a.http_port,
                  "http.listen %r" % conf.get("http"))
            token_sha = conf.get("http", {}).get("token_sha256", "")
            check(token_sha == hashlib.sha256(a.token.encode()).hexdigest(),
                  "token_sha256 is not the SHA-256 of http.token")
            with open(a.conf, encoding="utf-8") as f:
                check(a.token not in f.read(), "the token itself is in agency.conf")
        key = os.path.join(cluster.data_dir, "keys", "coordinator.key")
        mode = stat.S_IMODE(os.stat(key).st_mode)
        check(mode == 0o600, "coordinator.key has mode %o" % mode)

    results.check("init and agency add write the documented bundle (modes, token hash)",
                  bundle_shape)

    def refused(name, argv, out_dir=None):
        def fn():
            r = cluster.ctl(*argv, check_rc=False)
            check(r.returncode != 0, "exit 0 (accepted):\n%s%s" % (r.stdout, r.stderr))
            check((r.stderr + r.stdout).strip(), "refused without saying why")
            if out_dir:
                check(not os.path.exists(out_dir), "a bundle was written to %s anyway" % out_dir)
            return r
        results.check(name, fn)

    dup_out = os.path.join(cluster.root, "bundles", "dup")
    refused("agency add refuses a duplicate id",
            ["agency", "add", "--id", eld.id, "--type", "eldercare", "--name", "二重登録",
             "--out", dup_out], dup_out)
    bad_type_out = os.path.join(cluster.root, "bundles", "bad-type")
    refused("agency add refuses an unknown type",
            ["agency", "add", "--id", "library-chuo", "--type", "library", "--name", "図書館",
             "--out", bad_type_out], bad_type_out)
    bad_id_out = os.path.join(cluster.root, "bundles", "bad-id")
    refused("agency add refuses a malformed id",
            ["agency", "add", "--id", "Bad_ID", "--type", "child", "--name", "x",
             "--out", bad_id_out], bad_id_out)
    reserved_out = os.path.join(cluster.root, "bundles", "reserved")
    refused("agency add refuses the reserved id \"coordinator\"",
            ["agency", "add", "--id", "coordinator", "--type", "child", "--name", "x",
             "--out", reserved_out], reserved_out)

    def list_shows():
        r = cluster.ctl("agency", "list")
        for a in (eld, pov):
            check(a.id in r.stdout, "agency list does not show %s:\n%s" % (a.id, r.stdout))
            check(a.type in r.stdout, "agency list does not show type %s" % a.type)
        check("library-chuo" not in r.stdout and "Bad_ID" not in r.stdout,
              "agency list shows a refused agency:\n" + r.stdout)
        check(r.stdout.count(eld.id) == 1,
              "eldercare-chuo listed %d times" % r.stdout.count(eld.id))

    results.check("agency list shows each added agency once", list_shows)

    def list_json():
        r = cluster.ctl("agency", "list", "--json")
        data = json.loads(r.stdout)
        rows = data.get("agencies") if isinstance(data, dict) else data
        check(isinstance(rows, list), "agency list --json is neither a list nor {agencies: []}")
        by_id = {row.get("id"): row for row in rows}
        check(sorted(by_id) == sorted([eld.id, pov.id]), "ids %r" % sorted(by_id))
        for a in (eld, pov):
            check(by_id[a.id].get("type") == a.type, "type of %s: %r" % (a.id, by_id[a.id]))
            check(by_id[a.id].get("name") == a.name, "name of %s: %r" % (a.id, by_id[a.id]))
            check(by_id[a.id].get("status") == "active", "status of %s: %r" % (a.id, by_id[a.id]))

    results.check("agency list --json lists ids, types, names, status active", list_json)

    def show():
        r = cluster.ctl("agency", "show", pov.id)
        check(pov.id in r.stdout and pov.name in r.stdout, "agency show:\n" + r.stdout)
        r = cluster.ctl("agency", "show", "nobody-here", check_rc=False)
        check(r.returncode != 0, "agency show of an unknown id exits 0")

    results.check("agency show prints an agency; an unknown id exits non-zero", show)

    # --- -n config checks -----------------------------------------------------------------------
    def check_ok(exe, conf):
        def fn():
            r = harness.run([cluster.exe(exe), "-n", "-c", conf], timeout=20, env=env)
            check(r.returncode == 0, "exit %d:\n%s%s" % (r.returncode, r.stdout, r.stderr))
        return fn

    results.check("tsunagu-coordinator -n accepts the config init wrote",
                  check_ok("tsunagu-coordinator", cluster.coordinator_conf))
    results.check("tsunagu-eldercare -n accepts its bundle",
                  check_ok("tsunagu-eldercare", eld.conf))
    results.check("tsunagu-poverty -n accepts its bundle", check_ok("tsunagu-poverty", pov.conf))

    def check_broken(exe, src, edit, expect_lines, min_problems=1):
        """-n on an edited copy exits 1 printing 'file:line: message' for each problem; the
        lines named in expect_lines (marks) must be among them."""
        def fn():
            dst = os.path.join(os.path.dirname(src), "broken-%d.conf" % check_broken.n)
            check_broken.n += 1
            marks = write_variant(src, dst, edit)
            r = harness.run([cluster.exe(exe), "-n", "-c", dst], timeout=20, env=env)
            out = r.stdout + r.stderr
            check(r.returncode == 1, "exit %d, expected 1:\n%s" % (r.returncode, out))
            names = {dst, os.path.basename(dst), os.path.relpath(dst)}
            found = []
            for line in out.splitlines():
                m = re.match(r"^(.*?):(\d+): (.+)$", line.strip())
                if m and (m.group(1) in names or m.group(1).endswith(os.path.basename(dst))):
                    found.append((int(m.group(2)), m.group(3)))
            check(len(found) >= min_problems, "expected at least %d 'file:line: message' lines "
                  "naming %s, got:\n%s" % (min_problems, dst, out))
            for mark in expect_lines:
                check(any(n == marks[mark] for n, _ in found),
                      "no message for line %d (%s):\n%s" % (marks[mark], mark, out))
        return fn

    check_broken.n = 0
    coord = cluster.coordinator_conf
    results.check("coordinator -n: unknown key → exit 1, file:line",
                  check_broken("tsunagu-coordinator", coord,
                               add_after_section("coordinator", "colour = blue #@unknown"),
                               ["unknown"]))
    results.check("coordinator -n: missing keys → exit 1, file:line",
                  check_broken("tsunagu-coordinator", coord, drop_key("coordinator", "keys"), []))
    results.check("eldercare -n: unknown key → exit 1, file:line",
                  check_broken("tsunagu-eldercare", eld.conf,
                               add_after_section("agency", "colour = blue #@unknown"), ["unknown"]))
    results.check("eldercare -n: missing agency.id → exit 1, file:line",
                  check_broken("tsunagu-eldercare", eld.conf, drop_key("agency", "id"), []))
    results.check("eldercare -n: bad z85 coordinator.box_public → exit 1, file:line",
                  check_broken("tsunagu-eldercare", eld.conf,
                               set_key("coordinator", "box_public", "not-a-z85-key!!", "badkey"),
                               ["badkey"]))
    results.check("eldercare -n: three problems at once → all three reported",
                  check_broken("tsunagu-eldercare", eld.conf, combine(
                      add_after_section("agency", "colour = blue #@unknown"),
                      set_key("coordinator", "sign_public", "short", "badkey"),
                      drop_key("agency", "id")), ["unknown", "badkey"], min_problems=3))

    def wrong_type():
        r = harness.run([cluster.exe("tsunagu-child"), "-n", "-c", eld.conf], timeout=20, env=env)
        check(r.returncode != 0, "tsunagu-child accepted an eldercare bundle:\n%s%s" % (
            r.stdout, r.stderr))
        check(re.search(r"eldercare|type", r.stdout + r.stderr), "no word about the type:\n%s%s" % (
            r.stdout, r.stderr))

    results.check("tsunagu-child -n refuses an eldercare config", wrong_type)

    # --- a key file others may read -----------------------------------------------------------
    def readable_key_refused():
        os.chmod(eld.key_file, 0o644)
        try:
            d = harness.Daemon("eldercare-0644", [cluster.exe("tsunagu-eldercare"), "-c", eld.conf],
                               os.path.join(cluster.logs, "eldercare-0644.log"), env=env)
            d.start()
            try:
                harness.wait_for(lambda: not d.running(), 15,
                                 "tsunagu-eldercare to refuse a 0644 key file and exit")
            finally:
                rc = d.stop()
            out = harness.tail(d.log_path, 40)
            check(rc not in (0, None), "exit status %r with a 0644 key file" % rc)
            check(re.search(r"permission|mode", out, re.I),
                  "the message does not mention permissions:\n%s" % out)
        finally:
            os.chmod(eld.key_file, 0o600)

    results.check("an agency daemon refuses a key file with mode 0644", readable_key_refused)

    def readable_coordinator_key_refused():
        key = os.path.join(cluster.data_dir, "keys", "coordinator.key")
        os.chmod(key, 0o644)
        try:
            d = harness.Daemon("coordinator-0644", [cluster.exe("tsunagu-coordinator"), "-c",
                                                    cluster.coordinator_conf],
                               os.path.join(cluster.logs, "coordinator-0644.log"), env=env)
            d.start()
            try:
                harness.wait_for(lambda: not d.running(), 15,
                                 "tsunagu-coordinator to refuse a 0644 key file and exit")
            finally:
                rc = d.stop()
            out = harness.tail(d.log_path, 40)
            check(rc not in (0, None), "exit status %r" % rc)
            check(re.search(r"permission|mode", out, re.I),
                  "the message does not mention permissions:\n%s" % out)
        finally:
            os.chmod(key, 0o600)

    results.check("the coordinator refuses a key file with mode 0644",
                  readable_coordinator_key_refused)

    # --- a daemon starts and stops cleanly on SIGTERM -------------------------------------------
    def clean_shutdown():
        cluster.start_all()
        cluster.wait_ready()
        problems = cluster.stop_all()
        check(not problems, "; ".join(problems))

    results.check("coordinator and agencies start, connect and exit 0 on SIGTERM", clean_shutdown)


if __name__ == "__main__":
    harness.main("cli", __doc__, body)
