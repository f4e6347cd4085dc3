#!/usr/bin/env bash
# Installs the machine packages a local run or the tests need, only when absent (Debian/Ubuntu).
#   system-deps.sh run    nginx (RabbitMQ is installed too when neither it nor AMQP_URL is there)
#   system-deps.sh test   nginx, docker-compose (to validate docker-compose.yml), chromium and npm
#                         (the browser tests: Debian's Chromium driven by Playwright, axe-core)
#                         and promtool (Debian's prometheus: checks and tests the alert rules)
#   system-deps.sh bench  nginx, wrk
#   system-deps.sh compose podman (with runc, netavark and aardvark-dns: its networks' DNS;
#                         iptables, which netavark runs for its networks' rules: without it,
#                         "netavark: No such file or directory" on the first container),
#                         docker-compose, debootstrap and Debian's keyring (the stand-ins' base):
#                         the compose test (tests/compose)
#   system-deps.sh python python3.X-venv (what `$PYTHON -m venv` needs; PYTHON: python3 by default)
set -euo pipefail
want=(nginx)
case "${1:-run}" in
  python)
    want=()
    # The venv module of that interpreter's own version (python3.11-venv for python3.11: on a
    # system whose default python3 is another version, python3-venv would not bring it).
    py="${PYTHON:-python3}"
    if ! command -v "$py" >/dev/null 2>&1; then
      want+=(python3-venv)  # no interpreter yet: python3-venv brings python3 too
    elif ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      want+=("python$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
    fi ;;
  test) want+=(docker-compose chromium npm) ;;
  bench) want+=(wrk) ;;
  compose) want=(podman runc netavark aardvark-dns iptables docker-compose debootstrap debian-archive-keyring) ;;
  run)
    if [ -z "${AMQP_URL:-}" ] && ! command -v rabbitmq-server >/dev/null 2>&1 \
       && ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
      want+=(rabbitmq-server)
    fi ;;
esac
# promtool checks and tests deploy/monitoring's alert rules (tests/test_monitoring.py).
if [ "${1:-run}" = test ]; then want+=(prometheus); fi
missing=()
for pkg in "${want[@]}"; do
  case "$pkg" in
    nginx) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx) ;;
    python3*-venv) missing+=("$pkg") ;;
    rabbitmq-server) missing+=(rabbitmq-server) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    netavark|aardvark-dns) [ -x "/usr/lib/podman/$pkg" ] || missing+=("$pkg") ;;
    debootstrap) [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap) ;;
    debian-archive-keyring) [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=("$pkg") ;;
    prometheus) command -v promtool >/dev/null 2>&1 || missing+=(prometheus) ;;
    *) command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ ${#want[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${missing[*]} (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Only promtool is wanted: the package's server, started by systemd where there is one, is not.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
