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

import configparser

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.storage import ceph


def _render(**overrides):
    args = dict(paths=ceph.CephPaths('/srv/lab'), fsid='f-s-i-d',
                bind_host='127.0.0.1', mon_port=3300, mon_port_v1=6789,
                osd_size_gb=10, pg_num=8, osd_memory_target_mb=1024,
                rgw_port=8080)
    args.update(overrides)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(ceph.render_ceph_conf(**args))
    return parser


class CephConfTest(testtools.TestCase):

    def test_loopback_only(self):
        conf = _render()
        self.assertEqual('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]',
                         conf['global']['mon_host'])
        self.assertEqual('127.0.0.0/8', conf['global']['public_network'])
        self.assertEqual('false', conf['global']['ms_bind_ipv6'])
        self.assertEqual('beast endpoint=127.0.0.1:8080',
                         conf['client.rgw.lab']['rgw_frontends'])

    def test_single_node_pool_defaults(self):
        g = _render(pg_num=16)['global']
        self.assertEqual('1', g['osd_pool_default_size'])
        self.assertEqual('0', g['osd_crush_chooseleaf_type'])
        self.assertEqual('off', g['osd_pool_default_pg_autoscale_mode'])
        self.assertEqual('16', g['osd_pool_default_pg_num'])
        self.assertEqual('true', g['mon_allow_pool_size_one'])

    def test_mgr_loads_no_module_the_lab_does_not_use(self):
        disabled = _render()['mgr']['mgr_disabled_modules'].split(',')
        self.assertIn('prometheus', disabled)
        # Ceph 16.2's always-on modules, and the one the lab enables.
        for needed in ('balancer', 'crash', 'devicehealth', 'orchestrator',
                       'pg_autoscaler', 'progress', 'rbd_support', 'status',
                       'telemetry', 'volumes', 'iostat'):
            self.assertNotIn(needed, disabled)

    def test_cephx_is_on(self):
        g = _render()['global']
        for key in ('auth_cluster_required', 'auth_service_required',
                    'auth_client_required'):
            self.assertEqual('cephx', g[key])

    def test_everything_under_state_dir(self):
        conf = _render()
        for section in conf.sections():
            for key, value in conf[section].items():
                if value.startswith('/'):
                    self.assertTrue(value.startswith('/srv/lab/'),
                                    '%s.%s = %s' % (section, key, value))

    def test_admin_socket_per_daemon_not_for_clients(self):
        conf = _render()
        self.assertNotIn('admin_socket', conf['global'])
        self.assertEqual('', conf['client']['admin_socket'])
        for section in ('mon', 'mgr', 'osd', 'client.rgw.lab'):
            self.assertIn('$cluster-$name.asok', conf[section]['admin_socket'])

    def test_bluestore_on_sparse_file(self):
        osd = _render(osd_size_gb=3)['osd']
        self.assertEqual('bluestore', osd['osd_objectstore'])
        self.assertEqual('true', osd['bluestore_block_create'])
        self.assertEqual(str(3 * 1024 ** 3), osd['bluestore_block_size'])
        # A block path of $osd_data/block makes mkfs loop on a symlink.
        self.assertNotIn('bluestore_block_path', osd)

    def test_rgw_serves_swift_and_v1_auth(self):
        rgw = _render()['client.rgw.lab']
        self.assertIn('swift_auth', rgw['rgw_enable_apis'])
        self.assertIn('swift', rgw['rgw_enable_apis'].split(', '))
        self.assertEqual('swift', rgw['rgw_swift_url_prefix'])
        self.assertEqual('auth', rgw['rgw_swift_auth_entry'])


class CapsTest(testtools.TestCase):

    def test_volume_user_only_on_volumes_pool(self):
        caps = ceph.volume_user_caps('volumes')
        self.assertEqual({'mon': 'profile rbd',
                          'osd': 'profile rbd pool=volumes',
                          'mgr': 'profile rbd pool=volumes'}, caps)

    def test_backup_user_only_on_backup_pools(self):
        caps = ceph.backup_user_caps(['backups', 'volumebackups'])
        self.assertEqual(
            'profile rbd pool=backups, profile rbd pool=volumebackups',
            caps['osd'])
        self.assertNotIn('volumes,', caps['osd'] + ',')
        self.assertNotIn('allow *', caps['osd'])
        self.assertEqual('profile rbd', caps['mon'])

    def test_caps_args_order(self):
        self.assertEqual(['mon', 'a', 'osd', 'b', 'mgr', 'c'],
                         ceph.caps_args({'mgr': 'c', 'osd': 'b', 'mon': 'a'}))


class PgSummaryTest(testtools.TestCase):

    def test_unknown_pgs_are_not_clean(self):
        status = {'pgmap': {'num_pgs': 24, 'pgs_by_state': [
            {'state_name': 'active+clean', 'count': 16},
            {'state_name': 'unknown', 'count': 8}]}}
        total, clean, states = ceph.pg_summary(status)
        self.assertEqual((24, 16), (total, clean))
        self.assertEqual(8, states['unknown'])

    def test_empty_status(self):
        self.assertEqual((0, 0, {}), ceph.pg_summary({}))


class SnapshotCleanupCapsTest(testtools.TestCase):

    def test_backup_user_gets_header_writes_only(self):
        caps = ceph.backup_user_caps(['backups'], 'volumes')
        self.assertEqual(
            'profile rbd pool=backups, '
            'allow rx pool=volumes object_prefix rbd_id., '
            'allow rx pool=volumes object_prefix rbd_info, '
            'allow rwx pool=volumes object_prefix rbd_header., '
            'allow rwx pool=volumes object_prefix rbd_object_map.',
            caps['osd'])
        self.assertNotIn('rbd_data', caps['osd'])
        self.assertEqual('profile rbd pool=backups', caps['mgr'])

    def test_off_by_default(self):
        conf = config.load()
        caps = ceph.users(conf)['client.%s' % conf.ceph.backup_user]
        self.assertNotIn(conf.ceph.volumes_pool, caps['osd'])
