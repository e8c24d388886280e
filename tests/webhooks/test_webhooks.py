#!/usr/bin/env python3
"""Webhooks, as an agency's own case system sees them: two agencies push their event feeds to a
receiver (receiver.js) that verifies every request with the Standard Webhooks reference library
(npm standardwebhooks), not with tsunagu's code.  The receiver answers 503, then stops
listening, while referrals keep flowing (letters are never held up by it); the sender's daemon
is SIGKILLed while its events are pending and restarted; a slow receiver holds up nothing; a
410 parks a webhook until a restart.  In the end the receiver has every event of both feeds
exactly once after de-duplication by webhook-id, in feed order, and /metrics and /healthz told
the story along the way."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DELIVERED_DEADLINE = 20  # a referral is delivered this fast whatever the receiver does
CATCH_UP_DEADLINE = 120  # the back-off after a short outage is well inside this


def make_pki(root):
    """A CA, a server certificate for 127.0.0.1 and a client certificate it signed (openssl)."""
    pki = os.path.join(root, "pki")
    os.makedirs(pki)

    def ssl(*argv):
        r = harness.run(["openssl"] + list(argv), timeout=60)
        check(r.returncode == 0, "openssl %s: %s" % (" ".join(argv), r.stderr))

    def path(name):
        return os.path.join(pki, name)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out",
        path("ca.pem"), "-days", "2", "-subj", "/CN=tsunagu test CA")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"),
                      ("client", "extendedKeyUsage=clientAuth")):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path(name + ".key"), "-out",
            path(name + ".csr"), "-subj", "/CN=" + name)
        with open(path(name + ".ext"), "w") as f:
            f.write(ext + "\n")
        ssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey",
            path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
            "-extfile", path(name + ".ext"))
    os.chmod(path("client.key"), 0o600)
    return path


class Receiver:
    def __init__(self, cluster, name="receiver", pki=None):
        self.port = harness.free_port()
        self.control = harness.free_port()
        self.secret_file = os.path.join(cluster.root, name + ".secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        self.log = os.path.join(cluster.root, name + ".jsonl")
        tls = []
        if pki:
            tls = ["--tls-cert", pki("server.pem"), "--tls-key", pki("server.key"), "--tls-ca",
                   pki("ca.pem")]
        node = shutil.which("node") or fail("node is not installed (scripts/lib/deps.sh)")
        check(os.path.isdir(os.path.join(HERE, "node_modules", "standardwebhooks")),
              "tests/webhooks/node_modules lacks standardwebhooks: run npm ci in tests/webhooks")
        self.proc = subprocess.Popen(
            [node, os.path.join(HERE, "receiver.js"), "--port", str(self.port), "--control",
             str(self.control), "--secret-file", self.secret_file, "--log", self.log] + tls,
            stdout=open(os.path.join(cluster.logs, name + ".log"), "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        harness.wait_for(lambda: self.ask("/mode?set=up"), 15, "the receiver to listen")

    def ask(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.control, path),
                                    timeout=5) as r:
            return r.read().decode()

    def mode(self, mode, ms=0):
        self.ask("/mode?set=%s&ms=%d" % (mode, ms))

    def entries(self):
        text = self.ask("/log")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def add_webhook(agency, receiver, events="*", name="crm", pki=None, client=True):
    """Appends [webhook.NAME] to the agency's conf, with the receiver's secret (mode 0600);
    with pki, an https:// one with the CA and the client certificate."""
    secret = os.path.join(agency.bundle, name + ".secret")
    shutil.copyfile(receiver.secret_file, secret)
    os.chmod(secret, 0o600)
    tls = ""
    if pki:
        tls = "ca_file = %s\n" % pki("ca.pem")
        if client:
            tls += "client_cert = %s\nclient_key = %s\n" % (pki("client.pem"), pki("client.key"))
    with open(agency.conf, "a", encoding="utf-8") as f:
        f.write("\n[webhook.%s]\nurl = %s://127.0.0.1:%d/hooks/tsunagu\n"
                "secret_file = %s.secret\nevents = %s\nmax_attempts_days = 3\n%s"
                % (name, "https" if pki else "http", receiver.port, name, events, tls))


def feed(agency):
    """The agency's whole feed through the pull API (GET /v1/events): [(id, seq, type)]."""
    out, after = [], 0
    while True:
        r = agency.get("/v1/events?after=%d&limit=500" % after)
        check(r.status == 200 and isinstance(r.json, dict), "%s GET /v1/events: %r" % (
            agency.id, r))
        items = r.json.get("items") or r.json.get("events") or []
        if not items:
            return out
        for e in items:
            out.append((e["id"], e["seq"], e["type"]))
            after = e["seq"]


