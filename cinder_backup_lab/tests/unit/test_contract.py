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

"""The core's side of the DevStack contract.

INI editing in place, configure-cinder and tempest-conf output, the
client files export, the Ceph repository source and the new options'
validation.
"""

import configparser
import contextlib
import io
import logging
import os
import pwd
import shutil
import stat
import tempfile

import testtools

from cinder_backup_lab import cli
from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.fronts import devstack
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import inifile
from cinder_backup_lab.host import packages
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.storage import rgw

ME = pwd.getpwuid(os.getuid()).pw_name
SWIFT_KEY = 'Sekrit-Swift-Key-0123456789'

# What DevStack's cinder.conf looks like after lib/cinder configured it
# (shortened), with the odd spellings oslo.config accepts.
DEVSTACK_CINDER_CONF = """\
[DEFAULT]
# A comment that must survive.
debug = True
transport_url = rabbit://stackrabbit:secret@192.0.2.10:5672/
backup_driver = cinder.backup.drivers.swift.SwiftBackupDriver
backup_swift_url = http://192.0.2.10:8080/v1/AUTH_
my_ip = 192.0.2.10
enabled_backends = ceph
default_volume_type = ceph

[database]
connection = mysql+pymysql://root:secret@127.0.0.1/cinder?charset=utf8

[ceph]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = ceph
rbd_pool = old-pool
rbd_user: olduser
rbd_ceph_conf = /etc/ceph/ceph.conf

[key_manager]
backend = cinder.keymgr.conf_key_mgr.ConfKeyManager
"""


def _parse(text):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(text)
    return parser


class IniTextTest(testtools.TestCase):

    def test_replace_keeps_everything_else(self):
        ini = inifile.IniText(DEVSTACK_CINDER_CONF)
        ini.set('DEFAULT', 'backup_driver', 'x.Ceph')
        ini.set('ceph', 'rbd_user', 'cinder')
        text = ini.text()
        expected = DEVSTACK_CINDER_CONF.replace(
            'backup_driver = cinder.backup.drivers.swift.SwiftBackupDriver',
            'backup_driver = x.Ceph').replace('rbd_user: olduser',
                                              'rbd_user = cinder')
        self.assertEqual(expected, text)

    def test_new_option_goes_to_the_end_of_its_section(self):
        ini = inifile.IniText('[a]\nx = 1\n\n[b]\ny = 2\n')
        ini.set('a', 'z', '3')
        self.assertEqual('[a]\nx = 1\nz = 3\n\n[b]\ny = 2\n', ini.text())

    def test_new_section_and_empty_file(self):
        ini = inifile.IniText('')
        ini.set('DEFAULT', 'host', 'h1')
        ini.set('cinder_backup_lab', 'x', '')
        self.assertEqual('[DEFAULT]\nhost = h1\n\n[cinder_backup_lab]\nx =\n',
                         ini.text())

    def test_duplicates_and_continuations_are_folded(self):
        # oslo.config: the last value wins, indented lines continue it.
        text = ('[DEFAULT]\nhost = a\n  continued\nother = 1\n'
                '[DEFAULT]\nhost = b\n')
        ini = inifile.IniText(text)
        self.assertEqual('b', ini.get('DEFAULT', 'host'))
        ini.set('DEFAULT', 'host', 'c')
        self.assertEqual('[DEFAULT]\nhost = c\nother = 1\n[DEFAULT]\n',
                         ini.text())
        self.assertEqual('c', ini.get('DEFAULT', 'host'))

    def test_comments_and_other_sections_are_not_options(self):
        ini = inifile.IniText('#host = x\n[s]\n;host = y\n[t]\nhost = z\n')
        self.assertIsNone(ini.get('s', 'host'))
        ini.set('s', 'host', 'w')
        self.assertEqual('#host = x\n[s]\n;host = y\nhost = w\n[t]\n'
                         'host = z\n', ini.text())

    def test_values_are_literal(self):
        value = 'http://h:8080/swift/v1/AUTH_$(project_id)s %s a=b'
        ini = inifile.IniText('')
        ini.set('DEFAULT', 'url', value)
        self.assertEqual(value, ini.get('DEFAULT', 'url'))
        self.assertEqual(value, _parse(ini.text())['DEFAULT']['url'])

    def test_multiline_value_is_refused(self):
        self.assertRaises(ValueError, inifile.IniText('').set, 's', 'o',
                          'a\nb')


