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

"""cinder.conf rendering: pure functions, parsed back with configparser."""

import configparser

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder_conf


def parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def common(**kw):
    values = dict(
        state_path='/s/cinder', log_dir='/s/log', host='cbl',
        bind_host='127.0.0.1', api_port=8776,
        db_url='mysql+pymysql://cinder:pw@127.0.0.1:3306/cinder',
        transport_url='rabbit://u:pw@127.0.0.1:5672/',
        keystone_url='http://127.0.0.1:5000', memcached='127.0.0.1:11211',
        service_user='cinder', service_password='pw',
        service_project='service', default_az='nova',
        volume_backend='ceph', volume_type='ceph',
        ceph_conf='/s/ceph/ceph.conf', rbd_pool='volumes',
        rbd_user='cinder', report_interval=10, periodic_interval=20,
        privsep_helper='/v/bin/privsep-helper --config-file '
                       '/s/cinder/cinder_conf.conf',
        api_paste_config='/v/etc/cinder/api-paste.ini',
        rootwrap_config='/s/cinder/rootwrap.conf',
        resource_filters_file='/v/etc/cinder/resource_filters.json')
    values.update(kw)
    return cinder_conf.CommonSettings(**values)


def swift(**kw):
    values = dict(
        auth='single_user',
        url='http://127.0.0.1:8080/swift/v1/AUTH_',
        auth_url='http://127.0.0.1:8080/auth/1.0',
        user='cinder-backup:swift', key='s3cr3t',
        container='volumebackups', object_size=52428800, block_size=32768,
        retry_attempts=3, retry_backoff=2, compression='zlib')
    values.update(kw)
    return cinder_conf.SwiftBackupSettings(**values)


