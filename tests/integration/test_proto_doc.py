#!/usr/bin/env python3
"""What proto/README.md tells an implementer, checked against real daemons: the bundle's files
and their modes, the key file's format (box-public, box-secret, sign-public, sign-secret as Z85
of 32 bytes, nothing else), and how an agency that lost its outbox learns its next sequence —
a reused sequence is refused ERROR_OUT_OF_ORDER, final, "already used"; a sequence above the
next is refused ERROR_OUT_OF_ORDER, not final, naming the expected one, and consumes nothing,
so the next letter at that sequence is stored."""

import os
import re
import stat
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

Z85 = re.compile(r"^[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}$")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def body(cluster, results, args):
    cluster.init()
    ag = cluster.add_standard_agencies()
    probe = cluster.add_agency("probe-eldercare", "eldercare", "つなぐ市検証用地域包括支援センター")
    running = [a.id for a in ag.values()]
    cluster.start_all(running)
    cluster.wait_ready(running)
    pov = ag["poverty"]

    def bundle_files():
        b = probe.bundle
        for rel, want in (("agency.conf", 0o640), ("keys", 0o700), ("keys/agency.key", 0o600),
                          ("keys/coordinator.pub", 0o644), ("http.token", 0o600)):
            path = os.path.join(b, rel)
            check(os.path.exists(path), "the bundle has no %s" % rel)
            check(mode(path) == want, "%s has mode %o, the README says %o" % (rel, mode(path),
                                                                              want))

    results.check("the bundle's files and modes are the README's", bundle_files)

    def key_file():
        names = []
        with open(probe.key_file, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                m = re.match(r"^\s*([a-z-]+)\s*=\s*(\S+)\s*$", line)
                check(m, "a key file line that is not `name = value`: %r" % line)
                names.append(m.group(1))
                if m.group(1) != "id":
                    check(Z85.match(m.group(2)), "%s is not 40 Z85 characters" % m.group(1))
        check(sorted(names) == ["box-public", "box-secret", "id", "sign-public", "sign-secret"],
              "the key file names %r" % names)
        pub = set()
        with open(os.path.join(probe.bundle, "keys", "coordinator.pub"), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^\s*([a-z-]+)\s*=", line)
                if m:
                    pub.add(m.group(1))
        check(pub == {"id", "box-public", "sign-public"}, "coordinator.pub names %r" % pub)

    results.check("the key file holds id, box-public, box-secret, sign-public and sign-secret "
                  "(40 Z85 characters each); coordinator.pub only the public ones", key_file)

    def send(seq, expect):
        argv = [cluster.exe("tsunagu-rogue-client"), "--endpoint", cluster.endpoint,
                "--server-key", cluster.coordinator_box_public(), "--keys", probe.key_file,
                "--send", "--expect", expect, "--sequence", str(seq), "--to", pov.id,
                "--to-box-public", pov.public_key_z85(), "--claim-type", "eldercare",
                "--legal-basis", "none", "--timeout", "10"]
        r = harness.run(argv, timeout=30, env=cluster.env)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0, "sequence %d: expected %s, got (exit %d):\n%s" % (
            seq, expect, r.returncode, out))
        return out

    def lost_outbox():
        send(1, "stored")
        send(2, "stored")
        # Its store lost, the agency numbers from 1 again.
        out = send(1, "out_of_order")
        check("final=1" in out and "already used" in out, "a reused sequence: %s" % out)
        # The probe the README describes: far above the next, refused, not final, naming it.
        out = send(2 ** 62, "out_of_order")
        check("final=0" in out and "expected sequence 3" in out, "the probe: %s" % out)
        print("     " + [ln for ln in out.splitlines() if "got ERROR" in ln][0])
        send(3, "stored")

    results.check("an agency that lost its outbox: a reused sequence is refused for good; a "
                  "probe above the next names it and consumes nothing; the letter at it is "
                  "stored", lost_outbox)


if __name__ == "__main__":
    harness.main("proto_doc", __doc__, body)
