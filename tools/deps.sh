#!/bin/sh
# Installs what ferry needs to build and test, only what is missing.
# Debian packages (as root, through apt) and the pinned npm packages in tools/npm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev
      libmicrohttpd-dev libsqlite3-dev libpq-dev libjansson-dev libyaml-dev libexpat1-dev
      libssl-dev libcurl4-openssl-dev libgit2-dev libcmocka-dev libpcre2-dev libzip-dev
      awscli python3 python3-boto3 python3-botocore python3-pytest python3-pytest-xdist
      wrk nginx-light curl clang-format git libldns-dev haproxy dnsutils
      libxmlsec1-dev libxmlsec1-openssl xmlsec1 chromium
      postgresql postgresql-client"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from Debian (nodejs + npm) or be preinstalled from elsewhere: ask for
# the commands, not the packages, so a newer Node is not replaced.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  if [ "$(id -u)" != 0 ]; then
    echo "deps: need root to install:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# AWS API models (aws-sdk apis/*.min.json) and the JS SDK v3 clients, pinned by package-lock.json.
if [ ! -f "$here/npm/node_modules/.ferry-installed" ] ||
   [ "$here/npm/package-lock.json" -nt "$here/npm/node_modules/.ferry-installed" ]; then
  echo "deps: installing npm packages (tools/npm)"
  (cd "$here/npm" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$here/npm/node_modules/.ferry-installed"
fi
