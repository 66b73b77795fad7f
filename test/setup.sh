#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine: the Debian
# packages that play SGLang's side and the real servers (pyzmq + msgpack for
# the FPM publisher, prometheus_client, Prometheus, nats-server), a C compiler
# for the multiprocess receiver's native module (native/build.sh), then the
# npm packages from package-lock.json. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(python3-zmq python3-msgpack python3-prometheus-client prometheus nats-server gcc libc6-dev)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Prometheus and nats-server are started by the tests that use them (from these packages).
for bin in /usr/bin/python3 /usr/bin/prometheus /usr/sbin/nats-server; do
  [ -x "$bin" ] || { echo "setup: $bin is missing after installing Debian packages" >&2; exit 1; }
done
/usr/bin/python3 -c 'import zmq, msgpack, prometheus_client' || { echo "setup: Debian's python3 cannot import zmq, msgpack and prometheus_client" >&2; exit 1; }

npm ci --no-audit --no-fund
# The tests of memory-mapped reading need the native module: fail here, with the reason, if it cannot be built.
bash native/build.sh --required
