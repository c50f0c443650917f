#!/bin/bash
# A small stand-in for the DevStack functions the cinder-backup-lab plugin
# uses, for unit tests on a machine without DevStack. Written for these
# tests (not taken from DevStack): the INI helpers really edit files, the
# rest record their calls in $STANDIN_LOG, one line each.
#
# Needs: STANDIN_LOG (file), STANDIN_BIN (directory of the stand-in
# executables), ENABLED_SERVICES, DEVSTACK_PLUGINS.
#
# The functions with side effects on a real node (installing, starting
# processes, Keystone) are in recorders.sh, sourced here; run-phases.sh
# sources that file alone on top of a real DevStack tree's ``functions``
# (STANDIN_DEVSTACK_DIR), so the same phases can be compared.

# shellcheck source=cinder_backup_lab/tests/unit/devstack_standin/recorders.sh
source "$(dirname "${BASH_SOURCE[0]}")/recorders.sh"

# iniset [-sudo] file section option value
# Behaves as DevStack's (inc/ini-config), which the unit tests compare
# it with when a DevStack tree is at hand:
# - the value's words are joined by single spaces (DevStack echoes it
#   unquoted; its glob expansion is not reproduced here);
# - a missing section is appended after a blank line ("\n[section]");
# - a missing option goes right after the section's header line, so
#   options added one by one end up in reverse order;
# - an existing option is replaced on every "option =" line of the
#   section, keeping the spacing before the value;
# - nothing happens without a section or an option.
function iniset {
    local sudo=""
    if [[ "$1" == "-sudo" ]]; then
        sudo=sudo
        shift
    fi
    local file=$1 section=$2 option=$3
    local -a words
    read -r -a words <<< "$4"
    local value="${words[*]}"
    if [[ -z "$section" || -z "$option" ]]; then
        return 0
    fi
    if ! grep -q "^\[$section\]" "$file" 2>/dev/null; then
        printf '\n[%s]\n' "$section" | $sudo tee -a "$file" > /dev/null
    fi
    local new
    new=$(STANDIN_SECTION=$section STANDIN_OPTION=$option \
        STANDIN_VALUE=$value awk '
        function header(line) { return substr(line, 1, 1) == "[" }
        function is_ours(line) {
            return index(line, "[" s "]") == 1
        }
        function is_option(line,   rest) {
            if (index(line, o) != 1) return 0
            rest = substr(line, length(o) + 1)
            return rest ~ /^[ \t]*=/
        }
        BEGIN {
            s = ENVIRON["STANDIN_SECTION"]; o = ENVIRON["STANDIN_OPTION"]
            v = ENVIRON["STANDIN_VALUE"]; n = 0; has = 0; ins = 0
        }
        { lines[++n] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                if (is_ours(lines[i])) { ins = 1; continue }
                if (ins && header(lines[i])) ins = 0
                if (ins && is_option(lines[i])) has = 1
            }
            ins = 0
            for (i = 1; i <= n; i++) {
                line = lines[i]
                if (is_ours(line)) {
                    print line
                    if (!has) print o " = " v
                    ins = 1
                    continue
                }
                if (ins && header(line)) ins = 0
                if (ins && has && is_option(line)) {
                    match(line, /^[^=]*=[ \t]*/)
                    line = substr(line, 1, RLENGTH) v
                }
                print line
            }
        }' "$file") || die $LINENO "iniset: cannot read $file"
    printf '%s\n' "$new" | $sudo tee "$file" > /dev/null
}

# iniget file section option: the value of "option =" in [section] with
# leading blanks removed and words joined by single spaces (several
# matching lines are joined too), as DevStack's iniget prints it.
function iniget {
    local file=$1 section=$2 option=$3
    [[ -r "$file" ]] || return 0
    local line
    line=$(STANDIN_SECTION=$section STANDIN_OPTION=$option awk '
        BEGIN { s = ENVIRON["STANDIN_SECTION"]; o = ENVIRON["STANDIN_OPTION"] }
        index($0, "[" s "]") == 1 { ins = 1; next }
        substr($0, 1, 1) == "[" { ins = 0 }
        ins && index($0, o) == 1 && substr($0, length(o) + 1) ~ /^[ \t]*=/ {
            print
        }' "$file")
    local -a words
    read -r -d '' -a words <<< "${line#*=}" || true
    echo "${words[*]}"
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
