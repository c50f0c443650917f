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

"""The storage half of the lab, checked through librados/librbd and Swift."""

import os
import socket
import stat
import tempfile
import uuid

from cinder_backup_lab import config
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.tests.integration import base

MiB = base.MiB


class CephPoolsAndUsersTest(base.LabTestCase):

    def _image_name(self):
        return 'lab-test-%s' % uuid.uuid4().hex[:12]

    def test_pools_exist_with_rbd_application(self):
        cluster = self.rados_as('admin')
        pools = [self.conf.ceph.volumes_pool] + self.conf.ceph.backup_pools
        for pool in pools:
            self.assertTrue(cluster.pool_exists(pool), pool)
            ioctx = cluster.open_ioctx(pool)
            self.addCleanup(ioctx.close)
            self.assertIn('rbd', ioctx.application_list(), pool)

    def test_volume_user_writes_and_reads_rbd_bit_identical(self):
        import rbd
        cluster = self.rados_as(self.conf.ceph.volume_user)
        ioctx = cluster.open_ioctx(self.conf.ceph.volumes_pool)
        self.addCleanup(ioctx.close)
        name = self._image_name()
        size = 64 * MiB
        rbd.RBD().create(ioctx, name, size)
        self.addCleanup(rbd.RBD().remove, ioctx, name)
        # Data at the start, in the middle and in the last MiB; holes
        # in between must read back as zeros.
        chunks = {0: base.pattern(1, 0, 4 * MiB),
                  20 * MiB + 4096: base.pattern(2, 0, 3 * MiB),
                  size - MiB: base.pattern(3, 0, MiB)}
        expected = bytearray(size)
        with rbd.Image(ioctx, name) as image:
            for offset, data in chunks.items():
                image.write(data, offset)
                expected[offset:offset + len(data)] = data
            image.flush()
        with rbd.Image(ioctx, name, read_only=True) as image:
            got = b''.join(image.read(off, 8 * MiB)
                           for off in range(0, size, 8 * MiB))
        self.assertEqual(base.sha256(bytes(expected)), base.sha256(got))

    def test_backup_user_is_refused_on_volumes_pool(self):
        import rados
        import rbd
        cluster = self.rados_as(self.conf.ceph.backup_user)
        ioctx = cluster.open_ioctx(self.conf.ceph.volumes_pool)
        self.addCleanup(ioctx.close)
        self.assertRaises(rados.PermissionError, ioctx.write_full,
                          'lab-test-%s' % uuid.uuid4().hex, b'x')
        self.assertRaises(rbd.PermissionError, rbd.RBD().create, ioctx,
                          self._image_name(), MiB)

    def test_backup_user_writes_backup_pools(self):
        import rbd
        cluster = self.rados_as(self.conf.ceph.backup_user)
        for pool in self.conf.ceph.backup_pools:
            ioctx = cluster.open_ioctx(pool)
            self.addCleanup(ioctx.close)
            name = self._image_name()
            rbd.RBD().create(ioctx, name, 4 * MiB)
            self.addCleanup(rbd.RBD().remove, ioctx, name)
            data = base.pattern(pool, 0, MiB)
            with rbd.Image(ioctx, name) as image:
                image.write(data, MiB)
                self.assertEqual(data, image.read(MiB, MiB))

    def test_volume_user_is_refused_on_backup_pools(self):
        import rados
        cluster = self.rados_as(self.conf.ceph.volume_user)
        for pool in self.conf.ceph.backup_pools:
            ioctx = cluster.open_ioctx(pool)
            self.addCleanup(ioctx.close)
            self.assertRaises(rados.PermissionError, ioctx.write_full,
                              'lab-test-%s' % uuid.uuid4().hex, b'x')

    def test_backup_user_cannot_administer_the_cluster(self):
        import rados
        cluster = self.rados_as(self.conf.ceph.backup_user)
        self.assertRaises(rados.PermissionError, cluster.create_pool,
                          'lab-test-%s' % uuid.uuid4().hex[:8])


