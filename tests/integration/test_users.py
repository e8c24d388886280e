#!/usr/bin/env python3
"""Staff accounts of the coordinator's dashboard, through tsunaguctl: `user add` before the first
start is written by the coordinator's offline mode (via "offline"), the changes while it runs go
through its control socket (via "control"); each change is one "staff" record in the audit log
naming the user, the change, the role, the actor and the way, and a request that changes
nothing leaves none.  The password is asked on the terminal twice without echo (or read from
standard input with --password-stdin) and never reaches the store, the audit log or the logs in
plaintext; `user list` reads the store and never shows a hash.  A weak password, a bad name, an
unknown role, an existing or unknown user, and a request of the wrong JSON types are refused and
change nothing."""

import json
import os
import pty
import pwd
import select
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

PASSWORDS = ["correct horse battery", "ひみつの あいことば 2", "staple-gun-42-x", "tty typed pw 1"]


def actor():
    """Who tsunaguctl says asks: the login behind sudo, else the effective user's name."""
    return os.environ.get("SUDO_USER") or pwd.getpwuid(os.geteuid()).pw_name


def staff_records(cluster):
    """The audit log's staff records, in order."""
    records = []
    with open(cluster.audit_path(), "rb") as f:
        for line in f.read().split(b"\n"):
            if line:
                record = json.loads(line.split(b" ", 4)[4])
                if record.get("event") == "staff":
                    records.append(record)
    return records


def users(cluster):
    """`user list --json`, by name."""
    listed = json.loads(cluster.ctl("user", "list", "--json").stdout)
    return {u["name"]: u for u in listed}


