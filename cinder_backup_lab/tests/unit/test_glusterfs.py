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

"""The glusterfs driver's pure logic: options, validation, server checks."""

import configparser
import os
import tempfile

import testtools

from cinder_backup_lab.checks import leftovers
from cinder_backup_lab import config
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import gluster
from tempest_plugin.common import glusterfs_probe

VOL = '0b4b33b6-1f7b-4b3a-9a28-0a4c2a9b0c11'
BAK = '5e8f0a3c-7d4a-4a53-8a4e-7e5b0d5c9a22'


def load(**values):
    conf = config.load()
    conf.set_override('state_dir', '/var/lib/cbl-test')
    for key, value in values.items():
        conf.set_override(key, value, group='backup_glusterfs')
    return conf


def gluster_errors(**values):
    return config.validate_glusterfs(load(**values).backup_glusterfs)


class TestOptions(testtools.TestCase):

    def test_backup_options_mount_the_lab_volume(self):
        conf = load()
        opts = dict(cinder_conf.backup_options(conf, 'glusterfs', None))
        self.assertEqual(
            'cinder.backup.drivers.glusterfs.GlusterfsBackupDriver',
            opts['backup_driver'])
        self.assertEqual('10.252.77.2:cbl-backups',
                         opts['glusterfs_backup_share'])
        self.assertEqual('/var/lib/cbl-test/gluster/mnt',
                         opts['glusterfs_backup_mount_point'])
        self.assertEqual('volumebackups', opts['backup_container'])
        self.assertEqual('10', opts['backup_driver_stats_polling_interval'])

    def test_c_bak_file_has_its_own_az_and_host(self):
        conf = load()
        conf.set_override('profile', 'all')
        services = cinder_conf.backup_services(conf)
        self.assertIn(('glusterfs', 'cbl-backup-glusterfs', 'az-glusterfs'),
                      services)
        text = cinder_conf.render_backup_conf(
            conf, 'glusterfs', 'cbl-backup-glusterfs', 'az-glusterfs',
            '/l/c-bak.log', None)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        self.assertEqual('az-glusterfs',
                         parser['DEFAULT']['storage_availability_zone'])

    def test_file_size_must_be_a_multiple(self):
        conf = load(file_size=1000, sha_block_size=300)
        self.assertTrue(any('[backup_glusterfs] file_size 1000' in e
                            for e in config.validate(conf)))

    def test_tempest_conf_lists_the_driver_as_data(self):
        conf = load()
        conf.set_override('backup_drivers', ['ceph', 'glusterfs'])
        options = dict(tempest_conf.tempest_plugin_options(conf))
        self.assertEqual('glusterfs:az-glusterfs:volumebackups+backups',
                         options['backup_drivers'])
        self.assertEqual('/var/lib/cbl-test/gluster/brick',
                         options['glusterfs_backup_path'])


class TestValidation(testtools.TestCase):

    def test_defaults_are_valid(self):
        self.assertEqual([], gluster_errors())

    def test_loopback_is_refused(self):
        errors = gluster_errors(host_address='127.0.0.2',
                                server_address='127.0.0.3')
        self.assertTrue(any('loopback' in e for e in errors), errors)

    def test_public_address_is_refused(self):
        errors = gluster_errors(host_address='8.8.8.1',
                                server_address='8.8.8.2')
        self.assertTrue(any('not a private address' in e for e in errors),
                        errors)

    def test_server_outside_the_subnet_is_refused(self):
        errors = gluster_errors(server_address='10.252.78.2')
        self.assertTrue(any('is not in 10.252.77.0/30' in e
                            for e in errors), errors)

    def test_same_or_broadcast_address_is_refused(self):
        self.assertTrue(gluster_errors(server_address='10.252.77.1'))
        self.assertTrue(any('broadcast' in e for e in gluster_errors(
            server_address='10.252.77.3')))

    def test_real_interface_names_are_refused(self):
        for name in ('eth0', 'ens3', 'lo', 'a-name-far-too-long'):
            self.assertTrue(gluster_errors(veth_host=name), name)
        self.assertTrue(gluster_errors(veth_server='cblgl0'))

    def test_bad_volume_and_netns_names(self):
        self.assertTrue(gluster_errors(volume='a/b'))
        self.assertTrue(gluster_errors(netns='../x'))