class TestCinderConf(testtools.TestCase):

    def test_rbd_backend(self):
        conf = parse(cinder_conf.render_cinder_conf(common()))
        self.assertEqual('ceph', conf['DEFAULT']['enabled_backends'])
        self.assertEqual('ceph', conf['DEFAULT']['default_volume_type'])
        backend = conf['ceph']
        self.assertEqual(cinder_conf.RBD_DRIVER, backend['volume_driver'])
        self.assertEqual('volumes', backend['rbd_pool'])
        self.assertEqual('cinder', backend['rbd_user'])
        self.assertEqual('/s/ceph/ceph.conf', backend['rbd_ceph_conf'])
        self.assertEqual('nova', backend['backend_availability_zone'])

    def test_privsep_contexts_use_the_venv_helper(self):
        conf = parse(cinder_conf.render_cinder_conf(common()))
        for section in ('privsep', 'privsep_osbrick', 'cinder_sys_admin'):
            self.assertTrue(conf[section]['helper_command'].startswith(
                '/v/bin/privsep-helper --config-file'), section)
            self.assertNotIn('sudo', conf[section]['helper_command'])

    def test_quotas_fit_six_drivers(self):
        # A source and a restored volume per deployed driver at once.
        conf = parse(cinder_conf.render_cinder_conf(common()))
        self.assertGreaterEqual(int(conf['DEFAULT']['quota_volumes']),
                                2 * len(config.DRIVERS))
        # The demo: two backups per driver.
        self.assertGreaterEqual(int(conf['DEFAULT']['quota_backups']),
                                2 * len(config.DRIVERS))
        # Else the database's default quota class (10) wins.
        self.assertEqual('false',
                         conf['DEFAULT']['use_default_quota_class'])

    def test_any_backup_host_of_the_az(self):
        conf = parse(cinder_conf.render_cinder_conf(common()))
        self.assertEqual('false', conf['DEFAULT']['backup_use_same_host'])
        self.assertEqual('nova', conf['DEFAULT']['storage_availability_zone'])

    def test_ceph_backup_has_the_seed_options(self):
        s = cinder_conf.CephBackupSettings(
            ceph_conf='/s/ceph/ceph.conf',
            user='cinder-backup', pool='backups', chunk_size=134217728,
            stripe_unit=0, stripe_count=0,
            restore_discard_excess_bytes=True)
        d = dict(cinder_conf.ceph_backup_options(s))
        self.assertEqual(cinder_conf.BACKUP_DRIVERS['ceph'],
                         d['backup_driver'])
        self.assertEqual('cinder-backup', d['backup_ceph_user'])
        self.assertEqual('backups', d['backup_ceph_pool'])
        self.assertEqual('134217728', d['backup_ceph_chunk_size'])
        self.assertEqual('0', d['backup_ceph_stripe_unit'])
        self.assertEqual('0', d['backup_ceph_stripe_count'])
        self.assertEqual('true', d['restore_discard_excess_bytes'])

    def test_backup_conf_of_a_cbak_names_host_az_and_log(self):
        conf = config.load()
        conf.set_override('profile', 'ceph')
        d = parse(cinder_conf.render_backup_conf(
            conf, 'ceph', 'cbl-backup-ceph', 'nova', '/s/log/c.log',
            '/s/ceph/ceph.conf'))['DEFAULT']
        self.assertEqual('cbl-backup-ceph', d['host'])
        self.assertEqual('nova', d['storage_availability_zone'])
        self.assertEqual('/s/log/c.log', d['log_file'])
        self.assertEqual(dict(cinder_conf.backup_options(
            conf, 'ceph', '/s/ceph/ceph.conf')),
            {k: v for k, v in d.items() if k.startswith('backup_')
             or k == 'restore_discard_excess_bytes'})

    def test_every_c_bak_reports_to_the_scheduler_promptly(self):
        conf = config.load(config_files=[])
        # (The Swift and S3 options need credentials written by "up".)
        for driver in (config.CEPH, config.POSIX):
            d = dict(cinder_conf.backup_options(conf, driver, '/c.conf'))
            self.assertEqual('10', d['backup_driver_stats_polling_interval'],
                             driver)

    def test_swift_single_user_v1(self):
        d = dict(cinder_conf.swift_backup_options(swift()))
        self.assertEqual(cinder_conf.BACKUP_DRIVERS['swift'],
                         d['backup_driver'])
        self.assertTrue(d['backup_swift_url'].endswith('/swift/v1/AUTH_'))
        self.assertEqual('single_user', d['backup_swift_auth'])
        self.assertEqual('1', d['backup_swift_auth_version'])
        self.assertEqual('cinder-backup:swift', d['backup_swift_user'])
        self.assertEqual('s3cr3t', d['backup_swift_key'])
        self.assertEqual('52428800', d['backup_swift_object_size'])
        self.assertEqual('32768', d['backup_swift_block_size'])
        self.assertEqual('3', d['backup_swift_retry_attempts'])
        self.assertEqual('2', d['backup_swift_retry_backoff'])
        self.assertEqual('zlib', d['backup_compression_algorithm'])

    def test_swift_per_user_has_no_static_credentials(self):
        d = dict(cinder_conf.swift_backup_options(swift(auth='per_user')))
        self.assertEqual('per_user', d['backup_swift_auth'])
        for key in ('backup_swift_user', 'backup_swift_key',
                    'backup_swift_auth_url'):
            self.assertNotIn(key, d)

    def test_swift_object_size_must_be_block_multiple(self):
        self.assertRaises(ValueError, cinder_conf.swift_backup_options,
                          swift(object_size=100000, block_size=32768))

    def test_settings_repr_hides_secrets(self):
        self.assertNotIn('s3cr3t', repr(swift()))
        self.assertNotIn("'pw'", repr(common()))