class TempDirTestCase(testtools.TestCase):

    def setUp(self):
        super(TempDirTestCase, self).setUp()
        self.dir = tempfile.mkdtemp(prefix='cbl-contract-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o640):
        path = self.path(name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path


class EditFileTest(TempDirTestCase):

    def test_edit_keeps_mode_and_reports_changes(self):
        path = self.write('cinder.conf', DEVSTACK_CINDER_CONF, 0o640)
        changed = inifile.edit(path, [('DEFAULT', 'debug', 'True'),
                                      ('DEFAULT', 'host', 'h')])
        self.assertEqual([('DEFAULT', 'host')], changed)
        self.assertEqual(0o640, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual([], inifile.edit(path, [('DEFAULT', 'host', 'h')]))
        # No temp file left behind.
        self.assertEqual(['cinder.conf'], os.listdir(self.dir))

    def test_missing_file_is_created_private(self):
        path = self.path('new.conf')
        inifile.edit(path, [('DEFAULT', 'backup_swift_key', 'k')])
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))


def lab_conf(state_dir, client_dir, **overrides):
    conf = config.load()
    conf.set_override('state_dir', state_dir)
    conf.set_override('client_conf_dir', client_dir)
    conf.set_override('client_owner', ME)
    conf.set_override('deploy_openstack', False)
    for key, value in overrides.items():
        group, _, name = key.rpartition('__')
        conf.set_override(name, value, group=group or None)
    return conf


def write_swift_credentials(state_dir):
    """The RGW user's credentials file, as `up` leaves it."""
    rgw.write_credentials(rgw.credentials_path(state_dir),
                          rgw.SwiftCredentials(
                              auth_url='http://127.0.0.1:8080/auth/1.0',
                              user='cinder-backup:swift', key=SWIFT_KEY,
                              storage_url='http://127.0.0.1:8080/swift/v1'))


class ConfigureCinderTest(TempDirTestCase):

    def setUp(self):
        super(ConfigureCinderTest, self).setUp()
        self.state = self.path('state')
        self.client = self.path('etc-ceph')
        write_swift_credentials(self.state)

    def conf(self, **overrides):
        return lab_conf(self.state, self.client, **overrides)

    def _apply(self, conf, text='', **kwargs):
        path = self.write('cinder.conf', text, 0o640)
        devstack.configure_cinder(conf, path, **kwargs)
        with open(path) as f:
            return f.read()

    def test_ceph_driver_with_volume_backend(self):
        text = self._apply(self.conf(), DEVSTACK_CINDER_CONF,
                           driver='ceph', volume_backend='ceph')
        ini = _parse(text)
        d = ini['DEFAULT']
        self.assertEqual(cinder_conf.BACKUP_DRIVERS['ceph'],
                         d['backup_driver'])
        self.assertEqual(os.path.join(self.client, 'ceph.conf'),
                         d['backup_ceph_conf'])
        self.assertEqual('cinder-backup', d['backup_ceph_user'])
        self.assertEqual('backups', d['backup_ceph_pool'])
        self.assertEqual('134217728', d['backup_ceph_chunk_size'])
        self.assertEqual('true', d['restore_discard_excess_bytes'])
        # DevStack's other options stay, the Swift URL it wrote too (it
        # is not read by the Ceph driver).
        self.assertEqual('True', d['debug'])
        self.assertIn('# A comment that must survive.', text)
        self.assertNotIn('storage_availability_zone', d)
        self.assertNotIn('host', d)
        backend = ini['ceph']
        self.assertEqual('volumes', backend['rbd_pool'])
        self.assertEqual('cinder', backend['rbd_user'])
        self.assertEqual(os.path.join(self.client, 'ceph.conf'),
                         backend['rbd_ceph_conf'])
        self.assertEqual('cinder.volume.drivers.rbd.RBDDriver',
                         backend['volume_driver'])
        self.assertNotIn('rbd_keyring_conf', backend)

    def test_same_options_as_the_labs_own_cbak(self):
        conf = self.conf()

        lab_ceph_conf = ceph.CephPaths(self.state).conf
        for driver in ('ceph', 'swift'):
            lab_text = cinder_conf.render_backup_conf(
                conf, driver, 'h', 'az', '/log', lab_ceph_conf)
            lab = dict(_parse(lab_text)['DEFAULT'])
            self.assertEqual(cinder_conf.BACKUP_DRIVERS[driver],
                             lab['backup_driver'])
            for key in ('host', 'storage_availability_zone', 'log_file'):
                lab.pop(key)
            ours = dict(_parse(self._apply(conf, driver=driver))['DEFAULT'])
            if driver == 'ceph':
                # The lab's c-bak reads the state dir's ceph.conf.
                self.assertEqual(lab_ceph_conf,
                                 lab.pop('backup_ceph_conf'))
                self.assertEqual(os.path.join(self.client, 'ceph.conf'),
                                 ours.pop('backup_ceph_conf'))
            self.assertEqual(lab, ours, driver)

    def test_swift_driver_second_cbak(self):
        conf = self.conf()
        text = self._apply(conf, driver='swift',
                           availability_zone='az-swift',
                           backup_host='node-backup-swift')
        d = _parse(text)['DEFAULT']
        self.assertEqual(cinder_conf.BACKUP_DRIVERS['swift'],
                         d['backup_driver'])
        self.assertEqual('http://127.0.0.1:8080/swift/v1/AUTH_',
                         d['backup_swift_url'])
        self.assertEqual('single_user', d['backup_swift_auth'])
        self.assertEqual('1', d['backup_swift_auth_version'])
        self.assertEqual('cinder-backup:swift', d['backup_swift_user'])
        self.assertEqual(SWIFT_KEY, d['backup_swift_key'])
        self.assertEqual('volumebackups', d['backup_swift_container'])
        self.assertEqual('zlib', d['backup_compression_algorithm'])
        self.assertEqual('az-swift', d['storage_availability_zone'])
        self.assertEqual('node-backup-swift', d['host'])

    def test_per_user_on_a_remote_rgw(self):
        conf = self.conf(backup_swift__auth='per_user', rgw__host='192.0.2.7',
                         allow_non_loopback=True, profile='swift',
                         ceph__deploy=False)
        d = _parse(self._apply(conf, driver='swift'))['DEFAULT']
        self.assertEqual('http://192.0.2.7:8080/swift/v1/AUTH_',
                         d['backup_swift_url'])
        self.assertEqual('per_user', d['backup_swift_auth'])
        for key in ('backup_swift_key', 'backup_swift_user',
                    'backup_swift_auth_url'):
            self.assertNotIn(key, d)

    def test_single_user_without_credentials_says_what_to_do(self):
        os.unlink(rgw.credentials_path(self.state))
        exc = self.assertRaises(errors.LabError, devstack.cinder_conf_changes,
                                self.conf(), driver='swift')
        self.assertIn('swift-credentials.conf', str(exc))
        self.assertIn('per_user', str(exc))

    def test_driver_outside_the_profile_is_refused(self):
        exc = self.assertRaises(errors.LabError, devstack.cinder_conf_changes,
                                self.conf(profile='ceph'), driver='swift')
        self.assertIn('profile ceph has no swift backup driver', str(exc))

    def test_az_that_tempest_would_not_use_is_refused(self):
        exc = self.assertRaises(errors.LabError, devstack.cinder_conf_changes,
                                self.conf(), driver='swift',
                                availability_zone='elsewhere')
        self.assertIn('[cinder] swift_az = elsewhere', str(exc))

    def test_rbd_options_need_client_conf_dir(self):
        conf = self.conf()
        conf.set_override('client_conf_dir', '')
        exc = self.assertRaises(errors.LabError, devstack.cinder_conf_changes,
                                conf, volume_backend='ceph')
        self.assertIn('client_conf_dir', str(exc))

    def test_invalid_lab_config_touches_nothing(self):
        path = self.write('cinder.conf', '[DEFAULT]\n', 0o640)
        conf = self.conf(backup_swift__object_size=1000)
        exc = self.assertRaises(errors.LabError, devstack.configure_cinder,
                                conf, path, driver='swift')
        self.assertIn('not a multiple of block_size', str(exc))
        with open(path) as f:
            self.assertEqual('[DEFAULT]\n', f.read())

    def test_nothing_asked(self):
        self.assertRaises(errors.LabError, devstack.cinder_conf_changes,
                          self.conf())

    def test_cli_prints_names_never_the_key(self):
        path = self.write('cinder.conf', '', 0o600)
        conf_file = self.write('lab.conf', '[DEFAULT]\nstate_dir = %s\n'
                               'client_conf_dir = %s\nclient_owner = %s\n'
                               'deploy_openstack = false\n'
                               % (self.state, self.client, ME))
        root = logging.getLogger()
        handlers = list(root.handlers)
        self.addCleanup(setattr, root, 'handlers', handlers)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            rc = cli.main(['--config-file', conf_file, 'configure-cinder',
                           '--cinder-conf', path, '--driver', 'swift',
                           '--availability-zone', 'az-swift',
                           '--backup-host', 'h2'])
        self.assertEqual(0, rc, out.getvalue())
        self.assertIn('[DEFAULT] backup_swift_key', out.getvalue())
        self.assertNotIn(SWIFT_KEY, out.getvalue())
        for dirpath, _dirs, files in os.walk(self.state):
            for name in files:
                if name.endswith('.log'):
                    with open(os.path.join(dirpath, name)) as f:
                        self.assertNotIn(SWIFT_KEY, f.read())
        with open(path) as f:
            self.assertIn(SWIFT_KEY, f.read())
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))


