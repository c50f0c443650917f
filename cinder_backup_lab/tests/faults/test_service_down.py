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

"""A service stays down: what the CLI and a backup say (README "Bad input").

RGW is stopped through the lab's supervisor (as "down" stops it) and
left down: `status` and `doctor` must name it and exit 1, a Swift backup
must end in error with a reason once the driver's retries
([backup_swift] retry_attempts, retry_backoff) are spent, no secret is
printed, and `up` brings the lab back with nothing lost (a backup made
before restores bit-identical).
"""

import uuid

from cinder_backup_lab import config
from cinder_backup_lab.tests.faults import base
from cinder_backup_lab.tests.integration import base as lab_base


class TestRgwDown(base.FaultTestCase):

    def test_rgw_down_is_named_and_a_swift_backup_fails_readably(self):
        az = self.zone(config.SWIFT)
        tag = 'cbl-test-rgw-down-%s' % uuid.uuid4().hex[:6]
        vol, source = self.seeded_volume(tag, 16 * base.MiB)
        before = self.completed_backup(vol['id'], tag + '-before', az)
        secrets = self.lab_secrets()

        self.lab.supervisor.stop_program('radosgw')
        # Whatever happens below, the lab is whole again after the test.
        self.addCleanup(lab_base.cli, 'up')
        log = '%s/log/radosgw.out' % self.conf.state_dir

        rc, out, err = lab_base.cli('status')
        self.assertEqual(1, rc, out + err)
        self.assertRegex(out, r'(?m)^radosgw\s+STOPPED\b')
        rc, out, err = lab_base.cli('doctor')
        self.assertEqual(1, rc, out + err)
        self.assertIn('problem: radosgw is STOPPED; see %s' % log, out)
        for secret in secrets:
            self.assertNotIn(secret, out + err)

        backup = self.backup(vol['id'], tag + '-rgw-down', az)
        end = self.api.wait_status('backup', backup['id'], ('available',),
                                   timeout=base.OP_TIMEOUT)
        self.assertEqual('error', end['status'])
        # Cinder keeps 255 characters of it.
        self.assertIn("Connection to swift failed: HTTPConnectionPool("
                      "host='%s', port=%d): Max retries exceeded" % (
                          self.conf.bind_host, self.conf.rgw.port),
                      end.get('fail_reason') or '', end)
        for secret in secrets:
            self.assertNotIn(secret, end['fail_reason'])
        self.assertEqual('available', self.api.volume(vol['id'])['status'])

        rc, out, err = lab_base.cli('up')
        self.assertEqual(0, rc, out + err)
        self._delete_backup(backup['id'])
        self.assertEqual([], self.stored_pieces(config.SWIFT, vol['id'],
                                                backup['id']))
        self.assertEqual(source, self.restored_checksum(before['id'],
                                                        tag + '-r'))