class TestBackupServices(testtools.TestCase):

    def _conf(self, profile):
        conf = config.load()
        conf.set_override('profile', profile)
        return conf

    def test_both_puts_the_drivers_in_two_azs(self):
        self.assertEqual(
            [('ceph', 'cbl-backup-ceph', 'nova'),
             ('swift', 'cbl-backup-swift', 'az-swift')],
            cinder_conf.backup_services(self._conf('both')))

    def test_single_driver_profiles_use_the_default_az(self):
        self.assertEqual([('ceph', 'cbl-backup-ceph', 'nova')],
                         cinder_conf.backup_services(self._conf('ceph')))
        self.assertEqual([('swift', 'cbl-backup-swift', 'nova')],
                         cinder_conf.backup_services(self._conf('swift')))

    def test_all_gives_every_driver_an_az_and_host_of_its_own(self):
        self.assertEqual(
            [('ceph', 'cbl-backup-ceph', 'nova'),
             ('swift', 'cbl-backup-swift', 'az-swift'),
             ('posix', 'cbl-backup-posix', 'az-posix'),
             ('s3', 'cbl-backup-s3', 'az-s3'),
             ('glusterfs', 'cbl-backup-glusterfs', 'az-glusterfs'),
             ('google', 'cbl-backup-google', 'az-google')],
            cinder_conf.backup_services(self._conf('all')))

    def test_backup_drivers_replace_the_profile(self):
        conf = self._conf('both')
        conf.set_override('backup_drivers', ['s3', 'posix'])
        # Without Ceph, the first driver serves the default AZ.
        self.assertEqual(
            [('posix', 'cbl-backup-posix', 'nova'),
             ('s3', 'cbl-backup-s3', 'az-s3')],
            cinder_conf.backup_services(conf))


class TestMoreDrivers(testtools.TestCase):

    def test_posix_options(self):
        d = dict(cinder_conf.posix_backup_options(
            cinder_conf.PosixBackupSettings(
                path='/s/backup-posix', container='volumebackups',
                file_size=52428800, sha_block_size=32768)))
        self.assertEqual('cinder.backup.drivers.posix.PosixBackupDriver',
                         d['backup_driver'])
        self.assertEqual('/s/backup-posix', d['backup_posix_path'])
        self.assertEqual('volumebackups', d['backup_container'])
        self.assertEqual('52428800', d['backup_file_size'])
        self.assertEqual('32768', d['backup_sha_block_size_bytes'])

    def _s3(self, **kw):
        values = dict(endpoint_url='http://127.0.0.1:8080',
                      access_key='AKEY', secret_key='s3cr3t',
                      bucket='s3-volumebackups', object_size=52428800,
                      block_size=32768)
        values.update(kw)
        return cinder_conf.S3BackupSettings(**values)

    def test_s3_options(self):
        d = dict(cinder_conf.s3_backup_options(self._s3()))
        self.assertEqual('cinder.backup.drivers.s3.S3BackupDriver',
                         d['backup_driver'])
        self.assertEqual('http://127.0.0.1:8080',
                         d['backup_s3_endpoint_url'])
        self.assertEqual('AKEY', d['backup_s3_store_access_key'])
        self.assertEqual('s3cr3t', d['backup_s3_store_secret_key'])
        self.assertEqual('s3-volumebackups', d['backup_s3_store_bucket'])
        self.assertEqual('false', d['backup_s3_verify_ssl'])

    def test_s3_sizes_must_fit_and_repr_hides_keys(self):
        self.assertRaises(ValueError, cinder_conf.s3_backup_options,
                          self._s3(object_size=100000))
        self.assertNotIn('s3cr3t', repr(self._s3()))
        self.assertNotIn('AKEY', repr(self._s3()))

    def test_posix_path_defaults_to_the_state_dir(self):
        conf = config.load()
        conf.set_override('state_dir', '/var/lib/x')
        self.assertEqual('/var/lib/x/backup-posix', config.posix_path(conf))
        d = dict(cinder_conf.backup_options(conf, 'posix', '/c'))
        self.assertEqual('/var/lib/x/backup-posix', d['backup_posix_path'])
        self.assertEqual('volumebackups', d['backup_container'])
