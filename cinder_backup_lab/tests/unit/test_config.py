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

import os
import tempfile

import fixtures
import testtools

from cinder_backup_lab import config
from cinder_backup_lab import errors as lab_errors


def _conf(text=''):
    fd, path = tempfile.mkstemp(suffix='.conf')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    try:
        return config.load(config_files=[path])
    finally:
        os.unlink(path)


class DefaultsTest(testtools.TestCase):

    def test_defaults_are_valid(self):
        conf = _conf()
        self.assertEqual([], config.validate(conf))
        self.assertEqual('/var/lib/cinder-backup-lab', conf.state_dir)
        self.assertEqual(['backups', 'volumebackups'],
                         conf.ceph.backup_pools)
        self.assertEqual('volumes', conf.ceph.volumes_pool)
        self.assertEqual('both', conf.profile)

    def test_every_option_is_documented(self):
        for group, opts in config.list_opts():
            for opt in opts:
                self.assertTrue(opt.help, '%s.%s has no help'
                                % (group, opt.name))

    def test_file_values_are_read(self):
        conf = _conf('[ceph]\nbackup_pools = b1, b2, b3\nosd_size_gb = 4\n'
                     '[rgw]\nport = 8181\n')
        self.assertEqual(['b1', 'b2', 'b3'], conf.ceph.backup_pools)
        self.assertEqual(4, conf.ceph.osd_size_gb)
        self.assertEqual(8181, conf.rgw.port)


class ConfigFilesTest(testtools.TestCase):
    """$CINDER_BACKUP_LAB_CONFIG names one file or several."""

    def test_several_files_layer_in_order(self):
        d = self.useFixture(fixtures.TempDir()).path
        base, extra = os.path.join(d, 'lab.conf'), os.path.join(d, 'x.conf')
        with open(base, 'w') as f:
            f.write('[rgw]\nport = 8110\n[cinder]\nsource = release\n')
        with open(extra, 'w') as f:
            f.write('[cinder]\nsource = patched\n')
        self.useFixture(fixtures.EnvironmentVariable(
            config.CONFIG_ENV, '%s:%s:' % (base, extra)))
        files = config.default_config_files()
        self.assertEqual([base, extra], files)
        conf = config.load(config_files=files)
        self.assertEqual((8110, 'patched'), (conf.rgw.port,
                                             conf.cinder.source))

    def test_one_file(self):
        self.useFixture(fixtures.EnvironmentVariable(config.CONFIG_ENV,
                                                     '/srv/lab.conf'))
        self.assertEqual(['/srv/lab.conf'], config.default_config_files())


class ValidationTest(testtools.TestCase):

    def _errors(self, text):
        return config.validate(_conf(text))

    def _assert_error(self, text, *fragments):
        errors = self._errors(text)
        self.assertTrue(errors, 'no error for %r' % text)
        joined = '\n'.join(errors)
        for fragment in fragments:
            self.assertIn(fragment, joined)

    def test_pool_name_with_slash_is_refused(self):
        self._assert_error('[ceph]\nbackup_pools = good, bad/name\n',
                           "'bad/name'", 'not usable')

    def test_pool_name_starting_with_dot_is_refused(self):
        self._assert_error('[ceph]\nvolumes_pool = .hidden\n', "'.hidden'")

    def test_reserved_pool_names_are_refused(self):
        self._assert_error('[ceph]\nbackup_pools = default.rgw.meta\n',
                           'reserved')
        self._assert_error('[ceph]\nbackup_pools = device_health_metrics\n',
                           'reserved')

    def test_duplicate_pools_are_refused(self):
        self._assert_error('[ceph]\nbackup_pools = volumes\n',
                           'distinct', 'volumes')

    def test_empty_backup_pools_is_refused(self):
        self._assert_error('[ceph]\nbackup_pools =\n', 'backup_pools is empty')

    def test_user_with_client_prefix_is_refused(self):
        self._assert_error('[ceph]\nbackup_user = client.cinder-backup\n',
                           'without "client."')

    def test_nearfull_at_or_above_full_is_refused(self):
        self._assert_error('[ceph]\nnearfull_ratio = 0.95\n'
                           'full_ratio = 0.9\n', 'nearfull_ratio 0.95',
                           'below full_ratio 0.9')

    def test_same_volume_and_backup_user_is_refused(self):
        self._assert_error('[ceph]\nbackup_user = cinder\n', 'must differ')

    def test_non_loopback_bind_host_is_refused(self):
        self._assert_error('[DEFAULT]\nbind_host = 192.0.2.10\n', 'loopback')
        self._assert_error('[DEFAULT]\nbind_host = nohost\n',
                           'not an IP address')

    def test_port_collision_is_refused(self):
        self._assert_error('[rgw]\nport = 3300\n', 'both 3300')

    def test_port_in_osd_range_is_refused(self):
        self._assert_error('[rgw]\nport = 6800\n', '6800-7300')

    def test_state_dir_must_be_dedicated(self):
        self._assert_error('[DEFAULT]\nstate_dir = /var/lib\n', 'state_dir')
        self._assert_error('[DEFAULT]\nstate_dir = relative\n', 'state_dir')

    def test_bad_rgw_uid_is_refused(self):
        self._assert_error('[rgw]\nuid = "a b"\n', '[rgw] uid')

    def test_bad_types_are_reported_at_load_by_name(self):
        exc = self.assertRaises(config.ConfigError, _conf,
                                '[ceph]\nosd_size_gb = 1\n'
                                '[DEFAULT]\nprofile = nfs\n')
        self.assertIn('[ceph] osd_size_gb', str(exc))
        self.assertIn('[DEFAULT] profile', str(exc))


