#!/usr/bin/env python3
"""The OpenAPI files against the daemons they describe (ctest openapi_docs).

1. docs/agency-api.yaml and docs/coordinator-api.yaml are lint-clean with @redocly/cli (pinned
   in tests/openapi/package.json; Redocly's recommended rules, redocly.yaml).
2. A real cluster (tests/integration/harness.py: the coordinator and the four agency daemons,
   a referral under a consent, its status changes, a case event) answers every documented GET
   route of both daemons: the status is one the file documents for that route, and a JSON
   answer validates against the schema of that status (a small validator below over the parsed
   JSON redocly bundles it to: $ref, allOf, oneOf, anyOf, nullable, type, enum, required, properties,
   additionalProperties, items, minimum/maximum); a text answer has the documented media
   type."""

import json
import os
import re
import subprocess
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

WAIT = 30
DOCS = {"agency": os.path.join(ROOT, "docs", "agency-api.yaml"),
        "coordinator": os.path.join(ROOT, "docs", "coordinator-api.yaml")}


# --- a JSON-schema validator of the OpenAPI 3.0 subset the files use -------------------------

class Schema:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            check(ref.startswith("#/"), "external $ref %s" % ref)
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            check(seen < 64, "a $ref loop at %s" % ref)
        return node

    def errors(self, value, node, where="$", depth=0):
        """The list of ways value does not fit schema node (empty when it fits)."""
        if depth > 60:
            return []
        node = self.resolve(node)
        if not isinstance(node, dict) or not node:
            return []
        if value is None:
            if node.get("nullable"):
                return []
            # nullable may sit beside an allOf of one $ref
            if any(self.resolve(s).get("nullable") for s in node.get("allOf", [])):
                return []
        out = []
        for sub in node.get("allOf", []):
            out += self.errors(value, sub, where, depth + 1)
        for key in ("oneOf", "anyOf"):
            if key in node:
                # oneOf is read as anyOf: the files' alternatives (a value or null, a state
                # or another) never need the exclusivity to say what an answer is.
                if not any(not self.errors(value, s, where, depth + 1) for s in node[key]):
                    out.append("%s: fits none of %s" % (where, key))
        t = node.get("type")
        if t:
            ok = {"object": isinstance(value, dict),
                  "array": isinstance(value, list),
                  "string": isinstance(value, str),
                  "integer": isinstance(value, int) and not isinstance(value, bool),
                  "number": isinstance(value, (int, float)) and not isinstance(value, bool),
                  "boolean": isinstance(value, bool)}.get(t, True)
            if value is None and node.get("nullable"):
                ok = True
            if not ok:
                return out + ["%s: %s is not of type %s" % (where, json.dumps(value)[:80], t)]
        if value is None:
            if not t and not node.get("allOf") and not node.get("oneOf") and not node.get("anyOf"):
                return out
            if not node.get("nullable"):
                out.append("%s: null, and the schema is not nullable" % where)
            return out
        if "enum" in node and value not in node["enum"]:
            out.append("%s: %r is not one of %r" % (where, value, node["enum"]))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in node and value < node["minimum"]:
                out.append("%s: %r below minimum %r" % (where, value, node["minimum"]))
            if "maximum" in node and value > node["maximum"]:
                out.append("%s: %r above maximum %r" % (where, value, node["maximum"]))
        if isinstance(value, dict):
            props = node.get("properties", {})
            for name in node.get("required", []):
                if name not in value:
                    out.append("%s: required member %s is missing" % (where, name))
            extra = node.get("additionalProperties", True)
            for name, v in value.items():
                if name in props:
                    out += self.errors(v, props[name], "%s.%s" % (where, name), depth + 1)
                elif extra is False and not node.get("allOf"):
                    out.append("%s: member %s is not documented" % (where, name))
                elif isinstance(extra, dict):
                    out += self.errors(v, extra, "%s.%s" % (where, name), depth + 1)
        if isinstance(value, list) and "items" in node:
            for i, v in enumerate(value[:200]):
                out += self.errors(v, node["items"], "%s[%d]" % (where, i), depth + 1)
        return out


