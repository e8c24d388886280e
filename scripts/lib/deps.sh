# scripts/lib/deps.sh — the Debian packages tsunagu builds, tests and runs with; sourced by scripts/*.
# tsunagu_install_deps installs whichever are missing (apt-get update once, then install).

TSUNAGU_DEB_PACKAGES=(
  build-essential cmake pkg-config clang-format git
  libzmq3-dev libczmq-dev liblmdb-dev lmdb-utils libprotobuf-c-dev protobuf-c-compiler
  libsodium-dev libmicrohttpd-dev libjansson-dev libinih-dev libcmocka-dev libcsv-dev
  curl jq python3 procps faketime
)

tsunagu_install_deps() {
  local missing=() pkg
  for pkg in "${TSUNAGU_DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
