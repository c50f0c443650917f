#!/bin/bash
# A small stand-in for the DevStack functions the cinder-backup-lab plugin
# uses, for unit tests on a machine without DevStack. Written for these
# tests (not taken from DevStack): the INI helpers really edit files, the
# rest record their calls in $STANDIN_LOG, one line each.
#
# Needs: STANDIN_LOG (file), STANDIN_BIN (directory of the stand-in
# executables), ENABLED_SERVICES, DEVSTACK_PLUGINS.

# Append one call to the log, arguments shell-quoted.
function _standin_record {
    local line
    printf -v line '%q ' "$@"
    echo "${line% }" >> "$STANDIN_LOG"
}

# iniset [-sudo] file section option value
# Set option in [section] of an INI file: replaces the first existing
# "option = ..." line of that section, or adds the option at the end of
# the section, or adds the section at the end of the file. The file is
# created when missing and keeps its mode (written in place).
function iniset {
    local sudo=""
    if [[ "$1" == "-sudo" ]]; then
        sudo=sudo
        shift
    fi
    local file=$1 section=$2 option=$3 value=$4
    if [[ -z "$file" || -z "$section" || -z "$option" ]]; then
        die $LINENO "iniset: file, section and option are required"
    fi
    if [[ ! -e "$file" ]]; then
        $sudo touch "$file"
    fi
    local new
    new=$(STANDIN_SECTION=$section STANDIN_OPTION=$option \
        STANDIN_VALUE=$value awk '
        function key(line,   k) {
            k = substr(line, 1, index(line, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", k)
            return k
        }
        # Blank lines at the end of our section are held back so that a
        # new option goes right after the last one, not after the gap.
        function flush(   i) { for (i = 0; i < blanks; i++) print ""; blanks = 0 }
        BEGIN {
            s = ENVIRON["STANDIN_SECTION"]; o = ENVIRON["STANDIN_OPTION"]
            v = ENVIRON["STANDIN_VALUE"]; ins = 0; found = 0; done = 0
            blanks = 0
        }
        /^[ \t]*$/ {
            if (ins && !done) { blanks++; next }
            print
            next
        }
        /^[ \t]*\[[^]]*\][ \t]*$/ {
            if (ins && !done) { print o " = " v; done = 1 }
            flush()
            name = $0
            gsub(/^[ \t]*\[|\][ \t]*$/, "", name)
            ins = (name == s)
            if (ins) found = 1
            print
            next
        }
        ins && !done && index($0, "=") && key($0) == o {
            flush()
            print o " = " v; done = 1; next
        }
        { flush(); print }
        END {
            if (!done) {
                if (!found) print "[" s "]"
                print o " = " v
            }
            flush()
        }' "$file") || die $LINENO "iniset: cannot read $file"
    printf '%s\n' "$new" | $sudo tee "$file" > /dev/null
}

# iniget file section option: print the value (nothing when unset).
function iniget {
    local file=$1 section=$2 option=$3
    [[ -r "$file" ]] || return 0
    STANDIN_SECTION=$section STANDIN_OPTION=$option awk '
        BEGIN { s = ENVIRON["STANDIN_SECTION"]; o = ENVIRON["STANDIN_OPTION"] }
        /^[ \t]*\[[^]]*\][ \t]*$/ {
            name = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", name); ins = (name == s)
            next
        }
        ins && index($0, "=") {
            k = substr($0, 1, index($0, "=") - 1); gsub(/^[ \t]+|[ \t]+$/, "", k)
            if (k == o) {
                v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t]+$/, "", v)
                print v; exit
            }
        }' "$file"
}

# trueorfalse default VARNAME
function trueorfalse {
    local default=$1
    local value=${!2:-}
    case "$value" in
        1|yes|Yes|YES|true|True|TRUE) echo True ;;
        0|no|No|NO|false|False|FALSE) echo False ;;
        *) echo "$default" ;;
    esac
}

# die LINENO message: record, report and stop the phase run.
function die {
    local line=$1
    shift
    _standin_record die "$*"
    echo "DIE (line $line): $*" >&2
    exit 1
}

function warn {
    _standin_record warn "$*"
}

function echo_summary {
    echo "summary: $*"
}

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
        # DevStack's legacy rule: "swift" means any s-* service.
        if [[ "$service" == "swift" && ",$ENABLED_SERVICES" == *",s-"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES+=",$service"
        fi
    done
    ENABLED_SERVICES=${ENABLED_SERVICES#,}
}

function is_plugin_enabled {
    [[ ",${DEVSTACK_PLUGINS:-}," == *",$1,"* ]]
}

function define_plugin {
    _standin_record define_plugin "$@"
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
