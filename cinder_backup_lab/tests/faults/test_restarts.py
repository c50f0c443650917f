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

"""A service restarts (or c-bak dies) while a backup or restore runs.

Each scenario is one row of SCENARIOS: which program the lab's
supervisor restarts (or SIGKILLs), while which driver's backup or
restore moves data. The fault lands once the backend has the first
bytes (a Swift object of the backup, data in the Ceph base image, data
in the restore's target volume). Then, per scenario:

- the operation ends in a clear state: available, or error with a
  reason (a backup) / error_restoring (a restore), and the volume it
  used is available again;
- an operation that ended available restores (or was restored)
  bit-identical; one that ended in error leaves nothing in the backend
  once deleted;
- a backup completed before the fault restores bit-identical, and the
  cloud works again without a manual step (a new backup, a restore);
- what Cinder was expected to do (EXPECT) is checked last; a Cinder
  misbehaviour there is a known bug (config.CINDER_BUGS).

What each run saw is attached to the test (details "fault").
"""

import collections
import os
import time
import uuid

from testtools import content

from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.tests.faults import base

# Incompressible data in each volume a fault hits, per driver: enough
# that the transfer outlasts the moment the fault needs (README, "Faults":
# a Swift backup of 128 MiB took about 20 s here, the Ceph driver's copy
# of 512 MiB about 10 s), little enough for the test command's budget.
DATA = {config.SWIFT: 128 * base.MiB, config.CEPH: 512 * base.MiB}
# The Ceph driver's shared volume is only restored after the faults (the
# restore scenarios use the Swift one): less data, a shorter run.
SHARED_DATA = {config.SWIFT: DATA[config.SWIFT], config.CEPH: 32 * base.MiB}

Scenario = collections.namedtuple(
    'Scenario', 'driver operation fault program expect bug signature',
    defaults=(None, None))
# fault: 'restart' (stop and start through the supervisor, as "down" and
# "up" do) or 'kill' (SIGKILL; the supervisor starts it again).
# expect: how the operation must end: 'available' (the cloud rides
# through the fault) or 'error' (c-bak's restart cleanup ends it).
# bug, signature: a known Cinder bug that may end it otherwise, and what
# its fail_reason then says. Whether the fault hits the bug depends on
# timing (README, "Faults"), so a run that misses it passes.
SCENARIOS = {
    'rgw_mid_swift_backup': Scenario(
        config.SWIFT, 'backup', 'restart', 'radosgw', 'available'),
    'rgw_mid_swift_restore': Scenario(
        config.SWIFT, 'restore', 'restart', 'radosgw', 'available'),
    'cbak_killed_mid_swift_backup': Scenario(
        config.SWIFT, 'backup', 'kill', cinder.BACKUP_PROGRAM % config.SWIFT,
        'error'),
    'cbak_killed_mid_ceph_backup': Scenario(
        config.CEPH, 'backup', 'kill', cinder.BACKUP_PROGRAM % config.CEPH,
        'error'),
    'cbak_killed_mid_swift_restore': Scenario(
        config.SWIFT, 'restore', 'kill', cinder.BACKUP_PROGRAM % config.SWIFT,
        'error'),
    'osd_mid_ceph_backup': Scenario(
        config.CEPH, 'backup', 'restart', 'ceph-osd', 'available'),
    'mariadb_mid_swift_backup': Scenario(
        config.SWIFT, 'backup', 'restart', 'mariadb', 'available',
        config.BUG_DB_RESTART, 'DBConnectionError'),
    'rabbitmq_mid_swift_backup': Scenario(
        config.SWIFT, 'backup', 'restart', 'rabbitmq', 'available',
        config.BUG_MQ_RESTART, 'Timed out waiting for a reply'),
    'cvol_mid_swift_backup': Scenario(
        config.SWIFT, 'backup', 'restart', 'cinder-volume', 'available'),
}