class DriversTest(testtools.TestCase):

    def test_profiles(self):
        conf = config.load()
        for profile, drivers in (('ceph', ['ceph']), ('swift', ['swift']),
                                 ('both', ['ceph', 'swift']),
                                 ('all', ['ceph', 'swift', 'posix', 's3',
                                          'glusterfs', 'google'])):
            conf.set_override('profile', profile)
            self.assertEqual(drivers, config.backup_drivers(conf))
        conf.set_override('profile', 'ceph')
        self.assertFalse(config.uses_rgw(conf))
        conf.set_override('backup_drivers', ['s3'])
        self.assertTrue(config.uses_rgw(conf))

    def test_selected_drivers_keep_the_lab_order_and_refuse_the_rest(self):
        conf = config.load()
        conf.set_override('profile', 'all')
        self.assertEqual(config.backup_drivers(conf),
                         config.selected_drivers(conf, None))
        self.assertEqual(['ceph', 's3'],
                         config.selected_drivers(conf, ['s3', 'ceph']))
        conf.set_override('profile', 'both')
        exc = self.assertRaises(lab_errors.LabError,
                                config.selected_drivers, conf,
                                ['ceph', 'posix', 'nfs'])
        self.assertEqual('driver(s) nfs, posix not deployed (profile both '
                         'runs ceph, swift)', str(exc))

    def test_nfs_without_kernel_support_is_refused_with_the_reason(self):
        errors = config.driver_problems(['ceph', 'nfs'], {'ext4', 'tmpfs'})
        self.assertEqual(1, len(errors), errors)
        self.assertIn('no NFS client', errors[0])
        self.assertIn('CONFIG_NFS_FS', errors[0])

    def test_nfs_with_kernel_support_is_still_not_deployed(self):
        errors = config.driver_problems(['nfs'], {'nfs', 'ext4'})
        self.assertEqual(1, len(errors), errors)
        self.assertNotIn('no NFS client', errors[0])
        self.assertIn('no NFS server', errors[0])

    def test_tsm_is_refused_as_removed(self):
        errors = config.driver_problems(['tsm'], set())
        self.assertIn('removed from Cinder in 18.0.0', errors[0])

    def test_unknown_driver(self):
        errors = config.driver_problems(['ceph', 'tape'], set())
        self.assertEqual(1, len(errors), errors)
        self.assertIn("unknown driver 'tape'", errors[0])

    def test_validate_reads_the_drivers(self):
        conf = config.load()
        conf.set_override('backup_drivers', ['posix', 'nfs'])
        self.assertTrue(any('nfs' in e for e in config.validate(
            conf, filesystems=set())))
        conf.set_override('backup_drivers', ['posix', 's3'])
        self.assertEqual([], config.validate(conf, filesystems=set()))

    def test_kernel_filesystems_parses_proc(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, tmp)
        path = os.path.join(tmp, 'filesystems')
        self.addCleanup(os.remove, path)
        with open(path, 'w') as f:
            f.write('nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tfuse\n')
        self.assertEqual({'sysfs', 'tmpfs', 'ext4', 'fuse'},
                         config.kernel_filesystems(path))
        self.assertEqual(set(), config.kernel_filesystems(path + '.none'))
