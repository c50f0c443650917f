# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Which Ceph release the daemons run, and the Debian root of a newer one.

Pacific (16.2) is what Debian 12 ships: its daemons run on the host.
Debian's archive also has Reef (18.2, trixie) and Tentacle (20.2, sid),
built against a newer C library than the host's: those run from a
debootstrap root of their suite, built once and cached
([ceph] release_root_dir), never installed on the host. Each daemon (and
each admin tool) enters the root through a private mount namespace that
sees /proc, /dev, /sys and the lab's state dir at the same path, then
chroot: the host's network and loopback, the lab's supervision, and no
mount left behind when the process ends.

Cinder's Ceph clients (librbd/librados of c-vol and c-bak, the rados/rbd
Python bindings of the probes) stay the host's Pacific ones: the
combination an operator runs while the cluster is upgraded ahead of the
clients (README: "Ceph releases").
"""

import dataclasses
import fcntl
import glob
import json
import logging
import os
import shutil
import time

from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Release:
    name: str
    version: str
    # Debian suite whose archive has this release; None: the host's own.
    suite: str = None
    # Health checks this release raises on this lab for a known reason
    # that does not touch what the lab tests (README: "Ceph releases"):
    # muted, and shown as muted by "status".
    muted_checks: tuple = ()
    # Options this release no longer knows: left out of its ceph.conf.
    dropped_options: tuple = ()
    # cephx key type of the users the host's (Pacific) clients use;
    # None: the release's default.
    client_key_type: str = None
    # More monmaptool arguments when the monitor is created.
    monmap_args: tuple = ()

    @property
    def in_root(self):
        return self.suite is not None


HOST_RELEASE = 'pacific'
RELEASES = {r.name: r for r in (
    Release('pacific', '16.2'),
    # Debian's Reef mgr cannot load its always-on modules: mgr_util
    # imports bcrypt, a PyO3 module, and PyO3 refuses the mgr's Python
    # subinterpreters ("PyO3 modules do not yet support
    # subinterpreters"). Lost: rbd_support (trash purge schedules, rbd
    # perf), crash, devicehealth, progress, status, volumes (CephFS),
    # balancer, telemetry; Cinder's RBD and backup paths use none.
    Release('reef', '18.2', 'trixie',
            muted_checks=('MGR_MODULE_DEPENDENCY',)),
    # Keystone v3 only: rgw_keystone_api_version is gone.
    # Keystone v3 only: rgw_keystone_api_version is gone. New keys are
    # AES256K by default (CVE-2025-30156), which Pacific's clients cannot
    # even parse ("failed to load keyring: (5) Input/output error"): the
    # users of Cinder and of the lab's host-side tools get AES keys, and
    # the monitor map (created with AES256K only) also allows AES.
    # The price, raised as warnings and muted: AUTH_INSECURE_* (AES keys
    # exist, may be made, and are used by clients).
    Release('tentacle', '20.2', 'sid',
            dropped_options=('rgw_keystone_api_version',),
            client_key_type='aes',
            muted_checks=('AUTH_INSECURE_CLIENT_KEY_TYPE',
                          'AUTH_INSECURE_KEYS_ALLOWED',
                          'AUTH_INSECURE_KEYS_CREATABLE'),
            monmap_args=('--auth-allowed-ciphers', 'aes256k,aes')),
)}

# What a root holds: the daemons and the admin tools of its release.
ROOT_PACKAGES = ('ceph-mon', 'ceph-mgr', 'ceph-osd', 'radosgw',
                 'ceph-common')

MARKER = '.cinder-backup-lab-root.json'


def release(conf):
    return RELEASES[conf.ceph.release]


def root_path(conf):
    """The cached root of the configured release, or None (the host's)."""
    rel = release(conf)
    if not rel.in_root:
        return None
    return os.path.join(conf.ceph.release_root_dir, rel.name)


# -- the archive mirror ------------------------------------------------------
def parse_apt_sources(text, deb822):
    """[(uri, [suites])] of the "deb" entries of one apt sources file."""
    entries = []
    if not deb822:
        for line in text.splitlines():
            words = line.split('#', 1)[0].split()
            if len(words) < 3 or words[0] != 'deb':
                continue
            if words[1].startswith('['):
                # deb [signed-by=... arch=...] URI SUITE ...
                while words and not words[0].endswith(']'):
                    words.pop(0)
                words.pop(0)
                words.insert(0, 'deb')
            if len(words) >= 3:
                entries.append((words[1], [words[2]]))
        return entries
    for stanza in text.split('\n\n'):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith('#') or not line.strip():
                continue
            if line[0] in ' \t' and key:
                fields[key] += ' ' + line.strip()
                continue
            key, _, value = line.partition(':')
            key = key.strip().lower()
            fields[key] = value.strip()
        if 'deb' not in fields.get('types', '').split():
            continue
        if fields.get('enabled', 'yes').lower() == 'no':
            continue
        suites = fields.get('suites', '').split()
        for uri in fields.get('uris', '').split():
            entries.append((uri, suites))
    return entries


def pick_mirror(entries, host_codename):
    """The Debian archive the host itself installs from.

    The entry serving the host's own suite (not -security or -updates,
    which live elsewhere or hold only updates); None when none does.
    """
    for uri, suites in entries:
        if host_codename in suites:
            return uri.rstrip('/')
    return None


def host_apt_entries(etc_apt='/etc/apt'):
    entries = []
    main = os.path.join(etc_apt, 'sources.list')
    paths = ([main] if os.path.exists(main) else []) + sorted(
        glob.glob(os.path.join(etc_apt, 'sources.list.d', '*.list'))
        + glob.glob(os.path.join(etc_apt, 'sources.list.d', '*.sources')))
    for path in paths:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        entries += parse_apt_sources(text, path.endswith('.sources'))
    return entries


def mirror(conf, host_codename):
    """[ceph] release_mirror, else the archive of the host's apt sources."""
    if conf.ceph.release_mirror:
        return conf.ceph.release_mirror.rstrip('/')
    found = pick_mirror(host_apt_entries(), host_codename)
    if not found:
        raise errors.LabError(
            'no apt source of the host serves %s, so the Debian archive '
            'for the %s root is unknown: set [ceph] release_mirror (e.g. '
            'http://mirror.example.org/debian)'
            % (host_codename, conf.ceph.release))
    return found


# -- entering a root ---------------------------------------------------------
# Run by sh on the host inside a fresh private mount namespace: the mounts
# exist only for this process and vanish with it; then chroot execs the
# release's program with the same PID (supervisord's signals reach it).
# One line: supervisord's config takes a command on one line.
ENTER_SCRIPT = '; '.join([
    'set -e',
    'root=$1; state=$2; shift 2',
    'mount -t proc proc "$root/proc"',
    'mount --rbind /dev "$root/dev"',
    'mount --rbind /sys "$root/sys"',
    'if [ -n "$state" ]; then mkdir -p "$root$state"; '
    'mount --bind "$state" "$root$state"; fi',
    'exec chroot "$root" "$@"',
])

ENTER_NAME = 'cinder-backup-lab-ceph-root'


def enter_argv(root, state_dir, argv):
    """argv that runs argv inside root, state_dir seen at the same path."""
    return (['unshare', '--mount', '--propagation', 'private', '--',
             'sh', '-c', ENTER_SCRIPT, ENTER_NAME, root, state_dir or '']
            + list(argv))


def root_of_pid(pid):
    """Where a process's / is, as the host sees it (None if gone)."""
    try:
        return os.readlink('/proc/%d/root' % pid)
    except OSError:
        return None


# -- building the root --------------------------------------------------------
def read_marker(root):
    try:
        with open(os.path.join(root, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def root_is_ready(marker, rel, packages=ROOT_PACKAGES):
    """A finished root of this release holding every package."""
    return bool(marker) and marker.get('release') == rel.name and \
        marker.get('suite') == rel.suite and \
        set(packages) <= set(marker.get('packages', []))


def major_version(version_text):
    """'ceph version 18.2.7 (...) reef (stable)' -> '18.2'."""
    for word in version_text.split():
        parts = word.split('.')
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return '%s.%s' % (parts[0], parts[1])
    return None


# A frozen archive snapshot: its Release files' Valid-Until has passed.
APT_SNAPSHOT_CONF = 'etc/apt/apt.conf.d/99cinder-backup-lab-snapshot'
APT_SNAPSHOT_TEXT = ('// [ceph] release_mirror_is_snapshot = true\n'
                     'Acquire::Check-Valid-Until "false";\n')

POLICY_RC_D = '#!/bin/sh\n# cinder-backup-lab: no service starts in ' \
    'this root\nexit 101\n'


def ensure_root(conf, host_codename, timeout=3600):
    """Build and cache the root of the configured release.

    Returns (root path, True when built now). Built in "<root>.building"
    and renamed when finished, so an interrupted build is redone, never
    used. Two labs building the same root wait for each other.
    """
    rel = release(conf)
    root = root_path(conf)
    base = conf.ceph.release_root_dir
    os.makedirs(base, mode=0o755, exist_ok=True)
    with open(os.path.join(base, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root_is_ready(read_marker(root), rel):
            return root, False
        url = mirror(conf, host_codename)
        tmp = root + '.building'
        shutil.rmtree(tmp, ignore_errors=True)
        start = time.monotonic()
        LOG.info('building a Debian %s root for Ceph %s (%s) in %s from %s',
                 rel.suite, rel.name, rel.version, root, url)
        commands.run(['debootstrap', '--variant=minbase', rel.suite, tmp,
                      url], timeout=timeout)
        # Maintainer scripts must not start daemons in the root.
        files.write_file(os.path.join(tmp, 'usr/sbin/policy-rc.d'),
                         POLICY_RC_D, 0o755)
        if conf.ceph.release_mirror_is_snapshot:
            files.write_file(os.path.join(tmp, APT_SNAPSHOT_CONF),
                             APT_SNAPSHOT_TEXT, 0o644)
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive',
                   LC_ALL='C')
        commands.run(enter_argv(tmp, None, ['apt-get', 'update', '-q']),
                     env=env, timeout=timeout)
        commands.run(enter_argv(tmp, None, [
            'apt-get', 'install', '-y', '-q', '--no-install-recommends']
            + list(ROOT_PACKAGES)), env=env, timeout=timeout)
        commands.run(enter_argv(tmp, None, ['apt-get', 'clean']), env=env)
        version = commands.run(enter_argv(tmp, None, ['ceph', '--version']))
        got = major_version(version)
        if got != rel.version:
            raise errors.LabError(
                'the %s archive of %s serves Ceph %s, not %s (%s): the '
                'release table in %s needs updating' % (
                    rel.suite, url, got, rel.version, rel.name, __name__))
        files.write_file(os.path.join(tmp, MARKER), json.dumps({
            'release': rel.name, 'suite': rel.suite, 'mirror': url,
            'packages': list(ROOT_PACKAGES), 'ceph_version': version.strip(),
            'build_seconds': round(time.monotonic() - start, 1)},
            indent=1) + '\n', 0o644)
        if os.path.exists(root):
            shutil.rmtree(root)
        os.rename(tmp, root)
        return root, True


def cached_roots(base):
    """{release: (path, marker)} of the roots cached under base."""
    out = {}
    for name in RELEASES:
        path = os.path.join(base, name)
        marker = read_marker(path)
        if marker:
            out[name] = (path, marker)
    return out


def dir_bytes(path):
    total = 0
    for top, _dirs, names in os.walk(path):
        for name in names:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            total += st.st_blocks * 512
    return total
