#!/usr/bin/env python3
"""The Debian package, built from the build tree and looked at as dpkg and systemd will (ctest
package).  Needs no root and installs nothing into the machine:

1. cpack -G DEB from the build tree into a temp folder (the installed tree as `cpack` makes it,
   without its preinstall step, so a test run never rebuilds what other tests are running).
2. dpkg-deb -I: name, version (the programs' own), the conffile, the maintainer scripts, and
   Depends naming adduser and the Debian package of every shared library the programs load
   (found with ldd and dpkg -S here, so the list is checked against the machine, not copied).
3. dpkg-deb -c: the seven programs in /usr/bin (and no test tool), deploy/'s units, /etc/tsunagu
   0750 with its conffile, the documents of the tree and changelog.Debian.gz in
   /usr/share/doc/tsunagu, nothing in /usr/local, no RUNPATH in a program; lintian finds no
   error but the known one (no copyright file: no licence chosen yet), when it is installed.
4. dpkg -x into a temp root: every program answers --version from there with the package's
   version; the packaged tsunaguctl makes a data folder and an agency bundle with the packaged
   coordinator (tsunaguctl finds it beside itself) on 127.0.0.2, and both daemons' -n pass.
5. The units: every program they start is in the package; the daemons' hardening is there;
   systemd-analyze verify on every unit (with the extracted paths) and security --offline on the
   daemons' (exposure at most 2.0) when systemd-analyze is installed.
6. The maintainer scripts: sh -n, then postinst, prerm and postrm run under DPKG_ROOT (a temp
   root) with adduser, chown, systemctl and the others replaced by stubs that log: the user and
   group made once, the folders' owners and modes, dpkg-statoverride honoured, running units
   restarted on upgrade and stopped (timers too) on removal, the user and the data kept on
   purge.
7. Only when run as root: dpkg -i, a reinstall over an edited conffile and dpkg -P, for real, in
   a private mount namespace over throw-away overlays of /usr, /etc and /var (skipped otherwise,
   and where overlayfs is not to be had)."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROGRAMS = ("tsunagu-coordinator", "tsunagu-eldercare", "tsunagu-disability", "tsunagu-child",
            "tsunagu-poverty", "tsunaguctl", "tsunagu-import")
NOT_PACKAGED = ("tsunagu-bench",)  # test tools stay in the build tree
AGENCY_TYPES = ("eldercare", "disability", "child", "poverty")
DAEMON_UNITS = ("tsunagu-coordinator.service", "tsunagu-agency@.service")
UNIT_DIR = "usr/lib/systemd/system"
CONFFILE = "/etc/tsunagu/agency.env.example"
DOC = "usr/share/doc/tsunagu"
HARDENING = ("User=tsunagu", "Group=tsunagu", "NoNewPrivileges=yes", "PrivateTmp=yes",
             "PrivateDevices=yes", "ProtectSystem=strict", "ProtectHome=yes", "UMask=0077",
             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute=yes",
             "SystemCallFilter=@system-service", "CapabilityBoundingSet=", "RestrictSUIDSGID=yes")
MAX_EXPOSURE = 2.0
FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("FAIL: " + message, flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


def run(argv, timeout=60, env=None, cwd=None, input=None):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=env, cwd=cwd, input=input)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def must(argv, what, **kw):
    rc, out, err = run(argv, **kw)
    if rc != 0:
        print(out + err)
        raise SystemExit("FAIL: %s (%s exited %d)" % (what, argv[0], rc))
    return out


# --- 1. the build ----------------------------------------------------------------------------

def build_package(args, tmp):
    out = os.path.join(tmp, "out")
    # The package exactly as `cpack -G DEB` makes it but for the preinstall step (which would
    # build every target first): the build tree's install script under the package's prefix.
    must([args.cpack, "-G", "DEB", "--config", os.path.join(args.build, "CPackConfig.cmake"),
          "-B", out, "-D", "CPACK_INSTALL_CMAKE_PROJECTS=",
          "-D", "CPACK_INSTALL_SCRIPTS=" + os.path.join(args.build, "cmake_install.cmake"),
          "-D", "CPACK_INSTALL_PREFIX=/usr", "-D", "CMAKE_INSTALL_DO_STRIP=1"],
         "cpack -G DEB", timeout=180, cwd=tmp)
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    if len(debs) != 1:
        raise SystemExit("FAIL: cpack made %r, not one .deb" % debs)
    print("built %s" % debs[0])
    return os.path.join(out, debs[0])


# --- 2. the control part ---------------------------------------------------------------------

def control_fields(deb):
    text = must(["dpkg-deb", "-f", deb], "dpkg-deb -f")
    fields, key = {}, None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def library_packages(binaries):
    """The Debian packages that hold the shared libraries the binaries need themselves (their
    DT_NEEDED, found where ldd finds them; dpkg -S)."""
    paths = set()
    for b in binaries:
        rc, out, _ = run(["ldd", b])
        check(rc == 0, "ldd %s" % b)
        check("not found" not in out, "%s loads a library that is not there:\n%s" % (b, out))
        where = dict(re.findall(r"^\s*(\S+)\s+=>\s+(/\S+)", out, re.M))
        rc, dyn, _ = run(["readelf", "-d", b])
        for name in re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dyn):
            if check(name in where, "%s needs %s, which ldd did not find" % (b, name)):
                paths.add(where[name])
    packages = {}
    for path in sorted(paths):
        candidates = [path, os.path.realpath(path)]
        for p in list(candidates):  # Debian 12 has /lib on /usr: dpkg knows one of the two
            if p.startswith("/usr/lib/"):
                candidates.append(p[len("/usr"):])
            elif p.startswith("/lib/"):
                candidates.append("/usr" + p)
        for p in candidates:
            rc, out, _ = run(["dpkg-query", "-S", p])
            if rc == 0:
                packages[path] = out.split(":", 1)[0].split(",")[0].strip()
                break
        else:
            fail("no Debian package holds %s (a library from elsewhere cannot be a Depends)" % path)
    return packages


def check_control(deb, root, version):
    fields = control_fields(deb)
    check(fields.get("Package") == "tsunagu", "Package: %r" % fields.get("Package"))
    check(fields.get("Version") == version + "-1",
          "Version %r is not the programs' %s with revision -1" % (fields.get("Version"), version))
    for key in ("Architecture", "Maintainer", "Description", "Section", "Priority"):
        check(fields.get(key), "the control file has no %s" % key)
    depends = {d.strip().split(" ")[0] for d in fields.get("Depends", "").split(",") if d.strip()}
    print("Depends: %s" % fields.get("Depends"))
    check("adduser" in depends, "Depends lacks adduser (postinst runs it)")
    libs = library_packages([os.path.join(root, "usr", "bin", p) for p in PROGRAMS])
    for path, pkg in sorted(libs.items()):
        check(pkg in depends, "Depends lacks %s, the package of %s" % (pkg, path))
    for pkg in ("libzmq5", "liblmdb0", "libsodium23", "libprotobuf-c1", "libmicrohttpd12",
                "libjansson4", "libcsv3", "libinih1"):
        # the names differ between Debian releases (…t64): look by stem
        check(any(d.startswith(pkg.rstrip("0123456789")) for d in depends),
              "Depends names no %s" % pkg)
    check(any(d.startswith("libcurl") for d in depends), "Depends names no libcurl")

    control = os.path.join(os.path.dirname(root), "control")
    must(["dpkg-deb", "-e", deb, control], "dpkg-deb -e")
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control, script)
        if check(os.path.exists(path), "no %s in the package" % script):
            check(os.stat(path).st_mode & 0o777 == 0o755, "%s is not mode 0755" % script)
    conffiles = open(os.path.join(control, "conffiles")).read().split() \
        if os.path.exists(os.path.join(control, "conffiles")) else []
    check(conffiles == [CONFFILE], "conffiles %r, not [%s]" % (conffiles, CONFFILE))
    check(os.path.exists(os.path.join(control, "md5sums")), "no md5sums")
    return control


# --- 3. the files ----------------------------------------------------------------------------

def listing(deb):
    """path → (mode string, owner) of every member of the data part."""
    out = {}
    for line in must(["dpkg-deb", "-c", deb], "dpkg-deb -c").splitlines():
        parts = line.split(None, 5)
        path = parts[5].split(" -> ")[0]
        out[path.lstrip(".").rstrip("/") or "/"] = (parts[0], parts[1])
    return out


def expected_docs(source):
    docs = ["README.md", "README.Debian", "proto/README.md", "deploy/README.md"]
    for sub, exts in (("docs", (".md", ".yaml")), ("proto", (".proto",))):
        docs += ["%s/%s" % (sub, f) for f in os.listdir(os.path.join(source, sub))
                 if f.endswith(exts)]
    docs += ["docs/examples/" + f for f in os.listdir(os.path.join(source, "docs", "examples"))]
    docs += ["deploy/examples/" + f for f in os.listdir(os.path.join(source, "deploy", "examples"))]
    return sorted(set(docs))


def check_files(deb, source):
    files = listing(deb)
    for p in PROGRAMS:
        mode, owner = files.get("/usr/bin/" + p, ("missing", ""))
        check(mode == "-rwxr-xr-x" and owner == "root/root",
              "/usr/bin/%s is %s %s, not -rwxr-xr-x root/root" % (p, mode, owner))
    for p in NOT_PACKAGED:
        check(not any(f.endswith("/" + p) for f in files), "the test tool %s is packaged" % p)
    check(not any("/test_" in f or "/fuzz_" in f for f in files), "a test program is packaged")
    for u in source_units(source):
        check(files.get("/%s/%s" % (UNIT_DIR, u), ("",))[0] == "-rw-r--r--",
              "/%s/%s missing or not 0644" % (UNIT_DIR, u))
    check(files.get("/etc/tsunagu", ("",))[0] == "drwxr-x---", "/etc/tsunagu is not 0750: %r"
          % (files.get("/etc/tsunagu"),))
    check(CONFFILE in files, "%s is not in the package" % CONFFILE)
    etc = sorted(f for f in files if f.startswith("/etc/") and not files[f][0].startswith("d"))
    check(etc == [CONFFILE], "files in /etc beside the conffile: %r" % etc)
    check(not any(f.startswith("/var/") for f in files),
          "the package ships files in /var (postinst makes the folders; data is no package's)")
    check(not any(f.startswith("/usr/local") for f in files), "the package writes /usr/local")
    for d in expected_docs(source) + ["changelog.Debian.gz"]:
        check("/%s/%s" % (DOC, d) in files, "/%s/%s is not in the package" % (DOC, d))
    check("/usr/share/lintian/overrides/tsunagu" in files, "no lintian override for /etc/tsunagu")
    print("%d members, %d documents" % (len(files), len(expected_docs(source))))


# --- 4. the programs from the extracted root -------------------------------------------------

def check_programs(root, version, tmp):
    bindir = os.path.join(root, "usr", "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "TSUNAGU_"))}
    env["LC_ALL"] = "C.UTF-8"
    for p in PROGRAMS:
        path = os.path.join(bindir, p)
        rc, out, err = run([path, "--version"], env=env, timeout=10)
        check(rc == 0 and out.strip() == "%s %s" % (p, version),
              "%s --version: exit %d, %r %r (want %r)" % (p, rc, out, err, "%s %s" % (p, version)))
        rc, out, _ = run(["readelf", "-d", path])
        check(rc == 0 and "RUNPATH" not in out and "RPATH" not in out,
              "%s carries an RPATH/RUNPATH" % p)
    print("every program answers --version %s from the extracted root" % version)

    # The packaged programs together: tsunaguctl runs the coordinator beside it (--apply).
    hub = os.path.join(tmp, "hub")
    ctl = [os.path.join(bindir, "tsunaguctl"), "-d", hub]
    must(ctl + ["init", "--listen", "tcp://127.0.0.2:17700",
                "--public-endpoint", "tcp://127.0.0.2:17700", "--http", "127.0.0.1:17780"],
         "packaged tsunaguctl init", env=env)
    rc, out, err = run([os.path.join(bindir, "tsunagu-coordinator"), "-n", "-c",
                        os.path.join(hub, "coordinator.conf")], env=env)
    check(rc == 0, "packaged tsunagu-coordinator -n on a fresh data folder: %s%s" % (out, err))
    bundle = os.path.join(tmp, "agency-eldercare-pkg")
    must(ctl + ["agency", "add", "--id", "eldercare-pkg", "--type", "eldercare",
                "--name", "つなぐ市パッケージ試験センター", "--out", bundle,
                "--http", "127.0.0.1:17781"], "packaged tsunaguctl agency add", env=env)
    conf = open(os.path.join(bundle, "agency.conf"), encoding="utf-8").read()
    check("endpoint = tcp://127.0.0.2:17700" in conf,
          "the bundle does not connect to the public endpoint:\n" + conf)
    rc, out, err = run([os.path.join(bindir, "tsunagu-eldercare"), "-n", "-c",
                        os.path.join(bundle, "agency.conf")], env=env)
    check(rc == 0, "packaged tsunagu-eldercare -n on its bundle: %s%s" % (out, err))
    rc, out, err = run(ctl + ["agency", "list"], env=env)
    check(rc == 0 and "eldercare-pkg" in out, "agency list: %s%s" % (out, err))


# --- 5. the units ----------------------------------------------------------------------------

def unit_programs(text):
    """The programs a unit's Exec lines start, ${TSUNAGU_AGENCY_TYPE} spelled out."""
    found = set()
    for line in text.replace("\\\n", " ").splitlines():  # continuation lines joined
        if re.match(r"Exec\w*=", line):
            for m in re.finditer(r"(/[\w/.-]+(?:\$\{TSUNAGU_AGENCY_TYPE\})?)", line.split("=", 1)[1]):
                path = m.group(1)
                if "${TSUNAGU_AGENCY_TYPE}" in path:
                    found |= {path.replace("${TSUNAGU_AGENCY_TYPE}", t) for t in AGENCY_TYPES}
                elif "/bin/" in path:
                    found.add(path)
    return found


