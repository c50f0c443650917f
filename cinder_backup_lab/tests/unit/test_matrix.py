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

"""The release matrix's reading of each stage's output and its table."""

import os
import tempfile

import testtools

from cinder_backup_lab.checks import matrix
from cinder_backup_lab import config

TEMPEST_OUT = """\
{1} tempest_plugin.tests.scenario.test_backup_restore.CinderBackupLab\
RestoreTest.test_ceph_restore_from_non_default_pool[id-1,slow] ... \
expected failure
{0} tempest_plugin.tests.scenario.test_incremental.CinderBackupLab\
IncrementalTest.test_ceph_incremental_into_another_pool[id-2] ... \
unexpected success
{0} tempest_plugin.tests.api.test_backup_containers.CinderBackupLab\
ContainersTest.test_ceph_backup_delete_leaves_no_snapshot_on_source\
[id-3] ... FAILED

======
Totals
======
Ran: 17 tests in 300.0 sec.
 - Passed: 13
 - Skipped: 1
 - Expected Fail: 1
 - Unexpected Success: 1
 - Failed: 1
"""


class TestMatrix(testtools.TestCase):

    def test_totals(self):
        self.assertEqual({'passed': 13, 'skipped': 1, 'xfail': 1,
                          'xpass': 1, 'failed': 1},
                         matrix.parse_totals(TEMPEST_OUT))
        self.assertIsNone(matrix.parse_totals('Traceback: boom'))

    def test_unexpected_success_and_failure_fail_the_cell(self):
        out = matrix.totals_outcome(matrix.parse_totals(TEMPEST_OUT), 3)
        self.assertFalse(out.ok)
        self.assertEqual('14 passed, 1 xfail, 1 skipped, 2 FAILED',
                         out.summary)
        self.assertTrue(matrix.totals_outcome(
            {'passed': 3, 'failed': 0}, 1).ok)
        self.assertFalse(matrix.totals_outcome(None, 1).ok)

    def test_bug_outcomes_from_the_subunit_stream(self):
        # The console prints "ok" for an expected failure: the stream
        # is what tells a held bug from a fixed one.
        import subunit
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.unlink, path)
        prefix = 'tempest_plugin.tests.x.Case.'
        with os.fdopen(fd, 'wb') as f:
            stream = subunit.StreamResultToBytes(f)
            for test, status in (
                    ('test_ceph_restore_from_non_default_pool', 'xfail'),
                    ('test_ceph_incremental_into_another_pool',
                     'uxsuccess'),
                    ('test_ceph_backup_delete_leaves_no_snapshot_on_source',
                     'fail')):
                stream.status(test_id=prefix + test + '[id-1,slow]',
                              test_status='inprogress')
                stream.status(test_id=prefix + test + '[id-1,slow]',
                              test_status=status)
        self.assertEqual({config.BUG_RESTORE_POOL: 'holds',
                          config.BUG_INCREMENTAL_POOL: 'gone',
                          config.BUG_SOURCE_SNAPSHOTS: 'FAILED'},
                         matrix.bug_outcomes(matrix.subunit_statuses(path)))
        self.assertEqual({config.BUG_RESTORE_POOL: 'not run'},
                         matrix.bug_outcomes({}, {
                             config.BUG_RESTORE_POOL: 'test_x'}))

    def test_every_bug_test_exists_in_the_plugin(self):
        here = os.path.dirname(__file__)
        plugin = os.path.join(here, '..', '..', '..', 'tempest_plugin')
        text = ''
        for top, _dirs, names in os.walk(plugin):
            for name in names:
                if name.endswith('.py'):
                    with open(os.path.join(top, name)) as f:
                        text += f.read()
        for test in matrix.BUG_TESTS.values():
            self.assertIn('def %s(' % test, text)

    def test_demo(self):
        ok = matrix.demo_outcome('x\nsummary: 18 pass, 1 expected failure '
                                 '-> OK\n', 0, 60)
        self.assertTrue(ok.ok)
        self.assertEqual('18 pass, 1 expected failure', ok.summary)
        self.assertFalse(matrix.demo_outcome('boom', 1, 2).ok)

    def test_table_and_overlay(self):
        results = {'reef': {
            'up': matrix.Outcome(True, 'healthy', 120.4),
            'demo': matrix.Outcome(False, '1 FAIL', 60),
            'version': '18.2.7 reef',
            'bugs': {config.BUG_RESTORE_POOL: 'holds'}}}
        table = matrix.render_table(results, ('up', 'demo'))
        lines = table.splitlines()
        self.assertEqual(3, len(lines))
        self.assertIn('reef (18.2.7 reef)', lines[2])
        self.assertIn('ok: healthy (120s)', lines[2])
        self.assertIn('FAIL: 1 FAIL (60s)', lines[2])
        self.assertIn('holds', lines[2])
        self.assertFalse(matrix.all_ok(results))
        report = tempfile.mkdtemp()
        path = matrix.write_overlay(report, 'tentacle')
        self.addCleanup(os.rmdir, report)
        self.addCleanup(os.unlink, path)
        conf = config.load(config_files=[path])
        self.assertEqual('tentacle', conf.ceph.release)
