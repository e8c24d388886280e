#!/usr/bin/env python3
"""The dashboard over HTTPS: with [http] tls_cert and tls_key the coordinator speaks TLS only on
its HTTP address (the pages and the JSON API alike), its session cookie is Secure, and plain HTTP
gets no page.  A private key readable by others, or a certificate without its key, is refused by
`tsunagu-coordinator -n` and at start-up with the file and line."""

import http.client
import os
import ssl
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

PASSWORD = "tls staff password 1"


def make_cert(folder):
    """A self-signed P-256 certificate for 127.0.0.1 and its key (0600) in folder."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    key, cert = os.path.join(folder, "dashboard.key"), os.path.join(folder, "dashboard.crt")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "openssl req: %s" % r.stderr)
    os.chmod(key, 0o600)
    return cert, key


def set_tls(conf, cert, key):
    """Adds tls_cert and tls_key to the [http] section of conf."""
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("[http]\n", "[http]\ntls_cert = %s\ntls_key = %s\n" % (cert, key), 1)
    with open(conf, "w", encoding="utf-8") as f:
        f.write(text)


def https(port, method, path, body=None, headers=None):
    """One request over TLS (the test's own certificate is not verified); (status, headers,
    body)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def cookies(headers):
    """The Set-Cookie lines of an answer."""
    return [v for k, v in headers if k.lower() == "set-cookie"]


def body(cluster, results, _args):
    cluster.init()
    cert, key = make_cert(os.path.join(cluster.data_dir, "tls"))

    def refused_open_key():
        os.chmod(key, 0o644)
        set_tls(cluster.coordinator_conf, cert, key)
        r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf, "-n"])
        check(r.returncode != 0, "-n passed a world-readable TLS key")
        check("tls_key" in r.stderr and "0600" in r.stderr, "-n said: %r" % r.stderr)
        os.chmod(key, 0o600)
        r = harness.run([cluster.exe("tsunagu-coordinator"), "-c", cluster.coordinator_conf, "-n"])
        check(r.returncode == 0, "-n refused a good TLS setup: %r" % r.stderr)

    results.check("a TLS key readable by others is refused with its setting named; 0600 passes",
                  refused_open_key)

    r = harness.run([cluster.exe("tsunaguctl"), "-d", cluster.data_dir, "user", "add", "--name",
                     "suzuki", "--role", "coordinator", "--password-stdin"],
                    input=PASSWORD + "\n", env=cluster.env)
    check(r.returncode == 0, "user add: %s %s" % (r.stdout, r.stderr))
    cluster.coordinator.start()

    def up():
        try:
            status, _, _ = https(cluster.http_port, "GET", "/healthz")
            return status == 200
        except (OSError, ssl.SSLError):
            return False

    harness.wait_for(up, 30, "the coordinator's HTTPS /healthz", alive=cluster.alive)

    def secure_login():
        status, headers, page = https(cluster.http_port, "GET", "/login")
        check(status == 200, "GET /login over TLS: %d" % status)
        login = [c for c in cookies(headers) if c.startswith("tsunagu_login=")]
        check(login and "; Secure" in login[0] and "HttpOnly" in login[0],
              "the login cookie: %r" % login)
        token = login[0].split(";", 1)[0].split("=", 1)[1]
        check(token.encode() in page, "the login form does not carry its cookie's token")
        form = urllib.parse.urlencode({"csrf": token, "name": "suzuki", "password": PASSWORD})
        status, headers, _ = https(cluster.http_port, "POST", "/login", body=form,
                                   headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "Cookie": "tsunagu_login=" + token})
        check(status == 303, "POST /login over TLS: %d" % status)
        session = [c for c in cookies(headers) if c.startswith("tsunagu_session=")]
        check(session and "; Secure" in session[0] and "SameSite=Strict" in session[0]
              and "HttpOnly" in session[0], "the session cookie: %r" % session)
        value = session[0].split(";", 1)[0]
        status, _, page = https(cluster.http_port, "GET", "/", headers={"Cookie": value})
        check(status == 200 and "概況".encode() in page, "the overview over TLS: %d" % status)
        status, _, _ = https(cluster.http_port, "GET", "/v1/cases")
        check(status == 401, "/v1/cases without a token over TLS: %d" % status)
        status, _, _ = https(cluster.http_port, "GET", "/v1/cases",
                             headers={"Authorization": "Bearer " + cluster.coordinator_token()})
        check(status == 200, "/v1/cases with the token over TLS: %d" % status)

    results.check("over HTTPS the login and session cookies are Secure, HttpOnly and "
                  "SameSite=Strict; the pages and the bearer-token API both answer", secure_login)

    def no_plain_http():
        got_page = False
        try:
            r = harness.http_request(cluster.http_port, "GET", "/login", timeout=5)
            got_page = r.status == 200
        except Exception:  # noqa: BLE001 - any failure to speak plain HTTP is the point
            got_page = False
        check(not got_page, "plain HTTP got the login page from a TLS listener")
        check(cluster.coordinator.running(), "the coordinator died of a plain HTTP request")

    results.check("plain HTTP on the TLS address gets no page, and the coordinator lives on",
                  no_plain_http)


if __name__ == "__main__":
    harness.main("dashboard_tls", __doc__, body)
