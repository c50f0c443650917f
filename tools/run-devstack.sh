#!/usr/bin/env bash
# Run a real DevStack with this repository's plugin, on this machine:
#
#   CINDER_BACKUP_LAB_GIT_BASE=/srv/git-mirror bash tools/run-devstack.sh [PROFILE]
#
# PROFILE: both (default), ceph, swift (single_user), swift-per-user, or
# multinode (c-bak alone on a second node, the Swift driver in per_user
# mode, ceph.conf and keyrings copied from the controller as the Zuul job
# cinder-backup-lab-multinode does).
#
# What it does, as root, on a Debian 12 host without systemd as PID 1:
#   1. builds (once, then cached) a Debian 12 root with debootstrap and
#      the few packages DevStack expects on a fresh node;
#   2. copies it per node, adds the stack and tempest users (as DevStack's
#      setup-stack-user and setup-tempest-user roles do), and boots it with
#      systemd-nspawn (a real systemd as the node's PID 1) sharing the
#      host's network, the git mirror bind-mounted read-only;
#   3. serves this checkout (its working tree, committed or not) to
#      DevStack as the plugin, on branch main, renders local.conf with
#      "cinder-backup-lab localconf", and runs stack.sh;
#   4. runs this plugin's Tempest tests the way the Zuul job's run-tempest
#      role does: "tox -e all -- CinderBackupLab" as the tempest user;
#   5. unstack.sh, stack.sh again (re-stack, then a short Tempest subset),
#      clean.sh, and checks that nothing of the plugin is left;
#   6. prints per-phase wall times and peak memory, and ends with
#      "N passed, N failed".
#
# The mirror (CINDER_BACKUP_LAB_GIT_BASE) is a directory of git
# repositories laid out as <dir>/openstack/<name>.git for devstack,
# requirements, keystone, cinder and tempest, each with a master branch
# (symbolic links to git directories elsewhere are fine).
#
# Settings (environment):
#   CINDER_BACKUP_LAB_GIT_BASE       the mirror (required)
#   CINDER_BACKUP_LAB_DEVSTACK_WORK  work dir: cached root, node roots,
#                                    logs, the run before's logs in
#                                    logs.previous (default
#                                    /var/tmp/cinder-backup-lab-devstack)
#   CINDER_BACKUP_LAB_DEVSTACK_KEEP  1: leave the node roots and
#                                    containers' files after the run
#   CINDER_BACKUP_LAB_DEVSTACK_RESTACK  0: no unstack/re-stack round (1)
#   CINDER_BACKUP_LAB_DEVSTACK_RESTACK_REGEX  Tempest regex after the
#                                    re-stack (default: the export/import
#                                    test; the Swift restore test in
#                                    per_user mode; empty: none)
#   CINDER_BACKUP_LAB_DEVSTACK_CONCURRENCY    Tempest concurrency (2)
#
# Nothing is installed on the host beyond debootstrap and
# systemd-container, nothing is written outside the work dir, and every
# process started here ends when the script ends or is interrupted (the
# containers are powered off; their processes die with their PID 1).

# The functions are called from the brace group at the end, which the
# linter does not follow (it reports them unreachable).
# shellcheck disable=SC2317
set -uo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${1:-both}
GIT_MIRROR=${CINDER_BACKUP_LAB_GIT_BASE:-}
WORK=${CINDER_BACKUP_LAB_DEVSTACK_WORK:-/var/tmp/cinder-backup-lab-devstack}
KEEP=${CINDER_BACKUP_LAB_DEVSTACK_KEEP:-0}
RESTACK=${CINDER_BACKUP_LAB_DEVSTACK_RESTACK:-1}
# A backup and a restore through every driver of the profile (in per_user
# mode the export/import test skips its Swift case: see the plugin).
case $PROFILE in
    swift-per-user|multinode) DEFAULT_RESTACK_REGEX=CinderBackupLabSwiftRestoreTest ;;
    *) DEFAULT_RESTACK_REGEX=CinderBackupLabExportImportTest ;;
