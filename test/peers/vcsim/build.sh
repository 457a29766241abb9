#!/usr/bin/env bash
# Builds vcsim from main.go against Debian's govmomi source, offline (GOPATH mode, no module proxy), into a
# cache keyed by the hash of main.go and the Go toolchain version; prints the binary's path. A cached binary
# is reused (the cold build takes about a minute on a busy 2-core machine).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src=/usr/share/gocode/src/github.com/vmware/govmomi/simulator
if ! command -v go >/dev/null || [ ! -d "$src" ]; then
  echo "vcsim: needs golang-go and golang-github-vmware-govmomi-dev (apt-get install golang-go golang-github-vmware-govmomi-dev)" >&2
  exit 3
fi
cache="${CAPI_FN_VCSIM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/capi-fn/vcsim}"
key="$( (cat "$here/main.go"; go version; dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || true) | sha256sum | cut -c1-16)"
bin="$cache/vcsim-$key"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  tmp="$bin.tmp.$$"
  (cd "$here" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$cache/gocache" \
    go build -o "$tmp" main.go)
  mv -f "$tmp" "$bin"
fi
echo "$bin"
