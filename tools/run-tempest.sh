#!/usr/bin/env bash
# Run this project's Tempest plugin against the lab (default) or another
# cloud, and leave a subunit stream and a text report.
#
#   TEMPEST_CONFIG       tempest.conf to use; default: the lab's own
#   TEMPEST_REGEX        tests to run; default: the plugin's (CinderBackupLab)
#   TEMPEST_CONCURRENCY  workers; default 2
#   TEMPEST_REPORT_DIR   where the workspace and reports go;
#                        default lab-reports/tempest
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${LAB_VENV:-$REPO_DIR/.venv}
REGEX=${TEMPEST_REGEX:-CinderBackupLab}
CONCURRENCY=${TEMPEST_CONCURRENCY:-2}
REPORT_DIR=${TEMPEST_REPORT_DIR:-$REPO_DIR/lab-reports/tempest}

config=${TEMPEST_CONFIG:-}
if [ -z "$config" ]; then
    config=$("$VENV/bin/cinder-backup-lab" status --json 2>/dev/null \
        | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["files"].get("tempest_conf", ""))' || true)
fi
if [ -z "$config" ] || [ ! -f "$config" ]; then
    echo "error: no tempest.conf: bring the lab up (bash tools/run-lab.sh) or set TEMPEST_CONFIG" >&2
    exit 2
fi

mkdir -p "$REPORT_DIR"
cd "$REPORT_DIR"
"$VENV/bin/cinder-backup-lab" tempest-workspace "$REPORT_DIR" >/dev/null
rc=0
"$VENV/bin/tempest" run --config-file "$config" --regex "$REGEX" \
    --concurrency "$CONCURRENCY" 2>&1 | tee tempest-run.log || rc=$?
"$VENV/bin/stestr" last --subunit > tempest.subunit 2>/dev/null || true
"$VENV/bin/subunit2pyunit" < tempest.subunit > tempest-report.txt 2>&1 || true
echo "tempest reports: $REPORT_DIR/tempest.subunit, $REPORT_DIR/tempest-report.txt"
exit $rc