def hook_health(agency, name="crm"):
    h = agency.healthz()
    hooks = [w for w in (h or {}).get("webhooks") or [] if w.get("name") == name]
    return hooks[0] if hooks else None


def metric(agency, name):
    r = agency.get("/metrics")
    check(r.status == 200, "%s /metrics: %r" % (agency.id, r))
    for line in r.text.splitlines():
        if line.startswith(name + "{") and 'webhook="crm"' in line:
            return int(line.split()[-1])
    fail("%s /metrics has no %s{webhook=\"crm\"}:\n%s" % (agency.id, name, r.text[-1500:]))


def send(sender, recipient, h, alive):
    """One referral; returns how long it took to be delivered (s)."""
    started = time.monotonic()
    sheet = harness.sheet_for_sender(h, sender.type)
    req = harness.consented_request(sender, h, to_agency=recipient.id, sheet=sheet)
    r = sender.post("/v1/referrals", req)
    check(r.status == 202, "%s POST /v1/referrals: %r" % (sender.id, r))
    harness.wait_delivered(sender, r.json["referral_id"], DELIVERED_DEADLINE, alive=alive)
    return time.monotonic() - started


def caught_up(agency, name="crm"):
    w = hook_health(agency, name)
    return w if w and w.get("pending") == 0 and not w.get("parked") else None


def body(cluster, results, args):
    receiver = Receiver(cluster)
    pki = make_pki(cluster.root)
    tls_receiver = Receiver(cluster, "tls-receiver", pki)
    try:
        run(cluster, results, args, receiver, tls_receiver, pki)
    finally:
        receiver.stop()
        tls_receiver.stop()


def exactly_once(results, what, entries, agency, types):
    """Checks that entries (a receiver's log) hold every event of agency's feed whose type is
    in types (None: all) exactly once after de-duplication by id, in feed order; returns how
    many came more than once."""
    want = [(i, s, t) for (i, s, t) in feed(agency) if types is None or t in types]
    taken = [e for e in entries if "bad" not in e and 200 <= e["status"] < 300
             and e["agency"] == agency.id]
    seen, got = set(), []
    for e in taken:
        if e["id"] not in seen:
            seen.add(e["id"])
            got.append((e["id"], e["seq"], e["type"]))
    results.expect(what, got == want and len(want) > 0,
                   "want %d events, got %d; first difference at %s" % (
                       len(want), len(got),
                       next((i for i, (a, b) in enumerate(zip(want, got)) if a != b),
                            min(len(want), len(got)))))
    print("     %s: %d events, %d sent again (at least once)" % (what, len(got),
                                                                  len(taken) - len(got)))
    return len(taken) - len(got)


