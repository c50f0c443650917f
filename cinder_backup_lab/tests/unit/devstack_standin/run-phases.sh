#!/bin/bash
# Run DevStack plugin phases the way stack.sh, unstack.sh and clean.sh do,
# under the stand-in functions:
#   run-phases.sh PLUGIN_DEVSTACK_DIR PHASE...
# PHASE is "stack:<phase>" (pre-install, install, post-config, extra,
# test-config), "unstack" or "clean". override-defaults and settings are
# sourced first, as DevStack does. At the end the plugin's variables and a
# few of DevStack's are written to $STANDIN_VARS (declare -p format).
#
# With STANDIN_DEVSTACK_DIR set to a DevStack tree, DevStack's own
# ``functions`` (functions-common, inc/ini-config, ...) are used instead
# of the stand-in, with only the recorders (recorders.sh) on top: what
# would install packages, start processes or talk to Keystone.
set -o errexit
set -o pipefail

STANDIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin_dir=$1
shift

if [[ -n "${STANDIN_DEVSTACK_DIR:-}" ]]; then
    # DevStack's code is not written for nounset.
    # shellcheck disable=SC2034  # read by DevStack's functions
    TOP_DIR=$STANDIN_DEVSTACK_DIR
    # shellcheck disable=SC1091
    source "$STANDIN_DEVSTACK_DIR/functions"
    # shellcheck source=cinder_backup_lab/tests/unit/devstack_standin/recorders.sh
    source "$STANDIN_DIR/recorders.sh"
else
    set -o nounset
    # shellcheck source=cinder_backup_lab/tests/unit/devstack_standin/functions.sh
    source "$STANDIN_DIR/functions.sh"
fi
# shellcheck disable=SC1091
source "$plugin_dir/override-defaults"
# shellcheck disable=SC1091
source "$plugin_dir/settings"

for phase in "$@"; do
    case "$phase" in
        stack:*)
            # shellcheck disable=SC1091
            source "$plugin_dir/plugin.sh" stack "${phase#stack:}"
            ;;
        *)
            # shellcheck disable=SC1091
            source "$plugin_dir/plugin.sh" "$phase"
            ;;
    esac
done

declare -p ENABLED_SERVICES CINDER_BACKUP_DRIVER CINDER_ENABLED_BACKENDS \
    CINDER_BAK_CEPH_POOL CINDER_BAK_CEPH_USER CEPH_CONF_FILE \
    CINDER_CEPH_POOL CINDER_CEPH_USER "${!CINDER_BACKUP_LAB_@}" \
    > "${STANDIN_VARS:-/dev/null}"
