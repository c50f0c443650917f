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

"""Backups land in the container asked for, and only there."""

import base64
import json

from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from tempest_plugin.tests import base


class CinderBackupLabContainerTest(base.BaseCinderBackupLabTest):
    """Create, show, list and delete a backup in each configured container.

    For each container of each driver: back the volume up into it, check
    that show and list --detail report that container, that the backend
    holds the backup there and in no other configured container, delete
    it, and check the backend holds nothing of it anymore.
    """

    def _each_container(self, driver):
        self.skip_unless_driver(driver)
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

    @decorators.idempotent_id('0c62490a-3a40-4c3f-a571-778c202e0653')
    def test_ceph_backup_lands_in_each_requested_pool(self):
        self._each_container(base.CEPH)

    @decorators.idempotent_id('3ce472d9-f787-455d-ac5b-acfa5be9ae82')
    def test_swift_backup_lands_in_each_requested_container(self):
        self._each_container(base.SWIFT)

    @decorators.idempotent_id('f14409d2-7f5b-47d0-aaea-9e3ded03331d')
    def test_ceph_backup_delete_leaves_no_snapshot_on_source(self):
        """Upstream bug: _try_delete_base_image never finds the source."""
        self.skip_unless_driver(base.CEPH)
        volume = self.create_test_volume()
        self.write_data(volume, 0)
        backup = self.backup_volume(volume['id'], base.CEPH)
        self.assertNotEqual([], self.ceph.source_backup_snapshots(
            volume['id']), 'the Ceph driver keeps a snapshot on the source '
            'while the backup exists; none found')
        self.delete_backup_and_wait(backup['id'])
        self.assert_backup_gone(base.CEPH, backup)
        self.check_known_bug(
            'backup-snapshot-left-on-source',
            'Cinder bug: deleting the last Ceph backup of a volume leaves '
            'backup.<id>.snap.<ts> on volume-<id> (_try_delete_base_image '
            'looks for the source in the backup pool)',
            self.assert_no_source_snapshots, volume['id'])


class CinderBackupLabExportImportTest(base.BaseCinderBackupLabTest):
    """Export a backup record, import it, restore the import.

    Steps per driver: write data, back up, export the record (admin),
    import it under a new id (the original id still exists), restore the
    imported backup (admin) onto a new volume and compare checksums.
    """

    credentials = ['primary', 'admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.admin_backups_client = cls.os_admin.backups_client_latest

    @staticmethod
    def _with_new_id(backup_url, new_id):
        record = json.loads(base64.b64decode(backup_url))
        record['id'] = new_id
        return base64.b64encode(json.dumps(record).encode()).decode()

    def _export_import_restore(self, driver):
        self.skip_unless_driver(driver)
        if driver == base.SWIFT and (
                base.lab_conf().swift_backup_auth == 'per_user'):
            # The import belongs to the importing (admin) project, and in
            # per_user mode the Swift driver reads the account of the
            # project that asks, where the objects are not.
            raise self.skipException(
                'per_user Swift backups cannot be restored by another '
                'project after export/import ([cinder_backup_lab] '
                'swift_backup_auth = per_user)')
        volume = self.create_test_volume()
        checksum = self.write_data(volume, 0)
        backup = self.backup_volume(volume['id'], driver)
        record = self.admin_backups_client.export_backup(
            backup['id'])['backup-record']
        self.assertTrue(record['backup_service'].startswith(
            'cinder.backup.drivers.'))
        new_id = data_utils.rand_uuid()
        self.addCleanup(self.admin_backups_client.wait_for_resource_deletion,
                        new_id)
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.admin_backups_client.delete_backup, new_id)
        imported = self.admin_backups_client.import_backup(
            backup_service=record['backup_service'],
            backup_url=self._with_new_id(record['backup_url'],
                                         new_id))['backup']
        self.assertEqual(new_id, imported['id'])
        self.wait_backup(new_id, client=self.admin_backups_client)
        imported = self.admin_backups_client.show_backup(new_id)['backup']
        self.assertEqual(backup['container'], imported['container'])
        # The import belongs to the admin's project: restore it as admin
        # onto a volume of ours.
        target = self.create_test_volume()
        self.restore(imported, volume_id=target['id'],
                     client=self.admin_backups_client)
        self.assertEqual(checksum, self.volume_checksum(target['id']))

    @decorators.idempotent_id('0b02c530-b533-4a58-80e1-91e038037fec')
    def test_ceph_export_import_restore(self):
        self._export_import_restore(base.CEPH)

    @decorators.idempotent_id('082f5607-1b29-4268-b2b7-0f1753555694')
    def test_swift_export_import_restore(self):
        self._export_import_restore(base.SWIFT)