class TestNetworkProblems(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.g = load().backup_glusterfs

    def test_free_subnet(self):
        self.assertEqual([], gluster.network_problems(
            self.g, [('lo', '127.0.0.1/8'), ('eth0', '192.0.2.2/24')],
            [('eth0', '192.0.2.0/24')], {'lo': None, 'eth0': None}))

    def test_overlap_with_the_machine_is_refused(self):
        problems = gluster.network_problems(
            self.g, [('eth0', '10.252.0.5/16')], [], {'eth0': None})
        self.assertEqual(1, len(problems))
        self.assertIn('overlaps address 10.252.0.5/16 on eth0', problems[0])

    def test_own_veth_is_not_a_conflict(self):
        self.assertEqual([], gluster.network_problems(
            self.g, [('cblgl0', '10.252.77.1/30')],
            [('cblgl0', '10.252.77.0/30')], {'cblgl0': 'veth'}))

    def test_existing_non_veth_with_our_name_is_refused(self):
        problems = gluster.network_problems(
            self.g, [('cblgl0', '10.252.77.1/30')], [],
            {'cblgl0': 'bridge'})
        self.assertTrue(any('kind bridge' in p for p in problems), problems)
        self.assertTrue(any('overlaps' in p for p in problems), problems)


class TestServerState(testtools.TestCase):

    def test_another_labs_glusterd_is_refused_by_pid_and_owner(self):
        problem = gluster.owner_problem(
            '/var/lib/other', '/var/lib/mine',
            [(42, 'glusterd -N -f /var/lib/other/gluster/glusterd.vol')])
        self.assertIn('pid 42', problem)
        self.assertIn('of the lab in /var/lib/other', problem)
        self.assertIn('only one lab per machine', problem)
        self.assertIsNone(gluster.owner_problem('/var/lib/other',
                                                '/var/lib/mine', []))

    def test_brick_online_from_status_xml(self):
        xml = ('<cliOutput><volStatus><volumes><volume><node>'
               '<hostname>10.252.77.2</hostname><status>%s</status>'
               '</node></volume></volumes></volStatus></cliOutput>')
        self.assertTrue(gluster.brick_online(xml % '1'))
        self.assertFalse(gluster.brick_online(xml % '0'))
        self.assertFalse(gluster.brick_online('<cliOutput/>'))

    def test_mounts_below_the_state_dir_deepest_first(self):
        lines = [
            '36 25 0:31 / /var/lib/x/gluster/mnt/abc rw - fuse.glusterfs '
            '10.252.77.2:v rw',
            '37 25 0:32 / /var/lib/x/gluster/mnt rw - tmpfs t rw',
            '38 25 0:33 / /var/lib/xy/gluster/mnt/abc rw - fuse f rw',
            '22 1 8:1 / / rw - ext4 /dev/sda1 rw']
        self.assertEqual(['/var/lib/x/gluster/mnt/abc',
                          '/var/lib/x/gluster/mnt'],
                         gluster.mounts_below(lines, '/var/lib/x/gluster'))

    def test_outside_entries_keep_the_package_files(self):
        paths = gluster.outside_entries(
            ['groups', 'hooks', 'ss_brick', 'cinder-backup-lab.owner'],
            ['vols', 'x.socket'], True, True)
        self.assertNotIn('/var/lib/glusterd/hooks', paths)
        self.assertNotIn('/var/lib/glusterd/groups', paths)
        self.assertEqual(['/var/lib/glusterd/cinder-backup-lab.owner',
                          '/var/lib/glusterd/ss_brick',
                          '/run/gluster/vols', '/run/gluster/x.socket',
                          '/run/glusterd.socket', '/var/log/glusterfs'],
                         paths)

    def test_glusterd_vol_names_the_working_directory(self):
        text = gluster.render_glusterd_vol('/s/gluster/glusterd')
        self.assertIn('option working-directory /s/gluster/glusterd\n',
                      text)
        self.assertNotIn('/var/lib/glusterd', text)


class TestProbeAndLeftovers(testtools.TestCase):

    def test_probe_skips_gluster_bookkeeping_and_finds_orphans(self):
        brick = tempfile.mkdtemp()
        self.addCleanup(__import__('shutil').rmtree, brick)
        for d in ('.glusterfs', 'volumebackups', 'backups'):
            os.mkdir(os.path.join(brick, d))
        name = 'volume_%s_20261201101010_backup_%s-00001' % (VOL, BAK)
        open(os.path.join(brick, 'backups', name), 'w').close()
        probe = glusterfs_probe.GlusterfsProbe(brick)
        self.assertEqual(['backups', 'volumebackups'], probe.containers())
        self.assertEqual([name], probe.backup_objects('backups', VOL, BAK))
        self.assertEqual([], probe.backup_objects('volumebackups', VOL))
        found = leftovers.orphan_objects(
            'backups', probe.files('backups'), set(), kind='glusterfs')
        self.assertEqual(1, len(found))
        self.assertTrue(found[0].startswith('glusterfs backups/'), found)
        self.assertEqual([], leftovers.orphan_objects(
            'backups', probe.files('backups'), {BAK}, kind='glusterfs'))
