#!/usr/bin/env bash
# Tests of the lab's OpenStack half, against a real lab on this machine:
# unit tests, "up", the seed workflow demo, the integration tests, and
# upstream Tempest's volume backup API tests; with --lifecycle also the
# down/up test (it restarts the whole lab).
#
# Usage: tools/run-openstack-tests.sh [--lifecycle] [lab config file]
# Without a config file the lab's default config is used.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_VENV=${LAB_VENV:-$REPO_DIR/.venv}
LIFECYCLE=False
if [ "${1:-}" = "--lifecycle" ]; then
    LIFECYCLE=True
    shift
fi
LAB_ARGS=()
if [ -n "${1:-}" ]; then
    CINDER_BACKUP_LAB_CONFIG=$(readlink -f "$1")
    export CINDER_BACKUP_LAB_CONFIG
    LAB_ARGS=(--config-file "$CINDER_BACKUP_LAB_CONFIG")
fi

cd "$REPO_DIR"
bash tools/bootstrap.sh
lab() {
    "$LAB_VENV/bin/cinder-backup-lab" "${LAB_ARGS[@]}" "$@"
}
step() {
    echo
    echo "=== $* ($(date -u +%H:%M:%S))"
}

step "unit tests"
"$LAB_VENV/bin/stestr" --test-path cinder_backup_lab/tests/unit run
step "lab up"
lab up
step "demo: the seed's two-container workflow on both drivers"
lab demo
step "integration tests"
"$LAB_VENV/bin/stestr" --test-path cinder_backup_lab/tests/integration \
    run --concurrency 2 test_openstack_lab
step "upstream Tempest volume backup tests"
lab tempest-upstream
if [ "$LIFECYCLE" = True ]; then
    step "lifecycle: down then up keeps volumes and backups"
    "$LAB_VENV/bin/stestr" --test-path cinder_backup_lab/tests/lifecycle \
        run --concurrency 1 test_backup_persistence
fi
step "done"
