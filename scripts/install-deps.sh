#!/usr/bin/env bash
# Installs the Debian packages connectd needs, and only those that are missing.
# Usage: scripts/install-deps.sh [run|test|bench]   (default: run)
#   run   — build and run the server
#   test  — run set + unit-test, API-test, browser-test (headless Chromium + Selenium), fuzzing
#           (clang + libFuzzer) and PostgreSQL packages
#   bench — run set + wrk and nginx (the benchmark baseline)
# Idempotent: packages already installed are never touched, and apt is not called at all
# when nothing is missing. As root it installs; otherwise it prints the command and fails.
set -euo pipefail

set_name="${1:-run}"

run_pkgs=(meson ninja-build pkg-config gcc libh2o-evloop-dev libjansson-dev libxml2-dev
          libsqlite3-dev libpq-dev libssl-dev libjwt-dev libargon2-dev libcurl4-openssl-dev tzdata)
case "$set_name" in
    run)   pkgs=("${run_pkgs[@]}") ;;
    test)  pkgs=("${run_pkgs[@]}" libcriterion-dev python3-pytest python3-pytest-xdist python3-requests python3-yaml
                 postgresql postgresql-client clang libclang-rt-14-dev
                 chromium chromium-driver python3-selenium) ;;
    bench) pkgs=("${run_pkgs[@]}" wrk nginx-light) ;;
    -h|--help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 0 ;;
    *)
        echo "install-deps.sh: unknown set '$set_name' (expected run, test or bench)" >&2
        exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    # "ii" = desired install, currently installed. Anything else (absent, half-configured,
    # removed with config left) counts as missing.
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
    if [[ "$status" != ii* ]]; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps.sh: all '$set_name' packages are installed"
    exit 0
fi

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "install them as root with:" >&2
    echo "  apt-get update && ${cmd[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${missing[@]}"