class SnapshotCleanupCapsTest(base.LabTestCase):
    """[ceph] backup_user_snapshot_cleanup: the least caps that work.

    A user made here with exactly storage.ceph.snapshot_cleanup_caps
    removes a snapshot of a volume image (the features Cinder's RBD driver
    gives it); without any one of the four grants it is refused; and it
    cannot read volume data.
    """

    FEATURES = ('layering', 'exclusive_lock', 'object_map', 'fast_diff',
                'deep_flatten')

    def setUp(self):
        super().setUp()
        import rbd
        self.rbd = rbd
        self.cluster = self.lab.storage.cluster
        self.pool = self.conf.ceph.volumes_pool
        self.admin = self.rados_as('admin').open_ioctx(self.pool)
        self.addCleanup(self.admin.close)
        self.image = 'lab-test-%s' % uuid.uuid4().hex[:12]
        features = 0
        for name in self.FEATURES:
            features |= getattr(rbd, 'RBD_FEATURE_%s' % name.upper())
        rbd.RBD().create(self.admin, self.image, 4 * MiB,
                         old_format=False, features=features)
        self.addCleanup(rbd.RBD().remove, self.admin, self.image)
        with rbd.Image(self.admin, self.image) as image:
            image.write(base.pattern('caps', 0, MiB), 0)

    def _remove_snap_as(self, grants):
        """Try removing a fresh snapshot as a user holding grants."""
        import rados
        user = 'cinder-backup-lab-test-%s' % uuid.uuid4().hex[:8]
        osd = ', '.join('allow %s pool=%s object_prefix %s'
                        % (perm, self.pool, prefix)
                        for perm, prefix in grants)
        # A key this host's (Pacific) librados can read, on any release.
        key = self.cluster.ceph('auth', 'get-or-create-key',
                                'client.%s' % user, 'mon', 'profile rbd',
                                'osd', osd,
                                *self.cluster.key_type_args('--key_type'),
                                secret_output=True).strip()
        self.addCleanup(self.cluster.ceph, 'auth', 'rm', 'client.%s' % user)
        with self.rbd.Image(self.admin, self.image) as image:
            image.create_snap('s')
        self.addCleanup(self._drop_snap)
        handle = rados.Rados(conffile=self.paths.conf, rados_id=user,
                             conf={'key': key, 'keyring': ''})
        handle.connect(timeout=30)
        self.addCleanup(handle.shutdown)
        ioctx = handle.open_ioctx(self.pool)
        self.addCleanup(ioctx.close)
        try:
            with self.rbd.Image(ioctx, self.image) as image:
                image.remove_snap('s')
        except (self.rbd.PermissionError, rados.PermissionError):
            return False, ioctx
        return True, ioctx

    def _drop_snap(self):
        with self.rbd.Image(self.admin, self.image) as image:
            if any(s['name'] == 's' for s in image.list_snaps()):
                image.remove_snap('s')

    def test_the_four_grants_remove_a_snapshot_and_read_no_data(self):
        import rados
        removed, ioctx = self._remove_snap_as(ceph.SNAPSHOT_CLEANUP_OBJECTS)
        self.assertTrue(removed)
        with self.rbd.Image(self.admin, self.image) as image:
            self.assertEqual([], list(image.list_snaps()))
            prefix = image.block_name_prefix()
        data = [o.key for o in self.admin.list_objects()
                if o.key.startswith(prefix)]
        self.assertNotEqual([], data)
        self.assertRaises(rados.PermissionError, ioctx.read, data[0])

    def test_each_grant_is_needed(self):
        grants = list(ceph.SNAPSHOT_CLEANUP_OBJECTS)
        for drop in grants:
            removed, _ioctx = self._remove_snap_as(
                [g for g in grants if g != drop])
            self.assertFalse(removed, 'removed without %s %s' % drop)
            self._drop_snap()


class SwiftOnRgwTest(base.LabTestCase):

    def test_object_round_trip_with_v1_auth(self):
        conn = self.swift_connection()
        container = 'lab-test-%s' % uuid.uuid4().hex[:12]
        conn.put_container(container)
        self.addCleanup(conn.delete_container, container)
        data = base.pattern('swift', 0, 3 * MiB + 17)
        conn.put_object(container, 'obj', data)
        self.addCleanup(conn.delete_object, container, 'obj')
        headers, got = conn.get_object(container, 'obj')
        self.assertEqual(base.sha256(data), base.sha256(got))
        self.assertEqual(str(len(data)), headers['content-length'])
        names = [o['name'] for o in conn.get_container(container)[1]]
        self.assertEqual(['obj'], names)

    def test_storage_url_is_the_swift_v1_prefix(self):
        conn = self.swift_connection()
        url, _token = conn.get_auth()
        prefix = 'http://%s:%d/swift/v1' % (self.conf.bind_host,
                                            self.conf.rgw.port)
        if config.swift_per_user(self.conf):
            # rgw_swift_account_in_url: the account follows the prefix.
            self.assertTrue(url.startswith(prefix + '/AUTH_'), url)
        else:
            self.assertEqual(prefix, url)

    def test_wrong_key_is_refused(self):
        import swiftclient
        conn = self.swift_connection(key='not-the-key')
        exc = self.assertRaises(swiftclient.ClientException,
                                conn.get_account)
        self.assertEqual(401, exc.http_status)


