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

import testtools

from cinder_backup_lab.checks import leftovers

VOL = '11111111-2222-3333-4444-555555555555'
GONE_VOL = '99999999-2222-3333-4444-555555555555'
BAK = 'aaaaaaaa-2222-3333-4444-555555555555'
GONE_BAK = 'bbbbbbbb-2222-3333-4444-555555555555'


class OrphanImagesTest(testtools.TestCase):

    def test_volumes_pool(self):
        images = {
            'volume-%s' % VOL: ['backup.%s.snap.1.2' % BAK,
                                'backup.%s.snap.3.4' % GONE_BAK, 'mine'],
            'volume-%s' % GONE_VOL: [],
            'unrelated': [],
        }
        found = leftovers.orphan_images(images, {VOL}, {BAK}, False)
        self.assertEqual(2, len(found), found)
        self.assertIn(GONE_BAK, found[0] + found[1])
        self.assertIn(GONE_VOL, found[0] + found[1])

    def test_backup_pool(self):
        images = {
            'volume-%s.backup.%s' % (VOL, BAK): [],
            'volume-%s.backup.%s' % (VOL, GONE_BAK): [],
            'volume-%s.backup.base' % GONE_VOL: [
                'backup.%s.snap.5.6' % GONE_BAK],
        }
        found = leftovers.orphan_images(images, set(), {BAK}, True)
        self.assertEqual(2, len(found), found)
        for item in found:
            self.assertIn(GONE_BAK, item)

    def test_clean(self):
        self.assertEqual([], leftovers.orphan_images(
            {'volume-%s' % VOL: []}, {VOL}, set(), False))


class OrphanObjectsTest(testtools.TestCase):

    def test_objects_of_missing_backups(self):
        names = ['volume_%s/20261126/az_nova_backup_%s-00001' % (VOL, BAK),
                 'volume_%s/20261126/az_nova_backup_%s-00001' % (VOL,
                                                                 GONE_BAK),
                 'volume_%s/20261126/az_nova_backup_%s_metadata'
                 % (VOL, GONE_BAK), 'other-object']
        found = leftovers.orphan_objects('c', names, {BAK})
        self.assertEqual(1, len(found))
        self.assertIn(GONE_BAK, found[0])


class MadeByTestsTest(testtools.TestCase):

    def test_tempest_and_lab_test_names_are_leftovers(self):
        items = [{'id': '1', 'name': 'tempest-Backup-123', 'status': 'error'},
                 {'id': '2', 'name': 'cbl-demo-ab12-source',
                  'status': 'available'},
                 {'id': '3', 'name': 'payroll', 'status': 'available'},
                 {'id': '4', 'name': None, 'status': 'available'}]
        self.assertEqual(
            ['volume 1 (tempest-Backup-123, error) made by a test',
             'volume 2 (cbl-demo-ab12-source, available) made by a test'],
            leftovers.made_by_tests('volume', items))