def source_units(source):
    """deploy/'s units: the package ships every one."""
    names = [f for f in os.listdir(os.path.join(source, "deploy")) if f.endswith((".service", ".timer"))]
    check(all(u in names for u in DAEMON_UNITS), "deploy/ lost a daemon's unit: %r" % names)
    return sorted(names)


def check_units(root, tmp, source):
    units = {u: open(os.path.join(root, UNIT_DIR, u), encoding="utf-8").read()
             for u in source_units(source)}
    for u, text in sorted(units.items()):
        progs = unit_programs(text)
        check(u.endswith(".timer") or any("tsunagu" in p for p in progs),
              "%s starts no tsunagu program" % u)
        for p in progs:
            if "tsunagu" in p:
                check(os.path.exists(os.path.join(root, p.lstrip("/"))),
                      "%s starts %s, which the package does not hold" % (u, p))
            else:
                check(os.path.exists(p), "%s starts %s, not on Debian" % (u, p))
    for u in DAEMON_UNITS:
        lines = set(units[u].splitlines())
        for h in HARDENING:
            check(h in lines, "%s lost its hardening line %s" % (u, h))
    check("ReadWritePaths=/var/lib/tsunagu" in units["tsunagu-coordinator.service"].splitlines(),
          "the coordinator may not write /var/lib/tsunagu")
    check("ReadWritePaths=/var/lib/tsunagu-agency/%i" in units["tsunagu-agency@.service"].splitlines(),
          "an agency daemon may not write its bundle")
    env = open(os.path.join(root, CONFFILE.lstrip("/")), encoding="utf-8").read()
    m = re.search(r"^TSUNAGU_AGENCY_TYPE=(\w+)$", env, re.M)
    check(m and m.group(1) in AGENCY_TYPES, "the conffile names no agency type")

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("SKIP: systemd-analyze is not installed (Debian package systemd): units not verified")
        return
    # verify checks the programs exist: copies of the units that start the extracted ones.
    udir = os.path.join(tmp, "units")
    os.makedirs(udir)
    names = {u: u.replace("@.", "@eldercare-pkg.") for u in units}  # a template's instance
    for u, text in units.items():
        text = text.replace("/usr/bin/", os.path.join(root, "usr", "bin") + "/")
        with open(os.path.join(udir, names[u]), "w", encoding="utf-8") as f:
            f.write(text)
    for u, name in sorted(names.items()):
        rc, out, err = run([analyze, "verify", "--man=no", os.path.join(udir, name)], timeout=60,
                           cwd=udir)
        check(rc == 0 and not err.strip(), "systemd-analyze verify %s: %d %s%s" % (name, rc, out, err))
        if u not in DAEMON_UNITS:
            continue
        rc, out, err = run([analyze, "security", "--offline=yes", "--no-pager",
                            os.path.join(udir, name)], timeout=60)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
        if check(m, "systemd-analyze security %s said no exposure: %s%s" % (name, out, err)):
            print("%s: exposure %s" % (name, m.group(1)))
            check(float(m.group(1)) <= MAX_EXPOSURE,
                  "%s: exposure %s above %.1f (hardening lost)" % (name, m.group(1), MAX_EXPOSURE))
    print("systemd-analyze verify ran on %d units, security --offline on the daemons'" % len(units))


