#!/usr/bin/env python3
"""-n refuses what start-up refuses: endpoints libzmq cannot bind or connect (no port, a port out
of range, a host name where a bind takes none, an address not of this machine, "*" to connect
to), a readable key file, a data directory that is a file, and a coordinator data dir whose
audit.log is older than its store (start-up refuses it too); every problem is printed as
file:line: or path: message with exit 1, and a daemon already running on the same
configuration does not make -n fail."""

import os
import re
import shutil
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from test_cli import write_variant, set_key  # noqa: E402

WAIT = 30


def run_check(cluster, exe, conf):
    r = harness.run([cluster.exe(exe), "-n", "-c", conf], timeout=30, env=cluster.env)
    return r, r.stdout + r.stderr


def accepted(cluster, exe, conf):
    def fn():
        r, out = run_check(cluster, exe, conf)
        check(r.returncode == 0, "exit %d:\n%s" % (r.returncode, out))
        check("configuration OK" in out, "no \"configuration OK\":\n%s" % out)
    return fn


def refused_at_line(cluster, exe, src, section, key, value, expect=None):
    """-n on a copy of src with section.key = value exits 1 naming the copy and that line."""
    def fn():
        dst = os.path.join(os.path.dirname(src), "hostile-%s.conf" % uuid.uuid4().hex[:8])
        marks = write_variant(src, dst, set_key(section, key, value, "bad"))
        r, out = run_check(cluster, exe, dst)
        check(r.returncode == 1, "exit %d, expected 1:\n%s" % (r.returncode, out))
        lines = [m for m in (re.match(r"^(.*?):(\d+): (.+)$", line.strip())
                             for line in out.splitlines()) if m]
        named = [m.group(3) for m in lines if m.group(1).endswith(os.path.basename(dst))
                 and int(m.group(2)) == marks["bad"]]
        check(named, "no '%s:%d: message' line:\n%s" % (dst, marks["bad"], out))
        if expect:
            check(any(re.search(expect, text, re.I) for text in named),
                  "the message does not say /%s/:\n%s" % (expect, out))
        check("configuration OK" not in out, "it also says configuration OK:\n%s" % out)
        print("     %s" % named[0])
    return fn


def refused_path(cluster, exe, conf, path, expect):
    """-n exits 1 printing 'path: message' with message matching expect."""
    def fn():
        r, out = run_check(cluster, exe, conf)
        check(r.returncode == 1, "exit %d, expected 1:\n%s" % (r.returncode, out))
        found = [line for line in out.splitlines()
                 if ": " in line and os.path.normpath(line.split(": ", 1)[0]) == path
                 and re.search(expect, line, re.I)]
        check(found, "no '%s: ...%s...' line:\n%s" % (path, expect, out))
        print("     %s" % found[0])
    return fn