class CinderBackupLabNegativeTest(base.BaseCinderBackupLabTest):
    """Requests that must fail cleanly, leaving nothing behind."""

    credentials = ['primary', 'admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.admin_quotas_client = cls.os_admin.volume_quotas_client_latest

    @decorators.attr(type='negative')
    @decorators.idempotent_id('9a552990-068c-48a2-b42f-8a1a8bd4bdcd')
    def test_ceph_backup_into_missing_pool_errors(self):
        self.skip_unless_driver(base.CEPH)
        missing = base.lab_conf().missing_ceph_pool
        self.assertFalse(self.ceph.pool_exists(missing),
                         'pool %s must not exist for this test' % missing)
        volume = self.create_test_volume()
        self.write_data(volume, 0)
        backup = self.backup_volume(volume['id'], base.CEPH,
                                    container=missing, wait_for='error')
        self.assertEqual('error', backup['status'])
        self.assertTrue(backup.get('fail_reason'),
                        'backup in error without a fail_reason')
        self.assertFalse(self.ceph.pool_exists(missing),
                         'the backup created pool %s' % missing)
        self.assertEqual([], [s for s in self.ceph.source_backup_snapshots(
            volume['id']) if s.startswith('backup.%s.' % backup['id'])])
        # The volume is usable again.
        volume = self.volumes_client.show_volume(volume['id'])['volume']
        self.assertEqual('available', volume['status'])

    @decorators.attr(type='negative')
    @decorators.idempotent_id('627c9063-64c3-480f-b0ac-b885d1af2ce2')
    def test_backup_over_quota_is_refused(self):
        driver = self.enabled_drivers()[0]
        project_id = self.backups_client.project_id
        self.addCleanup(self.admin_quotas_client.delete_quota_set,
                        project_id)
        self.admin_quotas_client.update_quota_set(project_id, backups=0)
        volume = self.create_test_volume()
        kwargs = {}
        if self.availability_zone(driver):
            kwargs['availability_zone'] = self.availability_zone(driver)
        self.assertRaises(lib_exc.OverLimit,
                          self.backups_client.create_backup,
                          volume_id=volume['id'], **kwargs)
        self.assertEqual([], [b for b in self.backups_client.list_backups(
            detail=True)['backups'] if b['volume_id'] == volume['id']])

    @decorators.attr(type='negative')
    @decorators.idempotent_id('eb3f5c49-eb8b-4bd8-abc6-5fd3e873eb20')
    def test_restore_into_smaller_volume_is_refused(self):
        driver = self.enabled_drivers()[0]
        size = base.lab_conf().volume_size
        volume = self.create_test_volume(size=size + 1)
        self.write_data(volume, 0)
        backup = self.backup_volume(volume['id'], driver)
        small = self.create_test_volume(size=size)
        self.assertRaises(lib_exc.BadRequest,
                          self.backups_client.restore_backup,
                          backup['id'], volume_id=small['id'])
        self.assertEqual('available', self.volumes_client.show_volume(
            small['id'])['volume']['status'])
        self.assertEqual('available', self.backups_client.show_backup(
            backup['id'])['backup']['status'])
