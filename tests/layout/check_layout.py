#!/usr/bin/env python3
"""The house rules of the layout, checked on the sources and on the built objects.

    check_layout.py SOURCE_DIR BUILD_DIR

1. No file in services/ is over 700 lines.
2. No function in services/ is over 120 lines (a definition starts at column 0 and its body
   ends at the next "}" in column 0, the way clang-format lays them out).
3. No two files of one folder call each other, directly or around a loop: for each folder of
   services/, the graph "file A uses a symbol defined in file B" (read with nm from the
   objects) has no cycle.
4. The sub-folders of one service call one way only (no cycle between folders either).
5. tsunaguctl holds none of the coordinator's store writers, its intake or its hub loop.

Exit status 0 when every rule holds; otherwise each breach is printed and the status is 1.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = "."
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 120

# What tsunaguctl must not contain: the coordinator's writers of its own store, its intake, its
# loop.  The administrator's tool reaches them only through the control socket.
CTL_FORBIDDEN = re.compile(
    r"^(tsg_hub_(case|mailbox|referral|consent|alert|timeline|stats|staff)_(put|delete|del|"
    r"write|open|close|set|apply|record|add|remove|ack|prune|grow)\w*|"
    r"tsg_registry_(put|delete|set|write)\w*|tsg_hub_intake\w*|tsg_hub_run\w*|"
    r"tsg_hub_loop\w*|tsg_hub_casework\w*|tsg_hub_audit_(append|write|record)\w*)$")

FUNC_START = re.compile(r"^(?:[A-Za-z_][\w \*]*[ \*])?(\w+) ?\(")


def source_files(root):
    for base, _dirs, files in os.walk(os.path.join(root, "services")):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.join(base, name)


def check_lengths(root):
    breaches = []
    for path in source_files(root):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if len(lines) - 1 > MAX_FILE_LINES:
            breaches.append(f"{rel}: {len(lines) - 1} lines (limit {MAX_FILE_LINES})")
        start, name, in_body = None, None, False
        for i, line in enumerate(lines):
            if not in_body:
                m = FUNC_START.match(line)
                if m and not line.rstrip().endswith(";") and "=" not in line.split("(")[0]:
                    start, name = i, m.group(1)
                elif start is not None and line.startswith("{"):
                    in_body = True
                elif start is not None and line.rstrip().endswith(";") and not line[:1].isspace():
                    start = None  # a prototype
            elif line.startswith("}"):
                length = i - start + 1
                if length > MAX_FUNCTION_LINES:
                    breaches.append(f"{rel}:{start + 1}: {name}() is {length} lines "
                                    f"(limit {MAX_FUNCTION_LINES})")
                start, in_body = None, False
    return breaches


def nm_symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True,
                         check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if l.strip()}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True, check=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, used


def objects_by_folder(build, root=None):
    """Map 'services/<folder>' -> {source name: object path} for every object of services/
    whose source still exists (a stale object of a moved file is not counted)."""
    root = root or ROOT
    folders = defaultdict(dict)
    services = os.path.join(build, "services")
    for base, _dirs, files in os.walk(services):
        for name in files:
            if not name.endswith(".c.o") or "CMakeFiles" not in base:
                continue
            # build/services/agency/CMakeFiles/target.dir/api/routes.c.o -> agency/api
            rel = os.path.relpath(base, services).split(os.sep)
            folder = rel[0]
            idx = rel.index("CMakeFiles")
            inner = rel[idx + 2:]
            key = "/".join(["services", folder] + inner)
            if os.path.exists(os.path.join(root, key, name[:-2])):
                folders[key][name[:-2]] = os.path.join(base, name)
    return folders


def find_cycles(graph):
    """Tarjan's strongly connected components; returns those with more than one file."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def check_cycles(build):
    breaches = []
    for folder, objs in sorted(objects_by_folder(build).items()):
        syms = {src: nm_symbols(obj) for src, obj in objs.items()}
        owner = {}
        for src, (defined, _used) in syms.items():
            for s in defined:
                owner[s] = src
        graph = {src: set() for src in syms}
        for src, (_defined, used) in syms.items():
            for s in used:
                dst = owner.get(s)
                if dst and dst != src:
                    graph[src].add(dst)
        for comp in find_cycles(graph):
            edges = [f"{a}->{b}" for a in comp for b in sorted(graph[a]) if b in comp]
            breaches.append(f"{folder}: files call each other: {', '.join(comp)} "
                            f"({'; '.join(edges)})")
    return breaches


def check_folder_arrows(build):
    """Within one service (services/<name>/), the sub-folders' graph of calls has no cycle."""
    breaches = []
    by_service = defaultdict(dict)
    for folder, objs in objects_by_folder(build).items():
        service = "/".join(folder.split("/")[:2])
        by_service[service][folder] = objs
    for service, folders in sorted(by_service.items()):
        if len(folders) < 2:
            continue
        owner, used = {}, {}
        for folder, objs in folders.items():
            used[folder] = set()
            for obj in objs.values():
                defined, u = nm_symbols(obj)
                for sym in defined:
                    owner[sym] = folder
                used[folder] |= u
        graph = {f: {owner[s] for s in used[f] if s in owner and owner[s] != f} for f in folders}
        for comp in find_cycles(graph):
            edges = [f"{a}->{b}" for a in comp for b in sorted(graph[a]) if b in comp]
            breaches.append(f"{service}: folders call each other: {'; '.join(edges)}")
    return breaches


def check_ctl(build):
    ctl = os.path.join(build, "bin", "tsunaguctl")
    if not os.path.exists(ctl):
        return [f"{ctl}: not built"]
    out = subprocess.run(["nm", "--defined-only", ctl], capture_output=True, text=True,
                         check=True).stdout
    bad = sorted({l.split()[-1] for l in out.splitlines()
                  if l.strip() and CTL_FORBIDDEN.match(l.split()[-1])})
    return [f"tsunaguctl links the coordinator's {s}" for s in bad]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    global ROOT
    root, build = sys.argv[1], sys.argv[2]
    ROOT = root
    breaches = (check_lengths(root) + check_cycles(build) + check_folder_arrows(build) +
                check_ctl(build))
    for b in breaches:
        print(b)
    print(f"layout: {len(breaches)} breach(es)")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
