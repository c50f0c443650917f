#!/bin/bash
# Recorders for the DevStack functions the cinder-backup-lab plugin calls
# that act on a real node (pip, apt, systemd units, Keystone): each only
# appends its call to $STANDIN_LOG, one line, arguments shell-quoted.
# Sourced by functions.sh (the stand-in) and, on top of a real DevStack
# tree's ``functions``, by run-phases.sh.

# Append one call to the log, arguments shell-quoted.
function _standin_record {
    local line
    printf -v line '%q ' "$@"
    echo "${line% }" >> "$STANDIN_LOG"
}

function get_python_exec_prefix {
    echo "$STANDIN_BIN"
}

function setup_develop {
    _standin_record setup_develop "$@"
}

function pip_install {
    _standin_record pip_install "$@"
}

function install_package {
    _standin_record install_package "$@"
}

function run_process {
    _standin_record run_process "$@"
}

function stop_process {
    _standin_record stop_process "$@"
}

function create_service_user {
    _standin_record create_service_user "$@"
}

function get_or_create_service {
    _standin_record get_or_create_service "$@"
    echo service-id
}

function get_or_create_endpoint {
    _standin_record get_or_create_endpoint "$@"
    echo endpoint-id
}