def body(cluster, results, args):
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    pov = cluster.add_agency("poverty-chuo", "poverty")
    coord = cluster.coordinator_conf
    exe_c, exe_a = "tsunagu-coordinator", "tsunagu-eldercare"

    # --- endpoints and ports --------------------------------------------------------------------
    for value, why, expect in (
            ("tcp://127.0.0.1", "no port", r"port"),
            ("tcp://127.0.0.1:notaport", "a port that is no number", r"port"),
            ("tcp://127.0.0.1:70000", "a port past 65535", r"65535"),
            ("tcp://127.0.0.1:0", "port 0", r"port"),
            ("tcp://localhost:%d" % cluster.zmq_port, "a host name (a bind takes none)",
             r"host"),
            ("tcp://192.0.2.1:%d" % cluster.zmq_port, "an address not of this machine",
             r"not an address of this machine"),
            ("tcp://[::1]:%d" % cluster.zmq_port, "IPv6 (not turned on)", r"IPv6"),
            ("tcp:/127.0.0.1:7700", "no scheme", r"endpoint")):
        results.check("coordinator -n: listen with %s → exit 1, file:line" % why,
                      refused_at_line(cluster, exe_c, coord, "coordinator", "listen", value,
                                      expect))
    results.check("coordinator -n: public_endpoint tcp://*:PORT (nothing to connect to) → exit "
                  "1, file:line", refused_at_line(cluster, exe_c, coord, "coordinator",
                                                  "public_endpoint", "tcp://*:7700", r"\*"))
    results.check("coordinator -n: http listen port 99999 → exit 1, file:line",
                  refused_at_line(cluster, exe_c, coord, "http", "listen", "127.0.0.1:99999"))
    for value, why in (("tcp://127.0.0.1", "no port"), ("tcp://*:7700", "\"*\" as the host"),
                       ("tcp://127.0.0.1:0", "port 0"),
                       ("tcp://coordinator_host:7700", "a host name with \"_\"")):
        results.check("eldercare -n: coordinator.endpoint with %s → exit 1, file:line" % why,
                      refused_at_line(cluster, exe_a, eld.conf, "coordinator", "endpoint", value))
    results.check("eldercare -n: http listen port 99999 → exit 1, file:line",
                  refused_at_line(cluster, exe_a, eld.conf, "http", "listen", "127.0.0.1:99999"))

    # --- key files ------------------------------------------------------------------------------
    def readable_key(exe, conf, key):
        def fn():
            os.chmod(key, 0o644)
            try:
                r, out = run_check(cluster, exe, conf)
                check(r.returncode == 1, "exit %d with a 0644 key file:\n%s" % (r.returncode, out))
                check(re.search(r"permission|mode", out, re.I), "no word on the mode:\n%s" % out)
            finally:
                os.chmod(key, 0o600)
        return fn

    results.check("coordinator -n refuses a key file with mode 0644",
                  readable_key(exe_c, coord, os.path.join(cluster.data_dir, "keys",
                                                          "coordinator.key")))
    results.check("eldercare -n refuses a key file with mode 0644",
                  readable_key(exe_a, eld.conf, eld.key_file))

    # --- the agency's data directory ------------------------------------------------------------
    def data_dir_is_file():
        path = os.path.join(eld.bundle, "a-file-not-a-dir")
        with open(path, "w") as f:
            f.write("not a directory\n")
        dst = os.path.join(eld.bundle, "hostile-datadir.conf")
        write_variant(eld.conf, dst, set_key("agency", "data_dir", "a-file-not-a-dir", "bad"))
        refused_path(cluster, exe_a, dst, path, r"not a directory")()

    results.check("eldercare -n: data_dir that is a file → exit 1, path: message",
                  data_dir_is_file)

    if os.geteuid() != 0:
        def data_dir_read_only():
            path = os.path.join(eld.bundle, "read-only-data")
            os.makedirs(path)
            os.chmod(path, 0o500)
            try:
                dst = os.path.join(eld.bundle, "hostile-readonly.conf")
                write_variant(eld.conf, dst, set_key("agency", "data_dir", "read-only-data", "bad"))
                refused_path(cluster, exe_a, dst, path, r"cannot write")()
            finally:
                os.chmod(path, 0o700)

        results.check("eldercare -n: a data_dir it cannot write → exit 1, path: message",
                      data_dir_read_only)

    # --- with the daemons running: -n still passes (ports in use, stores open) ------------------
    cluster.start_all()
    cluster.wait_ready()
    results.check("coordinator -n passes while the coordinator runs on the same config",
                  accepted(cluster, exe_c, coord))
    results.check("eldercare -n passes while tsunagu-eldercare runs on its bundle",
                  accepted(cluster, exe_a, eld.conf))

    # --- the coordinator's audit log older than its store ---------------------------------------
    audit = cluster.audit_path()

    def grant(n):
        """A consent from eldercare covering poverty: the coordinator audits it."""
        before = os.path.getsize(audit) if os.path.exists(audit) else 0
        eld.consent(str(uuid.uuid4()), cover_agencies=[pov.id], subject="S-%04d" % n)
        harness.wait_for(lambda: os.path.exists(audit) and os.path.getsize(audit) > before,
                         WAIT, "the coordinator to audit consent %d" % n, alive=cluster.alive)

    old_copy = os.path.join(cluster.root, "audit.log.old")

    def older_log():
        grant(1)
        shutil.copyfile(audit, old_copy)
        grant(2)
        rc = cluster.coordinator.stop()
        check(rc == 0, "the coordinator exited %r on SIGTERM" % rc)
        accepted(cluster, exe_c, coord)()
        shutil.copyfile(old_copy, audit)
        os.chmod(audit, 0o600)
        refused_path(cluster, exe_c, coord, audit, r"records were lost")()
        # Start-up refuses the same data dir (so -n said what start-up would).
        cluster.coordinator.start()
        harness.wait_for(lambda: not cluster.coordinator.running(), 15,
                         "the coordinator to refuse the older audit.log and exit")
        rc = cluster.coordinator.stop()
        cluster.coordinator.expected_exit = True
        check(rc not in (0, None), "start-up with the older audit.log: exit status %r" % rc)
        check("records were lost" in harness.tail(cluster.coordinator.log_path, 20),
              "start-up does not say why:\n%s" % harness.tail(cluster.coordinator.log_path, 20))

    results.check("coordinator -n: an audit.log older than the store → exit 1, path: message "
                  "(and start-up refuses it too)", older_log)

    def restored():
        os.remove(audit)
        refused_path(cluster, exe_c, coord, audit, r"restore the file")()
        check(not os.path.exists(audit), "-n created %s" % audit)

    results.check("coordinator -n: a missing audit.log the store has records for → exit 1, "
                  "and -n creates nothing", restored)


if __name__ == "__main__":
    harness.main("check_config", __doc__, body)
