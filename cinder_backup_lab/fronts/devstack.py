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

"""The DevStack front: what DevStack's plugin calls besides up/down/clean.

DevStack runs Cinder and Tempest itself; the plugin runs the storage half
(`up` with deploy_openstack = false, the client files exported to
/etc/ceph) and then edits DevStack's files in place:
- "configure-cinder": the backup options of a c-bak, its AZ and host,
  and the RBD options of a volume backend, into a cinder.conf;
- "tempest-conf": the Tempest plugin's [cinder_backup_lab] options, into
  a tempest.conf.

The values come from the functions the standalone lab uses for its own
Cinder and Tempest (cinder_conf.backup_options,
tempest_conf.tempest_plugin_options).
"""

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.host import inifile
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import client_files


# -- configure-cinder ---------------------------------------------------------

def _need_client_dir(conf, what):
    if not conf.client_conf_dir:
        raise errors.LabError(
            '%s needs [DEFAULT] client_conf_dir: Cinder reads ceph.conf and '
            'the keyrings from there (DevStack: /etc/ceph)' % what)


def cinder_conf_changes(conf, driver=None, availability_zone=None,
                        backup_host=None, volume_backend=None):
    """[(section, option, value)] that configure-cinder writes."""
    changes = []
    if driver:
        zones = {d: az for d, _h, az in cinder_conf.backup_services(conf)}
        if driver not in zones:
            raise errors.LabError(
                'profile %s has no %s backup driver; use --driver %s or '
                'change [DEFAULT] profile'
                % (conf.profile, driver, ' or '.join(sorted(zones))))
        if availability_zone and availability_zone != zones[driver]:
            raise errors.LabError(
                '--availability-zone %s differs from %s, the AZ of the %s '
                'c-bak in the lab config that tempest-conf gives Tempest; '
                'set [cinder] %s = %s' % (
                    availability_zone, zones[driver], driver,
                    next(o for o in ('default_az', 'swift_az', 'posix_az',
                                     's3_az', 'glusterfs_az')
                         if getattr(conf.cinder, o) == zones[driver]),
                    availability_zone))
        if driver == config.CEPH:
            _need_client_dir(conf, '--driver ceph')
        try:
            options = cinder_conf.backup_options(
                conf, driver, client_files.conf_path(conf))
        except errors.LabError as exc:
            raise errors.LabError(
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
        changes += [(volume_backend, 'rbd_ceph_conf',
                     client_files.conf_path(conf)),
                    (volume_backend, 'rbd_user', conf.ceph.volume_user),
                    (volume_backend, 'rbd_pool', conf.ceph.volumes_pool)]
    if not changes:
        raise errors.LabError('nothing to configure: give --driver, '
                              '--availability-zone, --backup-host or '
                              '--volume-backend')
    return changes


def _check(conf):
    # A bad lab config must not reach somebody else's cinder.conf.
    problems = config.validate(conf)
    if problems:
        raise errors.LabError('invalid lab config:\n  - '
                              + '\n  - '.join(problems))


def configure_cinder(conf, path, **kwargs):
    """Edit cinder.conf at path; return the (section, option) changed."""
    _check(conf)
    return _edit(path, cinder_conf_changes(conf, **kwargs))


# -- tempest-conf -------------------------------------------------------------

def tempest_conf_changes(conf):
    return [(tempest_conf.TEMPEST_GROUP, k, v)
            for k, v in tempest_conf.tempest_plugin_options(conf)]


def edit_tempest_conf(conf, path):
    """Edit tempest.conf at path; return the (section, option) changed."""
    _check(conf)
    if not conf.deploy_openstack:
        _need_client_dir(conf, 'tempest-conf')
    return _edit(path, tempest_conf_changes(conf))


def _edit(path, changes):
    try:
        return inifile.edit(path, changes)
    except OSError as exc:
        raise errors.LabError('cannot edit %s: %s; check the path and that '
                              'its directory is writable' % (path, exc))
