#!/usr/bin/env bash
# Prepare this machine for the lab: the few distribution packages the
# Python side needs, and a virtualenv with the lab and its pinned
# dependencies. Safe to run again; it only does what is missing.
#
# The venv is built from the system python3 on purpose: the distribution's
# rados/rbd bindings are compiled for exactly that interpreter.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_VENV=${LAB_VENV:-$REPO_DIR/.venv}
CONSTRAINTS=${LAB_CONSTRAINTS:-$REPO_DIR/constraints/upper-constraints.txt}
SYSTEM_PACKAGES="python3 python3-venv python3-dev ca-certificates"

if [ "$(id -u)" != 0 ]; then
    echo "error: run as root (the lab installs packages and runs Ceph)" >&2
    exit 1
fi

missing=""
for pkg in $SYSTEM_PACKAGES; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
        || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    echo "bootstrap: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi

# Reinstall only when the requirements or the pins changed.
stamp_input=$(cat "$REPO_DIR"/requirements.txt "$REPO_DIR"/test-requirements.txt \
    "$REPO_DIR"/lab-requirements.txt "$CONSTRAINTS" "$REPO_DIR"/setup.cfg \
    | sha256sum | cut -d' ' -f1)
stamp_file=$LAB_VENV/.lab-bootstrap-stamp
if [ -x "$LAB_VENV/bin/python" ] && [ -f "$stamp_file" ] \
        && [ "$(cat "$stamp_file")" = "$stamp_input" ]; then
    exit 0
fi

echo "bootstrap: building $LAB_VENV"
if [ ! -x "$LAB_VENV/bin/python" ] || \
        ! "$LAB_VENV/bin/python" -c 'import sys; assert sys.base_prefix == "/usr"' 2>/dev/null; then
    rm -rf "$LAB_VENV"
    /usr/bin/python3 -m venv "$LAB_VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$LAB_VENV/bin/pip" install -q -c "$CONSTRAINTS" -U pip setuptools wheel
"$LAB_VENV/bin/pip" install -q -c "$CONSTRAINTS" \
    -r "$REPO_DIR/requirements.txt" -r "$REPO_DIR/test-requirements.txt" \
    -r "$REPO_DIR/lab-requirements.txt"
"$LAB_VENV/bin/pip" install -q -c "$CONSTRAINTS" --no-deps -e "$REPO_DIR"
echo "$stamp_input" > "$stamp_file"
