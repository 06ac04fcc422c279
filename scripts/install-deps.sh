#!/bin/sh
# Installs the Debian packages chatwarden needs, only those missing, through apt-get
# (with sudo when not root). Used by `make run`, `make test` and CI, so a fresh
# Debian 12 machine needs nothing done by hand.
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
echo "chatwarden: installing missing system packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "chatwarden: not root and no sudo; install these packages by hand:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# An install can fail on stale package lists (a fresh image has none): refresh and retry once.
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
