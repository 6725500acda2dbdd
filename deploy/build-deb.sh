#!/usr/bin/env bash
# Builds a Debian package of Varsel with dpkg-deb: the release binary (Swift runtime linked in),
# the unit, example configurations, the shipped templates and plans, and the docs. Depends are read
# from the binary's shared libraries. The package creates the `varsel` user, enables the unit and
# leaves it stopped and disabled until the gateways are configured.
#
#   deploy/build-deb.sh [--binary PATH] [--out DIR]
set -euo pipefail
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
binary=""
out="$PWD"
unpackaged_ok=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$(absolute "$2"); shift 2 ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    --unpackaged-ok) unpackaged_ok=1; shift ;;  # for testing the packaging with a debug build only
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
if [ -z "$binary" ]; then
  scripts/deps.sh
  binary=$(scripts/build-release)
fi
version=$("$binary" --version)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/varsel_${version}_$arch"

install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/varsel" "$root/usr/share/doc/varsel" "$root/etc/varsel"
install -m 0755 "$binary" "$root/usr/bin/varsel"
strip --strip-unneeded "$root/usr/bin/varsel" 2>/dev/null || true
sed 's|^ExecStart=/usr/local/bin/varsel |ExecStart=/usr/bin/varsel |' deploy/varsel.service > "$root/lib/systemd/system/varsel.service"
chmod 0644 "$root/lib/systemd/system/varsel.service"
# The shipped templates go to /usr/share only; postinst copies them to /etc/varsel/templates when
# that is absent. As conffiles, every edited template would prompt on upgrade, and new shipped
# locales would land in the operator's live set unchecked.
cp -R templates "$root/usr/share/varsel/templates"
# The shipped collection plans likewise: postinst copies them to /etc/varsel/plans when that is absent.
cp -R plans "$root/usr/share/varsel/plans"
install -m 0644 deploy/varsel.yaml "$root/etc/varsel/varsel.yaml"
sed "s|^store: .*|store:     { path: /var/lib/varsel/sandbox.db }|; s|^templates: .*|templates: { dir: /etc/varsel/templates }|" deploy/sandbox.yaml > "$root/etc/varsel/sandbox.yaml"
install -m 0644 README.md "$root/usr/share/doc/varsel/README.md"
install -m 0644 deploy/README.md "$root/usr/share/doc/varsel/deploy.md"
install -m 0644 deploy/varsel.yaml deploy/sandbox.yaml "$root/usr/share/doc/varsel/"
cp -R docs "$root/usr/share/doc/varsel/docs"
cp -R deploy/examples "$root/usr/share/doc/varsel/examples"
find "$root/usr/share" "$root/etc" -type d -exec chmod 0755 {} +
find "$root/usr/share" "$root/etc" -type f -exec chmod 0644 {} +

# Everything under /etc is the operator's: dpkg keeps their edits on upgrade.
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"

# Depends: the package of every shared library the binary needs.
package_of() {
  local path
  path=$(ldconfig -p | awk -v l="$1" '$1 == l {print $NF; exit}')
  [ -n "$path" ] || return 0
  # Merged /usr: dpkg may know the file under /lib or under /usr/lib.
  for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
    dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  return 0
}
unpackaged=$(for lib in $(objdump -p "$binary" | awk '/NEEDED/ {print $2}'); do [ -n "$(package_of "$lib")" ] || echo "$lib"; done | paste -sd' ')
if [ -n "$unpackaged" ] && [ "$unpackaged_ok" -eq 0 ]; then
  echo "the binary needs $unpackaged, which no Debian package provides; build it with scripts/build-release (as this script does without --binary)" >&2
  exit 1
fi
depends=$(for lib in $(objdump -p "$binary" | awk '/NEEDED/ {print $2}'); do package_of "$lib"; done | grep -v '^$' | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: varsel
Version: $version
Architecture: $arch
Maintainer: Varsel engineers <varsel@localhost>
Installed-Size: $size
Depends: $depends, adduser | passwd
Section: net
Priority: optional
Homepage: https://varsel.invalid/
Description: payment reminder and collection notice delivery for Nordic creditors
 Varsel picks SMS, email or letter for each debtor, renders operator-edited templates in many
 languages, sends through HTTP gateways, and records every attempt and delivery receipt in a
 durable SQLite queue. Runs as a hardened systemd service with sd_notify, a watchdog,
 journald logs, Prometheus metrics and GDPR retention.
CONTROL
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  getent passwd varsel >/dev/null || useradd --system --user-group --home-dir /var/lib/varsel --no-create-home \
    --shell /usr/sbin/nologin --comment "Varsel reminder delivery" varsel
  install -d -m 0700 /etc/varsel/credentials
  [ -e /etc/varsel/templates ] || cp -R /usr/share/varsel/templates /etc/varsel/templates
  [ -e /etc/varsel/plans ] || cp -R /usr/share/varsel/plans /etc/varsel/plans
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    # An upgrade restarts a running service; a first install waits for the gateways to be configured.
    if systemctl is-active --quiet varsel.service; then
      systemctl restart varsel.service
    else
      echo "varsel: configure the gateways in /etc/varsel/varsel.yaml, then: systemctl enable --now varsel" >&2
    fi
  fi
fi
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop varsel.service || true
  systemctl disable varsel.service >/dev/null 2>&1 || true
fi
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "$1" = purge ]; then
  rm -rf /etc/varsel/credentials /etc/varsel/templates /etc/varsel/plans
  echo "the store in /var/lib/varsel and the varsel user were kept" >&2
fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$root" "$out/varsel_${version}_$arch.deb" >&2
echo "$out/varsel_${version}_$arch.deb"
