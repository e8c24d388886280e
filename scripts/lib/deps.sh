# scripts/lib/deps.sh — the Debian packages tsunagu builds, tests and runs with; sourced by scripts/*.
# tsunagu_install_deps installs whichever are missing (apt-get update once, then install), then
# the npm packages of every test folder with a package-lock.json (tests/browser: playwright-core;
# others: the reference libraries tests check our output with), each into its own node_modules
# (git-ignored), exactly as its lock pins them.

TSUNAGU_DEB_PACKAGES=(
  build-essential cmake pkg-config clang-format git
  libzmq3-dev libczmq-dev liblmdb-dev lmdb-utils libprotobuf-c-dev protobuf-c-compiler
  libsodium-dev libmicrohttpd-dev libjansson-dev libinih-dev libcmocka-dev libcsv-dev
  libcurl4-openssl-dev openssl
  curl jq python3 procps faketime
  # the Debian package (tests/package): cpack's dependency list (dpkg-shlibdeps, file), its lint
  dpkg-dev file systemd lintian
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

# Installs the npm packages of dir (a test folder with a package-lock.json) when its node_modules
# does not hold the versions the lock pins (npm ci: exactly the lock, nothing else).
tsunagu_install_npm_dir() {
  local dir=$1 name
  name=${dir#"$(cd "$dir/../.." && pwd)/"}
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
  echo "== installing npm packages of $name (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# Every test folder's npm packages (tests/*/package-lock.json).
tsunagu_install_npm() {
  local repo lock
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  for lock in "$repo"/tests/*/package-lock.json; do
    [ -f "$lock" ] || continue
    tsunagu_install_npm_dir "$(dirname "$lock")" || return 1
  done
}
