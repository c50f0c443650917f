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

"""Files outside the state dir: os-brick's keyring is one file per user
name on a machine, so a lab must not replace another lab's."""

import os
import shutil
import tempfile

import testtools

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import files
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files


class TestOutsideFiles(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.etc = os.path.join(self.root, 'etc-ceph')

    def _lab(self, name, key):
        state = os.path.join(self.root, name)
        conf = config.load()
        conf.set_override('state_dir', state)
        paths = ceph.CephPaths(state)
        files.write_file(paths.keyring('client.cinder'),
                         '[client.cinder]\n\tkey = %s\n' % key, 0o600)
        return conf, paths

    def _place(self, lab):
        return client_files.place_os_brick_keyring(*lab, directory=self.etc)

    def test_second_lab_with_the_same_user_is_refused(self):
        first = self._lab('a', 'AAAA')
        second = self._lab('b', 'BBBB')
        dst = self._place(first)
        self.assertEqual(0o600, os.stat(dst).st_mode & 0o777)
        exc = self.assertRaises(errors.LabError, self._place, second)
        self.assertIn('another [DEFAULT] client_conf_dir or [ceph] '
                      'volume_user', str(exc))
        with open(dst) as f:
            self.assertIn('AAAA', f.read())

    def test_same_lab_updates_and_removes_its_own(self):
        lab = self._lab('a', 'AAAA')
        dst = self._place(lab)
        self._place(lab)          # idempotent
        other = client_files.OutsideFiles(os.path.join(self.root, 'b'))
        self.assertEqual([], other.remove())
        self.assertTrue(os.path.exists(dst))
        mine = client_files.OutsideFiles(os.path.join(self.root, 'a'))
        self.assertEqual([dst], mine.remove())
        self.assertFalse(os.path.exists(dst))
        self.assertEqual([], mine.paths())

    def test_unknown_foreign_key_is_not_overwritten(self):
        os.makedirs(self.etc)
        foreign = os.path.join(self.etc, 'ceph.client.cinder.keyring')
        files.write_file(foreign, 'someone else\n', 0o600)
        lab = self._lab('a', 'AAAA')
        exc = self.assertRaises(errors.LabError, self._place, lab)
        self.assertIn('was not written by the lab in', str(exc))
        with open(foreign) as f:
            self.assertEqual('someone else\n', f.read())

    def test_identical_file_is_taken_over(self):
        lab = self._lab('a', 'AAAA')
        os.makedirs(self.etc)
        with open(lab[1].keyring('client.cinder')) as f:
            files.write_file(os.path.join(
                self.etc, 'ceph.client.cinder.keyring'), f.read(), 0o644)
        dst = self._place(lab)
        self.assertEqual(0o600, os.stat(dst).st_mode & 0o777)
        self.assertEqual([dst], client_files.OutsideFiles(
            lab[0].state_dir).paths())
