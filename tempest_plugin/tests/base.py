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

"""Base class of the cinder-backup-lab tests.

Every resource a test makes is cleaned up by the test itself, waiter
first and delete second (cleanups run last-in first-out, so teardown
deletes, then waits), NotFound-tolerant, so nothing leaks when a test
fails half way. Backend objects are checked gone, not assumed gone.
"""

from tempest.api.volume import base as volume_base
from tempest.common import waiters
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

from tempest_plugin.common import ceph_probe
from tempest_plugin.common import gcs_probe
from tempest_plugin.common import glusterfs_probe
from tempest_plugin.common import posix_probe
from tempest_plugin.common import s3_probe
from tempest_plugin.common import swift_probe
from tempest_plugin.common import volume_data

CONF = config.CONF
CEPH = 'ceph'
SWIFT = 'swift'
POSIX = 'posix'
S3 = 's3'
GLUSTERFS = 'glusterfs'
GOOGLE = 'google'
# Drivers [cinder_backup_lab] backup_drivers may list.
MORE_DRIVERS = (POSIX, S3, GLUSTERFS, GOOGLE)


def lab_conf():
    return CONF.cinder_backup_lab


def more_drivers():
    """{driver: (az, [containers])} of [cinder_backup_lab] backup_drivers.

    Entries "<driver>:<az>:<container>[+<container>...]"; a malformed one
    is an error naming it, not a silent skip.
    """
    found = {}
    for entry in lab_conf().backup_drivers:
        parts = entry.split(':')
        if len(parts) != 3 or parts[0] not in MORE_DRIVERS or not all(
                parts[2].split('+')):
            raise ValueError(
                '[cinder_backup_lab] backup_drivers entry %r: use '
                '"<driver>:<az>:<container>[+<container>...]" with driver '
                'one of %s' % (entry, ', '.join(MORE_DRIVERS)))
        driver, az, containers = parts
        if driver in found:
            raise ValueError('[cinder_backup_lab] backup_drivers lists %s '
                             'twice' % driver)
        found[driver] = (az or None, containers.split('+'))
    return found


