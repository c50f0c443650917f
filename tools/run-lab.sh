#!/usr/bin/env bash
# The main job: install what is needed, bring the lab up (a no-op when it
# already runs), then run the seed notes' backup workflow (the demo).
# Extra arguments go to the CLI, e.g.
#   bash tools/run-lab.sh --config-file /etc/cinder-backup-lab/lab.conf
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$REPO_DIR/tools/bootstrap.sh"
VENV=${LAB_VENV:-$REPO_DIR/.venv}
"$VENV/bin/cinder-backup-lab" "$@" up
"$VENV/bin/cinder-backup-lab" "$@" demo
