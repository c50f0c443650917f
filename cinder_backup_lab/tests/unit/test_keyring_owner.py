"""The os-brick keyring is one file per user name on a machine: a lab
must not replace another lab's."""

import os
import shutil
import tempfile
import types

import testtools

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import files
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.storage import ceph


class TestKeyringOwner(testtools.TestCase):

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
        c = cinder.Cinder(conf, None, None, None,
                          types.SimpleNamespace(paths=paths))
        c.os_brick_dir = self.etc
        return c

    def test_second_lab_with_the_same_user_is_refused(self):
        first = self._lab('a', 'AAAA')
        second = self._lab('b', 'BBBB')
        dst = first.place_volume_keyring()
        self.assertEqual(0o600, os.stat(dst).st_mode & 0o777)
        exc = self.assertRaises(errors.LabError, second.place_volume_keyring)
        self.assertIn('another [ceph] volume_user', str(exc))
        self.assertIn(os.path.join(self.root, 'a'), str(exc))
        with open(dst) as f:
            self.assertIn('AAAA', f.read())

    def test_same_lab_updates_and_removes_its_own(self):
        lab = self._lab('a', 'AAAA')
        dst = lab.place_volume_keyring()
        lab.place_volume_keyring()          # idempotent
        other = self._lab('b', 'BBBB')
        self.assertFalse(other.remove_volume_keyring())
        self.assertTrue(os.path.exists(dst))
        self.assertTrue(lab.remove_volume_keyring())
        self.assertFalse(os.path.exists(dst))

    def test_unknown_foreign_key_is_not_overwritten(self):
        os.makedirs(self.etc)
        files.write_file(os.path.join(self.etc, 'ceph.client.cinder.keyring'),
                         'someone else\n', 0o600)
        lab = self._lab('a', 'AAAA')
        exc = self.assertRaises(errors.LabError, lab.place_volume_keyring)
        self.assertIn('remove the file if it is stale', str(exc))