# --- 6. the maintainer scripts ---------------------------------------------------------------

STUB = """#!/bin/sh
echo "%(name)s $*" >> "$STUB_LOG"
%(body)s
"""
STUB_BODIES = {
    # getent group|passwd tsunagu: as if they exist when STUB_USER_EXISTS=1
    "getent": '[ "$STUB_USER_EXISTS" = 1 ] && { echo "tsunagu:x:999:999::/var/lib/tsunagu:'
              '/usr/sbin/nologin"; exit 0; }; exit 2',
    # dpkg-statoverride --list PATH: an override for the paths in STUB_OVERRIDES
    "dpkg-statoverride": 'case " $STUB_OVERRIDES " in *" $2 "*) echo "root root 0755 $2"; '
                         'exit 0;; esac; exit 1',
}
STUBBED = ("getent", "addgroup", "adduser", "deluser", "delgroup", "chown", "chmod", "systemctl",
           "dpkg-statoverride", "deb-systemd-helper", "deb-systemd-invoke", "useradd", "userdel")


def script_run(control, tmp, script, argv, user_exists=False, overrides="", systemd=False,
               quiet=False):
    """Runs a maintainer script under DPKG_ROOT with stubs; returns (exit code, the stubs' log)."""
    root = os.path.join(tmp, "dpkgroot")
    stubs = os.path.join(tmp, "stubs")
    if not os.path.isdir(stubs):
        os.makedirs(stubs)
        for name in STUBBED:
            with open(os.path.join(stubs, name), "w") as f:
                f.write(STUB % {"name": name, "body": STUB_BODIES.get(name, "exit 0")})
            os.chmod(os.path.join(stubs, name), 0o755)
    run_dir = os.path.join(root, "run", "systemd", "system")
    if systemd:
        os.makedirs(run_dir, exist_ok=True)
    elif os.path.isdir(run_dir):
        os.rmdir(run_dir)
    log = os.path.join(tmp, "stub.log")
    open(log, "w").close()
    env = {"PATH": stubs + ":/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT": root,
           "STUB_LOG": log, "STUB_USER_EXISTS": "1" if user_exists else "0",
           "STUB_OVERRIDES": overrides}
    rc, out, err = run(["sh", "-e", os.path.join(control, script)] + argv, env=env, timeout=30)
    if rc != 0 and not quiet:
        print(out + err)
    return rc, open(log).read().splitlines(), root


