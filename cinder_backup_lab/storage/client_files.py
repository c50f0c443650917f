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

"""Ceph client files the lab writes outside its state directory.

Two kinds, one bookkeeping:
- the export for services the lab does not run (DevStack's): a client
  ceph.conf and the keyrings of the volume, backup and probe users in
  [DEFAULT] client_conf_dir;
- the volume user's keyring in /etc/ceph for the lab's own c-bak: os-brick
  reads /etc/ceph/<cluster>.client.<user>.keyring and nothing else.

Every such path is recorded in the state dir before it is written, so
`clean` removes exactly those. A file already there that this lab did not
write is replaced only when it holds the same content: it may belong to
another cluster or another lab (two labs with one volume user name would
break each other's restores).
"""

import json
import os
import pwd

from cinder_backup_lab import errors
from cinder_backup_lab.host import files
from cinder_backup_lab.storage import ceph

RECORD = 'outside-files.json'
# Where os-brick looks for an RBD user's key when Cinder does not pass one
# in the connection info (it does not since OSSN-0085).
OS_BRICK_DIR = '/etc/ceph'


def conf_path(conf):
    """The exported client ceph.conf."""
    return os.path.join(conf.client_conf_dir, '%s.conf' % ceph.CLUSTER)


def keyring_path(directory, user):
    """<directory>/ceph.client.<user>.keyring, as librados and os-brick."""
    return os.path.join(directory, '%s.client.%s.keyring'
                        % (ceph.CLUSTER, user))


def exported_users(conf):
    """cephx users whose keyrings are exported: those the profile has."""
    return [u for u in (conf.ceph.volume_user, ceph.backup_user(conf),
                        ceph.PROBE_USER) if u]


class OutsideFiles:
    """The lab's record of the files it wrote outside its state dir."""

    def __init__(self, state_dir):
        self.record = os.path.join(state_dir, RECORD)

    def paths(self):
        try:
            with open(self.record) as f:
                return list(json.load(f).get('files', []))
        except (OSError, ValueError):
            return []

    def check(self, path, content):
        """Refuse to take over a file that another owner wrote."""
        if path in self.paths():
            return
        current = files.read(path)
        if current is not None and current != content:
            raise errors.LabError(
                '%s exists and was not written by the lab in %s; it may '
                'belong to another cluster or lab (os-brick reads one '
                'keyring per user name on a machine): move it away, or '
                'give this lab another [DEFAULT] client_conf_dir or [ceph] '
                'volume_user' % (path, os.path.dirname(self.record)))

    def write(self, path, content, mode, owner=None):
        """Write path, recorded first; True when its content changed."""
        self.check(path, content)
        known = self.paths()
        if path not in known:
            # Recorded before writing: clean must find a file even if the
            # lab stops half way.
            files.write_file(self.record, json.dumps(
                {'files': sorted(known + [path])}, indent=1) + '\n', 0o600)
        changed = files.read(path) != content
        if changed:
            files.write_file(path, content, mode, owner=owner)
        os.chmod(path, mode)
        if owner:
            os.chown(path, *owner)
        return changed

    def remove(self, paths=None):
        """Remove recorded files (all by default); return those removed.

        A path the record does not list is left alone.
        """
        known = self.paths()
        doomed = [p for p in known if paths is None or p in paths]
        removed = []
        for path in doomed:
            try:
                os.unlink(path)
                removed.append(path)
            except FileNotFoundError:
                pass
        rest = [p for p in known if p not in doomed]
        if rest:
            files.write_file(self.record, json.dumps(
                {'files': rest}, indent=1) + '\n', 0o600)
        elif os.path.exists(self.record):
            os.unlink(self.record)
        return removed


def export(conf, fsid, paths):
    """Write the client files into client_conf_dir; return paths changed.

    paths: the cluster's CephPaths (the keyrings are copied from there).
    """
    if not conf.client_conf_dir:
        return []
    owner = pwd.getpwnam(conf.client_owner)
    mon_host = ceph.mon_addrs(conf.bind_host, conf.ceph.mon_port,
                              conf.ceph.mon_port_v1)
    wanted = {conf_path(conf): (ceph.render_client_conf(
        fsid, mon_host, conf.client_conf_dir), 0o644)}
    for user in exported_users(conf):
        wanted[keyring_path(conf.client_conf_dir, user)] = (
            files.read(paths.keyring('client.%s' % user)), 0o640)
    outside = OutsideFiles(conf.state_dir)
    # Every file is checked before any is written: all or nothing.
    for path, (content, _mode) in sorted(wanted.items()):
        outside.check(path, content)
    os.makedirs(conf.client_conf_dir, mode=0o755, exist_ok=True)
    return [path for path, (content, mode) in sorted(wanted.items())
            if outside.write(path, content, mode,
                             owner=(owner.pw_uid, owner.pw_gid))]


def place_os_brick_keyring(conf, paths, directory=OS_BRICK_DIR):
    """Copy the volume user's keyring to where os-brick reads it (0600)."""
    user = conf.ceph.volume_user
    dst = keyring_path(directory, user)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    OutsideFiles(conf.state_dir).write(
        dst, files.read(paths.keyring('client.%s' % user)), 0o600)
    return dst