esac
RESTACK_REGEX=${CINDER_BACKUP_LAB_DEVSTACK_RESTACK_REGEX-$DEFAULT_RESTACK_REGEX}
CONCURRENCY=${CINDER_BACKUP_LAB_DEVSTACK_CONCURRENCY:-2}
SUITE=bookworm
MIRROR_REPOS="devstack requirements keystone cinder tempest"
# What a fresh DevStack node has before stack.sh (LAB-NOTES: what the
# first real run needed).
NODE_PACKAGES="sudo git python3 python3-venv python3-pip python3-dev \
lsb-release curl procps psmisc iptables kmod locales gnupg ca-certificates"
# Ports a DevStack with this plugin listens on: MySQL, RabbitMQ (and
# epmd, distribution), memcached, Apache (Keystone, c-api behind it),
# Keystone and c-api directly, Ceph mons, RGW.
DEVSTACK_PORTS="3306 5672 4369 25672 11211 80 443 5000 8776 3300 6789 8080"
DEST=/opt/stack
# The backup node's idle Apache (multinode; see share_network_with_controller).
SUBNODE_APACHE_PORT=18099

passed=0
failed=0
declare -a NODES=()
declare -A LEADER=() NSPAWN_PID=()
SAMPLER_PID=""
PHASES=()

log() {
    echo "[$(date -u +%H:%M:%S)] $*"
}

die() {
    echo "run-devstack: error: $*" >&2
    exit 1
}

# -- checks before anything is touched ---------------------------------------

