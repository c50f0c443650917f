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

"""Rendering of MariaDB, RabbitMQ, Keystone and RGW-Keystone settings."""

import configparser
from unittest import mock

import fixtures
import testtools

from cinder_backup_lab.openstack import clients
from cinder_backup_lab.openstack import database
from cinder_backup_lab.openstack import half
from cinder_backup_lab.openstack import keystone
from cinder_backup_lab.openstack import messaging
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import rgw


class TestServiceConfigs(testtools.TestCase):

    def test_mariadb_listens_on_loopback_with_paths_in_state(self):
        paths = database.Paths('/s')
        text = database.render_my_cnf(paths, '127.0.0.1', 3307, 64)
        self.assertIn('bind-address = 127.0.0.1', text)
        self.assertIn('port = 3307', text)
        self.assertIn('datadir = /s/mariadb/data', text)
        self.assertIn('innodb_buffer_pool_size = 64M', text)

    def test_rabbitmq_conf(self):
        text = messaging.render_rabbitmq_conf('127.0.0.1', 5673, 'u', 'pw')
        self.assertIn('listeners.tcp.default = 127.0.0.1:5673', text)
        self.assertIn('default_user = u', text)

    def test_rabbitmq_distribution_stays_on_loopback(self):
        from cinder_backup_lab import config
        conf = config.load()
        env = messaging.rabbit_environment(messaging.Paths('/s'), conf)
        self.assertEqual('-kernel inet_dist_use_interface {127,0,0,1}',
                         env['RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS'])
        self.assertEqual('127.0.0.1', env['RABBITMQ_NODE_IP_ADDRESS'])

    def test_keystone_conf(self):
        conf = configparser.ConfigParser(interpolation=None)
        conf.read_string(keystone.render_keystone_conf(
            keystone.Paths('/s'), 'mysql+pymysql://k:pw@127.0.0.1/keystone',
            '127.0.0.1:11211'))
        self.assertEqual('fernet', conf['token']['provider'])
        self.assertEqual('true', conf['cache']['enabled'])
        self.assertEqual('127.0.0.1:11211', conf['cache']['memcache_servers'])
        self.assertEqual('/s/keystone/fernet-keys',
                         conf['fernet_tokens']['key_repository'])

    def test_rgw_keystone_options_hold_no_password(self):
        opts = dict(rgw.keystone_options(
            'http://127.0.0.1:5000', 'rgw', '/s/secrets/rgw-pw', 'service'))
        self.assertEqual('/s/secrets/rgw-pw',
                         opts['rgw_keystone_admin_password_path'])
        self.assertNotIn('rgw_keystone_admin_password', opts)
        self.assertEqual('true', opts['rgw_keystone_implicit_tenants'])
        self.assertEqual('true', opts['rgw_swift_account_in_url'])

    def test_rgw_extra_options_land_in_the_gateway_section(self):
        text = ceph.render_ceph_conf(
            ceph.CephPaths('/s'), 'fsid', '127.0.0.1', 3300, 6789, 10, 8,
            1024, 8080, rgw_extra=[('rgw_keystone_url', 'http://k')])
        conf = configparser.ConfigParser(interpolation=None)
        conf.read_string(text)
        self.assertEqual('http://k',
                         conf['client.%s' % ceph.RGW_NAME]['rgw_keystone_url'])
        self.assertNotIn('rgw_keystone_url', conf['global'])


class TestReloadCinder(testtools.TestCase):
    """Which Cinder programs reload-cinder restarts (services mocked)."""

    PROGRAMS = ['cinder-api', 'cinder-scheduler', 'cinder-volume',
                'cinder-backup-ceph', 'cinder-backup-swift']

    def _half(self, installed=None):
        os_half = half.OpenStackHalf.__new__(half.OpenStackHalf)
        os_half.conf = mock.Mock()
        os_half.supervisor = mock.Mock()
        os_half.cinder = mock.Mock()
        programs = []
        for name in self.PROGRAMS:
            programs.append(mock.Mock())
            programs[-1].name = name  # Mock(name=...) names the mock
        os_half.cinder.programs.return_value = programs
        os_half.cinder.ensure_source.return_value = installed
        os_half._cinder_ready = mock.Mock()
        os_half._wait_scheduler = mock.Mock()
        self.useFixture(fixtures.MockPatch(
            'cinder_backup_lab.openstack.cinder.SchedulerLog'))
        self.useFixture(fixtures.MockPatch(
            'cinder_backup_lab.openstack.cinder.wait_services_placed'))
        return os_half

    def test_all_by_default_scheduler_last(self):
        os_half = self._half()
        timer, installed, names = os_half.reload_cinder()
        self.assertEqual(self.PROGRAMS, names)
        os_half.supervisor.stop_programs.assert_called_once_with(
            self.PROGRAMS)
        starts = os_half.supervisor.start_programs.call_args_list
        self.assertEqual([mock.call([n for n in self.PROGRAMS
                                     if n != 'cinder-scheduler']),
                          mock.call(['cinder-scheduler'])], starts)
        self.assertIsNone(installed)
        self.assertIn('stop', [p for p, _ in timer.phases])

    def test_only_some_and_the_scheduler(self):
        os_half = self._half()
        _timer, _inst, names = os_half.reload_cinder(['cinder-backup-ceph'])
        self.assertEqual(['cinder-scheduler', 'cinder-backup-ceph'], names)
        os_half.supervisor.stop_programs.assert_called_once_with(names)

    def test_all_when_a_new_cinder_was_installed(self):
        os_half = self._half(installed=object())
        _timer, _inst, names = os_half.reload_cinder(['cinder-backup-ceph'])
        self.assertEqual(self.PROGRAMS, names)


class ServiceListTest(testtools.TestCase):

    def test_the_service_list_does_not_wait_for_the_scheduler(self):
        # From 3.49 c-api asks the scheduler over RPC for each backend's
        # state; the list must not depend on a scheduler that has just
        # started.
        api = clients.BlockStorage.__new__(clients.BlockStorage)
        api.api = mock.Mock()
        api.api.get.return_value.json.return_value = {'services': []}
        self.assertEqual([], api.services('cinder-backup'))
        _args, kwargs = api.api.get.call_args
        self.assertEqual('3.0', kwargs['microversion'])
        self.assertEqual({'binary': 'cinder-backup'}, kwargs['params'])
