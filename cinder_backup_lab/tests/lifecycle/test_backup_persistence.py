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

"""`down` then `up` keeps volumes and backups (OpenStack half).

Stops and restarts the whole lab named by $CINDER_BACKUP_LAB_CONFIG: run
it alone, never in parallel with other tests of the same lab.
"""

from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.tests.integration import base
from tempest_plugin.common import volume_data


class TestDownUpKeepsBackups(base.LabTestCase):

    def test_backup_made_before_down_restores_after_up(self):
        src = self.volume('persist-src')
        volumes = self.ceph_probe(self.conf.ceph.volume_user)
        volumes.write_pattern(src['id'], src['id'], volume_data.layout(
            src['size'] * 1024 ** 3))
        want = volumes.checksum(src['id'])
        backups = []
        for driver, _host, az in cinder_conf.backup_services(self.conf):
            # Each driver's own default container: the S3 driver's
            # buckets must not be the Swift user's containers (RGW: 403).
            container = (self.conf.ceph.backup_pools[0]
                         if driver == config.CEPH
                         else config.driver_containers(self.conf, driver)[0])
            b = self.api.create_backup(src['id'], 'persist-%s' % driver,
                                       container=container, az=az)
            self.addCleanup(self._delete_backup, b['id'])
            b = self.api.wait_status('backup', b['id'], ('available',),
                                     timeout=600)
            self.assertEqual('available', b['status'], b.get('fail_reason'))
            backups.append((driver, b))

        self.assertTrue(self.lab.down())
        self.assertFalse(self.lab.supervisor.is_running())
        # How long "up" took is in its table, a figure, not a criterion.
        timer = self.lab.up()
        self.addDetail('up-after-down', _text(timer.table()))
        self.assertTrue(self.lab.healthy(self.lab.status()))

        # Same objects, through fresh sessions after the restart.
        self._api = self.demo.demo_api()
        self.assertEqual('available', self.api.volume(src['id'])['status'])
        for driver, b in backups:
            self.assertEqual('available', self.api.backup(b['id'])['status'])
            target = self.volume('persist-restore-%s' % driver)
            self.api.restore(b['id'], target['id'])
            vol = self.api.wait_status('volume', target['id'],
                                       ('available',), timeout=600,
                                       failed=('error', 'error_restoring'))
            self.assertEqual('available', vol['status'])
            self.api.wait_status('backup', b['id'], ('available',),
                                 timeout=600)
            self.assertEqual(want, volumes.checksum(target['id']),
                             '%s backup restored different data' % driver)


def _text(value):
    from testtools import content
    return content.text_content(value)
