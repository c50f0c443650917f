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

"""Deleted Swift backups give their space back, soon.

What filled the cluster of a new user (LAB-NOTES, "Capacity"): back up
a volume of incompressible data to Swift, delete the backup, again and
again. RGW frees a deleted object's data only when its garbage collector
runs; with Ceph's default (two hours) every round stays in the cluster.
With the lab's settings the space must be back within minutes.
"""

import time
import uuid

from cinder_backup_lab import config
from cinder_backup_lab.tests.faults import base

ROUNDS = 2
DATA = 128 * base.MiB
# Bytes of RGW's data pool not back after the rounds that still pass:
# metadata and rounding, far below one round's data.
SLACK = 16 * base.MiB
DATA_POOL = 'default.rgw.buckets.data'


class TestDeletedBackupsFreeSpace(base.FaultTestCase):

    def _stored(self):
        cap = self.lab.storage.capacity()
        return cap['pools'].get(DATA_POOL, 0), cap['rgw_gc']

    def _wait_gc_done(self, baseline, timeout):
        deadline = time.monotonic() + timeout
        while True:
            stored, gc = self._stored()
            if gc['entries'] == 0 and stored <= baseline + SLACK:
                return stored
            if time.monotonic() > deadline:
                self.fail('%d s after the deletes RGW still holds %d MiB '
                          'more than before (GC backlog: %s); its garbage '
                          'collection is not prompt ([rgw] gc_min_wait)'
                          % (timeout, (stored - baseline) // base.MiB, gc))
            time.sleep(10)

    def test_deleted_swift_backups_free_their_space(self):
        az = self.zone(config.SWIFT)
        gc_wait = self.conf.rgw.gc_min_wait + max(self.conf.rgw.gc_min_wait,
                                                  30)
        # Longer than GC needs (it runs while c-bak and Tempest compete
        # for 2 cores), far shorter than Ceph's two hours.
        timeout = 2 * gc_wait + 300
        self.lab.storage.check_room(2 * DATA, 'the space test')
        # A clean start without waiting out the backlog of the tests before
        # (up to gc_wait): what is checked is the collector's own pace
        # after this test's deletes, not forced.
        self.lab.storage.gateway.gc_process_now()
        baseline = self._wait_gc_done(self._stored()[0], timeout)

        tag = 'cbl-test-space-%s' % uuid.uuid4().hex[:6]
        vol, _checksum = self.seeded_volume(tag, DATA)
        for i in range(ROUNDS):
            backup = self.api.create_backup(vol['id'], '%s-%d' % (tag, i),
                                            az=az)
            self.addCleanup(self._delete_backup, backup['id'])
            done = self.api.wait_status('backup', backup['id'],
                                        ('available',), timeout=600)
            self.assertEqual('available', done['status'],
                             done.get('fail_reason'))
            self._delete_backup(backup['id'])

        # Right after the last delete its data waits for the collector.
        _stored, gc = self._stored()
        self.assertGreater(gc['entries'], 0, 'RGW freed the last deleted '
                           'backup at once: the GC backlog is not counted')
        self._wait_gc_done(baseline, timeout)
