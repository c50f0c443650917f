"""What the lab hands to services it does not run (DevStack's).

- the client files: a client-only ceph.conf and the keyrings of the
  volume, backup and probe users, exported to [DEFAULT] client_conf_dir;
- "configure-cinder": the backup options of a c-bak, its AZ and host,
  and the RBD options of a volume backend, edited into a cinder.conf;
- "tempest-conf": the Tempest plugin's [cinder_backup_lab] options,
  edited into a tempest.conf.

The option values come from the same functions the lab uses for its own
Cinder and Tempest (cinder.backup_options, outputs.tempest_plugin_options).
"""

import json
import logging
import os
import pwd

from cinder_backup_lab import ceph
from cinder_backup_lab import cinder
from cinder_backup_lab import config
from cinder_backup_lab import inifile
from cinder_backup_lab import utils

LOG = logging.getLogger(__name__)

EXPORT_RECORD = 'client-export.json'


# -- client files -----------------------------------------------------------

def client_conf_path(conf):
    return os.path.join(conf.client_conf_dir, '%s.conf' % ceph.CLUSTER)


def client_keyring_path(conf, user):
    """Where librados and os-brick look: <dir>/ceph.client.<user>.keyring."""
    return os.path.join(conf.client_conf_dir, '%s.client.%s.keyring'
                        % (ceph.CLUSTER, user))


def exported_users(conf):
    return [conf.ceph.volume_user, conf.ceph.backup_user, ceph.PROBE_USER]


def client_files(conf, fsid):
    """{path: (content or keyring source path, mode)} to export."""
    paths = ceph.CephPaths(conf.state_dir)
    mon_host = ceph.mon_addrs(conf.bind_host, conf.ceph.mon_port,
                              conf.ceph.mon_port_v1)
    files = {client_conf_path(conf): (
        ceph.render_client_conf(fsid, mon_host, conf.client_conf_dir),
        0o644)}
    for user in exported_users(conf):
        with open(paths.keyring('client.%s' % user)) as f:
            files[client_keyring_path(conf, user)] = (f.read(), 0o640)
    return files


def _record_path(conf):
    return os.path.join(conf.state_dir, EXPORT_RECORD)


def exported(conf):
    """Paths this lab exported (from its record in the state dir)."""
    try:
        with open(_record_path(conf)) as f:
            return list(json.load(f).get('files', []))
    except (OSError, ValueError):
        return []


def export_client_files(conf, fsid):
    """Write the client files into client_conf_dir; return paths changed.

    A file already there that this lab did not export is only replaced
    when its content is the same: it may belong to another cluster.
    """
    if not conf.client_conf_dir:
        return []
    owner = pwd.getpwnam(conf.client_owner)
    files = client_files(conf, fsid)
    ours = set(exported(conf))
    for path, (content, _mode) in sorted(files.items()):
        if path in ours or not os.path.exists(path):
            continue
        with open(path) as f:
            if f.read() != content:
                raise utils.LabError(
                    '%s exists and was not exported by this lab; move it '
                    'away or set [DEFAULT] client_conf_dir to another '
                    'directory' % path)
    os.makedirs(conf.client_conf_dir, mode=0o755, exist_ok=True)
    # Recorded before writing: clean must find a file even if we stop
    # half way.
    utils.write_file(_record_path(conf), json.dumps(
        {'files': sorted(ours | set(files))}, indent=1) + '\n', 0o600)
    changed = []
    for path, (content, mode) in sorted(files.items()):
        if utils.write_if_changed(path, content, mode):
            changed.append(path)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return changed


def remove_exported_files(conf):
    """Remove exactly the files this lab exported; return them."""
    removed = []
    for path in exported(conf):
        try:
            os.unlink(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    try:
        os.unlink(_record_path(conf))
    except FileNotFoundError:
        pass
    return removed


# -- configure-cinder ---------------------------------------------------------

def _need_client_dir(conf, what):
    if not conf.client_conf_dir:
        raise utils.LabError(
            '%s needs [DEFAULT] client_conf_dir: Cinder reads ceph.conf and '
            'the keyrings from there (DevStack: /etc/ceph)' % what)


def cinder_conf_changes(conf, driver=None, availability_zone=None,
                        backup_host=None, volume_backend=None):
    """[(section, option, value)] that configure-cinder writes."""
    changes = []
    if driver:
        zones = {d: az for d, _h, az in cinder.backup_services(conf)}
        if driver not in zones:
            raise utils.LabError(
                'profile %s has no %s backup driver; use --driver %s or '
                'change [DEFAULT] profile'
                % (conf.profile, driver, ' or '.join(sorted(zones))))
        if availability_zone and availability_zone != zones[driver]:
            raise utils.LabError(
                '--availability-zone %s differs from %s, the AZ of the %s '
                'c-bak in the lab config that tempest-conf gives Tempest; '
                'set [cinder] %s = %s' % (
                    availability_zone, zones[driver], driver,
                    'swift_az' if zones[driver] == conf.cinder.swift_az
                    else 'default_az', availability_zone))
        if driver == cinder.CEPH:
            _need_client_dir(conf, '--driver ceph')
        try:
            options = cinder.backup_options(conf, driver,
                                            client_conf_path(conf))
        except utils.LabError as exc:
            raise utils.LabError(
                '%s; with [ceph] deploy = false copy it from the node '
                'that deploys RGW, or use [backup_swift] auth = per_user'
                % exc)
        changes += [('DEFAULT', k, v) for k, v in options]
    if availability_zone:
        changes.append(('DEFAULT', 'storage_availability_zone',
                        availability_zone))
    if backup_host:
        changes.append(('DEFAULT', 'host', backup_host))
    if volume_backend:
        _need_client_dir(conf, '--volume-backend')
        # No rbd_keyring_conf: Cinder dropped it (OSSN-0085); librados
        # finds the keyring through the exported ceph.conf, os-brick in
        # /etc/ceph/ceph.client.<user>.keyring.
        changes += [(volume_backend, 'rbd_ceph_conf', client_conf_path(conf)),
                    (volume_backend, 'rbd_user', conf.ceph.volume_user),
                    (volume_backend, 'rbd_pool', conf.ceph.volumes_pool)]
    if not changes:
        raise utils.LabError('nothing to configure: give --driver, '
                             '--availability-zone, --backup-host or '
                             '--volume-backend')
    return changes


def _check(conf):
    # A bad lab config must not reach somebody else's cinder.conf.
    errors = config.validate(conf)
    if errors:
        raise utils.LabError('invalid lab config:\n  - '
                             + '\n  - '.join(errors))


def configure_cinder(conf, path, **kwargs):
    """Edit cinder.conf at path; return the (section, option) changed."""
    _check(conf)
    return _edit(path, cinder_conf_changes(conf, **kwargs))


# -- tempest-conf -------------------------------------------------------------

def tempest_conf_changes(conf):
    from cinder_backup_lab import outputs
    return [(outputs.TEMPEST_GROUP, k, v)
            for k, v in outputs.tempest_plugin_options(conf)]


def tempest_conf(conf, path):
    """Edit tempest.conf at path; return the (section, option) changed."""
    _check(conf)
    if not conf.deploy_openstack:
        _need_client_dir(conf, 'tempest-conf')
    return _edit(path, tempest_conf_changes(conf))


def _edit(path, changes):
    try:
        return inifile.edit(path, changes)
    except OSError as exc:
        raise utils.LabError('cannot edit %s: %s; check the path and that '
                             'its directory is writable' % (path, exc))
