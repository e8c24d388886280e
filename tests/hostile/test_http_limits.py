#!/usr/bin/env python3
"""Both HTTP servers (an agency's API and the coordinator's) stay usable while clients misbehave:
hundreds of half-sent requests from one address do not keep a legitimate GET from answering, a
request whose headers or body trickle in is cut off at its deadline (headers 10 s, the whole
request 30 s) although it is never idle, oversized headers are refused, and past the total
connection limit a new connection is closed at once rather than left waiting (the agency's
512; the coordinator has the same code with 256)."""

import http.client
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

# The limits the servers promise (include/tsunagu/tsg_http_limits.h, services/*/http.c).
HEADERS_S = 10
REQUEST_S = 30
AGENCY_PER_ADDRESS = 256
AGENCY_MAX = 512
COORDINATOR_PER_ADDRESS = 64

HALF_OPEN = 300        # half-sent requests held from one address
LEGIT_ANSWER_S = 5     # a legitimate GET must answer within this while they are held
FLOOD_FROM = "127.0.0.2"
TRICKLE_FROM = "127.0.0.3"


def connect_from(source, port, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def is_closed(s):
    """True once the server closed s (EOF or reset); reads and drops anything it sent."""
    s.setblocking(False)
    for _ in range(1000):
        try:
            data = s.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True
    return False


def half_open(port, source, count, request):
    """count connections from source, each having sent only the start of request."""
    socks = []
    for _ in range(count):
        try:
            s = connect_from(source, port)
        except OSError as e:
            harness.fail("connection %d from %s to port %d: %s" % (len(socks) + 1, source,
                                                                   port, e))
        try:
            s.sendall(request)
        except OSError:
            pass  # refused already: counted as closed below
        socks.append(s)
    return socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def timed_get(get):
    started = time.monotonic()
    r = get()
    return r, time.monotonic() - started


def flood(name, port, per_address, get):
    """HALF_OPEN half-sent requests from FLOOD_FROM: those past the per-address limit are
    closed at once, a GET from 127.0.0.1 answers meanwhile, the rest go at the headers
    deadline."""
    started = time.monotonic()
    socks = half_open(port, FLOOD_FROM, HALF_OPEN,
                      b"GET /v1/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
    try:
        r, took = timed_get(get)
        check(r.status == 200, "%s: GET while %d half-sent requests are held: %r" % (
            name, HALF_OPEN, r))
        check(took < LEGIT_ANSWER_S, "%s: the GET took %.1f s" % (name, took))

        # Before any headers deadline could pass, the per-address limit has closed the rest.
        refused_by = HEADERS_S - 2
        open_now = HALF_OPEN
        while time.monotonic() - started < refused_by:
            open_now = sum(1 for s in socks if not is_closed(s))
            if open_now <= per_address:
                break
            time.sleep(0.2)
        refused_at = time.monotonic() - started
        check(open_now <= per_address, "%s: %d of %d connections from %s still open after "
              "%.1f s (limit %d per address)" % (name, open_now, HALF_OPEN, FLOOD_FROM,
                                                 refused_at, per_address))

        # The ones held are cut off at the headers deadline (within twice it).
        held = open_now
        while time.monotonic() - started < 2 * HEADERS_S:
            open_now = sum(1 for s in socks if not is_closed(s))
            if open_now == 0:
                break
            time.sleep(0.2)
        gone_at = time.monotonic() - started
        check(open_now == 0, "%s: %d half-sent requests still open %.1f s after they "
              "started (headers deadline %d s)" % (name, open_now, gone_at, HEADERS_S))
        print("     %s: GET answered in %.3f s with %d half-sent requests held; %d refused "
              "by %.1f s, the %d held closed by %.1f s" % (
                  name, took, HALF_OPEN, HALF_OPEN - held, refused_at, held, gone_at))
    finally:
        close_all(socks)


class Trickle(threading.Thread):
    """Sends request's head at once, then one byte of the rest every `every` seconds, until
    the server closes the connection or `limit` seconds pass."""

    def __init__(self, port, head, rest, every, limit):
        super().__init__(daemon=True)
        self.port, self.head, self.rest, self.every, self.limit = port, head, rest, every, limit
        self.closed_after = None
        self.sent = 0
        self.error = None
        self.answer = b""

    def run(self):
        try:
            s = connect_from(TRICKLE_FROM, self.port)
        except OSError as e:
            self.error = e
            return
        started = time.monotonic()
        try:
            s.sendall(self.head)
            while time.monotonic() - started < self.limit:
                if self.sent < len(self.rest):
                    try:
                        s.sendall(self.rest[self.sent:self.sent + 1])
                        self.sent += 1
                    except OSError:
                        self.closed_after = time.monotonic() - started
                        return
                end = time.monotonic() + self.every
                while time.monotonic() < end:
                    try:
                        s.settimeout(max(0.01, end - time.monotonic()))
                        data = s.recv(65536)
                    except socket.timeout:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        self.closed_after = time.monotonic() - started
                        return
                    self.answer += data
        finally:
            s.close()


def body(cluster, results, args):
    cluster.init()
    eld = cluster.add_agency("eldercare-chuo", "eldercare")
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    token = cluster.coordinator_token()

    def agency_get():
        return eld.get("/v1/inbox?limit=1", timeout=LEGIT_ANSWER_S)

    def coordinator_get():
        return cluster.coord_get("/v1/agencies", timeout=LEGIT_ANSWER_S)

    for name, get in (("agency", agency_get), ("coordinator", coordinator_get)):
        r = get()
        check(r.status == 200, "%s GET before anything: %r" % (name, r))

    # The trickles run in the background while the rest goes on (from their own address).
    body_len = 100000
    trickles = {
        "agency: a body trickled at 1 byte/s": (
            Trickle(eld.http_port,
                    ("POST /v1/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s"
                     "\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
                         eld.token, body_len)).encode(), b"{" + b" " * (body_len - 1),
                    1.0, 2 * REQUEST_S + 5), REQUEST_S),
        "coordinator (answers from the headers): a body trickled at 1 byte/s": (
            Trickle(cluster.http_port,
                    ("POST /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
                         token, body_len)).encode(), b"{" + b" " * (body_len - 1),
                    1.0, 2 * REQUEST_S + 5), REQUEST_S),
        "agency: headers trickled at 1 byte/s": (
            Trickle(eld.http_port, b"GET /v1/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                    b"X-Trickle: " + b"a" * 1000, 1.0, 2 * HEADERS_S + 5), HEADERS_S),
        "coordinator: headers trickled at 1 byte/s": (
            Trickle(cluster.http_port, b"GET /v1/agencies HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                    b"X-Trickle: " + b"a" * 1000, 1.0, 2 * HEADERS_S + 5), HEADERS_S),
    }
    for trickle, _ in trickles.values():
        trickle.start()

    # --- bounded headers --------------------------------------------------------------------
    def big_headers(name, port, path, auth):
        hdrs = {"Authorization": "Bearer " + auth}
        r = harness.http_request(port, "GET", path, headers=dict(hdrs, **{"X-Pad": "p" * 8000}),
                                 timeout=10)
        check(r.status == 200, "%s: an 8 kB header is refused: %r" % (name, r))
        # libmicrohttpd's default (32 kB per connection) would take this; the limit must not.
        try:
            r = harness.http_request(port, "GET", path,
                                     headers=dict(hdrs, **{"X-Pad": "p" * 24000}), timeout=10)
        except (OSError, http.client.HTTPException) as e:
            print("     %s: 24 kB of headers: connection closed (%s)" % (name, type(e).__name__))
            return
        check(r.status in (413, 414, 431), "%s: 24 kB of headers answered %r" % (name, r))
        print("     %s: 24 kB of headers: HTTP %d" % (name, r.status))

    results.check("agency: 24 kB of headers are refused, 8 kB are fine",
                  big_headers, "agency", eld.http_port, "/v1/inbox", eld.token)
    results.check("coordinator: 24 kB of headers are refused, 8 kB are fine",
                  big_headers, "coordinator", cluster.http_port, "/v1/agencies", token)

    # --- a flood of half-sent requests from one address -------------------------------------
    results.check("agency: GET /v1/inbox answers within %d s while %d half-sent requests "
                  "are held; the address gets %d, the rest go at the headers deadline" % (
                      LEGIT_ANSWER_S, HALF_OPEN, AGENCY_PER_ADDRESS),
                  flood, "agency", eld.http_port, AGENCY_PER_ADDRESS, agency_get)
    results.check("coordinator: GET /v1/agencies answers within %d s while %d half-sent "
                  "requests are held; the address gets %d, the rest go at the headers "
                  "deadline" % (LEGIT_ANSWER_S, HALF_OPEN, COORDINATOR_PER_ADDRESS),
                  flood, "coordinator", cluster.http_port, COORDINATOR_PER_ADDRESS,
                  coordinator_get)

    # --- the total limit refuses, it does not stall -----------------------------------------
    def total_limit():
        """Fills the agency with requests waiting for their bodies (each one's "100 Continue"
        proves it was accepted), AGENCY_PER_ADDRESS per address, until one is refused."""
        head = ("POST /v1/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n"
                "Expect: 100-continue\r\n\r\n" % eld.token).encode()
        held = []
        started = time.monotonic()
        refused = None
        try:
            for index in range(AGENCY_MAX // AGENCY_PER_ADDRESS + 2):
                source = "127.0.0.%d" % (10 + index)
                for _ in range(AGENCY_PER_ADDRESS):
                    s = connect_from(source, eld.http_port, timeout=5)
                    try:
                        s.sendall(head)
                        answer = s.recv(4096)
                    except OSError:
                        answer = b""
                    if not answer.startswith(b"HTTP/1.1 100"):
                        s.close()
                        check(answer == b"", "a held request was answered %r" % answer[:200])
                        refused = len(held)
                        break
                    held.append(s)
                if refused is not None:
                    break
            filled_at = time.monotonic() - started
            check(refused is not None, "%d connections held and none refused (limit %d)" % (
                len(held), AGENCY_MAX))
            check(refused <= AGENCY_MAX, "%d connections held (limit %d)" % (
                refused, AGENCY_MAX))
            check(filled_at < REQUEST_S - 5, "filling the server took %.1f s" % filled_at)
            # A new client now is closed at once, not queued.
            probe_started = time.monotonic()
            s = connect_from("127.0.0.40", eld.http_port, timeout=3)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            except OSError:
                pass
            try:
                data = s.recv(65536)
            except socket.timeout:
                harness.fail("past the limit, a new connection was left waiting 3 s")
            except OSError:
                data = b""
            finally:
                s.close()
            took = time.monotonic() - probe_started
            check(data == b"", "past the limit, a new connection was answered: %r" % data[:200])
            print("     agency: %d connections held in %.1f s (the trickles hold the rest), "
                  "the next one closed after %.3f s" % (refused, filled_at, took))
        finally:
            close_all(held)

        def answers():
            r = agency_get()
            return r if r.status == 200 else None

        harness.wait_for(answers, 10, "the agency to answer once the connections closed")

    results.check("agency: past %d connections a new one is closed at once (refused, not "
                  "queued), and service resumes when they close" % AGENCY_MAX, total_limit)

    # --- the trickles -----------------------------------------------------------------------
    for name, (trickle, deadline) in trickles.items():
        def cut_off(trickle=trickle, deadline=deadline):
            trickle.join(2 * deadline + 10)
            check(trickle.error is None, "cannot connect: %s" % trickle.error)
            check(trickle.closed_after is not None,
                  "still open after %.0f s (%d bytes sent, never idle); deadline %d s" % (
                      trickle.limit, trickle.sent, deadline))
            check(trickle.closed_after <= 2 * deadline,
                  "closed only after %.1f s (deadline %d s)" % (trickle.closed_after, deadline))
            print("     closed after %.1f s, %d bytes trickled (deadline %d s)%s" % (
                trickle.closed_after, trickle.sent, deadline,
                ", answered %r" % trickle.answer.split(b"\r\n")[0] if trickle.answer else ""))

        results.check("%s is cut off within %d s" % (name, 2 * deadline), cut_off)

    def still_serving():
        cluster.alive()
        for name, get in (("agency", agency_get), ("coordinator", coordinator_get)):
            r, took = timed_get(get)
            check(r.status == 200 and took < LEGIT_ANSWER_S, "%s afterwards: %r in %.1f s" % (
                name, r, took))
        h = eld.healthz()
        check(h and h.get("coordinator") == "connected", "agency /healthz: %r" % h)

    results.check("both daemons still up and answering", still_serving)


if __name__ == "__main__":
    harness.main("http_limits", __doc__, body)
