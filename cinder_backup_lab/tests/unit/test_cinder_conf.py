"""cinder.conf rendering: pure functions, parsed back with configparser."""

import configparser

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder


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
                       '/s/cinder/cinder.conf',
        api_paste_config='/v/etc/cinder/api-paste.ini',
        rootwrap_config='/s/cinder/rootwrap.conf')
    values.update(kw)
    return cinder.CommonSettings(**values)


def swift(**kw):
    values = dict(
        host='cbl-backup-swift', az='az-swift', auth='single_user',
        url='http://127.0.0.1:8080/swift/v1/AUTH_',
        auth_url='http://127.0.0.1:8080/auth/1.0',
        user='cinder-backup:swift', key='s3cr3t',
        container='volumebackups', object_size=52428800, block_size=32768,
        retry_attempts=3, retry_backoff=2, compression='zlib',
        log_file='/s/log/cinder-backup-swift.log')
    values.update(kw)
    return cinder.SwiftBackupSettings(**values)


class TestCinderConf(testtools.TestCase):

    def test_rbd_backend(self):
        conf = parse(cinder.render_cinder_conf(common()))
        self.assertEqual('ceph', conf['DEFAULT']['enabled_backends'])
        self.assertEqual('ceph', conf['DEFAULT']['default_volume_type'])
        backend = conf['ceph']
        self.assertEqual(cinder.RBD_DRIVER, backend['volume_driver'])
        self.assertEqual('volumes', backend['rbd_pool'])
        self.assertEqual('cinder', backend['rbd_user'])
        self.assertEqual('/s/ceph/ceph.conf', backend['rbd_ceph_conf'])
        self.assertEqual('nova', backend['backend_availability_zone'])

    def test_privsep_contexts_use_the_venv_helper(self):
        conf = parse(cinder.render_cinder_conf(common()))
        for section in ('privsep', 'privsep_osbrick', 'cinder_sys_admin'):
            self.assertTrue(conf[section]['helper_command'].startswith(
                '/v/bin/privsep-helper --config-file'), section)
            self.assertNotIn('sudo', conf[section]['helper_command'])

    def test_any_backup_host_of_the_az(self):
        conf = parse(cinder.render_cinder_conf(common()))
        self.assertEqual('false', conf['DEFAULT']['backup_use_same_host'])
        self.assertEqual('nova', conf['DEFAULT']['storage_availability_zone'])

    def test_ceph_backup_has_the_seed_options(self):
        s = cinder.CephBackupSettings(
            host='cbl-backup-ceph', az='nova', ceph_conf='/s/ceph/ceph.conf',
            user='cinder-backup', pool='backups', chunk_size=134217728,
            stripe_unit=0, stripe_count=0,
            restore_discard_excess_bytes=True, log_file='/s/log/x.log')
        d = parse(cinder.render_ceph_backup_conf(s))['DEFAULT']
        self.assertEqual(cinder.BACKUP_DRIVERS['ceph'], d['backup_driver'])
        self.assertEqual('cinder-backup', d['backup_ceph_user'])
        self.assertEqual('backups', d['backup_ceph_pool'])
        self.assertEqual('134217728', d['backup_ceph_chunk_size'])
        self.assertEqual('0', d['backup_ceph_stripe_unit'])
        self.assertEqual('0', d['backup_ceph_stripe_count'])
        self.assertEqual('true', d['restore_discard_excess_bytes'])
        self.assertEqual('cbl-backup-ceph', d['host'])
        self.assertEqual('nova', d['storage_availability_zone'])

    def test_swift_single_user_v1(self):
        d = parse(cinder.render_swift_backup_conf(swift()))['DEFAULT']
        self.assertEqual(cinder.BACKUP_DRIVERS['swift'], d['backup_driver'])
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
        self.assertEqual('az-swift', d['storage_availability_zone'])

    def test_swift_per_user_has_no_static_credentials(self):
        d = parse(cinder.render_swift_backup_conf(
            swift(auth='per_user')))['DEFAULT']
        self.assertEqual('per_user', d['backup_swift_auth'])
        for key in ('backup_swift_user', 'backup_swift_key',
                    'backup_swift_auth_url'):
            self.assertNotIn(key, d)

    def test_swift_object_size_must_be_block_multiple(self):
        self.assertRaises(ValueError, cinder.render_swift_backup_conf,
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
            cinder.backup_services(self._conf('both')))

    def test_single_driver_profiles_use_the_default_az(self):
        self.assertEqual([('ceph', 'cbl-backup-ceph', 'nova')],
                         cinder.backup_services(self._conf('ceph')))
        self.assertEqual([('swift', 'cbl-backup-swift', 'nova')],
                         cinder.backup_services(self._conf('swift')))
