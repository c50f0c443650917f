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

"""openrc and tempest.conf rendering, demo result semantics."""

import configparser
import os
import shlex

import fixtures
import testtools

from cinder_backup_lab.checks import demo
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import keystone


def tempest_values(**kw):
    values = {
        'log_dir': '/s/tempest/logs', 'admin_user': 'admin',
        'admin_password': 'pw', 'admin_project': 'admin',
        'auth_url': 'http://127.0.0.1:5000/v3', 'region': 'RegionOne',
        'volume_backend': 'ceph', 'volume_type': 'ceph',
        'default_backup_driver': 'ceph', 'max_microversion': '3.71',
        'backup_lab': [('ceph_backup_pools', 'backups,volumebackups'),
                       ('swift_backup_enabled', 'true')]}
    values.update(kw)
    return values


class TestOutputs(testtools.TestCase):

    def test_openrc_quotes_values(self):
        text = keystone.render_openrc('http://127.0.0.1:5000/v3', 'demo',
                                      "a'b c", 'demo', 'RegionOne')
        line = [ln for ln in text.splitlines()
                if ln.startswith('export OS_PASSWORD=')][0]
        self.assertEqual(["export", "OS_PASSWORD=a'b c"], shlex.split(line))
        self.assertIn('export OS_VOLUME_API_VERSION=3.51', text)

    def test_tempest_conf_marks_only_cinder_available(self):
        conf = configparser.ConfigParser(interpolation=None)
        conf.read_string(tempest_conf.render_tempest_conf(tempest_values()))
        avail = conf['service_available']
        self.assertEqual('true', avail['cinder'])
        # Swift is only the backup driver's backend: no object-storage
        # tests; no nova, glance or neutron in this cloud.
        for svc in ('nova', 'glance', 'neutron', 'swift'):
            self.assertEqual('false', avail[svc], svc)
        self.assertEqual('true', conf['volume-feature-enabled']['backup'])
        self.assertEqual('ceph', conf['volume']['backup_driver'])
        self.assertEqual('http://127.0.0.1:5000/v3',
                         conf['identity']['uri_v3'])
        self.assertEqual('backups,volumebackups',
                         conf['cinder_backup_lab']['ceph_backup_pools'])

    def test_plugin_options_follow_the_profile(self):
        from cinder_backup_lab import config
        for profile, ceph_on, swift_on in (('ceph', 'true', 'false'),
                                           ('swift', 'false', 'true'),
                                           ('both', 'true', 'true')):
            conf = config.load()
            conf.set_override('profile', profile)
            conf.set_override('auth', 'per_user', group='backup_swift')
            opts = dict(tempest_conf.tempest_plugin_options(conf))
            self.assertEqual(ceph_on, opts['ceph_backup_enabled'], profile)
            self.assertEqual(swift_on, opts['swift_backup_enabled'],
                             profile)
            # The Ceph driver's pools only where that driver runs.
            self.assertEqual('backups,volumebackups' if ceph_on == 'true'
                             else '', opts['ceph_backup_pools'])
            self.assertEqual('volumebackups,backups',
                             opts['swift_backup_containers'])
            self.assertTrue(opts['ceph_probe_keyring'].endswith(
                'ceph.client.admin.keyring'))
            # per_user: the tests probe their own project's account, with
            # no Swift v1 key.
            self.assertEqual('per_user', opts['swift_backup_auth'])
            self.assertNotIn('swift_key', opts)
        self.assertEqual('nova', opts['ceph_backup_availability_zone'])
        self.assertEqual('az-swift', opts['swift_backup_availability_zone'])

    def test_workspace_points_at_this_venvs_tempest(self):
        workspace = self.useFixture(fixtures.TempDir()).path
        path = tempest_conf.write_workspace(workspace)
        with open(path) as f:
            text = f.read()
        self.assertIn('test_path=%s' % os.path.join(
            venv.site_packages(), 'tempest', 'test_discover'), text)
        self.assertIn('top_dir=%s\n' % venv.site_packages(), text)


class TestDemoResults(testtools.TestCase):

    def test_expected_outcomes(self):
        self.assertEqual(demo.PASS, demo.expected(True))
        self.assertEqual(demo.FAIL, demo.expected(False))
        self.assertEqual(demo.XFAIL, demo.expected(False, 'bug'))
        self.assertEqual(demo.XPASS, demo.expected(True, 'bug'))

    def test_result_ok_only_without_unexpected_rows(self):
        res = demo.Result()
        self.assertFalse(res.ok)      # nothing ran: not a success
        res.add('backup', 'ceph', 'backups', demo.PASS, 1.0)
        res.add('restore', 'ceph', 'volumebackups', demo.XFAIL, 1.0)
        self.assertTrue(res.ok)
        res.add('backend', 'ceph', 'source-snaps', demo.XPASS, 0.1)
        self.assertFalse(res.ok)
        self.assertIn('UNEXPECTED RESULTS', res.table())


class StatusPrintoutTest(testtools.TestCase):
    """The status tables stay aligned whatever the names' lengths."""

    def test_columns_line_up_with_the_longest_names(self):
        from cinder_backup_lab import cli
        names = ['mon', 'cinder-backup-ceph', 'cinder-backup-glusterfs']
        hosts = [('cinder-scheduler', 'cbl', 'nova'),
                 ('cinder-backup', 'cbl-backup-ceph', 'nova'),
                 ('cinder-backup', 'cbl-backup-glusterfs', 'glusterfs')]
        status = {
            'state_dir': '/s', 'supervisord': {'running': True, 'pid': 1},
            'services': [{'name': n, 'state': 'RUNNING', 'pid': 2,
                          'rss_bytes': 1024, 'az': None, 'driver': None}
                         for n in names],
            'rss_total_bytes': 3072, 'ceph': None, 'pools': {},
            'rgw': None, 'profile': 'all', 'files': {},
            'openstack': {
                'keystone_url': 'k', 'keystone': True, 'cinder_url': 'c',
                'cinder_api': True, 'cinder_source': 'release',
                'cinder_services': [
                    {'binary': b, 'host': h, 'zone': z, 'status': 'enabled',
                     'state': 'up'} for b, h, z in hosts]}}
        out = self.useFixture(fixtures.StringStream('stdout'))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out.stream))
        cli.print_status(status)
        out.stream.flush()
        lines = out.getDetails()['stdout'].as_text().splitlines()
        rows = [line for line in lines
                if line.split(' ', 1)[0] in names + ['service']]
        self.assertEqual(4, len(rows))
        self.assertEqual(1, len({row.index('RUNNING') for row in rows[1:]}))
        rows = [line for line in lines if line.startswith('  cinder-')]
        self.assertEqual(3, len(rows))
        self.assertEqual(1, len({row.index(' az ') for row in rows}))
        self.assertEqual(1, len({row.index('enabled/up') for row in rows}))
