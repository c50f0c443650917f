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

"""The cluster fills up while a backup runs: what Cinder does, nothing lost.

The cluster is made full without writing gigabytes: the OSD full ratio
is set just below what is used now, which is what Ceph does at its real
ratio (OSD_FULL, every pool full, writes wait). Per driver: a backup made
before must survive; a backup started while full is watched for
STALL_SECONDS; then the ratios come back and the stalled backup must end
(available and restorable bit-identical, or error with a reason). Whether
Cinder ended it while the cluster was full is checked last: it does not
(no timeout on the backend's writes), the known bug
"backup-hangs-on-full-cluster".
"""

import time
import uuid

from tempest_plugin.common import volume_data
from testtools import content

from cinder_backup_lab.checks import doctor
from cinder_backup_lab import config
from cinder_backup_lab.tests.faults import base

# How long a backup is watched while the cluster is full.
STALL_SECONDS = 30


class TestFullCluster(base.FaultTestCase):

    def _wait_cluster_state(self, wanted, timeout=60):
        cluster = self.lab.storage.cluster
        deadline = time.monotonic() + timeout
        while True:
            checks = cluster.status()['health'].get('checks', {})
            if ('OSD_FULL' in checks) == (wanted == 'full'):
                return
            if time.monotonic() > deadline:
                self.fail('the cluster did not become %s in %d s (health '
                          'checks: %s)' % (wanted, timeout, sorted(checks)))
            time.sleep(2)

    def _wait_scheduler_sees_space(self, timeout=180):
        """Wait for c-vol's next report of its pool's space.

        While full, the RBD driver reports a total capacity of 0 and the
        scheduler refuses new volumes ("No valid backend") until c-vol's
        next periodic report, up to a minute after space returns.
        """
        admin = self.lab.openstack.admin_api()
        deadline = time.monotonic() + timeout
        while True:
            pools = admin.pools()
            if pools and all(p['capabilities'].get('total_capacity_gb')
                             for p in pools):
                return
            if time.monotonic() > deadline:
                self.fail('the scheduler still sees no space after %d s: '
                          '%s' % (timeout, pools))
            time.sleep(5)

    def _full_cluster_during_backup(self, driver):
        az = self.zone(driver)
        conf = self.conf
        # Preflight: the volume's data twice (two backups) and restores.
        self.lab.storage.check_room(4 * 1024 ** 3, 'the full-cluster test')
        tag = 'cbl-test-full-%s-%s' % (driver, uuid.uuid4().hex[:6])
        vol = self.volume(tag)
        size = vol['size'] * 1024 ** 3
        self.volumes_probe.write_pattern(vol['id'], tag,
                                         volume_data.layout(size))
        source = self.volumes_probe.checksum(vol['id'])

        # A backup completed before the cluster fills.
        done = self.backup(vol['id'], tag + '-before', az)
        done = self.api.wait_status('backup', done['id'], ('available',),
                                    timeout=600)
        self.assertEqual('available', done['status'], done.get('fail_reason'))

        # Fill: full just below what is used now. The cleanup puts the
        # configured ratios back whatever happens ("up" does too).
        cluster = self.lab.storage.cluster
        self.addCleanup(cluster.set_full_ratios, conf.ceph.nearfull_ratio,
                        conf.ceph.full_ratio)
        cap = cluster.capacity()
        used = cap['used_bytes'] / float(cap['total_bytes'])
        cluster.set_full_ratios(used * 0.5, used * 0.9)
        self._wait_cluster_state('full')
        status = self.lab.status()
        self.assertEqual('full', status['capacity']['state'])
        problems = doctor.capacity_problems(conf, status['capacity'])
        self.assertIn('FULL', problems[0])

        stalled = self.backup(vol['id'], tag + '-while-full', az)
        # Cleanups run last first: space must be back before the stalled
        # backup's cleanup can delete it.
        self.addCleanup(cluster.set_full_ratios, conf.ceph.nearfull_ratio,
                        conf.ceph.full_ratio)
        seen = []
        deadline = time.monotonic() + STALL_SECONDS
        while time.monotonic() < deadline:
            b = self.api.backup(stalled['id'])
            seen.append((round(STALL_SECONDS - (deadline -
                                                time.monotonic())),
                         b['status'], b.get('fail_reason')))
            if b['status'] not in ('creating',):
                break
            time.sleep(5)
        ended_while_full = seen[-1][1] != 'creating'
        self.addDetail('while full (s, status, fail_reason)',
                       content.text_content(repr(seen)))

        # Space comes back: the stalled backup must end by itself.
        cluster.set_full_ratios(conf.ceph.nearfull_ratio,
                                conf.ceph.full_ratio)
        self._wait_cluster_state('ok')
        self._wait_scheduler_sees_space()
        after = self.api.wait_status('backup', stalled['id'],
                                     ('available',), timeout=600)
        if after['status'] == 'available':
            self.assertEqual(source, self.restored_checksum(
                stalled['id'], tag + '-r2'))
        else:
            self.assertTrue(after.get('fail_reason'),
                            'backup %s ended %s without a reason'
                            % (after['id'], after['status']))
        # Nothing completed was lost or altered.
        self.assertEqual(source, self.restored_checksum(done['id'],
                                                        tag + '-r1'))

        # Last (an expected failure ends the test): did Cinder end the
        # backup while the cluster was full, instead of leaving it hang?
        def ended():
            self.assertTrue(ended_while_full, '%s backup %s was still '
                            'creating with no error after %d s of a full '
                            'cluster: %s' % (driver, stalled['id'],
                                             STALL_SECONDS, seen))
        self.check_known_bug(config.BUG_FULL_CLUSTER, ended,
                             'Cinder has no timeout on a backend that '
                             'stalls writes')

    def test_swift_backup_into_a_full_cluster(self):
        self._full_cluster_during_backup(config.SWIFT)

    def test_ceph_backup_into_a_full_cluster(self):
        self._full_cluster_during_backup(config.CEPH)