def run(cluster, results, args, receiver, tls_receiver, pki):
    households = harness.load_households(args.data)
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    dis = cluster.add_agency("disability-chuo", "disability")
    add_webhook(eld, receiver)
    add_webhook(dis, receiver, events="referral.received, referral.status_changed")
    add_webhook(eld, tls_receiver, events="delivery.delivered", name="tls", pki=pki)
    add_webhook(dis, tls_receiver, events="referral.received", name="nocert", pki=pki,
                client=False)  # the receiver wants a client certificate: never delivered
    for a in (eld, dis):
        r = harness.run(cluster.daemon_argv("tsunagu-" + a.type, a.conf) + ["-n"], env=cluster.env)
        check(r.returncode == 0, "%s -n with a webhook: %s" % (a.id, r.stderr))
    cluster.start_all()
    cluster.wait_ready()
    alive = cluster.alive
    hh = iter(households * 4)

    # 1. Up: events arrive.
    for _ in range(2):
        send(eld, dis, next(hh), alive)
    results.check("events reach a receiver that is up", harness.wait_for,
                  lambda: caught_up(eld) and caught_up(dis), CATCH_UP_DEADLINE,
                  "both webhooks caught up", alive=alive)

    # 2. Down (503, then not listening): letters still flow; the webhooks fall behind.
    receiver.mode("503")
    slowest = 0
    for _ in range(2):
        slowest = max(slowest, send(eld, dis, next(hh), alive))
    receiver.mode("closed")
    for _ in range(2):
        slowest = max(slowest, send(eld, dis, next(hh), alive))
    results.expect("letters are delivered while the receiver is down",
                   slowest < 5, "slowest %.1f s" % slowest)
    w = harness.wait_for(lambda: (hook_health(eld) or {}).get("last_error") and hook_health(eld),
                         30, "eldercare's webhook to report its failure", alive=alive)
    results.expect("/healthz shows the webhook behind with its last error",
                   w.get("pending", 0) > 0 and not w.get("parked"), repr(w))
    results.expect("/metrics counts the failed attempts",
                   metric(eld, "tsunagu_agency_webhook_failures_total") > 0
                   and metric(eld, "tsunagu_agency_webhook_pending") > 0, "")

    # 3. SIGKILL the sender while its events are pending; it comes back and loses none.
    eld.daemon.kill9()
    eld.daemon.start()
    cluster.wait_ready([eld.id])
    send(eld, dis, next(hh), alive)
    check((hook_health(eld) or {}).get("pending", 0) > 0, "eldercare has pending events")
    time.sleep(2)
    receiver.mode("up")
    results.check("after the outage and the SIGKILL both webhooks catch up", harness.wait_for,
                  lambda: caught_up(eld) and caught_up(dis), CATCH_UP_DEADLINE,
                  "both webhooks caught up", alive=alive)

    # 4. Slow: a receiver taking 8 s per answer holds up no letter.
    receiver.mode("slow", 8000)
    took = max(send(eld, dis, next(hh), alive), send(eld, dis, next(hh), alive))
    results.expect("a slow receiver holds up no letter", took < 6, "took %.1f s" % took)
    receiver.mode("up")  # the answer in flight still takes its 8 s
    harness.wait_for(lambda: caught_up(eld) and caught_up(dis), CATCH_UP_DEADLINE,
                     "both webhooks caught up after the slow answers", alive=alive)

    # 5. SIGKILL while an attempt is in flight: the receiver took the event (it answers after
    # 8 s), the daemon never saw the 2xx, so it sends the event again after the restart (at
    # least once; the receiver de-duplicates by webhook-id).
    receiver.mode("slow", 8000)
    send(eld, dis, next(hh), alive)
    harness.wait_for(lambda: (hook_health(eld) or {}).get("pending", 0) > 0, 10,
                     "eldercare's attempt in flight", alive=alive)
    time.sleep(1)
    eld.daemon.kill9()
    eld.daemon.start()
    cluster.wait_ready([eld.id])
    receiver.mode("up")
    results.check("an event in flight at a SIGKILL is sent again", harness.wait_for,
                  lambda: caught_up(eld) and caught_up(dis), CATCH_UP_DEADLINE,
                  "both webhooks caught up after the SIGKILL in flight", alive=alive)

    # 6. 410 Gone parks the webhook; a restart unparks it.
    receiver.mode("gone")
    send(eld, dis, next(hh), alive)
    w = harness.wait_for(lambda: (hook_health(eld) or {}).get("parked") and hook_health(eld), 30,
                         "eldercare's webhook parked after a 410", alive=alive)
    results.expect("a 410 parks the webhook (/healthz, /metrics)",
                   metric(eld, "tsunagu_agency_webhook_parked") == 1 and w["pending"] > 0,
                   repr(w))
    receiver.mode("up")
    time.sleep(2)
    results.expect("a parked webhook makes no attempts", hook_health(eld).get("pending", 0) > 0,
                   repr(hook_health(eld)))
    for a in (eld, dis):  # the recipient's referral.received met the 410 too
        a.daemon.stop()
        a.daemon.start()
    cluster.wait_ready([eld.id, dis.id])
    results.check("a restart unparks it", harness.wait_for,
                  lambda: caught_up(eld) and caught_up(dis), CATCH_UP_DEADLINE,
                  "both webhooks caught up after the restart", alive=alive)

    # 7. The receiver's record against each feed.
    entries = receiver.entries()
    bad = [e for e in entries if "bad" in e]
    results.expect("every request verified with the standardwebhooks library", not bad,
                   repr(bad[:5]))
    dupes = exactly_once(results, "eldercare-chuo: every event exactly once after "
                         "de-duplication, in order", entries, eld, None)
    results.expect("the event in flight at the SIGKILL came twice", dupes >= 1,
                   "no event of eldercare-chuo came twice")
    exactly_once(results, "disability-chuo: every event it asked for exactly once, in order",
                 entries, dis, ("referral.received", "referral.status_changed"))
    harness.wait_for(lambda: caught_up(eld, "tls"), CATCH_UP_DEADLINE,
                     "the https webhook caught up", alive=alive)
    tls_entries = tls_receiver.entries()
    results.expect("https with the CA file and a client certificate: all verified",
                   not [e for e in tls_entries if "bad" in e], repr(tls_entries[:3]))
    exactly_once(results, "https: every delivery.delivered exactly once, in order",
                 tls_entries, eld, ("delivery.delivered",))
    w = hook_health(dis, "nocert") or {}
    results.expect("https without the client certificate the receiver wants: refused, and "
                   "the other webhook of the agency is not held up by it",
                   w.get("pending", 0) > 0 and "certificate" in (w.get("last_error") or "")
                   and not [e for e in tls_entries if e.get("agency") == dis.id], repr(w))
    results.expect("/metrics counts what was delivered",
                   metric(dis, "tsunagu_agency_webhook_delivered_total") > 0, "")


if __name__ == "__main__":
    harness.main("webhooks", __doc__, body)