class TestRestartsMidTransfer(base.FaultTestCase):

    # Per driver, made once for the class: a volume of DATA bytes and a
    # backup of it completed before any fault; deleted in tearDownClass.
    _shared = {}

    @classmethod
    def tearDownClass(cls):
        from cinder_backup_lab.checks import demo
        from cinder_backup_lab.fronts import lab
        api = demo.Demo(cls.conf, lab.Lab(cls.conf).openstack).demo_api()
        for shared in cls._shared.values():
            api.delete_backup(shared['backup'])
            api.wait_status('backup', shared['backup'], ('deleted',),
                            timeout=300, failed=('error_deleting',))
            api.delete_volume(shared['volume'])
            api.wait_status('volume', shared['volume'], ('deleted',),
                            timeout=300)
        cls._shared.clear()
        super().tearDownClass()

    def shared(self, driver):
        """{'volume', 'source' (sha256), 'backup'} of `driver`."""
        if driver not in self._shared:
            t = time.monotonic()
            tag = 'cbl-test-fault-%s-shared-%s' % (driver,
                                                   uuid.uuid4().hex[:6])
            vol = self.demo.new_volume(self.api, tag)
            entry = {'volume': vol['id']}
            self._shared[driver] = entry
            entry['source'] = self.write_data(vol['id'], tag,
                                              SHARED_DATA[driver])
            backup = self.api.create_backup(vol['id'], tag + '-before',
                                            az=self.zone(driver))
            entry['backup'] = backup['id']
            done = self.api.wait_status('backup', backup['id'],
                                        ('available',),
                                        timeout=base.OP_TIMEOUT)
            self.assertEqual('available', done['status'],
                             done.get('fail_reason'))
            entry['made in (s)'] = round(time.monotonic() - t)
        return self._shared[driver]

    # -- the fault ----------------------------------------------------------
    def inject(self, scenario):
        """Restart or SIGKILL the scenario's program; seconds it took."""
        sup = self.lab.supervisor
        before = sup.info(scenario.program)['pid']
        t = time.monotonic()
        if scenario.fault == 'kill':
            after = sup.kill_program(scenario.program)
        else:
            after = sup.restart_program(scenario.program)
        self.assertNotEqual(before, after, '%s was not restarted'
                            % scenario.program)
        return round(time.monotonic() - t, 1)

    def rbd_helpers(self):
        """rbd processes of this lab's cluster (c-bak's transfer pipes)."""
        from cinder_backup_lab.host import processes
        return [p for p in processes.pids_with_argument(
            self.lab.storage.paths.conf)
            if processes.cmdline(p).split(' ')[0].endswith('rbd')]

    def image_has_data(self, pool, image):
        import rbd
        try:
            # As admin: the volume user may not read the backup pools.
            with probes.ceph_for(self.conf).ioctx(pool) as ioctx, \
                    rbd.Image(ioctx, image, read_only=True) as img:
                found = []
                img.diff_iterate(0, img.size(), None,
                                 lambda o, ln, e: found.append(e) if e
                                 else None)
                return bool(found)
        except rbd.ImageNotFound:
            return False

    def record(self, seen):
        """Attach what the run saw; and keep it in the lab's log dir."""
        seen['test took (s)'] = round(time.monotonic() - self._started)
        text = '\n'.join('%s: %s' % kv for kv in seen.items())
        self.addDetail('fault', content.text_content(text))
        with open(os.path.join(self.conf.state_dir, 'log',
                               'faults-observed.log'), 'a') as f:
            f.write('%s %s\n%s\n\n' % (
                time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                self.id(), text))

    def setUp(self):
        super().setUp()
        self._started = time.monotonic()

    # -- backups ------------------------------------------------------------
    def _fault_mid_backup(self, name):
        sc = SCENARIOS[name]
        az = self.zone(sc.driver)
        shared = self.shared(sc.driver)
        tag = 'cbl-test-fault-%s-%s' % (name, uuid.uuid4().hex[:6])
        if sc.driver == config.CEPH:
            # The Ceph driver copies only what changed since the volume's
            # last backup in the pool: a fresh volume, a full transfer.
            vol, source = self.seeded_volume(tag, DATA[sc.driver])
            vol_id = vol['id']
            pool = self.conf.ceph.backup_pools[0]

            def moving(backup_id):
                return any(self.image_has_data(pool, image) for image in
                           probes.ceph_for(self.conf).backup_images(
                               pool, vol_id))
        else:
            vol_id, source = shared['volume'], shared['source']

            def moving(backup_id):
                return self.stored_pieces(sc.driver, vol_id, backup_id)
        seen = collections.OrderedDict(scenario=name)
        self.addCleanup(self.record, seen)
        seen['shared volume and backup made in (s)'] = shared['made in (s)']
        backup = self.backup(vol_id, tag, az)

        def creating_and_moving():
            b = self.api.backup(backup['id'])
            if b['status'] != 'creating':
                self.fail('backup %s was %s before the fault could hit it'
                          % (b['id'], b['status']))
            return moving(backup['id'])
        seen['waited for the first bytes (s)'] = round(self.wait_transfer(
            'backup %s' % backup['id'], creating_and_moving), 1)
        seen['fault (s)'] = self.inject(sc)
        seen['backup right after the fault'] = self.api.backup(
            backup['id'])['status']
        seen['rbd processes after the fault'] = len(self.rbd_helpers())
        t = time.monotonic()
        end = self.api.wait_status('backup', backup['id'], ('available',),
                                   timeout=base.OP_TIMEOUT)
        seen['backup ended'] = '%s after %.0f s (%s)' % (
            end['status'], time.monotonic() - t, end.get('fail_reason'))
        seen['landed mid-transfer'] = (
            seen['backup right after the fault'] != 'available')

        # A clear state: the volume is usable, the backup ended.
        vol = self.api.wait_status('volume', vol_id, ('available',),
                                   timeout=300)
        seen['volume'] = vol['status']
        self.assertEqual('available', vol['status'])
        # The backup made before the fault is restored meanwhile.
        t = time.monotonic()
        before_target = self.start_restore(shared['backup'],
                                           tag + '-before-r')
        if end['status'] == 'available':
            self.assertEqual(source, self.restored_checksum(
                backup['id'], tag + '-r'), 'backup %s ended available '
                'after the fault but does not restore its volume' % end['id'])
            seen['restore of it (s)'] = round(time.monotonic() - t)
        else:
            self.assertEqual('error', end['status'])
            self.assertTrue(end.get('fail_reason'),
                            'backup %s ended in error without a reason'
                            % end['id'])
            self._delete_backup(backup['id'])
            left = self.stored_pieces(sc.driver, vol_id, backup['id'])
            seen['left in the backend after the delete'] = left
            self.assertEqual([], left, 'the deleted error backup left '
                             'pieces in the %s backend' % sc.driver)
            # The cloud works again: a new backup of the same volume.
            self.completed_backup(vol_id, tag + '-after', az)
            seen['delete and a new backup (s)'] = round(time.monotonic() - t)
        self.assertEqual([], self._wait_no_rbd_helpers(),
                         'rbd processes of the transfer still run')
        # Nothing completed before the fault was lost or altered.
        restored = self.wait_restore(before_target['id'])
        self.assertEqual('available', restored['status'])
        self.assertEqual(shared['source'], self.volumes_probe.checksum(
            before_target['id']))
        seen['checks after the fault, both restores included (s)'] = round(
            time.monotonic() - t)
        self.expect_outcome(sc, end['status'], seen, end.get('fail_reason'))

    def expect_outcome(self, sc, outcome, seen, reason=None):
        """Last: did Cinder do what it should? Else a named known bug."""
        def check():
            self.assertEqual(sc.expect, outcome, 'expected the %s %s to end '
                             '%s after the fault: %s' % (
                                 sc.driver, sc.operation, sc.expect,
                                 dict(seen)))
        if sc.bug and outcome != sc.expect:
            # Only the known bug's own failure is expected.
            self.assertIn(sc.signature, reason or '', dict(seen))
            self.check_known_bug(sc.bug, check, 'Cinder does not ride '
                                 'through a %s %s' % (sc.program, sc.fault))
        else:
            if sc.bug:
                seen['known bug'] = '%s not hit this run' % sc.bug
            check()

    def _wait_no_rbd_helpers(self, timeout=120):
        deadline = time.monotonic() + timeout
        while self.rbd_helpers() and time.monotonic() < deadline:
            time.sleep(1)
        return self.rbd_helpers()

    # -- restores -----------------------------------------------------------
    def _fault_mid_restore(self, name):
        sc = SCENARIOS[name]
        self.zone(sc.driver)
        shared = self.shared(sc.driver)
        tag = 'cbl-test-fault-%s-%s' % (name, uuid.uuid4().hex[:6])
        seen = collections.OrderedDict(scenario=name)
        self.addCleanup(self.record, seen)
        target = self.start_restore(shared['backup'], tag)
        image = 'volume-%s' % target['id']

        def restoring_and_moving():
            v = self.api.volume(target['id'])
            if v['status'] != 'restoring-backup':
                self.fail('volume %s was %s before the fault could hit the '
                          'restore' % (v['id'], v['status']))
            return self.image_has_data(self.conf.ceph.volumes_pool, image)
        seen['waited for the first bytes (s)'] = round(self.wait_transfer(
            'restore into %s' % target['id'], restoring_and_moving), 1)
        seen['fault (s)'] = self.inject(sc)
        seen['volume right after the fault'] = self.api.volume(
            target['id'])['status']
        t = time.monotonic()
        end = self.wait_restore(target['id'])
        seen['restore ended'] = '%s after %.0f s' % (
            end['status'], time.monotonic() - t)
        seen['landed mid-transfer'] = (
            seen['volume right after the fault'] == 'restoring-backup')
        backup = self.api.wait_status('backup', shared['backup'],
                                      ('available',), timeout=300)
        seen['backup'] = backup['status']
        self.assertEqual('available', backup['status'],
                         'the restored backup did not come back')
        if end['status'] == 'available':
            self.assertEqual(shared['source'], self.volumes_probe.checksum(
                target['id']), 'the restore ended available after the '
                'fault but its volume differs from the backup')
        else:
            self.assertEqual('error_restoring', end['status'])
        # Nothing lost or altered, and restores work again.
        self.assertEqual(shared['source'], self.restored_checksum(
            shared['backup'], tag + '-again'))
        self.expect_outcome(sc, 'available' if end['status'] == 'available'
                            else 'error', seen)

    def test_rgw_restart_mid_swift_backup(self):
        self._fault_mid_backup('rgw_mid_swift_backup')

    def test_rgw_restart_mid_swift_restore(self):
        self._fault_mid_restore('rgw_mid_swift_restore')

    def test_cbak_killed_mid_swift_backup(self):
        self._fault_mid_backup('cbak_killed_mid_swift_backup')

    def test_cbak_killed_mid_ceph_backup(self):
        self._fault_mid_backup('cbak_killed_mid_ceph_backup')

    def test_cbak_killed_mid_swift_restore(self):
        self._fault_mid_restore('cbak_killed_mid_swift_restore')

    def test_osd_restart_mid_ceph_backup(self):
        self._fault_mid_backup('osd_mid_ceph_backup')

    def test_mariadb_restart_mid_swift_backup(self):
        self._fault_mid_backup('mariadb_mid_swift_backup')

    def test_rabbitmq_restart_mid_swift_backup(self):
        self._fault_mid_backup('rabbitmq_mid_swift_backup')

    def test_cvol_restart_mid_swift_backup(self):
        self._fault_mid_backup('cvol_mid_swift_backup')