def check_scripts(control, tmp):
    for shell in ("sh", "dash", "bash"):
        if shutil.which(shell):
            for script in ("postinst", "prerm", "postrm"):
                rc, out, err = run([shell, "-n", os.path.join(control, script)])
                check(rc == 0, "%s -n %s: %s%s" % (shell, script, out, err))

    # A first install on a machine without the user, systemd not running (a container).
    rc, log, root = script_run(control, tmp, "postinst", ["configure", ""])
    check(rc == 0, "postinst configure exited %d" % rc)
    check(any(l.startswith("addgroup --system") and l.endswith(" tsunagu") for l in log),
          "postinst made no system group tsunagu: %r" % log)
    adduser = [l for l in log if l.startswith("adduser ")]
    check(len(adduser) == 1 and all(w in adduser[0].split() for w in
                                    ("--system", "--no-create-home", "/var/lib/tsunagu",
                                     "/usr/sbin/nologin", "tsunagu")),
          "postinst's adduser: %r" % adduser)
    for owner, mode, path in (("root:tsunagu", "0750", "/etc/tsunagu"),
                              ("tsunagu:tsunagu", "0700", "/var/lib/tsunagu"),
                              ("tsunagu:tsunagu", "0700", "/var/lib/tsunagu-agency")):
        check(os.path.isdir(root + path), "postinst made no %s" % path)
        check("chown %s %s%s" % (owner, root, path) in log, "postinst: %s not %s" % (path, owner))
        check("chmod %s %s%s" % (mode, root, path) in log, "postinst: %s not %s" % (path, mode))
    check(not any(l.startswith("systemctl") for l in log), "postinst ran systemctl without systemd")

    # An upgrade under systemd, the user there, an administrator's override of /var/lib/tsunagu.
    rc, log, root = script_run(control, tmp, "postinst", ["configure", "0.0.9-1"],
                               user_exists=True, overrides="/var/lib/tsunagu", systemd=True)
    check(rc == 0, "postinst configure (upgrade) exited %d" % rc)
    check(not any(l.startswith(("adduser", "addgroup", "useradd")) for l in log),
          "postinst made the user again: %r" % log)
    check(not any(l.startswith(("chown", "chmod")) and l.endswith(root + "/var/lib/tsunagu")
                  for l in log), "postinst overrode dpkg-statoverride's /var/lib/tsunagu: %r" % log)
    check("systemctl daemon-reload" in log, "postinst did not reload systemd")
    check(any(l.startswith("systemctl try-restart") and "tsunagu-coordinator.service" in l
              and "tsunagu-agency@*.service" in l for l in log),
          "an upgrade does not restart the running daemons: %r" % log)
    check(not any(re.match(r"systemctl (start|enable|restart) ", l) for l in log),
          "postinst starts or enables a unit: %r" % log)

    rc, log, _ = script_run(control, tmp, "prerm", ["upgrade", "0.1.0-1"], systemd=True)
    check(rc == 0 and not any(l.startswith("systemctl stop") for l in log),
          "prerm upgrade stops the daemons (postinst restarts them): %r" % log)
    rc, log, _ = script_run(control, tmp, "prerm", ["remove"], systemd=True)
    check(rc == 0 and any(l.startswith("systemctl stop") and "tsunagu-coordinator.service" in l
                          and "tsunagu-agency@*.service" in l and "tsunagu-*.timer" in l
                          for l in log),
          "prerm remove does not stop the daemons and timers: %r" % log)

    # Purge: enablement forgotten; the user, its group and the data kept.
    wants = os.path.join(root, "etc", "systemd", "system", "multi-user.target.wants")
    timers = os.path.join(root, "etc", "systemd", "system", "timers.target.wants")
    os.makedirs(wants, exist_ok=True)
    os.makedirs(timers, exist_ok=True)
    for name in ("tsunagu-coordinator.service", "tsunagu-agency@eldercare-pkg.service"):
        os.symlink("/usr/lib/systemd/system/" + name.replace("eldercare-pkg", ""),
                   os.path.join(wants, name))
    os.symlink("/usr/lib/systemd/system/tsunagu-backup.timer",
               os.path.join(timers, "tsunagu-backup.timer"))
    kept = os.path.join(root, "var", "lib", "tsunagu", "audit.log")
    open(kept, "w").close()
    rc, log, _ = script_run(control, tmp, "postrm", ["purge"], systemd=True)
    check(rc == 0, "postrm purge exited %d" % rc)
    check(os.listdir(wants) + os.listdir(timers) == [],
          "postrm purge left %r enabled" % (os.listdir(wants) + os.listdir(timers)))
    check(os.path.exists(kept), "postrm purge removed /var/lib/tsunagu's files")
    check(not any(l.startswith(("deluser", "delgroup", "userdel")) for l in log),
          "postrm purge removed the user: %r" % log)
    for script, arg in (("postinst", "bogus"), ("prerm", "bogus"), ("postrm", "bogus")):
        rc, _, _ = script_run(control, tmp, script, [arg], quiet=True)
        check(rc != 0, "%s accepts the unknown argument %r" % (script, arg))
    print("maintainer scripts: install, upgrade, remove, purge as documented")


