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

"""The google (GCS) driver's pieces: options, validation, files, and the
library behaviour the lab relies on (checked on the installed libraries).
"""

import json
import os
import stat
import subprocess
import sys

import fixtures
import testtools

from cinder_backup_lab import config
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import gcs


def load(**groups):
    conf = config.load()
    for group, values in groups.items():
        for key, value in values.items():
            conf.set_override(key, value,
                              group=None if group == 'DEFAULT' else group)
    return conf


class TestGoogleValidation(testtools.TestCase):

    def test_defaults_are_valid_and_google_is_deployable(self):
        conf = load(DEFAULT={'backup_drivers': ['ceph', 'google']})
        self.assertEqual([], config.validate(conf, filesystems=set()))
        self.assertEqual(['ceph', 'google'], config.backup_drivers(conf))
        self.assertNotIn('google', config.NOT_DEPLOYED)

    def test_address_must_be_a_loopback_of_the_labs_own(self):
        for address, words in (
                ('127.0.0.1', 'shared'),
                ('10.0.0.5', 'not an IPv4 loopback'),
                ('::1', 'not an IPv4 loopback'),
                ('storage', 'not an IP address')):
            errors = config.validate(load(backup_google={
                'address': address}), filesystems=set())
            self.assertTrue(any(words in e and '[backup_google] address'
                                in e for e in errors), (address, errors))

    def test_address_equal_to_bind_host_is_refused(self):
        conf = load(DEFAULT={'bind_host': '127.0.9.9'},
                    backup_google={'address': '127.0.9.9'})
        self.assertTrue(any('shared' in e for e in config.validate(
            conf, filesystems=set())))

    def test_bucket_names_and_project_are_checked(self):
        errors = config.validate(load(backup_google={
            'buckets': ['Upper', 'gcs-a', 'gcs-a'], 'project_id': 'X'}),
            filesystems=set())
        text = '\n'.join(errors)
        self.assertIn("[backup_google] buckets: 'Upper' is not a usable", text)
        self.assertIn('[backup_google] buckets: names must be distinct', text)
        self.assertIn("[backup_google] project_id 'X'", text)

    def test_sizes_and_az_and_host(self):
        errors = config.validate(load(
            backup_google={'object_size': 1000, 'block_size': 300,
                           'host': 'cbl-backup-s3'},
            cinder={'google_az': 'az-s3'}), filesystems=set())
        text = '\n'.join(errors)
        self.assertIn('[backup_google] object_size 1000 is not a multiple',
                      text)
        self.assertIn('google_az must all differ', text)
        self.assertIn('[backup_google] host must all differ', text)


class TestGoogleOptions(testtools.TestCase):

    def test_backup_options(self):
        conf = load(DEFAULT={'state_dir': '/s', 'profile': 'all'})
        d = dict(cinder_conf.backup_options(conf, 'google', '/c'))
        self.assertEqual('cinder.backup.drivers.gcs.GoogleBackupDriver',
                         d['backup_driver'])
        self.assertEqual('/s/gcs/service-account.json',
                         d['backup_gcs_credential_file'])
        self.assertEqual('gcs-volumebackups', d['backup_gcs_bucket'])
        self.assertEqual('cinder-backup-lab', d['backup_gcs_project_id'])
        self.assertEqual('52428800', d['backup_gcs_object_size'])
        # What the driver's check_for_setup_error requires is all there.
        for opt in ('backup_gcs_bucket', 'backup_gcs_credential_file',
                    'backup_gcs_project_id'):
            self.assertTrue(d[opt])

    def test_all_profile_gives_google_its_az_and_host(self):
        conf = load(DEFAULT={'profile': 'all'})
        self.assertIn(('google', 'cbl-backup-google', 'az-google'),
                      cinder_conf.backup_services(conf))
        self.assertEqual(['gcs-volumebackups', 'gcs-backups'],
                         config.driver_containers(conf, 'google'))

    def test_backup_program_runs_in_its_namespace(self):
        conf = load(DEFAULT={'state_dir': '/s'})
        prog = gcs.wrap_backup_program(conf, supervisor.Program(
            'cinder-backup-google', ['/v/cinder-backup', '--config-file',
                                     'a b'], environment={'X': '1'}))
        self.assertEqual(['unshare', '--mount', '--propagation', 'private',
                          '--', 'sh', '-c'], prog.command[:7])
        self.assertEqual(['/s/gcs/hosts', '/v/cinder-backup',
                          '--config-file', 'a b'], prog.command[8:])
        self.assertEqual('gcs-emulator.invalid',
                         prog.environment['GOOGLE_CLOUD_UNIVERSE_DOMAIN'])
        self.assertEqual('/s/gcs/ca.pem',
                         prog.environment['HTTPLIB2_CA_CERTS'])
        self.assertEqual('/s', prog.environment[gcs.NAMESPACE_TAG])
        self.assertEqual('1', prog.environment['X'])

    def test_the_storage_half_names_the_google_cbak_as_cinder_does(self):
        from cinder_backup_lab.openstack import cinder
        self.assertEqual(cinder.BACKUP_PROGRAM % 'google', gcs.BACKUP_PROGRAM)

    def test_namespace_script_binds_the_hosts_file_then_execs(self):
        # The script really mounts $0 and execs the rest (sh run here
        # with "mount" replaced by echo, so nothing is mounted).
        argv = gcs.namespaced_command('/h', ['printf', '%s|', 'a b', 'c'])
        script = argv[argv.index('-c') + 1].replace('mount ', 'echo ')
        out = subprocess.run(['sh', '-c', script] + argv[argv.index('-c')
                                                         + 2:],
                             capture_output=True, text=True, check=True)
        self.assertEqual('--bind /h /etc/hosts\na b|c|', out.stdout)

    def test_hosts_file_keeps_the_machines_and_maps_the_gcs_names(self):
        base = ('127.0.0.1 localhost\n'
                '10.1.1.1 storage.googleapis.com # old\n'
                '::1 localhost ip6-localhost\n')
        text = gcs.render_hosts(base, '127.0.43.2')
        lines = text.splitlines()
        self.assertIn('127.0.0.1 localhost', lines)
        self.assertIn('::1 localhost ip6-localhost', lines)
        self.assertNotIn('10.1.1.1', text)
        self.assertEqual('127.0.43.2 storage.gcs-emulator.invalid '
                         'storage.googleapis.com oauth2.googleapis.com '
                         'iamcredentials.googleapis.com', lines[-1])


