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

"""Profiles mean what they say: a lab deploys only what its drivers use.

`ceph`: no RGW (no program, no port, no cephx key) and healthy without
one; `swift`: no cephx user for Ceph backup pools, no S3 user (neither
profile: no GCS emulator, no google c-bak, address:443 free); `all`:
a c-bak per driver, each in its own AZ, with its files. Switches the running
lab's profile and back to its own, so it runs with the lifecycle tests,
alone (before test_lifecycle, which ends the lab).
"""

import json
import os
import tempfile

from cinder_backup_lab import config
from cinder_backup_lab.host import commands
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import gluster
from cinder_backup_lab.tests.integration import base


class ProfilesTest(base.LabTestCase):

    def _up(self, profile):
        """`up` with the lab's config and another profile; the status."""
        fd, extra = tempfile.mkstemp(suffix='.conf')
        self.addCleanup(os.unlink, extra)
        with os.fdopen(fd, 'w') as f:
            f.write('[DEFAULT]\nprofile = %s\n' % profile)
        files = config.default_config_files() + [extra]
        base.cli('up', config_files=files, check=True)
        rc, out, err = base.cli('status', '--json', config_files=files)
        self.assertEqual(0, rc, 'profile %s is not healthy:\n%s%s'
                         % (profile, out, err))
        return json.loads(out)

    def _cephx_users(self):
        return {e['entity'] for e in self.lab.storage.cluster.ceph_json(
            'auth', 'ls', secret_output=True)['auth_dump']}

    def _programs(self, status):
        return {s['name'] for s in status['services']}

    def _assert_no_google(self, status):
        """No emulator, no google c-bak, nothing on its address:443."""
        self.assertNotIn(gcs.PROGRAM, self._programs(status))
        self.assertNotIn('gcs', status)
        self.assertEqual([], gcs.namespaced_pids(self.conf.state_dir))
        self.assertTrue(commands.port_is_free(
            self.conf.backup_google.address, gcs.PORT))

    def test_each_profile_deploys_only_what_it_uses(self):
        own = self.conf.profile
        self.addCleanup(base.cli, 'up', check=True)
        backup_user = 'client.%s' % self.conf.ceph.backup_user
        rgw_user = 'client.%s' % ceph.RGW_NAME

        status = self._up('ceph')
        self.assertNotIn('radosgw', self._programs(status))
        self.assertIsNone(status['rgw'])
        self.assertTrue(commands.port_is_free(self.conf.bind_host,
                                              self.conf.rgw.port))
        self.assertEqual(['cinder-backup-ceph'], sorted(
            p for p in self._programs(status) if 'backup' in p))
        users = self._cephx_users()
        self.assertNotIn(rgw_user, users)
        self.assertIn(backup_user, users)
        self._assert_no_google(status)
        # glusterd, its brick and the c-bak's FUSE mount went with the
        # glusterfs driver (the brick and mount are not supervisord's).
        self.assertNotIn(gluster.PROGRAM, self._programs(status))
        self.assertEqual([], gluster.Gluster(self.conf).stray_pids())
        self.assertEqual([], gluster.Gluster(self.conf).mounts())

        status = self._up('swift')
        self.assertIn('radosgw', self._programs(status))
        self.assertTrue(status['rgw']['swift_auth_v1'])
        self.assertEqual(['cinder-backup-swift'], sorted(
            p for p in self._programs(status) if 'backup' in p))
        self.assertEqual([self.conf.ceph.volumes_pool],
                         sorted(status['pools']))
        users = self._cephx_users()
        self.assertNotIn(backup_user, users)
        self.assertIn(rgw_user, users)
        self.assertNotIn('backup_keyring', status['files'])

        # Least privilege: no S3 user while no S3 driver runs.
        self.assertFalse(self.lab.storage.gateway.user_exists(
            self.conf.rgw.s3_uid))
        self._assert_no_google(status)

        status = self._up(config.ALL)
        self._check_all(status)

        if own != config.ALL:
            status = self._up(own)
        self.assertEqual(config.CEPH in config.backup_drivers(self.conf),
                         backup_user in self._cephx_users())

    def _check_all(self, status):
        """Every driver's c-bak runs in an AZ of its own, with its files."""
        cbaks = {s['name']: s for s in status['services']
                 if s['name'].startswith('cinder-backup-')}
        self.assertEqual(
            sorted('cinder-backup-%s' % d for d in config.DRIVERS),
            sorted(cbaks))
        zones = [s['az'] for s in cbaks.values()]
        self.assertEqual(len(zones), len(set(zones)), zones)
        for svc in cbaks.values():
            self.assertEqual('RUNNING', svc['state'], svc)
            self.assertTrue(svc['rss_bytes'], svc)
        self.assertTrue(status['rgw']['swift_auth_v1'])
        self.assertTrue(status['rgw']['s3_auth'])
        for name in ('s3_credentials', 'posix_backups', 'glusterfs_brick'):
            self.assertIn(name, status['files'])
        self.assertTrue(status['gluster']['brick_online'])
        self.assertEqual(1, len(status['gluster']['mounts']))
        self.assertEqual(0o600, os.stat(
            status['files']['s3_credentials']).st_mode & 0o777)
        self.assertEqual(0o700, os.stat(
            status['files']['posix_backups']).st_mode & 0o777)
        # google: the emulator with its buckets, the c-bak in a mount
        # namespace of its own, a private service account.
        self.assertEqual('RUNNING', {s['name']: s for s in status[
            'services']}[gcs.PROGRAM]['state'])
        self.assertTrue(status['gcs']['answering'])
        self.assertEqual({b: 'present' for b in config.google_buckets(
            self.conf)}, status['gcs']['buckets'])
        self.assertTrue(gcs.namespaced_pids(self.conf.state_dir))
        self.assertEqual(0o600, os.stat(
            status['files']['gcs_credentials']).st_mode & 0o777)
