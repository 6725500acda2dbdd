#!/usr/bin/env bash
# Builds a release binary of Varsel and installs it as a systemd service on Debian 12.
#
#   sudo deploy/install.sh                 build, install, create the user; start it yourself once the
#                                          gateways are configured: systemctl enable --now varsel
#   sudo deploy/install.sh --start         also enable and (re)start the service (upgrades)
#   deploy/install.sh --destdir /tmp/stage stage the files only (no root, no user, no systemctl)
#   deploy/install.sh --binary PATH        install PATH instead of building
#
# Installs: /usr/local/bin/varsel (Swift runtime linked in statically), /etc/systemd/system/varsel.service,
# /etc/varsel/varsel.yaml and /etc/varsel/sandbox.yaml (only if absent), /etc/varsel/templates and
# /etc/varsel/plans (only if absent; the shipped sets also go to /usr/share/varsel/templates and
# /usr/share/varsel/plans), /etc/varsel/credentials/ (root-only), /usr/share/doc/varsel/. Never
# overwrites a configuration, template, plan or credential.
set -euo pipefail
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
destdir=""
binary=""
start=0
prefix=/usr/local
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=$(absolute "$2"); shift 2 ;;
    --binary) binary=$(absolute "$2"); shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --start) start=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
staging=$([ -n "$destdir" ] && echo 1 || echo 0)
if [ "$staging" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo deploy/install.sh), or stage with --destdir DIR" >&2
  exit 1
fi

if [ -z "$binary" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcurl4-openssl-dev libsqlite3-dev libqrencode-dev pkg-config >/dev/null
  fi
  scripts/deps.sh
  echo "building a release binary (a clean build takes several minutes)" >&2
  binary=$(scripts/build-release)
fi
[ -x "$binary" ] || { echo "no executable at $binary" >&2; exit 1; }

root="${destdir%/}"
bin="$root$prefix/bin"
install -d -m 0755 "$bin" "$root/etc/systemd/system" "$root/usr/share/varsel" "$root/usr/share/doc/varsel" "$root/etc/varsel"
install -d -m 0700 "$root/etc/varsel/credentials"
install -m 0755 "$binary" "$bin/varsel"
sed "s|^ExecStart=/usr/local/bin/varsel |ExecStart=$prefix/bin/varsel |" deploy/varsel.service > "$root/etc/systemd/system/varsel.service"
chmod 0644 "$root/etc/systemd/system/varsel.service"

# The shipped templates: a reference copy, and the operator's copy if there is none yet.
rm -rf "$root/usr/share/varsel/templates"
cp -R templates "$root/usr/share/varsel/templates"
if [ ! -e "$root/etc/varsel/templates" ]; then
  cp -R templates "$root/etc/varsel/templates"
else
  echo "kept /etc/varsel/templates; the shipped set is in /usr/share/varsel/templates" >&2
fi
# The shipped collection plans, the same way.
rm -rf "$root/usr/share/varsel/plans"
cp -R plans "$root/usr/share/varsel/plans"
if [ ! -e "$root/etc/varsel/plans" ]; then
  cp -R plans "$root/etc/varsel/plans"
else
  echo "kept /etc/varsel/plans; the shipped plans are in /usr/share/varsel/plans" >&2
fi
if [ ! -e "$root/etc/varsel/varsel.yaml" ]; then
  install -m 0644 deploy/varsel.yaml "$root/etc/varsel/varsel.yaml"
else
  echo "kept /etc/varsel/varsel.yaml; the example is in /usr/share/doc/varsel/varsel.yaml" >&2
fi
if [ ! -e "$root/etc/varsel/sandbox.yaml" ]; then
  # The sandbox configuration reads the installed templates and keeps its store in the state directory.
  sed "s|^store: .*|store:     { path: /var/lib/varsel/sandbox.db }|; s|^templates: .*|templates: { dir: /etc/varsel/templates }|" \
    deploy/sandbox.yaml > "$root/etc/varsel/sandbox.yaml"
  chmod 0644 "$root/etc/varsel/sandbox.yaml"
else
  echo "kept /etc/varsel/sandbox.yaml; the example is in /usr/share/doc/varsel/sandbox.yaml" >&2
fi
install -m 0644 README.md "$root/usr/share/doc/varsel/README.md"
install -m 0644 deploy/README.md "$root/usr/share/doc/varsel/deploy.md"
install -m 0644 deploy/varsel.yaml "$root/usr/share/doc/varsel/varsel.yaml"
install -m 0644 deploy/sandbox.yaml "$root/usr/share/doc/varsel/sandbox.yaml"
# The reference pages and the example messages the README's commands use.
rm -rf "$root/usr/share/doc/varsel/docs" "$root/usr/share/doc/varsel/examples"
cp -R docs "$root/usr/share/doc/varsel/docs"
cp -R deploy/examples "$root/usr/share/doc/varsel/examples"

"$bin/varsel" templates check --dir "$root/etc/varsel/templates" --quiet >&2
"$bin/varsel" plans check --dir "$root/etc/varsel/plans" >&2

if [ "$staging" -eq 1 ]; then
  echo "staged into $root"
  exit 0
fi

if ! getent passwd varsel >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/varsel --no-create-home --shell /usr/sbin/nologin \
    --comment "Varsel reminder delivery" varsel
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$start" -eq 1 ]; then
    systemctl enable varsel.service >/dev/null
    systemctl restart varsel.service
    systemctl --no-pager status varsel.service || true
  else
    echo "installed; configure the gateways in /etc/varsel/varsel.yaml, then: systemctl enable --now varsel" >&2
  fi
else
  echo "systemd is not running here: installed, not started" >&2
fi
echo "installed varsel $("$bin/varsel" --version 2>/dev/null || true) to $bin/varsel; next steps: /usr/share/doc/varsel/deploy.md"