class TempestConfTest(TempDirTestCase):

    def setUp(self):
        super(TempestConfTest, self).setUp()
        self.state = self.path('state')
        self.client = self.path('etc-ceph')
        write_swift_credentials(self.state)

    def test_devstack_tempest_conf(self):
        conf = lab_conf(self.state, self.client,
                        cinder__swift_az='backup-swift')
        path = self.write('tempest.conf', '[auth]\nadmin_username = admin\n'
                          '\n[volume]\ncatalog_type = volumev3\n', 0o644)
        devstack.edit_tempest_conf(conf, path)
        with open(path) as f:
            ini = _parse(f.read())
        self.assertEqual('admin', ini['auth']['admin_username'])
        opts = ini['cinder_backup_lab']
        self.assertEqual('true', opts['ceph_backup_enabled'])
        self.assertEqual('true', opts['swift_backup_enabled'])
        self.assertEqual('nova', opts['ceph_backup_availability_zone'])
        self.assertEqual('backup-swift',
                         opts['swift_backup_availability_zone'])
        self.assertEqual(os.path.join(self.client, 'ceph.conf'),
                         opts['ceph_conf'])
        self.assertEqual(ceph.PROBE_USER, opts['ceph_probe_user'])
        self.assertEqual(os.path.join(
            self.client, 'ceph.client.%s.keyring' % ceph.PROBE_USER),
            opts['ceph_probe_keyring'])
        self.assertEqual(SWIFT_KEY, opts['swift_key'])
        self.assertEqual(0o644, stat.S_IMODE(os.stat(path).st_mode))
        # Exactly what the lab's own tempest.conf gets.
        self.assertEqual(dict(tempest_conf.tempest_plugin_options(conf)),
                         dict(opts))

    def test_the_labs_own_tempest_uses_admin_in_the_state_dir(self):
        conf = lab_conf(self.state, '', deploy_openstack=True)
        opts = dict(tempest_conf.tempest_plugin_options(conf))
        self.assertEqual('admin', opts['ceph_probe_user'])
        self.assertEqual(ceph.CephPaths(self.state).conf, opts['ceph_conf'])

    def test_needs_client_conf_dir_without_own_openstack(self):
        conf = lab_conf(self.state, '')
        self.assertRaises(errors.LabError, devstack.edit_tempest_conf, conf,
                          self.path('tempest.conf'))