# --- lintian, where it is installed -----------------------------------------------------------

# Errors known and left: the project has not chosen its licence, so there is no copyright file.
LINTIAN_KNOWN = {"no-copyright-file"}


def check_lintian(deb):
    lintian = shutil.which("lintian")
    if not lintian:
        print("SKIP: lintian is not installed (Debian package lintian): the package is not linted")
        return
    rc, out, err = run([lintian, "--tag-display-limit", "0", deb], timeout=120)
    errors = []
    for line in out.splitlines():
        m = re.match(r"([EW]): tsunagu: (\S+)", line)
        if not m:
            continue
        if m.group(1) == "E" and m.group(2) not in LINTIAN_KNOWN:
            errors.append(line)
        elif m.group(2) != "no-manual-page":
            print("lintian: %s%s" % (line, " (known)" if m.group(2) in LINTIAN_KNOWN else ""))
    check(not errors, "lintian errors:\n" + "\n".join(errors))


# --- 7. dpkg -i, when this runs as root: into overlays of /usr, /etc and /var in a private mount
# namespace, dropped afterwards (the machine's own files never change) ---------------------------

DPKG_SCRIPT = r"""
set -e
O=$1; DEB=$2
for d in usr etc var; do
  mkdir -p $O/$d/upper $O/$d/work
  mount -t overlay overlay -o lowerdir=/$d,upperdir=$O/$d/upper,workdir=$O/$d/work /$d
done
for d in /usr /etc /var; do mountpoint -q $d || { echo "NO-OVERLAY $d"; exit 3; }; done
dpkg -i "$DEB" >/dev/null
echo "STATUS $(dpkg-query -W -f='${Status}' tsunagu)"
echo "USER $(getent passwd tsunagu | cut -d: -f1,6,7)"
echo "MODES $(stat -c '%n:%a:%U:%G' /etc/tsunagu /var/lib/tsunagu /var/lib/tsunagu-agency | tr '\n' ' ')"
su -s /bin/sh tsunagu -c 'tsunaguctl -d /var/lib/tsunagu init --listen tcp://127.0.0.2:47700 \
  --http 127.0.0.1:47780 >/dev/null && tsunagu-coordinator -n -c /var/lib/tsunagu/coordinator.conf \
  >/dev/null 2>&1' && echo "INIT ok"
echo "# local" >> /etc/tsunagu/agency.env.example
dpkg -i "$DEB" >/dev/null
echo "CONFFILE $(tail -1 /etc/tsunagu/agency.env.example)"
dpkg -P tsunagu >/dev/null 2>&1
echo "PURGED $(dpkg-query -W -f='${Status}' tsunagu 2>/dev/null || echo gone)"
echo "AFTER $(getent passwd tsunagu | cut -d: -f1) $(test -f /var/lib/tsunagu/keys/coordinator.key && echo keys-kept)"
"""


