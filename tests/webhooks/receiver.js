// receiver.js — the webhooks test's receiver: every request is verified with the Standard
// Webhooks reference library (npm standardwebhooks), never with tsunagu's code; each verified
// one is appended to the log as {"id", "seq", "type", "agency", "status"} in arrival order, each
// refused one as {"bad": why}.  A control port says how to answer:
//   GET /mode?set=up | 503 | closed | gone | slow&ms=N
// up: 204; 503: 503 with Retry-After 1; closed: the webhook port stops listening and its
// connections are cut; gone: 410; slow: answers 204 after N ms.  GET /log gives the log.
//
//   node receiver.js --port P --control C --secret-file F --log FILE
//                    [--tls-cert PEM --tls-key PEM --tls-ca PEM]
// With --tls-*, the webhook port speaks HTTPS only and takes only clients whose certificate the
// CA signed.
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const { Webhook } = require("standardwebhooks");

function arg(name, optional) {
  const i = process.argv.indexOf("--" + name);
  if (optional && i < 0) return null;
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error("receiver.js: --" + name + " is required");
    process.exit(2);
  }
  return process.argv[i + 1];
}

const port = Number(arg("port"));
const controlPort = Number(arg("control"));
const secret = fs.readFileSync(arg("secret-file"), "utf8").trim();
const logPath = arg("log");
const wh = new Webhook(secret);
const tlsCert = arg("tls-cert", true);
const tls = tlsCert && {
  cert: fs.readFileSync(tlsCert),
  key: fs.readFileSync(arg("tls-key")),
  ca: fs.readFileSync(arg("tls-ca")),
  requestCert: true,
  rejectUnauthorized: true,
};

let mode = "up";
let slowMs = 0;
let server = null;
const sockets = new Set();

function record(entry) {
  fs.appendFileSync(logPath, JSON.stringify(entry) + "\n");
}

function handle(req, res) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      if (req.method !== "POST") throw new Error("method " + req.method);
      if (req.headers["content-type"] !== "application/json")
        throw new Error("content-type " + req.headers["content-type"]);
      event = wh.verify(body, {
        "webhook-id": req.headers["webhook-id"],
        "webhook-timestamp": req.headers["webhook-timestamp"],
        "webhook-signature": req.headers["webhook-signature"],
      });
      if (event.id !== req.headers["webhook-id"]) throw new Error("id differs from webhook-id");
      for (const k of ["type", "timestamp", "data", "id", "seq"])
        if (!(k in event)) throw new Error("body lacks " + k);
    } catch (e) {
      record({ bad: String(e.message || e), id: req.headers["webhook-id"] || null });
      res.writeHead(400);
      res.end();
      return;
    }
    const status = mode === "503" ? 503 : mode === "gone" ? 410 : 204;
    const answer = () => {
      record({ id: event.id, seq: event.seq, type: event.type,
               agency: event.id.split(":")[0], status: status });
      const headers = status === 503 ? { "Retry-After": "1" } : {};
      res.writeHead(status, headers);
      res.end();
    };
    if (mode === "slow") setTimeout(answer, slowMs);
    else answer();
  });
}

function listen() {
  if (server) return;
  server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  server.on(tls ? "secureConnection" : "connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(port, "127.0.0.1");
}

function unlisten() {
  if (!server) return;
  server.close();
  for (const s of sockets) s.destroy();
  sockets.clear();
  server = null;
}

const control = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === "/mode") {
    mode = url.searchParams.get("set") || "up";
    slowMs = Number(url.searchParams.get("ms") || 0);
    if (mode === "closed") unlisten();
    else listen();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ mode: mode }));
    return;
  }
  if (url.pathname === "/log") {
    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    res.end(fs.existsSync(logPath) ? fs.readFileSync(logPath) : "");
    return;
  }
  res.writeHead(404);
  res.end();
});

listen();
control.listen(controlPort, "127.0.0.1", () => console.log("receiver: listening"));
process.on("SIGTERM", () => process.exit(0));
