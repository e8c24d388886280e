# scripts/lib/deps.sh — the Debian packages tsunagu builds, tests and runs with; sourced by scripts/*.
# tsunagu_install_deps installs whichever are missing (apt-get update once, then install), then
# the browser test's npm packages (tests/browser/package.json: playwright-core, pinned by its
# package-lock.json) into tests/browser/node_modules (git-ignored).

TSUNAGU_DEB_PACKAGES=(
  build-essential cmake pkg-config clang-format git
  libzmq3-dev libczmq-dev liblmdb-dev lmdb-utils libprotobuf-c-dev protobuf-c-compiler
  libsodium-dev libmicrohttpd-dev libjansson-dev libinih-dev libcmocka-dev libcsv-dev
  curl jq python3 procps faketime
  # the browser test (tests/browser): Debian's Chromium driven by playwright-core from npm, and
  # a Japanese font so the dashboard's pages (and their screenshots) show Japanese text
  nodejs npm chromium fonts-ipafont-gothic
)

# A package whose command is already there from elsewhere counts as installed: a Node.js from
# another repository ships npm inside its nodejs package and conflicts with Debian's npm.
declare -gA TSUNAGU_DEB_COMMAND=([nodejs]=node [npm]=npm [chromium]=chromium)

tsunagu_deb_present() {
  local pkg=$1
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && return 0
  [ -n "${TSUNAGU_DEB_COMMAND[$pkg]:-}" ] && command -v "${TSUNAGU_DEB_COMMAND[$pkg]}" >/dev/null 2>&1
}

tsunagu_install_deps() {
  local missing=() pkg
  for pkg in "${TSUNAGU_DEB_PACKAGES[@]}"; do
    tsunagu_deb_present "$pkg" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  tsunagu_install_npm
}

# Installs tests/browser's npm packages when tests/browser/node_modules does not hold the
# versions its package-lock.json pins (npm ci: exactly the lock, nothing else).
tsunagu_install_npm() {
  local repo dir
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  dir=$repo/tests/browser
  [ -f "$dir/package-lock.json" ] || return 0
  command -v npm >/dev/null 2>&1 || { echo "deps.sh: npm is missing" >&2; return 1; }
  if [ -f "$dir/node_modules/.package-lock.json" ] &&
    node -e '
      const fs = require("fs");
      const want = JSON.parse(fs.readFileSync(process.argv[1])).packages;
      const have = JSON.parse(fs.readFileSync(process.argv[2])).packages;
      for (const [k, v] of Object.entries(want))
        if (k && (!have[k] || have[k].version !== v.version)) process.exit(1);
    ' "$dir/package-lock.json" "$dir/node_modules/.package-lock.json" 2>/dev/null; then
    return 0
  fi
  echo "== installing npm packages of tests/browser (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}