def check_dpkg_install(deb, tmp):
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mountpoint"):
        print("SKIP: dpkg -i into an overlay needs root and unshare (the rest ran without)")
        return
    overlay = os.path.join(tmp, "overlay")
    rc, out, err = run(["unshare", "-m", "--propagation", "private", "sh", "-c", DPKG_SCRIPT,
                        "sh", overlay, deb], timeout=120)
    if rc == 3 or "NO-OVERLAY" in out or (rc != 0 and "overlay" in err and not out):
        print("SKIP: no overlayfs in a private mount namespace here: %s" % err.strip()[-200:])
        return
    lines = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
    check(rc == 0, "dpkg -i in the overlay: exit %d\n%s%s" % (rc, out, err))
    check(lines.get("STATUS") == "install ok installed", "dpkg -i: %r" % lines.get("STATUS"))
    check(lines.get("USER") == "tsunagu:/var/lib/tsunagu:/usr/sbin/nologin",
          "postinst's user: %r" % lines.get("USER"))
    check(lines.get("MODES", "").split() == ["/etc/tsunagu:750:root:tsunagu",
                                              "/var/lib/tsunagu:700:tsunagu:tsunagu",
                                              "/var/lib/tsunagu-agency:700:tsunagu:tsunagu"],
          "installed modes: %r" % lines.get("MODES"))
    check(lines.get("INIT") == "ok", "the installed tsunaguctl init as tsunagu failed:\n" + out + err)
    check(lines.get("CONFFILE") == "# local", "a reinstall replaced the edited conffile")
    check(lines.get("PURGED", "").strip() in ("gone", "unknown ok not-installed", ""),
          "dpkg -P: %r" % lines.get("PURGED"))
    check(lines.get("AFTER") == "tsunagu keys-kept", "after purge: %r (user and data kept)"
          % lines.get("AFTER"))
    print("dpkg -i, reinstall and purge in a throw-away overlay as documented")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="the build tree (after the build)")
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--cpack", default="cpack")
    args = ap.parse_args()
    for tool in ("dpkg-deb", "dpkg", "dpkg-shlibdeps", "file", "dpkg-query", "ldd", "readelf"):
        if not shutil.which(tool):
            raise SystemExit("FAIL: %s is missing (Debian packages dpkg-dev, file, binutils: "
                             "scripts/lib/deps.sh)" % tool)
    header = open(os.path.join(args.source, "include", "tsunagu", "tsunagu.h")).read()
    m = re.search(r'#define TSUNAGU_VERSION\s+"([^"]+)"', header)
    version = m.group(1) if m else "?"
    base = os.environ.get("TSUNAGU_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tsunagu-package-", dir=base)
    try:
        deb = build_package(args, tmp)
        root = os.path.join(tmp, "root", "fs")
        os.makedirs(root)
        must(["dpkg", "-x", deb, root], "dpkg -x")
        control = check_control(deb, root, version)
        check_files(deb, args.source)
        check_lintian(deb)
        check_programs(root, version, tmp)
        check_units(root, tmp, args.source)
        check_scripts(control, tmp)
        check_dpkg_install(deb, tmp)
    finally:
        if not FAILURES:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept %s" % tmp)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
