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

"""Distribution packages and the host checks that go with them."""

import contextlib
import logging
import os
import shutil

from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files


LOG = logging.getLogger(__name__)

# Ceph 16.2 (Pacific) as Debian 12 ships it; Ubuntu 22.04 has the same
# release and 24.04 a newer one with the same package names.
CEPH_PACKAGES = ['ceph-mon', 'ceph-mgr', 'ceph-osd', 'radosgw',
                 'ceph-common', 'python3-rados', 'python3-rbd']

# What a node using an existing cluster needs ([ceph] deploy = false).
CEPH_CLIENT_PACKAGES = ['ceph-common']

# A release other than the host's runs its daemons from a Debian root
# (storage/releases.py): the host keeps only Cinder's clients, the Python
# bindings, and what builds and enters the root.
CEPH_ROOT_HOST_PACKAGES = ['ceph-common', 'python3-rados', 'python3-rbd',
                           'debootstrap', 'util-linux']


def ceph_packages(in_root):
    return list(CEPH_ROOT_HOST_PACKAGES if in_root else CEPH_PACKAGES)


SUPPORTED_OS = {('debian', '12'), ('ubuntu', '22.04'), ('ubuntu', '24.04')}


def os_release(path='/etc/os-release'):
    info = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.strip().partition('=')
                if sep:
                    info[key] = value.strip('"')
    except OSError:
        pass
    return info.get('ID', 'unknown'), info.get('VERSION_ID', 'unknown')


def check_os():
    distro, version = os_release()
    if (distro, version) not in SUPPORTED_OS:
        supported = ', '.join('%s %s' % d for d in sorted(SUPPORTED_OS))
        return ['unsupported OS %s %s; the lab runs on %s'
                % (distro, version, supported)]
    return []


# The Ceph package repository of [ceph] install_source = repo.
APT_SOURCE = '/etc/apt/sources.list.d/cinder-backup-lab-ceph.list'
APT_KEYRING_DIR = '/etc/apt/keyrings'
APT_KEY_NAME = 'cinder-backup-lab-ceph'


def apt_key_path(key_data, keyring_dir=APT_KEYRING_DIR):
    """Where the repository key goes: apt tells the formats by suffix."""
    armored = key_data.lstrip().startswith(b'-----BEGIN PGP')
    return os.path.join(keyring_dir, APT_KEY_NAME
                        + ('.asc' if armored else '.gpg'))


def render_apt_source(repo_url, codename, key_path=None):
    """One-line apt source of a Ceph Debian repository."""
    signed = ' [signed-by=%s]' % key_path if key_path else ''
    return ('# Ceph packages for cinder-backup-lab ([ceph] repo_url).\n'
            'deb%s %s %s main\n' % (signed, repo_url.rstrip('/'), codename))


def os_codename(path='/etc/os-release'):
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.strip().partition('=')
                if key == 'VERSION_CODENAME':
                    return value.strip('"')
    except OSError:
        pass
    raise errors.LabError('no VERSION_CODENAME in %s; cannot name the '
                          'distribution for the Ceph repository' % path)


def fetch(url, timeout=60):
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def ensure_ceph_source(conf, source_path=APT_SOURCE,
                       keyring_dir=APT_KEYRING_DIR):
    """Write (repo) or remove (distro) the lab's apt source; True if changed.

    Only this lab's own file is touched. apt-get update runs when
    packages are installed next.
    """
    c = conf.ceph
    if c.install_source != 'repo':
        if os.path.exists(source_path):
            os.unlink(source_path)
            return True
        return False
    key_path = None
    # A key already in place is kept: a warm "up" needs no network.
    for suffix in ('.asc', '.gpg'):
        candidate = os.path.join(keyring_dir, APT_KEY_NAME + suffix)
        if c.repo_key_url and os.path.exists(candidate):
            key_path = candidate
    if c.repo_key_url and not key_path:
        try:
            key = fetch(c.repo_key_url)
        except OSError as exc:
            raise errors.LabError('cannot download [ceph] repo_key_url %s: '
                                  '%s' % (c.repo_key_url, exc))
        key_path = apt_key_path(key, keyring_dir)
        os.makedirs(keyring_dir, mode=0o755, exist_ok=True)
        _write_bytes(key_path, key)
    text = render_apt_source(c.repo_url, os_codename(), key_path)
    return files.write_if_changed(source_path, text, 0o644)


def _write_bytes(path, data):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def missing(packages):
    """Packages from the list that dpkg does not have installed."""
    out = commands.run(['dpkg-query', '-W', '-f', '${Package} ${Status}\n']
                       + list(packages), check=False)
    installed = {line.split()[0] for line in out.splitlines()
                 if line.endswith('install ok installed')}
    return [p for p in packages if p not in installed]


# Wait for another apt or dpkg run (another lab, DevStack) to finish
# instead of failing on its lock.
APT_GET = ['apt-get', '-o', 'DPkg::Lock::Timeout=600']


def ensure(packages, allow_install):
    """Install what is missing; return the list installed."""
    todo = missing(packages)
    if not todo:
        return []
    if not allow_install:
        raise errors.LabError(
            'missing packages: %s; install them (apt-get install %s) or '
            'set install_packages = true' % (' '.join(todo), ' '.join(todo)))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    LOG.info('installing %s', ' '.join(todo))
    commands.run(APT_GET + ['update', '-q'], check=False, env=env,
                 timeout=900)
    with no_service_autostart():
        commands.run(APT_GET + ['install', '-y', '-q',
                                '--no-install-recommends'] + todo,
                     env=env, timeout=1800)
    return todo


POLICY_RC_D = '/usr/sbin/policy-rc.d'


@contextlib.contextmanager
def no_service_autostart(path=POLICY_RC_D):
    """Keep maintainer scripts from starting the packaged daemons.

    MariaDB, RabbitMQ and memcached run under the lab's supervisord; their
    init scripts would otherwise start system-wide copies on the default
    ports. A policy-rc.d that denies starts is put in place only when the
    machine has none, and removed afterwards; an existing one is left
    untouched.
    """
    if os.path.lexists(path):
        yield
        return
    files.write_file(path, '#!/bin/sh\n# cinder-backup-lab: package '
                     'install in progress\nexit 101\n', 0o755)
    try:
        yield
    finally:
        os.unlink(path)


def free_disk_bytes(path):
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return shutil.disk_usage(path).free
