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

"""The HTML report: subunit streams grouped by driver and container."""

import os
import xml.etree.ElementTree as ET

import fixtures
import subunit
import testtools

from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import report

PLUGIN = 'tempest_plugin.tests.test_backups.CinderBackupLabTest.'


def write_stream(path, tests):
    """tests: [(id, subunit status, reason or None)]."""
    with open(path, 'wb') as f:
        out = subunit.StreamResultToBytes(f)
        for test_id, status, reason in tests:
            out.status(test_id=test_id, test_status='inprogress')
            if reason:
                out.status(test_id=test_id, file_name='reason',
                           file_bytes=reason.encode(),
                           mime_type='text/plain')
            out.status(test_id=test_id, test_status=status)


class TestGrouping(testtools.TestCase):

    def test_driver_from_the_test_name(self):
        self.assertEqual(('ceph', 'default'), report.driver_and_container(
            PLUGIN + 'test_ceph_restore_from_default_pool[id-1]'))
        self.assertEqual(('swift', 'each'), report.driver_and_container(
            PLUGIN + 'test_swift_backup_lands_in_each_requested_container'))
        self.assertEqual(('posix+s3', 'each'), report.driver_and_container(
            PLUGIN + 'test_more_drivers_restore_from_each_container'))
        self.assertEqual(('-', '-'), report.driver_and_container(
            'cinder_backup_lab.tests.unit.test_config.T.test_x'))

    def test_tags_win(self):
        self.assertEqual(('s3', 's3-backups'), report.driver_and_container(
            'anything', ['driver:s3', 'container:s3-backups', 'worker-0']))

    def test_counts_keep_expected_failures_apart(self):
        tests = [{'outcome': o} for o in (report.PASS, report.XFAIL,
                                          report.XFAIL, report.FAIL)]
        c = report.counts(tests)
        self.assertEqual((1, 1, 2, 0), (c[report.PASS], c[report.FAIL],
                                        c[report.XFAIL], c[report.SKIP]))


class TestPage(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(self.dir, 'tempest-plugin'))
        write_stream(os.path.join(self.dir, 'tempest-plugin',
                                  'tempest.subunit'), [
            (PLUGIN + 'test_ceph_restore_from_non_default_pool', 'xfail',
             'known Cinder bug restore-non-default-pool'),
            (PLUGIN + 'test_swift_restore_from_each_container', 'success',
             None),
            (PLUGIN + 'test_swift_export_import_restore', 'fail', 'boom'),
            (PLUGIN + 'test_backup_over_quota_is_refused', 'skip',
             'no quota')])
        with open(os.path.join(self.dir, 'integration.log'), 'w') as f:
            f.write('log\n')
        with open(os.path.join(self.dir, 'bench-backup.png'), 'wb') as f:
            f.write(b'\x89PNG')

    def test_junit_xml_has_a_suite_per_driver_and_container(self):
        stage_tests = {s: report.read_stream(p)
                       for s, p in report.streams(self.dir).items()}
        self.assertEqual(['tempest-plugin'], list(stage_tests))
        root = ET.fromstring(report.junit_xml(report.group(stage_tests)))
        names = [s.get('name') for s in root.iter('testsuite')]
        self.assertEqual(['tempest-plugin: ceph / default',
                          'tempest-plugin: swift / each',
                          'tempest-plugin: swift / default',
                          'tempest-plugin: - / -'], names)
        xfail = root.find(".//property[@name='expected failure']")
        self.assertIn('restore-non-default-pool', xfail.get('value'))
        self.assertEqual(1, len(root.findall('.//failure')))
        self.assertEqual(1, len(root.findall('.//skipped')))

    def test_page_shows_counts_bugs_plots_and_logs(self):
        outside = os.path.join(self.dir, 'elsewhere.log')
        with open(outside, 'w') as f:
            f.write('c-bak\n')
        path = report.write(self.dir, known_bugs=['restore-non-default-pool'],
                            outside_logs=[outside, '/nonexistent.log'])
        self.assertEqual(os.path.join(self.dir, 'report.html'), path)
        with open(path) as f:
            page = f.read()
        self.assertIn('<td>tempest-plugin</td><td>ceph</td><td>default</td>',
                      page)
        self.assertIn('1 passed, 1 failed,\n1 expected failures', page)
        self.assertIn('known_cinder_bugs): restore-non-default-pool', page)
        self.assertIn('<img src="bench-backup.png"', page)
        self.assertIn('<a href="integration.log">', page)
        self.assertIn('<a href="file://%s">' % outside, page)
        self.assertNotIn('nonexistent.log', page)
        # junit2html's own report follows: every test case is in it.
        self.assertIn('Generated by junit2html', page)
        self.assertIn('test_swift_export_import_restore', page)


class TestDemoStream(testtools.TestCase):

    def test_demo_rows_keep_outcome_driver_and_container(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'demo.subunit')
        result = demo.Result()
        result.add('volume', 'rbd', 'volumes', demo.PASS, 1.0, 'seeded')
        result.add('restore', 'ceph', 'volumebackups', demo.XFAIL, 2.0,
                   'volume error; restore-non-default-pool')
        result.add('backup', 's3', 's3-backups', demo.XPASS, 3.0, 'ok')
        demo.write_subunit(result, path)
        tests = report.read_stream(path)
        self.assertEqual([report.PASS, report.XFAIL, report.UXSUCCESS],
                         [t['outcome'] for t in tests])
        self.assertEqual([('-', '-'), ('ceph', 'volumebackups'),
                          ('s3', 's3-backups')],
                         [report.driver_and_container(t['id'], t['tags'])
                          for t in tests])
        self.assertIn('restore-non-default-pool',
                      report._xfail_reason(tests[1]))


class TestNoLab(testtools.TestCase):

    def test_unit_tests_name_no_driver(self):
        self.assertEqual(('-', '-'), report.driver_and_container(
            'cinder_backup_lab.tests.unit.test_ceph.T.test_ceph_caps'))
        self.assertEqual(('swift', 'default'), report.driver_and_container(
            'cinder_backup_lab.tests.integration.test_rgw.T.test_swift_x'))