class ClientExportTest(TempDirTestCase):

    def setUp(self):
        super(ClientExportTest, self).setUp()
        self.state = self.path('state')
        self.client = self.path('etc-ceph')
        self.conf = lab_conf(self.state, self.client)
        paths = self.paths = ceph.CephPaths(self.state)
        self.outside = client_files.OutsideFiles(self.state)
        os.makedirs(paths.keyring_dir)
        for user in client_files.exported_users(self.conf):
            with open(paths.keyring('client.%s' % user), 'w') as f:
                f.write('[client.%s]\n\tkey = K-%s\n' % (user, user))

    def test_client_conf_has_no_daemon_paths(self):
        text = ceph.render_client_conf(
            'f5a0', ceph.mon_addrs('127.0.0.1', 3300, 6789), '/etc/ceph')
        ini = _parse(text)
        self.assertEqual('f5a0', ini['global']['fsid'])
        self.assertEqual('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]',
                         ini['global']['mon_host'])
        self.assertEqual('cephx', ini['global']['auth_client_required'])
        self.assertEqual('/etc/ceph/$cluster.$name.keyring',
                         ini['client']['keyring'])
        for word in ('mon_data', 'osd_data', 'run_dir', 'rgw_', 'pid_file',
                     'log_dir'):
            self.assertNotIn(word, text)

    def test_export_and_clean(self):
        # Someone else's file in the same directory is left alone.
        os.makedirs(self.client)
        other = os.path.join(self.client, 'ceph.client.glance.keyring')
        with open(other, 'w') as f:
            f.write('not ours')
        changed = client_files.export(self.conf, 'f5a0', self.paths)
        expected = sorted([os.path.join(self.client, 'ceph.conf')] + [
            os.path.join(self.client, 'ceph.client.%s.keyring' % u)
            for u in ('cinder', 'cinder-backup', ceph.PROBE_USER)])
        self.assertEqual(expected, changed)
        for path in expected:
            st = os.stat(path)
            self.assertEqual(os.getuid(), st.st_uid)
            mode = 0o644 if path.endswith('ceph.conf') else 0o640
            self.assertEqual(mode, stat.S_IMODE(st.st_mode), path)
        with open(os.path.join(self.client,
                               'ceph.client.cinder.keyring')) as f:
            self.assertIn('K-cinder', f.read())
        self.assertEqual([], client_files.export(self.conf, 'f5a0',
                                                 self.paths))
        self.assertEqual(expected, sorted(self.outside.paths()))
        self.assertEqual(expected,
                         sorted(self.outside.remove()))
        self.assertEqual(['ceph.client.glance.keyring'],
                         os.listdir(self.client))
        self.assertEqual([], self.outside.paths())

    def test_foreign_file_is_not_overwritten(self):
        os.makedirs(self.client)
        with open(os.path.join(self.client, 'ceph.conf'), 'w') as f:
            f.write('[global]\nfsid = another-cluster\n')
        exc = self.assertRaises(errors.LabError,
                                client_files.export, self.conf, 'f5a0',
                                self.paths)
        self.assertIn('was not written by the lab in', str(exc))
        self.assertEqual([], self.outside.paths())

    def test_nothing_without_client_conf_dir(self):
        self.conf.set_override('client_conf_dir', '')
        self.assertEqual([], client_files.export(self.conf, 'f', self.paths))