class SecretsTest(base.LabTestCase):

    def test_key_files_are_private(self):
        key_dir = self.paths.keyring_dir
        self.assertEqual(0o700, stat.S_IMODE(os.stat(key_dir).st_mode))
        files = [os.path.join(key_dir, n) for n in os.listdir(key_dir)]
        files.append(os.path.join(self.conf.state_dir, 'rgw',
                                  'swift-credentials.conf'))
        self.assertGreaterEqual(len(files), 5)
        for path in files:
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode),
                             path)

    def test_no_secret_in_outputs_or_logs(self):
        secrets = self.lab_secrets()
        self.assertGreaterEqual(len(secrets), 5)
        outputs = []
        for args in (('status',), ('status', '--json'), ('up',)):
            rc, out, err = base.cli(*args)
            self.assertEqual(0, rc, err)
            outputs.append(out + err)
        log_dir = os.path.join(self.conf.state_dir, 'log')
        for root, _dirs, names in os.walk(log_dir):
            for name in names:
                with open(os.path.join(root, name), errors='replace') as f:
                    outputs.append(f.read())
        for secret in secrets:
            for text in outputs:
                self.assertNotIn(secret, text)

    def test_status_names_files_not_contents(self):
        rc, out, _ = base.cli('status')
        self.assertEqual(0, rc)
        self.assertIn(self.paths.keyring('client.%s'
                                         % self.conf.ceph.backup_user), out)
        self.assertIn('swift-credentials.conf', out)


class LabCliTest(base.LabTestCase):

    def test_up_again_changes_nothing(self):
        rc, out, err = base.cli('up')
        self.assertEqual(0, rc, err)
        self.assertIn('nothing changed', out)
        self.assertIn('total', out)

    def test_status_reports_every_daemon_with_rss(self):
        import json
        rc, out, _ = base.cli('status', '--json')
        self.assertEqual(0, rc)
        status = json.loads(out)
        names = {s['name']: s for s in status['services']}
        self.assertEqual({'ceph-mon', 'ceph-mgr', 'ceph-osd', 'radosgw'},
                         set(names) & {'ceph-mon', 'ceph-mgr', 'ceph-osd',
                                       'radosgw'})
        for svc in names.values():
            self.assertEqual('RUNNING', svc['state'], svc['name'])
            self.assertGreater(svc['rss_bytes'], 1024 * 1024, svc['name'])
        self.assertEqual('HEALTH_OK', status['ceph']['health'])
        self.assertEqual(status['ceph']['pgs_total'],
                         status['ceph']['pgs_active_clean'])
        self.assertTrue(status['rgw']['swift_auth_v1'])

    def _bad_config(self, text, on_top_of_the_lab=False):
        """`up` of a second lab in a new state dir; (rc, output, state).

        on_top_of_the_lab: with the running lab's config (its ports)
        under the new state dir.
        """
        state = tempfile.mkdtemp(prefix='cbl-preflight-')
        os.rmdir(state)     # "up" must not create it
        fd, path = tempfile.mkstemp(suffix='.conf')
        with os.fdopen(fd, 'w') as f:
            f.write('[DEFAULT]\nstate_dir = %s\n%s' % (state, text))
        self.addCleanup(os.unlink, path)
        files = ((config.default_config_files() if on_top_of_the_lab
                  else []) + [path])
        rc, out, err = base.cli('up', config_files=files)
        return rc, out + err, state

    def test_port_in_use_is_refused_before_anything_is_touched(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        self.addCleanup(sock.close)
        port = sock.getsockname()[1]
        rc, output, state = self._bad_config(
            '[ceph]\nmon_port = 3390\nmon_port_v1 = 6790\n'
            '[rgw]\nport = %d\n' % port)
        self.assertEqual(1, rc, output)
        self.assertIn('port %d' % port, output)
        self.assertIn('already in use', output)
        self.assertFalse(os.path.exists(state))

    def test_bad_pool_name_is_refused_before_anything_is_touched(self):
        rc, output, state = self._bad_config(
            '[ceph]\nbackup_pools = backups, bad@pool\n')
        self.assertEqual(1, rc, output)
        self.assertIn("'bad@pool'", output)
        self.assertFalse(os.path.exists(state))

    def test_ports_of_the_running_lab_are_reported_busy(self):
        # A second lab on the same ports must not start on top of ours.
        rc, output, state = self._bad_config('', on_top_of_the_lab=True)
        self.assertEqual(1, rc, output)
        self.assertIn('port %d' % self.conf.ceph.mon_port, output)
        self.assertFalse(os.path.exists(state))

    def test_invalid_option_type_is_a_clear_error(self):
        rc, output, state = self._bad_config('[ceph]\nosd_size_gb = lots\n')
        self.assertNotEqual(0, rc)
        self.assertIn('osd_size_gb', output)
        self.assertNotIn('Traceback', output)
        self.assertFalse(os.path.exists(state))