def redocly(*argv):
    """Runs the pinned @redocly/cli with argv; the CompletedProcess."""
    exe = os.path.join(HERE, "node_modules", ".bin", "redocly")
    check(os.path.exists(exe), "%s is missing: run `npm ci` in tests/openapi "
          "(scripts/lib/deps.sh does)" % exe)
    return subprocess.run([exe] + list(argv), cwd=HERE, capture_output=True, text=True,
                          timeout=180, env=dict(os.environ, REDOCLY_TELEMETRY="off",
                                                REDOCLY_SUPPRESS_UPDATE_NOTICE="true"))


def load(path, tmp):
    """The OpenAPI file as JSON (redocly bundle: the YAML parsed by the same tool that lints
    it, the $refs kept), parsed."""
    out = os.path.join(tmp, os.path.basename(path) + ".json")
    r = redocly("bundle", path, "--ext", "json", "--output", out)
    check(r.returncode == 0, "redocly bundle %s failed: %s" % (path, r.stdout + r.stderr))
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def gets(doc):
    """(path, operation) for every documented GET."""
    for path, item in doc["paths"].items():
        if isinstance(item, dict) and "get" in item:
            yield path, item["get"], item.get("parameters", [])


# --- the lint ----------------------------------------------------------------------------------

def lint():
    r = redocly("lint", "--config", os.path.join(HERE, "redocly.yaml"), "--format", "stylish",
                *DOCS.values())
    said = (r.stdout + r.stderr).strip()
    check(r.returncode == 0, "redocly lint failed (exit %d):\n%s" % (r.returncode, said))
    problems = [ln for ln in said.splitlines() if re.search(r"\b(warning|error)\b", ln)
                and "0 warnings" not in ln]
    check(not problems, "redocly lint reports:\n%s" % "\n".join(problems))
    print("     " + (said.splitlines()[-1] if said else "clean"))


# --- the cluster's answers ----------------------------------------------------------------------

def sample(schema, param, ids, path):
    """A value for a required query parameter, from its schema."""
    s = param.get("schema") or {}
    name = param["name"]
    ref = s.get("$ref", "")
    s = schema.resolve(s)
    if "enum" in s:
        return s["enum"][0]
    if ref.endswith("/Month") or "YYYY-MM" in (s.get("description") or "") and s.get(
            "format") != "date":
        return harness.today_jst_plus(0)[:7]
    if ref.endswith("/Date") or s.get("format") == "date":
        return harness.today_jst_plus(-1 if name == "from" else 0)
    if name in ("case", "case_id"):
        return ids["case"]
    if ref.endswith("/Uuid"):
        return ids["referral"]
    fail("no sample value for the required parameter %s of %s" % (name, path))


def fill(path, ids):
    """path with its {parameters} replaced by ids of what the cluster holds."""
    def one(m):
        name = m.group(1)
        if path.startswith("/v1/cases") or name == "case_id":
            return ids["case"]
        if path.startswith("/v1/consents"):
            return ids["consent"]
        if path.startswith("/v1/agencies"):
            return ids["agency"]
        return ids["referral"]
    return re.sub(r"\{(\w+)\}", one, path)


def check_route(schema, doc, path, op, shared, http, ids, token_ok=True):
    params = list(shared) + list(op.get("parameters", []))
    query = []
    for p in params:
        p = schema.resolve(p)
        if p.get("in") == "query" and p.get("required"):
            query.append("%s=%s" % (p["name"], sample(schema, p, ids, path)))
    url = fill(path, ids) + ("?" + "&".join(query) if query else "")
    r = http(url)
    documented = {str(k): v for k, v in op.get("responses", {}).items()}
    check(str(r.status) in documented or "default" in documented,
          "GET %s answered %d, which the file does not document (%s): %s" % (
              url, r.status, ", ".join(sorted(documented)), r.text[:200]))
    check(200 <= r.status < 300, "GET %s answered %d: %s" % (url, r.status, r.text[:300]))
    resp = schema.resolve(documented.get(str(r.status)) or documented["default"])
    content = resp.get("content") or {}
    ctype = (r.headers.get("Content-Type") or r.headers.get("content-type") or "").split(";")[0]
    check(not content or ctype in content,
          "GET %s: Content-Type %r, the file documents %s" % (url, ctype, sorted(content)))
    if ctype == "application/json" or ctype.endswith("+json"):
        body = json.loads(r.raw.decode("utf-8"))
        media = content.get(ctype) or {}
        if "schema" in media:
            errs = schema.errors(body, media["schema"])
            check(not errs, "GET %s: the answer does not fit the schema:\n  %s\n%s" % (
                url, "\n  ".join(errs[:20]), json.dumps(body, ensure_ascii=False)[:600]))
    return "%s %d %s" % (url.split("?")[0], r.status, ctype)


