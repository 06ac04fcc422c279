#!/bin/sh
# Puts chatwarden's files where a system install expects them. Usage:
#   install-files.sh BINARY DESTDIR PREFIX [MANPAGE]
# Nothing it creates is world-readable except the binary, the unit and the documentation.
set -eu
bin=$1; destdir=$2; prefix=${3:-/usr/local}; man=${4:-}
here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin" ] || { echo "install-files: no executable at $bin (run make release)" >&2; exit 1; }

install -d -m 0755 "$destdir$prefix/bin" "$destdir$prefix/share/doc/chatwarden" \
    "$destdir$prefix/lib/systemd/system" "$destdir$prefix/lib/sysusers.d" "$destdir$prefix/lib/tmpfiles.d"
install -m 0755 "$bin" "$destdir$prefix/bin/chatwarden"
sed "s|/usr/local/bin/chatwarden|$prefix/bin/chatwarden|; s|/usr/local/share/doc|$prefix/share/doc|" \
    "$here/systemd/chatwarden.service" > "$destdir$prefix/lib/systemd/system/chatwarden.service"
chmod 0644 "$destdir$prefix/lib/systemd/system/chatwarden.service"
sed -e "s|/usr/local/bin/chatwarden|$prefix/bin/chatwarden|g" -e "s|/usr/local/share/doc|$prefix/share/doc|g" \
    "$here/systemd/chatwarden-web.service" > "$destdir$prefix/lib/systemd/system/chatwarden-web.service"
chmod 0644 "$destdir$prefix/lib/systemd/system/chatwarden-web.service"
install -m 0644 "$here/systemd/chatwarden.sysusers" "$destdir$prefix/lib/sysusers.d/chatwarden.conf"
install -m 0644 "$here/systemd/chatwarden.tmpfiles" "$destdir$prefix/lib/tmpfiles.d/chatwarden.conf"
install -m 0644 "$here/README.md" "$destdir$prefix/share/doc/chatwarden/README.md"
install -m 0644 "$here/wordlists/README.md" "$destdir$prefix/share/doc/chatwarden/wordlists.md"
# Drop-ins that open the network for metrics or webhooks; copied into chatwarden.service.d by hand.
install -m 0644 "$here/systemd/metrics-loopback.conf" "$here/systemd/notify-webhooks.conf" "$here/systemd/postgres-store.conf" \
    "$destdir$prefix/share/doc/chatwarden/"
# The full --help of every command, for reading without the binary.
"$bin" --help > "$destdir$prefix/share/doc/chatwarden/chatwarden-help.txt" 2>&1 || true
for cmd in scan daemon alerts search context rules stats export quarantine report; do
    { echo; echo "=== chatwarden $cmd ==="; "$bin" "$cmd" --help 2>&1 || true; } >> "$destdir$prefix/share/doc/chatwarden/chatwarden-help.txt"
done
if [ -n "$man" ] && [ -f "$man" ]; then
    install -d -m 0755 "$destdir$prefix/share/man/man1"
    install -m 0644 "$man" "$destdir$prefix/share/man/man1/chatwarden.1"
fi

# Configuration and wordlists: readable by root and the service group only; never overwritten.
install -d -m 0750 "$destdir/etc/chatwarden" "$destdir/etc/chatwarden/wordlists"
[ -f "$destdir/etc/chatwarden/chatwarden.toml" ] || install -m 0640 "$here/config/chatwarden.toml" "$destdir/etc/chatwarden/chatwarden.toml"
for f in "$here"/wordlists/*.txt; do
    [ -f "$destdir/etc/chatwarden/wordlists/$(basename "$f")" ] || install -m 0640 "$f" "$destdir/etc/chatwarden/wordlists/"
done
install -d -m 0750 "$destdir/var/lib/chatwarden" "$destdir/var/log/chatwarden"
# The shipped wordlists beside the binary too, where it finds them when /etc has none.
install -d -m 0755 "$destdir$prefix/share/chatwarden/wordlists"
install -m 0644 "$here"/wordlists/*.txt "$destdir$prefix/share/chatwarden/wordlists/"

# A live install (root, no DESTDIR): the user, ownership, and systemd's view of the unit.
if [ -z "$destdir" ] && [ "$(id -u)" -eq 0 ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$prefix/lib/sysusers.d/chatwarden.conf"
    elif ! id chatwarden >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/chatwarden --shell /usr/sbin/nologin chatwarden
    fi
    chown -R chatwarden:chatwarden /var/lib/chatwarden /var/log/chatwarden
    chgrp -R chatwarden /etc/chatwarden
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
echo "installed chatwarden under $destdir$prefix; configuration in $destdir/etc/chatwarden"