def state_with_hosts_file(test):
    """A temporary state dir and a stand-in for /etc/hosts in it."""
    state = test.useFixture(fixtures.TempDir()).path
    hosts = os.path.join(state, 'etc-hosts')
    with open(hosts, 'w') as f:
        f.write('127.0.0.1 localhost\n')
    return state, hosts


class TestGoogleFiles(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state, hosts = state_with_hosts_file(self)
        self.hosts = hosts
        self.conf = load(DEFAULT={'state_dir': self.state},
                         backup_google={'address': '127.0.43.9'})
        self.paths = gcs.Paths(self.state)

    def test_files_are_made_once_keys_private(self):
        self.assertTrue(gcs.ensure_files(self.conf, self.hosts))
        for path in (self.paths.ca_key, self.paths.server_key,
                     self.paths.credentials):
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode),
                             path)
        self.assertEqual(0o700, stat.S_IMODE(os.stat(
            self.paths.root).st_mode))
        with open(self.paths.credentials) as f:
            account = json.load(f)
        self.assertEqual('gcs-emulator.invalid', account['universe_domain'])
        self.assertEqual('cinder-backup-lab', account['project_id'])
        self.assertFalse(gcs.ensure_files(self.conf, self.hosts))

    def test_new_address_gets_a_new_server_certificate(self):
        gcs.ensure_files(self.conf, self.hosts)
        with open(self.paths.ca_cert) as f:
            ca = f.read()
        self.conf.set_override('address', '127.0.43.10',
                               group='backup_google')
        self.assertTrue(gcs.ensure_files(self.conf, self.hosts))
        self.assertTrue(gcs._cert_matches(self.paths.server_cert,
                                          '127.0.43.10'))
        with open(self.paths.ca_cert) as f:
            self.assertEqual(ca, f.read())

    def test_server_certificate_verifies_against_the_ca(self):
        import ssl
        gcs.ensure_files(self.conf, self.hosts)
        ctx = ssl.create_default_context(cafile=self.paths.ca_cert)
        ctx.load_cert_chain(self.paths.server_cert, self.paths.server_key)


class TestLibraryBehaviour(testtools.TestCase):
    """What the google c-bak relies on in google-auth and googleapiclient.

    Not interfaces: if an update changes them, these fail by name (and
    "up" refuses the google driver through gcs.check_token_path).
    """

    def setUp(self):
        super().setUp()
        self.state, hosts = state_with_hosts_file(self)
        conf = load(DEFAULT={'state_dir': self.state})
        gcs.ensure_files(conf, hosts)
        self.credentials = gcs.Paths(self.state).credentials
        self.env = dict(os.environ, **gcs.backup_environment(
            gcs.Paths(self.state).ca_cert))

    def test_google_auth_signs_its_own_token(self):
        out = subprocess.run(
            [sys.executable, '-c', gcs.TOKEN_CHECK, self.credentials],
            env=self.env, capture_output=True, text=True)
        self.assertEqual(0, out.returncode, out.stderr)

    def test_the_token_check_fails_for_googles_own_universe(self):
        # The check is not vacuous: with Google's universe domain the
        # library asks the token endpoint, which the check refuses.
        with open(self.credentials) as f:
            account = json.load(f)
        account['universe_domain'] = 'googleapis.com'
        with open(self.credentials, 'w') as f:
            json.dump(account, f)
        out = subprocess.run(
            [sys.executable, '-c', gcs.TOKEN_CHECK, self.credentials],
            env=dict(self.env, GOOGLE_CLOUD_UNIVERSE_DOMAIN='googleapis.com'),
            capture_output=True, text=True)
        self.assertNotEqual(0, out.returncode)
        self.assertIn('made an HTTP call', out.stderr)

    def test_the_storage_endpoint_follows_the_universe_domain(self):
        code = (
            'import sys\n'
            'from google.oauth2 import service_account\n'
            'from googleapiclient import discovery\n'
            'c = service_account.Credentials.from_service_account_file('
            'sys.argv[1])\n'
            'print(discovery.build("storage", "v1", cache_discovery=False, '
            'credentials=c)._baseUrl)\n')
        out = subprocess.run([sys.executable, '-c', code, self.credentials],
                             env=self.env, capture_output=True, text=True)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual('https://%s/storage/v1/' % gcs.STORAGE_HOST,
                         out.stdout.strip())
        self.assertIn(gcs.STORAGE_HOST, gcs.HOST_NAMES)