def body(cluster, results, args):
    results.check("both OpenAPI files are lint-clean with @redocly/cli", lint)
    docs = {k: load(v, cluster.root) for k, v in DOCS.items()}
    hh = {h["id"]: h for h in harness.load_households(args.data)}

    cluster.init()
    ag = cluster.add_standard_agencies()
    cluster.start_all()
    cluster.wait_ready()
    cluster.wait_coordinator_http()
    eld, pov = ag["eldercare"], ag["poverty"]
    alive = cluster.alive
    ids = {}

    def traffic():
        h = hh["H001"]
        req = harness.consented_request(eld, h, to_agency=pov.id)
        ids["consent"] = req["consent_id"]
        ids["case"] = req["case_id"]
        harness.wait_json(lambda: eld.consent_record(req["consent_id"], req["case_id"]),
                          lambda c: c.get("status") == "active", WAIT, "the consent active",
                          alive=alive)
        r = eld.post("/v1/referrals", req)
        check(r.status == 202, "POST /v1/referrals: %r" % r)
        ids["referral"] = r.json["referral_id"]
        harness.wait_delivered(eld, ids["referral"], WAIT, alive=alive)
        r = pov.set_status(ids["referral"], "received")
        check(r.status == 202, "received: %r" % r)
        harness.wait_json(lambda: eld.referral(ids["referral"]),
                          lambda j: j.get("state") == "received", WAIT, "received", alive=alive)
        r = pov.set_status(ids["referral"], "accepted", note="初回面談を調整します。")
        check(r.status == 202, "accepted with a note: %r" % r)
        harness.wait_json(lambda: eld.referral(ids["referral"]),
                          lambda j: j.get("state") == "accepted", WAIT, "accepted", alive=alive)
        c = harness.wait_json(lambda: pov.case(ids["case"]),
                              lambda x: (x.get("version") or 0) > 0, WAIT, "poverty's copy",
                              alive=alive)
        r = pov.case_event(ids["case"], {"type": "state", "state": "assessment",
                                         "base_version": c["version"]})
        check(r.status == 202, "a case event: %r" % r)
        eld.wait_outbox_empty(WAIT)
        pov.wait_outbox_empty(WAIT)
        ids["agency"] = pov.id
        return True

    if not results.check("a referral under a consent, received, accepted with a note, a case "
                         "event", traffic):
        fail("no traffic: the answers would be empty")

    schema = {k: Schema(d) for k, d in docs.items()}
    sides = {"agency": [(eld, "sender"), (pov, "recipient")], "coordinator": [(None, "")]}
    for side, doc in docs.items():
        shared_of = {p: item.get("parameters", []) for p, item in doc["paths"].items()}
        for path, op, _shared in gets(doc):
            for agency, role in sides[side]:
                if agency is None:
                    http = lambda url: cluster.coord_get(url)  # noqa: E731
                    who = "coordinator"
                else:
                    http = lambda url, a=agency: a.get(url)  # noqa: E731
                    who = "%s (%s)" % (agency.id, role)
                results.check("%s GET %s answers as %s documents" % (
                    who, path, os.path.basename(DOCS[side])), check_route, schema[side], doc,
                    path, op, shared_of[path], http, ids)


if __name__ == "__main__":
    harness.main("openapi", __doc__, body)