class BaseCinderBackupLabTest(volume_base.BaseVolumeTest):
    """Volumes with known data, backups per driver and container."""

    # Backup create with an availability zone needs 3.51.
    volume_min_microversion = '3.51'
    volume_max_microversion = 'latest'
    # Drivers a test class needs; it is skipped if one is not configured.
    required_drivers = ()

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.volume_feature_enabled.backup:
            raise cls.skipException('Cinder backup is not enabled '
                                    '([volume-feature-enabled] backup)')
        enabled = cls.enabled_drivers()
        if not enabled:
            raise cls.skipException(
                'no backup driver configured: set [cinder_backup_lab] '
                'ceph_backup_enabled and/or swift_backup_enabled')
        for driver in cls.required_drivers:
            if driver not in enabled:
                raise cls.skipException(
                    '%s needs the %s backup driver ([cinder_backup_lab] '
                    '%s_backup_enabled = False)' % (cls.__name__, driver,
                                                    driver))

    @classmethod
    def enabled_drivers(cls):
        conf = lab_conf()
        return [d for d, on in ((CEPH, conf.ceph_backup_enabled),
                                (SWIFT, conf.swift_backup_enabled)) if on
                ] + list(more_drivers())

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        conf = lab_conf()
        cls.ceph = ceph_probe.CephProbe(
            conf.ceph_conf, conf.ceph_probe_user, conf.ceph_probe_keyring,
            conf.ceph_volumes_pool)
        cls.swift = None
        if conf.swift_backup_enabled:
            cls.swift = cls.swift_probe()
        more = more_drivers()
        cls.posix = cls.s3 = cls.glusterfs = cls.gcs = None
        if POSIX in more:
            cls.posix = posix_probe.PosixProbe(conf.posix_backup_path)
        if S3 in more:
            cls.s3 = s3_probe.S3Probe(conf.s3_endpoint_url,
                                      conf.s3_access_key, conf.s3_secret_key)
        if GLUSTERFS in more:
            cls.glusterfs = glusterfs_probe.GlusterfsProbe(
                conf.glusterfs_backup_path)
        if GOOGLE in more:
            cls.gcs = gcs_probe.GcsProbe(conf.gcs_endpoint_url,
                                         conf.gcs_ca_file,
                                         conf.gcs_project_id)

    @classmethod
    def swift_probe(cls):
        """A probe of the Swift account the Swift c-bak writes to."""
        conf = lab_conf()
        if conf.swift_backup_auth == 'per_user':
            # The account of the primary project, which owns the backups.
            auth = cls.os_primary.auth_provider
            url = auth.base_url(filters={
                'service': CONF.object_storage.catalog_type,
                'endpoint_type': CONF.object_storage.endpoint_type,
                'region': CONF.object_storage.region or
                CONF.identity.region})
            return swift_probe.SwiftProbe(storage_url=url,
                                          token=auth.get_token())
        return swift_probe.SwiftProbe(conf.swift_auth_url, conf.swift_user,
                                      conf.swift_key)

    # -- configuration ---------------------------------------------------
    @staticmethod
    def containers(driver):
        conf = lab_conf()
        if driver in MORE_DRIVERS:
            return list(more_drivers()[driver][1])
        return list(conf.ceph_backup_pools if driver == CEPH
                    else conf.swift_backup_containers)

    @staticmethod
    def availability_zone(driver):
        conf = lab_conf()
        if driver in MORE_DRIVERS:
            return more_drivers()[driver][0]
        return (conf.ceph_backup_availability_zone if driver == CEPH
                else conf.swift_backup_availability_zone)

    def skip_unless_driver(self, driver):
        if driver not in self.enabled_drivers():
            raise self.skipException(
                'the %s backup driver is not configured ([cinder_backup_lab] '
                '%s)' % (driver, 'backup_drivers has no %s entry' % driver
                         if driver in MORE_DRIVERS
                         else '%s_backup_enabled = False' % driver))

    def skip_unless_more_drivers(self):
        """The drivers of backup_drivers; skip, saying so, when none."""
        drivers = list(more_drivers())
        if not drivers:
            raise self.skipException(
                'no driver in [cinder_backup_lab] backup_drivers (posix, '
                's3, glusterfs, google entries '
                '"<driver>:<az>:<container>[+...]")')
        return drivers

    def known_bug(self, name):
        return name in lab_conf().known_cinder_bugs

    def check_known_bug(self, name, reason, check, *args):
        """Run a check that an upstream Cinder bug listed in config fails.

        With the bug listed, the test ends as an expected failure naming
        it, or as an unexpected success (a failure) once Cinder is fixed.
        Call it last: an expected failure ends the test.
        """
        if self.known_bug(name):
            self.expectFailure('%s [known_cinder_bugs: %s]' % (reason, name),
                               check, *args)
        else:
            check(*args)

    # -- volumes ----------------------------------------------------------
    def create_test_volume(self, size=None, **kwargs):
        """A volume of the RBD backend, cleaned up by this test."""
        kwargs.setdefault('name', data_utils.rand_name(
            prefix=CONF.resource_name_prefix,
            name=self.__class__.__name__ + '-volume'))
        kwargs.setdefault('volume_type', lab_conf().volume_type)
        volume = self.volumes_client.create_volume(
            size=size or lab_conf().volume_size, **kwargs)['volume']
        self.addCleanup(self.volumes_client.wait_for_resource_deletion,
                        volume['id'])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.volumes_client.delete_volume, volume['id'])
        # Runs before the delete: a snapshot left on the image by an
        # upstream bug would block the volume's deletion.
        self.addCleanup(self._purge_backup_snapshots, volume['id'])
        waiters.wait_for_volume_resource_status(
            self.volumes_client, volume['id'], 'available')
        volume['writes'] = []
        return volume

    def _purge_backup_snapshots(self, volume_id):
        if not self.known_bug('backup-snapshot-left-on-source'):
            return
        try:
            self.ceph.remove_backup_snapshots(volume_id)
        except Exception:  # noqa: B902 - best effort, the delete reports
            pass

    def write_data(self, volume, generation):
        """Write generation-specific data into the volume (via librbd)."""
        size = volume['size'] * 1024 ** 3
        seed = '%s:%d' % (volume['id'], generation)
        extents = volume_data.layout(size, generation)
        self.ceph.write_pattern(volume['id'], seed, extents)
        volume['writes'].extend((seed, off, ln) for off, ln in extents)
        return self.expected_checksum(volume)

    @staticmethod
    def expected_checksum(volume):
        return volume_data.expected_sha256(volume['size'] * 1024 ** 3,
                                           volume['writes'])

    def volume_checksum(self, volume_id):
        return self.ceph.checksum(volume_id)

    # -- backups ----------------------------------------------------------
    def backup_volume(self, volume_id, driver, container=None,
                      wait_for='available', client=None, **kwargs):
        """Back a volume up through one driver's c-bak; cleaned up."""
        client = client or self.backups_client
        kwargs.setdefault('name', data_utils.rand_name(
            prefix=CONF.resource_name_prefix,
            name=self.__class__.__name__ + '-backup'))
        if container:
            kwargs['container'] = container
        zone = self.availability_zone(driver)
        if zone:
            kwargs['availability_zone'] = zone
        backup = client.create_backup(volume_id=volume_id,
                                      **kwargs)['backup']
        self.addCleanup(client.wait_for_resource_deletion, backup['id'])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        client.delete_backup, backup['id'])
        # Runs first: a backup still creating or restoring (a test that
        # failed half way) refuses the delete.
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.wait_backup_settled, backup['id'], client)
        if wait_for:
            self.wait_backup(backup['id'], wait_for, client)
        return client.show_backup(backup['id'])['backup']

    def wait_backup(self, backup_id, status='available', client=None):
        client = client or self.backups_client
        try:
            waiters.wait_for_volume_resource_status(client, backup_id,
                                                    status)
        except lib_exc.TempestException:
            backup = client.show_backup(backup_id)['backup']
            self.fail('backup %s (container %s) is %s, not %s: %s' % (
                backup_id, backup.get('container'), backup['status'],
                status, backup.get('fail_reason')))

    def wait_backup_settled(self, backup_id, client=None):
        """Wait until a backup is no longer in a transient state."""
        client = client or self.backups_client
        status = {}

        def settled():
            status['now'] = client.show_backup(backup_id)['backup']['status']
            return status['now'] not in ('creating', 'deleting', 'restoring')
        if not test_utils.call_until_true(settled, client.build_timeout,
                                          client.build_interval):
            self.fail('backup %s still %s after %ss' % (
                backup_id, status.get('now'), client.build_timeout))

    def delete_backup_and_wait(self, backup_id):
        self.backups_client.delete_backup(backup_id)
        self.backups_client.wait_for_resource_deletion(backup_id)

    def restore(self, backup, volume_id=None, client=None):
        """Restore a backup to a new volume or onto volume_id.

        Returns the id of the restored volume; a new one is cleaned up.
        Fails (an assertion, so known bugs can be expected failures) when
        the restore ends in error. client: the backups client that sees
        the backup (an imported one belongs to the admin's project).
        """
        client = client or self.backups_client
        kwargs = {'volume_id': volume_id} if volume_id else {}
        restore = client.restore_backup(backup['id'], **kwargs)['restore']
        if volume_id:
            return self._wait_restored(backup, restore['volume_id'], client)
        return self.track_restored_volume(restore, backup)

    def track_restored_volume(self, restore, backup=None):
        """Clean up the new volume of a restore; wait until it is done."""
        target = restore['volume_id']
        self.addCleanup(self.volumes_client.wait_for_resource_deletion,
                        target)
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.volumes_client.delete_volume, target)
        backup = backup or self.backups_client.show_backup(
            restore['backup_id'])['backup']
        return self._wait_restored(backup, target)

    def _wait_restored(self, backup, target, client=None):
        try:
            waiters.wait_for_volume_resource_status(
                self.volumes_client, target, 'available')
        except lib_exc.TempestException as exc:
            status = self.volumes_client.show_volume(
                target)['volume']['status']
            self.fail('restore of backup %s (container %s) into volume %s '
                      'ended in %s: %s' % (backup['id'], backup['container'],
                                           target, status, exc))
        self.wait_backup(backup['id'], client=client)
        return target

    # -- backend checks ----------------------------------------------------
    def backend_artifacts(self, driver, container, backup):
        """What the driver's backend holds of a backup in a container."""
        if driver == CEPH:
            return self.ceph.backup_artifacts(container, backup['volume_id'],
                                              backup['id'])
        probe = {SWIFT: self.swift, POSIX: self.posix, S3: self.s3,
                 GLUSTERFS: self.glusterfs, GOOGLE: self.gcs}[driver]
        return probe.backup_objects(container, backup['volume_id'],
                                    backup['id'])

    def assert_backup_only_in(self, driver, container, backup):
        """The backend holds the backup in `container` and nowhere else."""
        found = self.backend_artifacts(driver, container, backup)
        self.assertNotEqual([], found, '%s backup %s has nothing in %s'
                            % (driver, backup['id'], container))
        for other in self.containers(driver):
            if other != container:
                self.assertEqual(
                    [], self.backend_artifacts(driver, other, backup),
                    '%s backup %s asked for %s also has data in %s'
                    % (driver, backup['id'], container, other))
        return found

    def assert_backup_gone(self, driver, backup):
        for container in set(self.containers(driver) +
                             [backup['container']]):
            self.assertEqual(
                [], self.backend_artifacts(driver, container, backup),
                '%s backup %s left data in %s after delete'
                % (driver, backup['id'], container))

    def backup_into_each_container(self, driver):
        """A backup per container of a driver, found there only; deleted.

        For each container: back the volume up into it, check that show
        and list --detail report that container, that the backend holds
        the backup there and in no other container of the driver, delete
        it, and check the backend holds nothing of it anymore.
        """
        volume = self.create_test_volume()
        self.write_data(volume, 0)
        for container in self.containers(driver):
            backup = self.backup_volume(volume['id'], driver,
                                        container=container)
            self.assertEqual(container, backup['container'])
            self.assertEqual(volume['id'], backup['volume_id'])
            listed = {b['id']: b for b in self.backups_client.list_backups(
                detail=True)['backups']}
            self.assertIn(backup['id'], listed)
            self.assertEqual(container, listed[backup['id']]['container'])
            self.assert_backup_only_in(driver, container, backup)
            self.delete_backup_and_wait(backup['id'])
            self.assert_backup_gone(driver, backup)

    def assert_no_source_snapshots(self, volume_id):
        """No backup.*.snap.* left on the source volume's image."""
        snaps = self.ceph.source_backup_snapshots(volume_id)
        self.assertEqual([], snaps, 'backup snapshots left on volume-%s'
                         % volume_id)
