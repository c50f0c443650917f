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

"""What every fault test needs: zones, backups, restores, known bugs.

A fault test makes a backup before the fault, injects the fault while
Cinder is working, and then checks that nothing completed was lost or
altered (restore, sha256) and that the cloud works again by itself.
"""

import time

from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.tests.integration import base

MiB = base.MiB
# Waits for a backup or a restore; generous, the 2 cores are shared.
OP_TIMEOUT = 900


class FaultTestCase(base.LabTestCase):

    def zone(self, driver):
        """The AZ of the c-bak running `driver`; skip if none does."""
        for d, _host, az in cinder_conf.backup_services(self.conf):
            if d == driver:
                return az
        self.skipTest('profile %s has no %s backup driver'
                      % (self.conf.profile, driver))

    @property
    def volumes_probe(self):
        return probes.ceph_for(self.conf, self.conf.ceph.volume_user)

    def write_data(self, volume_id, seed, data_bytes, piece=16 * MiB):
        """Write `data_bytes` of incompressible data; the volume's sha256.

        Seeded pieces (one pattern must stay below 2 Gbit) from offset 0;
        the rest of the volume stays a hole.
        """
        self.volumes_probe.write_pattern(volume_id, seed, [
            (offset, piece) for offset in range(0, data_bytes, piece)])
        return self.volumes_probe.checksum(volume_id)

    def seeded_volume(self, tag, data_bytes):
        """A volume (deleted after) with write_data's data; its sha256."""
        vol = self.volume(tag)
        return vol, self.write_data(vol['id'], tag, data_bytes)

    def backup(self, volume_id, name, az):
        """Start a backup, deleted (and waited for) after the test."""
        backup = self.api.create_backup(volume_id, name, az=az)
        self.addCleanup(self._delete_backup, backup['id'])
        return backup

    def completed_backup(self, volume_id, name, az):
        backup = self.backup(volume_id, name, az)
        done = self.api.wait_status('backup', backup['id'], ('available',),
                                    timeout=OP_TIMEOUT)
        self.assertEqual('available', done['status'], done.get('fail_reason'))
        return done

    def start_restore(self, backup_id, name):
        """Restore into a new volume (deleted after); the volume."""
        target = self.volume(name)
        self.api.restore(backup_id, target['id'])
        # A failed test must not delete it while it is restoring (Cinder
        # refuses): its cleanup waits for the restore to end first.
        self.addCleanup(self.wait_restore, target['id'])
        return target

    def wait_restore(self, target_id):
        return self.api.wait_status('volume', target_id, ('available',),
                                    timeout=OP_TIMEOUT,
                                    failed=('error', 'error_restoring'))

    def restored_checksum(self, backup_id, name):
        """Restore a backup into a new volume; the volume's sha256."""
        target = self.start_restore(backup_id, name)
        vol = self.wait_restore(target['id'])
        self.assertEqual('available', vol['status'],
                         'restore of %s ended %s' % (backup_id,
                                                     vol['status']))
        return self.volumes_probe.checksum(target['id'])

    # -- what a backup left in its backend --------------------------------
    def stored_pieces(self, driver, volume_id, backup_id):
        """The backend's objects / RBD images and snapshots of a backup."""
        if driver == config.SWIFT:
            return probes.swift_for(self.conf).backup_objects(
                self.conf.backup_swift.container, volume_id, backup_id)
        if driver == config.CEPH:
            probe = probes.ceph_for(self.conf)
            pool = self.conf.ceph.backup_pools[0]
            pieces = probe.backup_artifacts(pool, volume_id, backup_id)
            # A first backup's data goes into the volume's base image;
            # it stays while the volume has backups in the pool.
            return pieces + [i for i in probe.backup_images(pool, volume_id)
                             if i.endswith('.backup.base')]
        raise ValueError('no probe for the %s driver here' % driver)

    def wait_transfer(self, what, progressed, timeout=300):
        """Poll until `progressed()` is true: the fault's moment.

        Returns the seconds waited. Fails when the operation ended (or
        never started moving) before it could be hit.
        """
        start = time.monotonic()
        while not progressed():
            if time.monotonic() - start > timeout:
                self.fail('%s made no progress in %d s' % (what, timeout))
            time.sleep(0.5)
        return time.monotonic() - start

    def check_known_bug(self, bug, check, reason):
        """Run `check`; a listed known bug makes it an expected failure.

        Last in a test: an expected failure ends it.
        """
        if bug in config.known_cinder_bugs(self.conf):
            self.expectFailure('%s [known_cinder_bugs: %s]' % (reason, bug),
                               check)
        else:
            check()
