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

"""The Tempest plugin's backend probes, against the lab's real Ceph/RGW.

Images and objects are named the way Cinder's backup drivers name them,
so the probes are proven to find (and not find) what they look for.
"""

import uuid

from cinder_backup_lab.storage import rgw
from cinder_backup_lab.tests.integration import base
from tempest_plugin.common import ceph_probe
from tempest_plugin.common import swift_probe
from tempest_plugin.common import volume_data

MiB = base.MiB


class CephProbeTest(base.LabTestCase):

    def setUp(self):
        super().setUp()
        self.probe = ceph_probe.CephProbe(
            self.paths.conf, 'admin', self.paths.keyring('client.admin'),
            self.conf.ceph.volumes_pool)
        self.volume_id = str(uuid.uuid4())

    def _create_image(self, pool, name, size):
        import rbd
        cluster = self.rados_as('admin')
        ioctx = cluster.open_ioctx(pool)
        self.addCleanup(ioctx.close)
        rbd.RBD().create(ioctx, name, size)
        self.addCleanup(self._remove_image, ioctx, name)
        return ioctx

    @staticmethod
    def _remove_image(ioctx, name):
        import rbd
        with rbd.Image(ioctx, name) as img:
            for snap in list(img.list_snaps()):
                img.remove_snap(snap['name'])
        rbd.RBD().remove(ioctx, name)

    def test_write_pattern_and_checksum(self):
        size = 48 * MiB
        self._create_image(self.conf.ceph.volumes_pool,
                           'volume-%s' % self.volume_id, size)
        empty = self.probe.checksum(self.volume_id)
        self.assertEqual(volume_data.expected_sha256(size, []), empty)
        extents = volume_data.layout(size)
        self.probe.write_pattern(self.volume_id, 'seed', extents)
        writes = [('seed', off, ln) for off, ln in extents]
        self.assertEqual(volume_data.expected_sha256(size, writes),
                         self.probe.checksum(self.volume_id))
        # One byte more changes it: the checksum covers the data.
        self.probe.write_pattern(self.volume_id, 'other', [(7 * MiB, 1)])
        self.assertNotEqual(volume_data.expected_sha256(size, writes),
                            self.probe.checksum(self.volume_id))

    def test_backup_artifacts_by_cinder_naming(self):
        pool = self.conf.ceph.backup_pools[0]
        other = self.conf.ceph.backup_pools[1]
        full_id, incr_id = str(uuid.uuid4()), str(uuid.uuid4())
        base_name = 'volume-%s.backup.%s' % (self.volume_id, full_id)
        ioctx = self._create_image(pool, base_name, 8 * MiB)
        import rbd
        with rbd.Image(ioctx, base_name) as img:
            img.create_snap('backup.%s.snap.1700000000.1' % full_id)
            img.create_snap('backup.%s.snap.1700000001.2' % incr_id)
        self.assertEqual([base_name, '%s@backup.%s.snap.1700000000.1'
                          % (base_name, full_id)],
                         self.probe.backup_artifacts(pool, self.volume_id,
                                                     full_id))
        self.assertEqual(['%s@backup.%s.snap.1700000001.2'
                          % (base_name, incr_id)],
                         self.probe.backup_artifacts(pool, self.volume_id,
                                                     incr_id))
        self.assertEqual([], self.probe.backup_artifacts(
            other, self.volume_id, full_id))
        self.assertEqual([], self.probe.backup_artifacts(
            pool, str(uuid.uuid4()), full_id))

    def test_source_snapshots_found_and_removed(self):
        name = 'volume-%s' % self.volume_id
        ioctx = self._create_image(self.conf.ceph.volumes_pool, name,
                                   8 * MiB)
        import rbd
        with rbd.Image(ioctx, name) as img:
            img.create_snap('backup.%s.snap.1.5' % uuid.uuid4())
            img.create_snap('user-snap')
        self.assertEqual(1, len(self.probe.source_backup_snapshots(
            self.volume_id)))
        self.probe.remove_backup_snapshots(self.volume_id)
        self.assertEqual([], self.probe.source_backup_snapshots(
            self.volume_id))
        self.assertEqual(['user-snap'], self.probe.snapshots(
            self.conf.ceph.volumes_pool, name))


class SwiftProbeTest(base.LabTestCase):

    def test_backup_objects_by_cinder_naming(self):
        creds = rgw.load_credentials(self.conf.state_dir)
        probe = swift_probe.SwiftProbe(creds.auth_url, creds.user, creds.key)
        conn = self.swift_connection()
        container = 'lab-probe-%s' % uuid.uuid4().hex[:12]
        volume_id, backup_id = str(uuid.uuid4()), str(uuid.uuid4())
        prefix = 'volume_%s/20261126120000/az_nova_backup_%s' % (
            volume_id, backup_id)
        names = [prefix + '-00001', prefix + '_metadata',
                 prefix + '_sha256file']
        conn.put_container(container)
        self.addCleanup(conn.delete_container, container)
        for name in names:
            conn.put_object(container, name, b'x')
            self.addCleanup(conn.delete_object, container, name)
        self.assertEqual(sorted(names), sorted(
            probe.backup_objects(container, volume_id, backup_id)))
        self.assertEqual([], probe.backup_objects(container, volume_id,
                                                  str(uuid.uuid4())))
        self.assertEqual([], probe.objects('lab-probe-missing-%s'
                                           % uuid.uuid4().hex[:8]))
        self.assertIn(container, probe.containers())