preflight() {
    [ "$(id -u)" = 0 ] || die "run as root (debootstrap and systemd-nspawn need it)"
    case "$PROFILE" in
        both|ceph|swift|swift-per-user|multinode) ;;
        *) die "profile $PROFILE: use both, ceph, swift, swift-per-user or multinode" ;;
    esac
    [ -n "$GIT_MIRROR" ] || die "set CINDER_BACKUP_LAB_GIT_BASE to a git mirror (<dir>/openstack/<name>.git for: $MIRROR_REPOS)"
    [ -d "$GIT_MIRROR" ] || die "CINDER_BACKUP_LAB_GIT_BASE=$GIT_MIRROR is not a directory"
    GIT_MIRROR=$(cd "$GIT_MIRROR" && pwd)
    local name repo
    for name in $MIRROR_REPOS; do
        repo=$GIT_MIRROR/openstack/$name.git
        git --git-dir="$repo" rev-parse --verify -q refs/heads/master >/dev/null \
            || die "$repo: not a git repository with a master branch"
        # A partial clone cannot serve a clone: DevStack's would fail
        # half way through stack.sh.
        if git --git-dir="$repo" rev-list --objects --missing=print --all 2>/dev/null \
                | grep -q '^?'; then
            die "$repo misses objects (a partial clone?); give a complete one, or a shallow one with recent tags: git clone --bare --single-branch --branch master --shallow-since=2025-01-01 <source> $repo"
        fi
    done
    case "$WORK/" in
        "$REPO_DIR"/*) die "work dir $WORK is inside the repository; choose another" ;;
    esac
    case "$GIT_MIRROR/" in
        "$REPO_DIR"/*) die "the mirror must not be inside the repository" ;;
    esac
    # Ports: a standalone lab (or anything else) on DevStack's ports
    # would collide with the node, which shares the host's network.
    local port busy=""
    for port in $DEVSTACK_PORTS; do
        if ss -H -ltn "sport = :$port" | grep -q .; then
            busy="$busy $port"
        fi
    done
    if [ "$PROFILE" = multinode ] && ss -H -ltn "sport = :$SUBNODE_APACHE_PORT" | grep -q .; then
        busy="$busy $SUBNODE_APACHE_PORT"
    fi
    [ -z "$busy" ] || die "ports in use on this host:$busy (a running standalone lab?); DevStack needs them free. Nothing was touched."
}

ensure_host_tools() {
    local missing=""
    command -v debootstrap >/dev/null || missing="$missing debootstrap"
    command -v systemd-nspawn >/dev/null || missing="$missing systemd-container"
    if [ -n "$missing" ]; then
        log "installing on the host:$missing"
        # shellcheck disable=SC2086  # a list of package names
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
            || die "apt-get install$missing failed"
    fi
}

# -- the cached root ---------------------------------------------------------

# The Debian mirror the host uses (no host name written anywhere here).
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    if [ -z "$uri" ]; then
        uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    fi
    [ -n "$uri" ] || die "cannot find the host's Debian mirror in /etc/apt"
    echo "$uri"
}

build_base() {
    local stamp_input base
    stamp_input=$(printf '%s\n' "$SUITE" "$NODE_PACKAGES" \
        "$(cat /usr/local/share/ca-certificates/* 2>/dev/null | sha256sum)" | sha256sum | cut -c1-12)
    base=$WORK/cache/$SUITE-$stamp_input
    BASE_ROOT=$base
    if [ -f "$base/.cbl-base-done" ]; then
        log "cached root: $base"
        return 0
    fi
    local t0=$SECONDS
    rm -rf "$base.tmp"
    mkdir -p "$WORK/cache"
    log "debootstrap $SUITE into $base"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,ca-certificates \
        "$SUITE" "$base.tmp" "$(debian_mirror)" > "$WORK/logs/debootstrap.log" 2>&1 \
        || die "debootstrap failed, see $WORK/logs/debootstrap.log"
    # The host's extra CA certificates: outbound HTTPS may go through an
    # intercepting proxy that signs with them.
    if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
        cp /usr/local/share/ca-certificates/* "$base.tmp/usr/local/share/ca-certificates/"
    fi
    cp /etc/resolv.conf "$base.tmp/etc/resolv.conf"
    # shellcheck disable=SC2086
    chroot "$base.tmp" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive; \
        update-ca-certificates >/dev/null && apt-get update -q && \
        apt-get install -y -q --no-install-recommends $NODE_PACKAGES && apt-get clean" \
        >> "$WORK/logs/debootstrap.log" 2>&1 \
        || die "installing the node packages failed, see $WORK/logs/debootstrap.log"
    touch "$base.tmp/.cbl-base-done"
    mv "$base.tmp" "$base"
    log "root built in $((SECONDS - t0)) s"
}

# -- nodes ------------------------------------------------------------------

# prepare_node NAME: a fresh copy of the cached root, set up as a DevStack
# node before its first boot.
prepare_node() {
    local name=$1 root=$WORK/nodes/$1
    rm -rf "$root"
    mkdir -p "$WORK/nodes"
    cp -a "$BASE_ROOT" "$root"
    rm -f "$root/.cbl-base-done"
    echo "cbl-$name" > "$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 cbl-%s\n' "$name" > "$root/etc/hosts"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # No sshd: with the host's network it would take the host's port 22.
    ln -sf /dev/null "$root/etc/systemd/system/ssh.service"
    ln -sf /dev/null "$root/etc/systemd/system/ssh.socket"
    # pip and tox verify with the system bundle (which has the host's CAs).
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"
    chroot "$root" /bin/sh -e -c "
        sed -i 's/^# *C.UTF-8/C.UTF-8/' /etc/locale.gen 2>/dev/null || true
        groupadd -f stack
        useradd -g stack -s /bin/bash -d $DEST -m stack
        echo 'stack ALL=(root) NOPASSWD:ALL' > /etc/sudoers.d/50_stack_sh
        chmod 0440 /etc/sudoers.d/50_stack_sh
        groupadd -f tempest
        useradd -g tempest -s /bin/bash -m tempest
        chmod 0755 $DEST
        git config --system --add safe.directory '*'
    " || die "preparing node $name failed"
    if [ "$name" != controller ]; then
        share_network_with_controller "$root"
    fi
    git clone -q "$GIT_BASE_URL/openstack/devstack.git" "$root$DEST/devstack" \
        || die "cloning devstack from the mirror failed"
    chroot "$root" chown -R stack:stack "$DEST/devstack"
}

# share_network_with_controller ROOT: the nodes share the host's network,
# and DevStack installs and restarts Apache on every node (stack.sh's
# install_apache_uwsgi), also on a node that runs c-bak alone: there it
# would collide with the controller's Apache on port 80. Apache is
# installed beforehand (not started) and listens on loopback port
# $SUBNODE_APACHE_PORT instead; nothing on the backup node uses it.
share_network_with_controller() {
    local root=$1
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    chroot "$root" /bin/sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q apache2' \
        >> "$WORK/logs/subnode-apache.log" 2>&1 || die "installing apache2 on the backup node failed"
    rm -f "$root/usr/sbin/policy-rc.d"
    printf '# run-devstack.sh: the controller has port 80 (shared network)\nListen 127.0.0.1:%s\n' \
        "$SUBNODE_APACHE_PORT" > "$root/etc/apache2/ports.conf"
}

# boot_node NAME: boot its root with systemd-nspawn in the background and
# wait for its systemd.
boot_node() {
    local name=$1 root=$WORK/nodes/$1
    # Downloads are cached in the work dir across runs: apt's archives,
    # pip's cache of root (DevStack's pip_install) and of the stack user
    # (Tempest's tox).
    local binds=(--bind-ro="$WORK/git"
        --bind="$WORK/cache/apt-archives:/var/cache/apt/archives"
        --bind="$WORK/cache/pip-root:/root/.cache/pip"
        --bind="$WORK/cache/pip-stack:$DEST/.cache/pip")
    local real
    for real in "${MIRROR_REAL[@]}"; do
        binds+=(--bind-ro="$real")
    done
    mkdir -p "$WORK/cache/apt-archives/partial" "$WORK/cache/pip-root" \
        "$WORK/cache/pip-stack" "$root/root/.cache/pip" "$root$DEST/.cache/pip"
    chown "$(chroot "$root" id -u stack):$(chroot "$root" id -g stack)" \
        "$WORK/cache/pip-stack" "$root$DEST/.cache" "$root$DEST/.cache/pip"
    systemd-nspawn --quiet --register=no --keep-unit -D "$root" \
        --machine="cbl-$name" "${binds[@]}" --boot \
        > "$WORK/logs/$name-console.log" 2>&1 < /dev/null &
    NSPAWN_PID[$name]=$!
    NODES+=("$name")
    local i pid
    for i in $(seq 1 60); do
        sleep 1
        kill -0 "${NSPAWN_PID[$name]}" 2>/dev/null || die "node $name did not boot, see $WORK/logs/$name-console.log"
        pid=$(ps -o pid= --ppid "${NSPAWN_PID[$name]}" | head -1 | tr -d ' ')
        [ -n "$pid" ] || continue
        LEADER[$name]=$pid
        case "$(in_node "$name" systemctl is-system-running 2>/dev/null)" in
            running|degraded) log "node $name up (PID ${NSPAWN_PID[$name]}, init $pid) after $i s"; return 0 ;;
        esac
    done
    die "node $name: systemd not running after 60 s"
}

# in_node NAME CMD...: run CMD as root inside the node.
in_node() {
    local name=$1
    shift
    nsenter -t "${LEADER[$name]}" -a -- env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# as_user NAME USER SCRIPT: run a bash script as USER inside the node.
as_user() {
    local name=$1 user=$2 script=$3 home
    home=$(in_node "$name" getent passwd "$user" | cut -d: -f6)
    in_node "$name" runuser -u "$user" -- env HOME="$home" USER="$user" \
        bash -c "$script"
}

stop_nodes() {
    local name i
    for name in "${NODES[@]}"; do
        kill -0 "${NSPAWN_PID[$name]}" 2>/dev/null || continue
        log "powering off node $name"
        in_node "$name" systemctl poweroff >/dev/null 2>&1 || kill -TERM "${NSPAWN_PID[$name]}" 2>/dev/null
    done
    for name in "${NODES[@]}"; do
        for i in $(seq 1 90); do
            kill -0 "${NSPAWN_PID[$name]}" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "${NSPAWN_PID[$name]}" 2>/dev/null; then
            log "node $name still running after 90 s: SIGTERM, then SIGKILL"
            kill -TERM "${NSPAWN_PID[$name]}" 2>/dev/null
            sleep 10
            kill -KILL "${NSPAWN_PID[$name]}" 2>/dev/null
        fi
        wait "${NSPAWN_PID[$name]}" 2>/dev/null
    done
    NODES=()
}

cleanup() {
    trap - EXIT INT TERM
    collect_logs
    stop_nodes
    if [ -n "$SAMPLER_PID" ]; then
        kill "$SAMPLER_PID" 2>/dev/null
        wait "$SAMPLER_PID" 2>/dev/null
    fi
    if [ "$KEEP" != 1 ]; then
        rm -rf "$WORK/nodes"
    fi
}

interrupted() {
    echo "run-devstack: interrupted" >&2
    exit 130
}

# -- the mirror and the plugin ------------------------------------------------

# The git base the nodes clone from: the mirror's repositories (linked)
# and a bare copy of this checkout's working tree as branch main.
prepare_git() {
    local name real
    MIRROR_REAL=()
    rm -rf "$WORK/git"
    mkdir -p "$WORK/git/openstack" "$WORK/git/x"
    for name in $MIRROR_REPOS; do
        real=$(readlink -f "$GIT_MIRROR/openstack/$name.git")
        ln -s "$real" "$WORK/git/openstack/$name.git"
        MIRROR_REAL+=("$real")
    done
    GIT_BASE_URL=$WORK/git
    # The working tree as it is (uncommitted changes included), so that
    # what runs is what is checked out here; nothing is written into the
    # repository (stash create makes an unreferenced commit object).
    local rev
    rev=$(git -C "$REPO_DIR" stash create 2>/dev/null)
    rev=${rev:-$(git -C "$REPO_DIR" rev-parse HEAD)}
    git init -q --bare "$WORK/git/x/cinder-backup-lab.git"
    git -C "$REPO_DIR" push -q "$WORK/git/x/cinder-backup-lab.git" "$rev:refs/heads/main" \
        || die "cannot serve this checkout to DevStack"
    log "plugin: $(git -C "$REPO_DIR" rev-parse --short HEAD) (+ working tree) as branch main"
}

# -- memory -------------------------------------------------------------------

# Every 5 s: host memory in use (other work on the host included), and
# the summed PSS of the nodes' processes (those in a PID namespace other
# than the host's).
start_sampler() {
    # Exists before the first sample: a phase may end before it.
    : > "$WORK/logs/memory.tsv"
    python3 - "$WORK/logs/memory.tsv" > /dev/null 2>&1 <<'EOF' &
import os, sys, time
out = open(sys.argv[1], 'w', buffering=1)
host_ns = os.readlink('/proc/self/ns/pid')
while True:
    info = {}
    with open('/proc/meminfo') as f:
        for line in f:
            k, v = line.split(':')
            info[k] = int(v.split()[0])
    used = info['MemTotal'] - info['MemAvailable']
    rss = 0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            if os.readlink('/proc/%s/ns/pid' % pid) == host_ns:
                continue
            # PSS: shared pages (forked workers, libraries) counted once.
            with open('/proc/%s/smaps_rollup' % pid) as f:
                for line in f:
                    if line.startswith('Pss:'):
                        rss += int(line.split()[1])
        except OSError:
            pass
    out.write('%d\t%d\t%d\n' % (time.time(), used, rss))
    time.sleep(5)
EOF
    SAMPLER_PID=$!
}

# peak FIELD START END: the highest sample (MiB) of a column in a window.
peak() {
    awk -v c="$1" -v s="$2" -v e="$3" '$1 >= s && $1 <= e + 5 && $c > m {m = $c}
        END {printf "%.0f", m / 1024}' "$WORK/logs/memory.tsv"
}

# phase NAME CMD...: run a step, time it, record its peaks.
phase() {
    local name=$1
    shift
    local start rc
    start=$(date +%s)
    log "=== $name"
    "$@"
    rc=$?
    local end
    end=$(date +%s)
    PHASES+=("$name|$((end - start))|$(peak 2 "$start" "$end")|$(peak 3 "$start" "$end")|$rc")
    if [ "$rc" -eq 0 ]; then
        log "$name: ok ($((end - start)) s)"
    else
        log "$name: FAILED ($((end - start)) s)"
    fi
    return "$rc"
}

check() {
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        return 1
    fi
}

# -- DevStack steps -------------------------------------------------------------

render_localconf() {
    local node=$1 out=$2
    shift 2
    rm -f "$out"
    "$CBL" localconf \
        --git-base "file://$GIT_BASE_URL" --plugin-url "file://$GIT_BASE_URL/x/cinder-backup-lab.git" \
        -o "$out" "$@" || return 1
    install -m 0600 -o 0 -g 0 "$out" "$WORK/nodes/$node$DEST/devstack/local.conf"
    chroot "$WORK/nodes/$node" chown stack:stack "$DEST/devstack/local.conf"
}

# devstack NODE SCRIPT: run a DevStack script as the stack user, output
# to the logs dir.
devstack() {
    local node=$1 script=$2 logf
    logf=$WORK/logs/$node-$script-$(date +%H%M%S).log
    as_user "$node" stack "cd $DEST/devstack && ./$script" > "$logf" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "--- $script on $node failed (rc $rc); last lines of $logf:"
        tail -30 "$logf"
    fi
    return "$rc"
}

# What DevStack installed (from the mirror's master) next to what the
# standalone lab pins (constraints/upper-constraints.txt).
versions() {
    local node=$1
    echo "    DevStack ($node): $(in_node "$node" sh -c "$DEST/data/venv/bin/pip list 2>/dev/null \
        | awk 'tolower(\$1) ~ /^(cinder|keystone)\$/ {printf \"%s %s  \", \$1, \$2}'; \
        $DEST/tempest/.tox/tempest/bin/pip list 2>/dev/null | awk '\$1 == \"tempest\" {print \$1, \$2}'")"
    echo "    standalone lab pins: $(grep -E '^(cinder|keystone|tempest)==' "$REPO_DIR/constraints/upper-constraints.txt" | tr '\n' ' ')"
}

# tempest NODE REGEX: what run-tempest does: tox -e all as the tempest
# user in DevStack's Tempest checkout, with the constraints DevStack used.
tempest() {
    local node=$1 regex=$2 logf
    logf=$WORK/logs/$node-tempest-$(date +%H%M%S).log
    # setup-tempest-run-dir, setup-tempest-data-dir, acl-devstack-files
    in_node "$node" chown -R tempest:stack "$DEST/tempest" "$DEST/data/tempest"
    in_node "$node" chmod -R o+rx "$DEST/data/files" 2>/dev/null
    as_user "$node" tempest "cd $DEST/tempest && \
        UPPER_CONSTRAINTS_FILE=$DEST/requirements/upper-constraints.txt \
        TOX_CONSTRAINTS_FILE=$DEST/requirements/upper-constraints.txt \
        tox -e all -- '$regex' --concurrency=$CONCURRENCY" > "$logf" 2>&1
    local rc=$?
    # Give the checkout back to the stack user (a re-stack updates it).
    in_node "$node" chown -R stack:stack "$DEST/tempest" "$DEST/data/tempest"
    grep -E '\.\.\. (ok|FAILED|SKIPPED|expected failure|unexpected success)|^ - |^Totals' "$logf" | sed 's/^/    /'
    local p f x u
    p=$(awk '/^ - Passed:/ {print $3}' "$logf" | tail -1)
    f=$(awk '/^ - Failed:/ {print $3}' "$logf" | tail -1)
    x=$(awk '/^ - Expected Fail:/ {print $4}' "$logf" | tail -1)
    u=$(awk '/^ - Unexpected Success:/ {print $4}' "$logf" | tail -1)
    TEMPEST_SUMMARY="${p:-0} passed, ${x:-0} expected failures, ${f:-0} failed, ${u:-0} unexpected successes"
    log "tempest ($regex): $TEMPEST_SUMMARY (log $logf)"
    if [ -z "$p" ] || [ $(( p + ${x:-0} )) -eq 0 ]; then
        # Nothing ran (or everything skipped): not a pass.
        echo "--- no Tempest test ran; last lines of $logf:"
        tail -30 "$logf"
        return 1
    fi
    [ "$rc" -eq 0 ] && [ "${f:-0}" -eq 0 ] && [ "${u:-0}" -eq 0 ]
}

# What the plugin leaves while stacked: recorded so the clean check can
# show it existed and is gone.
LAB_FILES=""
record_lab_files() {
    local node=$1
    LAB_FILES=$(in_node "$node" sh -c "ls -d /etc/ceph/ceph.conf /etc/ceph/ceph.client.*.keyring \
        /etc/cinder-backup-lab $DEST/data/cinder-backup-lab /etc/cinder/cinder-backup-swift.conf 2>/dev/null")
    local f
    for f in $LAB_FILES; do
        echo "    stacked: $f"
    done
    [ -n "$LAB_FILES" ]
}

# Nothing of the plugin after clean.sh: no Ceph/RGW daemon, no Ceph or
# RGW port (the cluster, its pools, cephx keys and RGW users and buckets
# lived in the state dir), no ceph.conf or keyring in /etc/ceph, none of
# the files the plugin had written, no unit of the plugin's c-bak still
# loaded, no lab state, no ceph-crash (the plugin stops the one the
# packages start). What the Ceph packages themselves install
# (/etc/ceph/rbdmap, ceph*.target) is listed, not counted: DevStack
# leaves packages installed.
check_clean() {
    local node=$1 left=""
    local procs
    procs=$(in_node "$node" sh -c "ps -eo comm= | grep -E '^(ceph-mon|ceph-mgr|ceph-osd|ceph-crash|radosgw|supervisord)$'")
    [ -z "$procs" ] || left="$left processes: $procs;"
    local f
    for f in $LAB_FILES; do
        if in_node "$node" test -e "$f"; then
            left="$left file $f;"
        fi
    done
    local ceph_files
    ceph_files=$(in_node "$node" sh -c 'ls /etc/ceph 2>/dev/null | grep -E "^ceph\.conf$|\.keyring$"')
    [ -z "$ceph_files" ] || left="$left /etc/ceph: $ceph_files;"
    local units
    units=$(in_node "$node" systemctl list-units --all --no-legend --plain 'devstack@c-bak-swift*' 2>/dev/null \
        | awk '$2 != "not-found" || $3 == "active"')
    [ -z "$units" ] || left="$left units: $units;"
    local port
    for port in 3300 6789 8080; do
        if ss -H -ltn "sport = :$port" | grep -q .; then
            left="$left port $port listening;"
        fi
    done
    echo "    from the Ceph packages (not counted): $(in_node "$node" sh -c \
        'ls /etc/ceph; systemctl list-units --no-legend --plain "ceph*" | cut -d" " -f1' | tr '\n' ' ')"
    echo "    devstack@ units systemd still remembers: $(in_node "$node" systemctl list-units --all \
        --no-legend --plain 'devstack@*' | awk '{print $1 "=" $2 "/" $4}' | tr '\n' ' ')"
    if [ -n "$left" ]; then
        echo "    left after clean.sh:$left"
        return 1
    fi
    echo "    nothing of the plugin left (no Ceph/RGW process or port, no ceph.conf or keyring, none of the files above, no unit)"
}

# -- profiles ---------------------------------------------------------------------

localconf_args() {
    case "$PROFILE" in
        both) echo "--profile both" ;;
        ceph) echo "--profile ceph" ;;
        swift) echo "--profile swift --auth-mode single_user" ;;
        swift-per-user|multinode) echo "--profile swift --auth-mode per_user" ;;
    esac
}

report() {
    echo
    printf '%-28s %8s %14s %16s %s\n' phase "wall s" "host used GiB" "nodes PSS GiB" result
    local p name secs used rss rc
    for p in "${PHASES[@]}"; do
        IFS='|' read -r name secs used rss rc <<< "$p"
        printf '%-28s %8s %14s %16s %s\n' "$name" "$secs" \
            "$(awk -v m="$used" 'BEGIN {printf "%.2f", m / 1024}')" \
            "$(awk -v m="$rss" 'BEGIN {printf "%.2f", m / 1024}')" \
            "$([ "$rc" = 0 ] && echo ok || echo FAILED)"
    done
    echo "peak memory over the run: host used $(awk '{if ($2 > m) m = $2} END {printf "%.2f", m / 1048576}' "$WORK/logs/memory.tsv") GiB, nodes' PSS $(awk '{if ($3 > m) m = $3} END {printf "%.2f", m / 1048576}' "$WORK/logs/memory.tsv") GiB"
    echo "logs: $WORK/logs"
    echo "$passed passed, $failed failed"
}

main() {
    preflight
    ensure_host_tools
    # The lab's venv renders local.conf ("cinder-backup-lab localconf").
    bash "$REPO_DIR/tools/bootstrap.sh" || die "tools/bootstrap.sh failed"
    CBL=${LAB_VENV:-$REPO_DIR/.venv}/bin/cinder-backup-lab
    # The run before keeps its logs (one generation): a run of another
    # profile right after must not erase what a failure left to read.
    rm -rf "$WORK/logs.previous"
    [ ! -d "$WORK/logs" ] || mv "$WORK/logs" "$WORK/logs.previous"
    mkdir -p "$WORK/logs"
    trap cleanup EXIT
    trap interrupted INT TERM
    start_sampler
    log "profile $PROFILE, mirror $GIT_MIRROR, work dir $WORK"
    check phase "root (debootstrap, cached)" build_base || return 1
    prepare_git
    if [ "$PROFILE" = multinode ]; then
        main_multinode
        return
    fi
    check phase "boot node" prepare_and_boot controller || return 1
    # shellcheck disable=SC2046
    check phase "local.conf" render_localconf controller "$WORK/local.conf" $(localconf_args) || return 1
    if ! check phase "stack.sh" devstack controller stack.sh; then
        return 1
    fi
    versions controller
    check phase "tempest" tempest controller CinderBackupLab
    FIRST_TEMPEST=$TEMPEST_SUMMARY
    check phase "unstack.sh" devstack controller unstack.sh
    if [ "$RESTACK" = 1 ]; then
        check phase "stack.sh (re-stack)" devstack controller stack.sh || return 1
        if [ -n "$RESTACK_REGEX" ]; then
            check phase "tempest after re-stack" tempest controller "$RESTACK_REGEX"
        fi
    fi
    check record_lab_files controller
    check phase "clean.sh" devstack controller clean.sh
    check phase "nothing left" check_clean controller
    echo "Tempest ($PROFILE): $FIRST_TEMPEST"
}

# The separate backup node, as the Zuul job cinder-backup-lab-multinode:
# DevStack on the controller (Ceph, RGW, everything but c-bak), the
# controller's /etc/ceph copied to the backup node
# (sync-controller-ceph-conf-and-keys), DevStack on the backup node
# (c-bak alone, the controller's cluster), Tempest on the controller.
# Both nodes share the host's network, so the backup node reaches the
# controller's services on 127.0.0.1.
main_multinode() {
    check phase "boot nodes" boot_two_nodes || return 1
    check phase "local.conf" render_two_localconfs || return 1
    check phase "stack.sh (controller)" devstack controller stack.sh || return 1
    check phase "sync /etc/ceph" sync_ceph_conf controller subnode || return 1
    check phase "stack.sh (backup node)" devstack subnode stack.sh || return 1
    versions controller
    check phase "tempest" tempest controller CinderBackupLab
    FIRST_TEMPEST=$TEMPEST_SUMMARY
    check phase "unstack.sh (backup node)" devstack subnode unstack.sh
    check phase "unstack.sh (controller)" devstack controller unstack.sh
    check record_lab_files controller
    check phase "clean.sh (backup node)" devstack subnode clean.sh
    check phase "clean.sh (controller)" devstack controller clean.sh
    check phase "nothing left" check_clean controller
    echo "Tempest ($PROFILE): $FIRST_TEMPEST"
}

boot_two_nodes() {
    prepare_and_boot controller && prepare_and_boot subnode
}

render_two_localconfs() {
    # shellcheck disable=SC2046
    render_localconf controller "$WORK/local.conf" $(localconf_args) \
        --role controller || return 1
    # shellcheck disable=SC2046
    render_localconf subnode "$WORK/local-subnode.conf" $(localconf_args) \
        --role backup-node --passwords-from "$WORK/local.conf"
}

# sync_ceph_conf FROM TO: the controller's ceph.conf and keyrings, modes
# and owners kept (the stack user has the same uid on both nodes).
sync_ceph_conf() {
    in_node "$2" mkdir -p /etc/ceph
    in_node "$1" tar -C /etc/ceph -cf - . | in_node "$2" tar -C /etc/ceph -xpf -
    in_node "$2" ls -l /etc/ceph | sed 's/^/    /'
}

# The journal of the DevStack units and the lab's own logs, kept in the
# work dir's logs before the nodes go.
collect_logs() {
    local name
    for name in "${NODES[@]}"; do
        kill -0 "${NSPAWN_PID[$name]}" 2>/dev/null || continue
        in_node "$name" journalctl --no-pager -o short-precise -u 'devstack@*' \
            > "$WORK/logs/$name-journal.txt" 2>&1
        if [ -d "$WORK/nodes/$name$DEST/data/cinder-backup-lab/log" ]; then
            rm -rf "$WORK/logs/$name-lab-log"
            cp -a "$WORK/nodes/$name$DEST/data/cinder-backup-lab/log" "$WORK/logs/$name-lab-log"
        fi
    done
}

prepare_and_boot() {
    prepare_node "$1" && boot_node "$1"
}

# One compound command, read whole before it runs: editing this file
# during a run cannot change what the run does next.
{
    main
    report
    exit $((failed > 0))
}