class CephCapsTest(testtools.TestCase):

    def test_probe_user_reads_backups_writes_volumes(self):
        caps = ceph.probe_user_caps('volumes', ['backups', 'volumebackups'])
        self.assertEqual('profile rbd', caps['mon'])
        self.assertEqual('profile rbd pool=volumes, '
                         'profile rbd-read-only pool=backups, '
                         'profile rbd-read-only pool=volumebackups',
                         caps['osd'])

    def test_public_network(self):
        self.assertEqual('127.0.0.0/8', ceph.public_network('127.0.0.1'))
        self.assertEqual('192.0.2.10/32', ceph.public_network('192.0.2.10'))

    def test_missing_pools(self):
        self.assertEqual(['b2', 'b3'], ceph.missing_pools(
            ['volumes', 'b2', 'b3'], ['volumes', '.mgr']))


class AptSourceTest(TempDirTestCase):

    def test_render(self):
        self.assertEqual(
            '# Ceph packages for cinder-backup-lab ([ceph] repo_url).\n'
            'deb [signed-by=/etc/apt/keyrings/cinder-backup-lab-ceph.asc] '
            'https://mirror.example.org/ceph/debian-reef bookworm main\n',
            packages.render_apt_source(
                'https://mirror.example.org/ceph/debian-reef/', 'bookworm',
                '/etc/apt/keyrings/cinder-backup-lab-ceph.asc'))
        self.assertIn('deb https://mirror.example.org/c jammy main',
                      packages.render_apt_source(
                          'https://mirror.example.org/c', 'jammy'))

    def test_key_suffix_follows_its_format(self):
        self.assertTrue(packages.apt_key_path(
            b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n', '/k').endswith('.asc'))
        self.assertTrue(packages.apt_key_path(b'\x99\x01', '/k').endswith(
            '.gpg'))

    def test_source_file_written_and_removed(self):
        source = self.path('ceph.list')
        conf = config.load()
        conf.set_override('install_source', 'repo', group='ceph')
        conf.set_override('repo_url', 'https://mirror.example.org/ceph',
                          group='ceph')
        self.assertTrue(packages.ensure_ceph_source(conf, source,
                                                    self.path('keys')))
        with open(source) as f:
            self.assertIn('deb https://mirror.example.org/ceph ', f.read())
        self.assertFalse(packages.ensure_ceph_source(conf, source,
                                                     self.path('keys')))
        conf.set_override('install_source', 'distro', group='ceph')
        conf.set_override('repo_url', '', group='ceph')
        self.assertTrue(packages.ensure_ceph_source(conf, source))
        self.assertFalse(os.path.exists(source))


class AptKeyTest(TempDirTestCase):

    def test_key_fetched_once_and_named_in_the_source(self):
        from unittest import mock
        source, keys = self.path('ceph.list'), self.path('keys')
        conf = config.load()
        conf.set_override('install_source', 'repo', group='ceph')
        conf.set_override('repo_url', 'https://mirror.example.org/ceph',
                          group='ceph')
        conf.set_override('repo_key_url',
                          'https://mirror.example.org/ceph/release.asc',
                          group='ceph')
        armored = b'-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n'
        with mock.patch.object(packages, 'fetch',
                               return_value=armored) as fetch:
            self.assertTrue(packages.ensure_ceph_source(conf, source, keys))
            self.assertFalse(packages.ensure_ceph_source(conf, source, keys))
        fetch.assert_called_once_with(
            'https://mirror.example.org/ceph/release.asc')
        key = os.path.join(keys, 'cinder-backup-lab-ceph.asc')
        with open(key, 'rb') as f:
            self.assertEqual(armored, f.read())
        with open(source) as f:
            self.assertIn('deb [signed-by=%s] https://mirror.example.org/'
                          'ceph ' % key, f.read())

    def test_unreachable_key_is_a_readable_error(self):
        from unittest import mock
        conf = config.load()
        conf.set_override('install_source', 'repo', group='ceph')
        conf.set_override('repo_url', 'https://mirror.example.org/ceph',
                          group='ceph')
        conf.set_override('repo_key_url', 'https://mirror.example.org/k',
                          group='ceph')
        with mock.patch.object(packages, 'fetch',
                               side_effect=OSError('unreachable')):
            exc = self.assertRaises(errors.LabError,
                                    packages.ensure_ceph_source, conf,
                                    self.path('s.list'), self.path('k'))
        self.assertIn('cannot download [ceph] repo_key_url', str(exc))


class ContractValidationTest(testtools.TestCase):

    def _errors(self, **overrides):
        conf = config.load()
        for key, value in overrides.items():
            group, _, name = key.rpartition('__')
            conf.set_override(name, value, group=group or None)
        return '\n'.join(config.validate(conf))

    def test_standalone_lab_stays_on_loopback(self):
        self.assertIn('not an IPv4 loopback address',
                      self._errors(bind_host='192.0.2.10'))
        self.assertIn('[rgw] host 192.0.2.7 is not a loopback',
                      self._errors(rgw__host='192.0.2.7'))
        self.assertEqual('', self._errors(
            bind_host='192.0.2.10', allow_non_loopback=True))

    def test_existing_cluster_needs_its_files_and_no_own_openstack(self):
        errors = self._errors(ceph__deploy=False)
        self.assertIn('deploy = false needs client_conf_dir', errors)
        self.assertIn('needs deploy_openstack = false', errors)

    def test_repo_needs_url(self):
        self.assertIn('install_source = repo needs repo_url',
                      self._errors(ceph__install_source='repo'))
        self.assertIn('is not an http(s) URL', self._errors(
            ceph__install_source='repo', ceph__repo_url='ftp://x/y'))
        self.assertIn('set install_source = repo', self._errors(
            ceph__repo_url='https://mirror.example.org/ceph'))

    def test_client_owner_must_exist(self):
        self.assertIn("client_owner 'no-such-user-cbl' is not a user",
                      self._errors(client_conf_dir='/tmp/cbl-x',
                                   client_owner='no-such-user-cbl'))

    def test_client_conf_dir_not_in_state_dir(self):
        self.assertIn('is inside state_dir', self._errors(
            client_conf_dir='/var/lib/cinder-backup-lab/etc'))

    def test_rgw_keystone(self):
        self.assertIn('[rgw_keystone] is only used with', self._errors(
            rgw_keystone__url='http://127.0.0.1/identity'))
        errors = self._errors(deploy_openstack=False,
                              backup_swift__auth='per_user')
        self.assertIn('needs [rgw_keystone] url, user, password', errors)
        self.assertEqual('', self._errors(
            deploy_openstack=False, backup_swift__auth='per_user',
            rgw_keystone__url='http://127.0.0.1/identity',
            rgw_keystone__user='rgw', rgw_keystone__password='pw'))

    def test_password_is_secret(self):
        opts = dict((o.name, o) for o in config.rgw_keystone_opts)
        self.assertTrue(opts['password'].secret)

    def test_no_openstack_ports_without_openstack(self):
        conf = config.load()
        conf.set_override('deploy_openstack', False)
        self.assertEqual({'ceph-mon', 'ceph-mon-v1', 'radosgw'},
                         set(config.lab_ports(conf)))
        conf.set_override('deploy', False, group='ceph')
        self.assertEqual({}, config.lab_ports(conf))


class ExistingClusterTest(TempDirTestCase):
    """[ceph] deploy = false: "up" only checks the cluster and its pools."""

    def setUp(self):
        super(ExistingClusterTest, self).setUp()
        self.client = self.path('etc-ceph')
        self.conf = lab_conf(self.path('state'), self.client,
                             ceph__deploy=False)
        from cinder_backup_lab.fronts import lab as lab_mod
        self.lab = lab_mod.Lab(self.conf)

    def _files(self, *users):
        os.makedirs(self.client, exist_ok=True)
        for name in ('ceph.conf',) + tuple(
                'ceph.client.%s.keyring' % u for u in users):
            with open(os.path.join(self.client, name), 'w') as f:
                f.write('[global]\n')

    def test_nothing_to_run_or_install_beyond_the_client(self):
        self.assertEqual([], self.lab.programs())
        self.assertEqual(['ceph-common'], self.lab.packages())

    def test_missing_ceph_conf(self):
        exc = self.assertRaises(errors.LabError,
                                self.lab.storage.check_existing)
        self.assertIn(os.path.join(self.client, 'ceph.conf'), str(exc))
        self.assertIn('copy the cluster', str(exc))

    def test_missing_keyrings(self):
        self._files()
        exc = self.assertRaises(errors.LabError,
                                self.lab.storage.check_existing)
        self.assertIn('no keyring of the volume or backup user',
                      str(exc))

    def test_missing_pools_are_named(self):
        from unittest import mock
        self._files('cinder')
        with mock.patch.object(commands, 'run_json',
                               return_value=['volumes', '.mgr']) as run:
            exc = self.assertRaises(errors.LabError,
                                    self.lab.storage.check_existing)
        self.assertIn('pools missing in the cluster of %s: backups, '
                      'volumebackups' % os.path.join(self.client,
                                                     'ceph.conf'), str(exc))
        argv = run.call_args[0][0]
        self.assertEqual('client.cinder', argv[argv.index('--name') + 1])
        self.assertEqual(['osd', 'pool', 'ls', '--format', 'json'],
                         argv[-5:])

    def test_all_pools_present(self):
        from unittest import mock
        self._files('cinder', 'cinder-backup')
        with mock.patch.object(commands, 'run_json', return_value=[
                'volumes', 'backups', 'volumebackups']) as run:
            self.lab.storage.check_existing()
        argv = run.call_args[0][0]
        self.assertEqual('client.cinder-backup',
                         argv[argv.index('--name') + 1])