def user_cmd(cluster, *argv, password=None, check_rc=True):
    """tsunaguctl user ARGV, with password on standard input (--password-stdin) when given."""
    args = ["user"] + list(argv) + (["--password-stdin"] if password is not None else [])
    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir] + args,
                    input=(password + "\n") if password is not None else None, env=cluster.env)
    if check_rc and r.returncode != 0:
        harness.fail("tsunaguctl %s exited %d\nstdout: %s\nstderr: %s"
                     % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def on_terminal(cluster, argv, answers, timeout=30):
    """Runs tsunaguctl ARGV on a new terminal, typing each answer after each prompt; returns
    (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: tsunaguctl with the terminal as its controlling one
        try:
            os.execve(cluster.exe("tsunaguctl"),
                      ["tsunaguctl", "-d", cluster.data_dir] + list(argv), cluster.env)
        finally:
            os._exit(127)
    shown = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    prompts = 0
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                shown += data
            # One answer per prompt seen ("new password for NAME: ", then "again: ").
            seen = shown.count(b"password for") + shown.count(b"again:")
            while pending and prompts < seen:
                os.write(fd, (pending.pop(0) + "\n").encode())
                prompts += 1
        else:
            os.kill(pid, 9)
            harness.fail("tsunaguctl %s did not finish on its terminal: %r" % (argv, shown))
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


def apply(cluster, request):
    """One request to the offline mode, as tsunaguctl sends it (with no coordinator running)."""
    r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf,
                     "--apply"], input=json.dumps(request), env=cluster.env)
    check(r.returncode == 0, "--apply exit %d: %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def body(cluster, results, args):
    cluster.init()

    def added_offline():
        r = user_cmd(cluster, "add", "--name", "aoki", "--role", "coordinator",
                     password=PASSWORDS[0])
        check("added user aoki (coordinator)" in r.stdout, "user add said: %r" % r.stdout)
        recs = staff_records(cluster)
        check(len(recs) == 1, "staff records after one user add: %r" % recs)
        d = recs[0].get("details", {})
        check(recs[0].get("kind") == "user-add"
              and d == {"user": "aoki", "change": "add", "role": "coordinator",
                        "actor": actor(), "via": "offline"}, "the record: %r" % recs[0])
        listed = users(cluster)
        check(list(listed) == ["aoki"], "user list: %r" % listed)
        u = listed["aoki"]
        check(u["role"] == "coordinator" and u["disabled"] is False
              and u["changed_by"] == actor() and "hash" not in u, "aoki listed as %r" % u)
        text = cluster.ctl("user", "list").stdout
        check("aoki" in text and "coordinator" in text and "argon2" not in text,
              "user list: %r" % text)

    results.check("user add before the first start: the coordinator's offline mode hashes and "
                  "writes the account and audits it (actor, via offline); user list shows it "
                  "without its hash", added_offline)

    def refused_offline():
        before = staff_records(cluster)
        for argv, password, said in (
                (["add", "--name", "bob", "--role", "viewer"], "short", "at least 10 bytes"),
                (["add", "--name", "bob", "--role", "viewer"], "bob", "at least 10 bytes"),
                (["add", "--name", "bob.the.1st", "--role", "viewer"], "bob.the.1st",
                 "not be the user's name"),
                (["add", "--name", "bob", "--role", "viewer"], "x" * 129, "at most 128"),
                (["add", "--name", "Bob", "--role", "viewer"], PASSWORDS[1], "invalid user"),
                (["add", "--name", "bob", "--role", "root"], PASSWORDS[1], "unknown role"),
                (["add", "--name", "aoki", "--role", "viewer"], PASSWORDS[1], "already exists"),
                (["passwd", "--name", "nobody"], PASSWORDS[1], "no user nobody"),
                (["role", "--name", "nobody", "--role", "admin"], None, "no user nobody"),
                (["remove", "--name", "nobody"], None, "no user nobody")):
            r = user_cmd(cluster, *argv, password=password, check_rc=False)
            check(r.returncode != 0 and said in r.stderr,
                  "user %s: exit %d, %r" % (" ".join(argv), r.returncode, r.stderr))
        r = user_cmd(cluster, "add", "--name", "bob", check_rc=False)
        check(r.returncode == 2 and "--role" in r.stderr, "add without --role: %r" % (r,))
        # The coordinator itself checks every field as if from a stranger.
        base = {"command": "user-add", "name": "bob", "role": "viewer",
                "password": PASSWORDS[1], "actor": "test"}
        for field, value, code in (("name", 7, "bad_request"), ("name", "a b", "bad_request"),
                                   ("role", ["viewer"], "bad_request"),
                                   ("role", "owner", "bad_request"),
                                   ("password", 1234567890, "bad_request"),
                                   ("password", "123456789", "weak_password"),
                                   ("actor", "", "bad_request"), ("actor", None, "bad_request")):
            answer = apply(cluster, dict(base, **{field: value}))
            check(answer.get("ok") is False and answer.get("error") == code
                  and answer.get("message"), "%s=%r: %r" % (field, value, answer))
        check(list(users(cluster)) == ["aoki"], "the accounts after refusals: %r"
              % list(users(cluster)))
        check(staff_records(cluster) == before, "a refused request left a staff record")

    results.check("weak passwords, bad names, unknown roles, existing and unknown users, and "
                  "fields of the wrong JSON type are refused and change nothing",
                  refused_offline)

    def asked_on_terminal():
        before = len(staff_records(cluster))
        status, shown = on_terminal(cluster, ["user", "passwd", "--name", "aoki"],
                                    [PASSWORDS[3], PASSWORDS[3] + "!"])
        check(status != 0 and "differ" in shown, "two different passwords: %d %r"
              % (status, shown))
        status, shown = on_terminal(cluster, ["user", "passwd", "--name", "aoki"],
                                    [PASSWORDS[3], PASSWORDS[3]])
        check(status == 0 and "new password" in shown and "again:" in shown
              and "aoki has a new password" in shown, "passwd on a terminal: %d %r"
              % (status, shown))
        check(PASSWORDS[3] not in shown, "the password was echoed: %r" % shown)
        recs = staff_records(cluster)[before:]
        check([r["details"]["change"] for r in recs] == ["passwd"], "records: %r" % recs)

    results.check("without --password-stdin the password is asked twice on the terminal, "
                  "without echo; two different answers change nothing", asked_on_terminal)

    cluster.start_all()
    cluster.wait_coordinator_http()

    def changes_while_running():
        before = len(staff_records(cluster))
        user_cmd(cluster, "add", "--name", "suzuki", "--role", "viewer", password=PASSWORDS[1])
        out = user_cmd(cluster, "role", "--name", "suzuki", "--role", "admin").stdout
        check("suzuki is now admin" in out, "role said: %r" % out)
        out = user_cmd(cluster, "role", "--name", "suzuki", "--role", "admin").stdout
        check("already admin" in out, "the same role again said: %r" % out)
        out = user_cmd(cluster, "disable", "--name", "suzuki").stdout
        check("suzuki is disabled" in out, "disable said: %r" % out)
        check(users(cluster)["suzuki"]["disabled"] is True, "suzuki is not disabled")
        out = user_cmd(cluster, "disable", "--name", "suzuki").stdout
        check("already disabled" in out, "a second disable said: %r" % out)
        user_cmd(cluster, "enable", "--name", "suzuki")
        user_cmd(cluster, "passwd", "--name", "suzuki", password=PASSWORDS[2])
        out = user_cmd(cluster, "remove", "--name", "suzuki").stdout
        check("removed user suzuki" in out, "remove said: %r" % out)
        check(list(users(cluster)) == ["aoki"], "accounts: %r" % list(users(cluster)))
        recs = staff_records(cluster)[before:]
        changes = [(r.get("kind"), r["details"].get("change"), r["details"].get("role"))
                   for r in recs]
        check(changes == [("user-add", "add", "viewer"), ("user-role", "role", "admin"),
                          ("user-disable", "disable", "admin"),
                          ("user-enable", "enable", "admin"),
                          ("user-passwd", "passwd", "admin"),
                          ("user-remove", "remove", "admin")],
              "staff records while running: %r (a change that changed nothing is none)"
              % changes)
        for r in recs:
            check(r["details"].get("user") == "suzuki" and r["details"].get("actor") == actor()
                  and r["details"].get("via") == "control", "user/actor/via of %r" % r)
        check(recs[1]["details"].get("from_role") == "viewer", "the role change: %r" % recs[1])

    results.check("add, role, disable, enable, passwd and remove while the coordinator runs go "
                  "through its control socket: one staff record each, with the actor (via "
                  "control)", changes_while_running)

    def refused_while_running():
        before = staff_records(cluster)
        r = user_cmd(cluster, "add", "--name", "aoki", "--role", "viewer",
                     password=PASSWORDS[1], check_rc=False)
        check(r.returncode != 0 and "already exists" in r.stderr, "a second aoki: %r" % (r,))
        r = user_cmd(cluster, "enable", "--name", "suzuki", check_rc=False)
        check(r.returncode != 0 and "no user suzuki" in r.stderr, "enable a removed user: %r"
              % (r,))
        check(staff_records(cluster) == before, "a refusal left a staff record")

    results.check("the running coordinator refuses an existing name and an unknown user, and "
                  "records nothing", refused_while_running)

    def no_plaintext():
        places = [os.path.join(cluster.data_dir, "store", "data.mdb"), cluster.audit_path(),
                  cluster.coordinator.log_path]
        for path in places:
            with open(path, "rb") as f:
                data = f.read()
            for password in PASSWORDS:
                check(password.encode() not in data, "%s holds a password in plaintext" % path)
        with open(places[0], "rb") as f:
            check(b"$argon2id$v=19$m=19456,t=2,p=1$" in f.read(),
                  "the store holds no Argon2id hash")
        r = cluster.audit_verify()
        check(r.returncode == 0, "audit verify: %d %s %s" % (r.returncode, r.stdout, r.stderr))

    results.check("no password in plaintext in the store, the audit log or the coordinator's "
                  "log (Argon2id hashes only); the audit chain verifies", no_plaintext)

    def removed_offline():
        problems = cluster.stop_all()
        check(not problems, "; ".join(problems))
        user_cmd(cluster, "remove", "--name", "aoki")
        rec = staff_records(cluster)[-1]
        check(rec["details"].get("change") == "remove" and rec["details"].get("via") == "offline",
              "the last record: %r" % rec)
        check(users(cluster) == {}, "accounts after remove: %r" % users(cluster))
        out = cluster.ctl("user", "list").stdout
        check("no staff accounts" in out, "an empty list said: %r" % out)

    results.check("with the coordinator stopped again, user remove goes through the offline "
                  "mode (via offline)", removed_offline)


if __name__ == "__main__":
    harness.main("users", __doc__, body)
