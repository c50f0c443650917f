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

"""The Ceph and Swift scenarios for every driver of backup_drivers.

The drivers are data ([cinder_backup_lab] backup_drivers: driver, AZ,
containers); each test runs its scenario for each of them, checked on
the driver's own backend (posix: its directory; s3: an S3 listing;
glusterfs: the gluster volume's brick; google: a GCS JSON API listing of
the emulator).
"""

from tempest.lib import decorators

from tempest_plugin.tests.scenario import test_backup_restore
from tempest_plugin.tests.scenario import test_incremental


class CinderBackupLabMoreDriversTest(test_backup_restore._RestoreBase,
                                     test_incremental._IncrementalBase):
    """Each scenario, once per driver of backup_drivers.

    Steps per driver: a backup into each of its containers, found there
    and nowhere else, deleted leaving nothing; an incremental chain of
    three, each restore point checked, deleted from the tip leaving
    nothing. (The parallel scenario takes these drivers too, through
    enabled_drivers.)
    """

    @decorators.idempotent_id('46e14156-0918-4575-b95d-d13808af09d7')
    def test_more_drivers_backup_lands_in_each_requested_container(self):
        for driver in self.skip_unless_more_drivers():
            self.backup_into_each_container(driver)

    @decorators.idempotent_id('85964c53-22a5-42f1-b3df-40d8053395a4')
    def test_more_drivers_incremental_chain(self):
        for driver in self.skip_unless_more_drivers():
            self._chain(driver, self.containers(driver)[0])


class CinderBackupLabMoreDriversRestoreTest(test_backup_restore._RestoreBase):
    """Restore from each container of each driver of backup_drivers.

    To a new volume and onto the existing one, with the checksum of backup
    time. A class of its own: Tempest runs a class on one worker, and
    with four drivers these restores are as long as the other two
    scenarios together.
    """

    @decorators.idempotent_id('f12bfb67-4610-4774-943c-4037ce233ffd')
    def test_more_drivers_restore_from_each_container(self):
        for driver in self.skip_unless_more_drivers():
            for container in self.containers(driver):
                self._restore_checks(driver, container)
