#!/usr/bin/env bash
# The project's shell files, NUL-separated: what bashate and shellcheck
# check (tools/run-tests.sh and tox's bashate/shellcheck envs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find tools devstack .ci cinder_backup_lab/tests/unit/devstack_standin -type f \
    \( -name '*.sh' -o -name run -o -name plugin.sh -o -name settings \
    -o -name override-defaults -o -path 'devstack/lib/*' \
    -o -path '*/devstack_standin/bin/*' \) -print0
