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

"""The DevStack plugin's phases, run under a stand-in for DevStack.

Each test sources devstack/override-defaults, devstack/settings and then
devstack/plugin.sh for the phases stack.sh, unstack.sh and clean.sh would
run (cinder_backup_lab/tests/unit/devstack_standin/run-phases.sh), with a
stand-in "cinder-backup-lab" first on PATH that records its arguments.
The tests check the lab config written, the core commands called, and the
cinder.conf/tempest.conf lines the plugin writes itself.
"""

import configparser
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile

import testtools

UNIT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.abspath(os.path.join(UNIT_DIR, '..', '..', '..'))
DEVSTACK_DIR = os.path.join(REPO_DIR, 'devstack')
STANDIN_DIR = os.path.join(UNIT_DIR, 'devstack_standin')
STANDIN_BIN = os.path.join(STANDIN_DIR, 'bin')
LIB = os.path.join(DEVSTACK_DIR, 'lib', 'cinder-backup-lab')

SEED_SERVICES = 'mysql,rabbit,key,c-api,c-vol,c-sch,c-bak,tempest'
ALL_STACK = ['stack:pre-install', 'stack:install', 'stack:post-config',
             'stack:extra', 'stack:test-config']


def _read(path):
    with open(path) as f:
        return f.read()


def _ini(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(_read(path))
    return parser


class Run(object):
    """Result of one run-phases.sh invocation."""

    def __init__(self, proc, root, env):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.root = root
        self.env = env
        self.log = self._lines(env['STANDIN_LOG'])
        self.core = [args[2:] for args in self._lines(env['STANDIN_CORE_LOG'])]
        self.vars = {}
        if os.path.exists(env['STANDIN_VARS']):
            for line in _read(env['STANDIN_VARS']).splitlines():
                m = re.match(r'declare -\S+ (\w+)="(.*)"$', line)
                if m:
                    self.vars[m.group(1)] = m.group(2)

    @staticmethod
    def _lines(path):
        if not os.path.exists(path):
            return []
        return [shlex.split(line) for line in _read(path).splitlines()]

    def calls(self, name):
        return [args[1:] for args in self.log if args[0] == name]

    def core_commands(self):
        return [args[0] for args in self.core]

    def core_call(self, command):
        found = [args[1:] for args in self.core if args[0] == command]
        return found

    def lab_conf_at(self, command):
        """The lab config as the core saw it when called with command."""
        return _ini(self.env['STANDIN_CORE_LOG'] + '.%s.conf' % command)


class PluginTestCase(testtools.TestCase):

    def setUp(self):
        super(PluginTestCase, self).setUp()
        self._new_root()

    def _new_root(self):
        self.root = tempfile.mkdtemp(prefix='cbl-devstack-')
        self.addCleanup(shutil.rmtree, self.root, True)
        for d in ('etc/cinder', 'tempest/etc', 'data', 'logs'):
            os.makedirs(os.path.join(self.root, d))
        self.cinder_conf = os.path.join(self.root, 'etc/cinder/cinder.conf')
        self.tempest_conf = os.path.join(self.root, 'tempest/etc/tempest.conf')
        self.lab_conf_dir = os.path.join(self.root, 'etc/cinder-backup-lab')
        self.lab_conf = os.path.join(self.lab_conf_dir, 'lab.conf')
        self._fake_tempest_venv()

    def _fake_tempest_venv(self):
        """DevStack's Tempest venv and the distro's bindings, as files.

        The venv's python3 is a stand-in that answers the one question
        the plugin asks it (purelib and extension suffix).
        """
        self.tempest_venv = os.path.join(self.root, 'tempest/.tox/tempest')
        self.purelib = os.path.join(self.tempest_venv,
                                    'lib/python3/site-packages')
        self.dist_packages = os.path.join(self.root, 'dist-packages')
        os.makedirs(os.path.join(self.tempest_venv, 'bin'))
        os.makedirs(self.purelib)
        os.makedirs(self.dist_packages)
        python = os.path.join(self.tempest_venv, 'bin/python3')
        with open(python, 'w') as f:
            f.write('#!/bin/sh\necho "%s .cpython-3x-standin.so"\n'
                    % self.purelib)
        os.chmod(python, 0o755)
        for module in ('rados', 'rbd'):
            open(os.path.join(self.dist_packages,
                              module + '.cpython-3x-standin.so'), 'w').close()

    def env(self, **overrides):
        env = {
            'PATH': STANDIN_BIN + os.pathsep + os.environ.get('PATH', ''),
            'HOME': self.root,
            'LANG': 'C.UTF-8',
            'STANDIN_BIN': STANDIN_BIN,
            'STANDIN_LOG': os.path.join(self.root, 'logs/standin.log'),
            'STANDIN_CORE_LOG': os.path.join(self.root, 'logs/core.log'),
            'STANDIN_VARS': os.path.join(self.root, 'logs/vars'),
            # What DevStack defines before plugins run.
            'ENABLED_SERVICES': SEED_SERVICES,
            'DEVSTACK_PLUGINS': 'cinder-backup-lab',
            'STACK_USER': _current_user(),
            'DEST': self.root,
            'DATA_DIR': os.path.join(self.root, 'data'),
            'CINDER_CONF_DIR': os.path.join(self.root, 'etc/cinder'),
            'CINDER_CONF': self.cinder_conf,
            'CINDER_BIN_DIR': '/opt/stack/bin',
            'TEMPEST_CONFIG': self.tempest_conf,
            'TEMPEST_DIR': os.path.join(self.root, 'tempest'),
            'CINDER_BACKUP_LAB_DISTRO_PYTHON_DIR': self.dist_packages,
            # No such user here unless a test names one.
            'CINDER_BACKUP_LAB_TEMPEST_USER': 'cbl-no-such-user',
            'KEYSTONE_SERVICE_URI': 'http://127.0.0.1/identity',
            'SERVICE_PROJECT_NAME': 'service',
            'SERVICE_DOMAIN_NAME': 'Default',
            'REGION_NAME': 'RegionOne',
            'SERVICE_PASSWORD': 'Sekrit-Service-Pw-123',
            'SERVICE_HOST': '192.0.2.10',
            'HOST_IP': '192.0.2.10',
            # Keep the test's files inside its temp dir.
            'CINDER_BACKUP_LAB_CONF_DIR': self.lab_conf_dir,
            'CINDER_BACKUP_LAB_CLIENT_CONF_DIR': os.path.join(self.root,
                                                              'etc/ceph'),
        }
        env.update(overrides)
        return env

    def run_phases(self, *phases, xtrace=False, **overrides):
        env = self.env(**overrides)
        cmd = ['bash']
        if xtrace:
            cmd.append('-x')
        cmd += [os.path.join(STANDIN_DIR, 'run-phases.sh'), DEVSTACK_DIR]
        proc = subprocess.run(cmd + list(phases), env=env, cwd=self.root,
                              capture_output=True, text=True, timeout=60)
        return Run(proc, self.root, env)

    def assertOk(self, run):
        self.assertEqual(0, run.rc, 'phases failed:\nstdout:\n%s\nstderr:\n%s'
                         % (run.stdout, run.stderr))

    def assertDies(self, run, *fragments):
        self.assertNotEqual(0, run.rc, 'expected the phase to die')
        dies = ' '.join(' '.join(c) for c in run.calls('die'))
        for fragment in fragments:
            self.assertIn(fragment, dies)


def _current_user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


class InstallPhaseTest(PluginTestCase):

    def test_install_writes_lab_conf_and_brings_the_lab_up(self):
        run = self.run_phases('stack:pre-install', 'stack:install')
        self.assertOk(run)
        self.assertEqual([[REPO_DIR]], run.calls('setup_develop'))
        self.assertEqual(['check-config', 'up'], run.core_commands())
        # DevStack installs the Ceph daemons (install_package honours
        # OFFLINE and apt proxies); the core only checks they are there.
        self.assertEqual([['ceph-mon', 'ceph-mgr', 'ceph-osd', 'radosgw']],
                         run.calls('install_package'))
        conf = _ini(self.lab_conf)
        d = conf['DEFAULT']
        self.assertEqual('False', d['install_packages'])
        self.assertEqual(os.path.join(self.root, 'data', 'cinder-backup-lab'),
                         d['state_dir'])
        self.assertEqual('both', d['profile'])
        self.assertEqual('127.0.0.1', d['bind_host'])
        # DevStack deploys Keystone and Cinder itself.
        self.assertEqual('False', d['deploy_openstack'])
        self.assertEqual(_current_user(), d['client_owner'])
        self.assertEqual('True', conf['ceph']['deploy'])
        self.assertEqual('distro', conf['ceph']['install_source'])
        self.assertNotIn('repo_url', conf['ceph'])
        self.assertEqual('backups,volumebackups', conf['ceph']['backup_pools'])
        self.assertEqual('volumes', conf['ceph']['volumes_pool'])
        self.assertEqual('cinder', conf['ceph']['volume_user'])
        self.assertEqual('cinder-backup', conf['ceph']['backup_user'])
        self.assertEqual('10', conf['ceph']['osd_size_gb'])
        self.assertEqual('8080', conf['rgw']['port'])
        self.assertEqual('127.0.0.1', conf['rgw']['host'])
        self.assertEqual('single_user', conf['backup_swift']['auth'])
        self.assertEqual('volumebackups', conf['backup_swift']['container'])
        self.assertEqual('52428800', conf['backup_swift']['object_size'])
        self.assertEqual('32768', conf['backup_swift']['block_size'])
        self.assertEqual('134217728', conf['backup_ceph']['chunk_size'])
        self.assertEqual('zlib', conf['backup_swift']['compression'])
        self.assertEqual('backup-swift', conf['cinder']['swift_az'])
        self.assertEqual(os.path.join(self.root, 'etc/ceph'),
                         d['client_conf_dir'])
        # Single node: everything stays on loopback.
        self.assertNotIn('allow_non_loopback', d)
        self.assertNotIn('rgw_keystone', conf.sections())
        # The lab config may hold a password: private.
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.lab_conf).st_mode))

    def test_core_is_called_as_root_with_the_lab_config_first(self):
        run = self.run_phases('stack:install')
        self.assertOk(run)
        sudo = [c for c in run.calls('sudo')
                if c and c[0].endswith('/cinder-backup-lab')]
        self.assertEqual(2, len(sudo))
        for call in sudo:
            self.assertEqual(os.path.join(STANDIN_BIN, 'cinder-backup-lab'),
                             call[0])
            self.assertEqual(['--config-file', self.lab_conf], call[1:3])
        # The config existed, complete, when "up" ran.
        self.assertEqual('both', run.lab_conf_at('up')['DEFAULT']['profile'])

    def test_variables_reach_the_lab_conf(self):
        run = self.run_phases(
            'stack:install',
            CINDER_BACKUP_LAB_BACKUP_POOLS='bk1,bk2,bk3',
            CINDER_BACKUP_LAB_SWIFT_CONTAINER='c1',
            CINDER_BACKUP_LAB_OSD_SIZE_GB='4',
            CINDER_BACKUP_LAB_RGW_PORT='8181',
            CINDER_BACKUP_LAB_SWIFT_OBJECT_SIZE='1048576',
            CINDER_BACKUP_LAB_SWIFT_BLOCK_SIZE='65536',
            CINDER_BACKUP_LAB_COMPRESSION='zstd',
            CINDER_BACKUP_LAB_SWIFT_RETRY_ATTEMPTS='5',
            CINDER_BACKUP_LAB_SWIFT_RETRY_BACKOFF='7',
            CINDER_BACKUP_LAB_CEPH_CHUNK_SIZE='4194304',
            CINDER_BACKUP_LAB_STATE_DIR='/srv/lab-state')
        self.assertOk(run)
        conf = _ini(self.lab_conf)
        self.assertEqual('bk1,bk2,bk3', conf['ceph']['backup_pools'])
        self.assertEqual('c1', conf['backup_swift']['container'])
        self.assertEqual('4', conf['ceph']['osd_size_gb'])
        self.assertEqual('8181', conf['rgw']['port'])
        self.assertEqual('1048576', conf['backup_swift']['object_size'])
        self.assertEqual('65536', conf['backup_swift']['block_size'])
        self.assertEqual('zstd', conf['backup_swift']['compression'])
        self.assertEqual('5', conf['backup_swift']['retry_attempts'])
        self.assertEqual('7', conf['backup_swift']['retry_backoff'])
        self.assertEqual('4194304', conf['backup_ceph']['chunk_size'])
        self.assertEqual('/srv/lab-state', conf['DEFAULT']['state_dir'])
        # DevStack's own Ceph backup variables follow ours.
        self.assertEqual('bk1', run.vars['CINDER_BAK_CEPH_POOL'])

    def test_ceph_repository_mirror(self):
        run = self.run_phases(
            'stack:pre-install', 'stack:install',
            CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE='repo',
            CINDER_BACKUP_LAB_CEPH_REPO_URL='https://mirror.example.org/ceph',
            CINDER_BACKUP_LAB_CEPH_REPO_KEY_URL='https://mirror.example.org/k')
        self.assertOk(run)
        ceph = _ini(self.lab_conf)['ceph']
        # The core writes the repository's apt source, then installs.
        self.assertEqual([], run.calls('install_package'))
        self.assertEqual('True',
                         _ini(self.lab_conf)['DEFAULT']['install_packages'])
        self.assertEqual('repo', ceph['install_source'])
        self.assertEqual('https://mirror.example.org/ceph', ceph['repo_url'])
        self.assertEqual('https://mirror.example.org/k', ceph['repo_key_url'])

    def test_lab_conf_is_rewritten_on_restack(self):
        os.makedirs(self.lab_conf_dir)
        with open(self.lab_conf, 'w') as f:
            f.write('[DEFAULT]\nstale_option = old\nprofile = ceph\n')
        run = self.run_phases('stack:install')
        self.assertOk(run)
        d = _ini(self.lab_conf)['DEFAULT']
        self.assertNotIn('stale_option', d)
        self.assertEqual('both', d['profile'])

    def test_remote_cluster_is_only_checked(self):
        run = self.run_phases('stack:install', 'unstack', 'clean',
                              CINDER_BACKUP_LAB_REMOTE_CEPH='True')
        self.assertOk(run)
        # "up" with [ceph] deploy = false checks the cluster and its
        # pools; nothing is stopped or removed afterwards.
        self.assertEqual(['check-config', 'up'], run.core_commands())
        # No Ceph daemons on a node that uses a remote cluster (the
        # client packages come from files/debs).
        self.assertEqual([], run.calls('install_package'))
        conf = run.lab_conf_at('up')
        self.assertEqual('False', conf['ceph']['deploy'])
        # Cinder reaches RGW on the service host then, which the core
        # only accepts with the DevStack-only opt-in.
        self.assertEqual('192.0.2.10', conf['rgw']['host'])
        self.assertEqual('True', conf['DEFAULT']['allow_non_loopback'])

    def test_controller_of_a_multinode_job_opts_in(self):
        run = self.run_phases('stack:install',
                              CINDER_BACKUP_LAB_BIND_HOST='192.0.2.10')
        self.assertOk(run)
        conf = _ini(self.lab_conf)
        self.assertEqual('192.0.2.10', conf['DEFAULT']['bind_host'])
        self.assertEqual('192.0.2.10', conf['rgw']['host'])
        self.assertEqual('True', conf['DEFAULT']['allow_non_loopback'])

    def test_failing_core_stops_the_stack(self):
        run = self.run_phases('stack:install', STANDIN_CORE_FAIL='up')
        self.assertDies(run, 'cinder-backup-lab up failed')


class DevStackVariablesTest(PluginTestCase):

    def _vars(self, **env):
        run = self.run_phases(**env)
        self.assertOk(run)
        return run.vars

    def test_profile_both(self):
        v = self._vars()
        self.assertEqual('ceph', v['CINDER_BACKUP_DRIVER'])
        self.assertEqual('ceph:ceph', v['CINDER_ENABLED_BACKENDS'])
        self.assertEqual('backups', v['CINDER_BAK_CEPH_POOL'])
        self.assertEqual('cinder-backup', v['CINDER_BAK_CEPH_USER'])
        self.assertIn('c-bak-swift', v['ENABLED_SERVICES'].split(','))
        self.assertEqual('ceph', v['CINDER_BACKUP_LAB_VOLUME_BACKEND'])
        self.assertEqual(os.path.join(self.root, 'etc/ceph/ceph.conf'),
                         v['CEPH_CONF_FILE'])
        self.assertEqual('volumes', v['CINDER_CEPH_POOL'])
        self.assertEqual('cinder', v['CINDER_CEPH_USER'])

    def test_profile_ceph(self):
        v = self._vars(CINDER_BACKUP_LAB_PROFILE='ceph')
        self.assertEqual('ceph', v['CINDER_BACKUP_DRIVER'])
        self.assertNotIn('c-bak-swift', v['ENABLED_SERVICES'].split(','))

    def test_profile_swift(self):
        v = self._vars(CINDER_BACKUP_LAB_PROFILE='swift')
        self.assertEqual('swift', v['CINDER_BACKUP_DRIVER'])
        self.assertNotIn('c-bak-swift', v['ENABLED_SERVICES'].split(','))

    def test_no_second_cbak_without_cbak(self):
        v = self._vars(ENABLED_SERVICES='mysql,rabbit,key,c-api,c-vol,c-sch')
        self.assertNotIn('c-bak-swift', v['ENABLED_SERVICES'].split(','))

    def test_volume_backend_follows_enabled_backends(self):
        v = self._vars(CINDER_ENABLED_BACKENDS='ceph:rbd-1,lvm:lvm-1')
        self.assertEqual('rbd-1', v['CINDER_BACKUP_LAB_VOLUME_BACKEND'])


class PreInstallTest(PluginTestCase):

    def test_defaults_pass(self):
        self.assertOk(self.run_phases('stack:pre-install'))

    def test_unknown_profile(self):
        self.assertDies(self.run_phases('stack:pre-install',
                                        CINDER_BACKUP_LAB_PROFILE='rbd'),
                        'CINDER_BACKUP_LAB_PROFILE=rbd')

    def test_unknown_auth_mode(self):
        self.assertDies(
            self.run_phases('stack:pre-install',
                            CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='tempauth'),
            'single_user or per_user')

    def test_repo_source_needs_url(self):
        self.assertDies(
            self.run_phases('stack:pre-install',
                            CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE='repo'),
            'CINDER_BACKUP_LAB_CEPH_REPO_URL')

    def test_devstack_swift_conflicts_with_rgw(self):
        run = self.run_phases('stack:pre-install',
                              ENABLED_SERVICES=SEED_SERVICES + ',s-proxy')
        self.assertDies(run, 'disable DevStack\'s swift')
        # With the Ceph driver alone, RGW is not the object store.
        self.assertOk(self.run_phases(
            'stack:pre-install', CINDER_BACKUP_LAB_PROFILE='ceph',
            ENABLED_SERVICES=SEED_SERVICES + ',s-proxy'))

    def test_devstack_plugin_ceph_conflicts(self):
        run = self.run_phases(
            'stack:pre-install',
            DEVSTACK_PLUGINS='devstack-plugin-ceph,cinder-backup-lab')
        self.assertDies(run, 'devstack-plugin-ceph')

    def test_backup_driver_must_match_profile(self):
        run = self.run_phases('stack:pre-install',
                              CINDER_BACKUP_LAB_PROFILE='ceph',
                              CINDER_BACKUP_DRIVER='swift')
        self.assertDies(run, 'CINDER_BACKUP_DRIVER=swift')


class PostConfigTest(PluginTestCase):

    def test_both_profile_configures_two_cbak(self):
        run = self.run_phases('stack:install', 'stack:post-config')
        self.assertOk(run)
        calls = run.core_call('configure-cinder')
        self.assertEqual(2, len(calls))
        self.assertEqual(['--cinder-conf', self.cinder_conf,
                          '--driver', 'ceph', '--volume-backend', 'ceph'],
                         calls[0])
        swift_conf = os.path.join(self.root,
                                  'etc/cinder/cinder-backup-swift.conf')
        self.assertEqual(['--cinder-conf', swift_conf, '--driver', 'swift',
                          '--availability-zone', 'backup-swift',
                          '--backup-host', 'standin-host-backup-swift'],
                         calls[1])
        # Created private before the core writes the Swift key into it.
        self.assertEqual(0o600, stat.S_IMODE(os.stat(swift_conf).st_mode))
        # single_user: nothing registered in Keystone.
        self.assertEqual([], run.calls('get_or_create_endpoint'))

    def test_swift_profile_single_cbak(self):
        run = self.run_phases('stack:install', 'stack:post-config',
                              CINDER_BACKUP_LAB_PROFILE='swift')
        self.assertOk(run)
        self.assertEqual([['--cinder-conf', self.cinder_conf,
                           '--driver', 'swift', '--volume-backend', 'ceph']],
                         run.core_call('configure-cinder'))

    def test_backup_subnode(self):
        run = self.run_phases('stack:install', 'stack:post-config',
                              CINDER_BACKUP_LAB_PROFILE='swift',
                              CINDER_BACKUP_LAB_REMOTE_CEPH='True',
                              ENABLED_SERVICES='c-bak')
        self.assertOk(run)
        self.assertEqual(['check-config', 'up', 'configure-cinder'],
                         run.core_commands())
        self.assertEqual([['--cinder-conf', self.cinder_conf,
                           '--driver', 'swift']],
                         run.core_call('configure-cinder'))

    def test_volume_only_controller(self):
        run = self.run_phases('stack:install', 'stack:post-config',
                              ENABLED_SERVICES='mysql,rabbit,key,c-api,'
                                               'c-vol,c-sch')
        self.assertOk(run)
        self.assertEqual([['--cinder-conf', self.cinder_conf,
                           '--volume-backend', 'ceph']],
                         run.core_call('configure-cinder'))

    def test_per_user_registers_rgw_in_keystone(self):
        run = self.run_phases('stack:install', 'stack:post-config',
                              CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='per_user',
                              CINDER_BACKUP_LAB_RGW_PORT='8181')
        self.assertOk(run)
        # Least privilege: the service role only, not admin.
        self.assertEqual([['cinder-backup-lab-rgw']],
                         run.calls('create_service_user'))
        self.assertEqual('swift object-store',
                         ' '.join(run.calls('get_or_create_service')[0][:2]))
        url = 'http://127.0.0.1:8181/swift/v1/AUTH_$(project_id)s'
        self.assertEqual([['object-store', 'RegionOne', url, url, url]],
                         run.calls('get_or_create_endpoint'))
        keystone = _ini(self.lab_conf)['rgw_keystone']
        self.assertEqual('Sekrit-Service-Pw-123', keystone['password'])
        self.assertEqual('cinder-backup-lab-rgw', keystone['user'])
        self.assertEqual('http://127.0.0.1/identity', keystone['url'])
        self.assertEqual('service', keystone['project'])
        self.assertEqual('Default', keystone['domain'])
        self.assertEqual('per_user', _ini(self.lab_conf)['backup_swift'][
            'auth'])

    def test_per_user_password_stays_out_of_the_trace(self):
        run = self.run_phases('stack:install', 'stack:post-config',
                              xtrace=True,
                              CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='per_user')
        self.assertOk(run)
        self.assertIn('iniset', run.stderr)  # the trace is on ...
        self.assertNotIn('Sekrit-Service-Pw-123', run.stderr)  # ... but not

    def test_per_user_not_registered_by_remote_or_ceph_nodes(self):
        for env in ({'CINDER_BACKUP_LAB_REMOTE_CEPH': 'True'},
                    {'CINDER_BACKUP_LAB_PROFILE': 'ceph'}):
            run = self.run_phases('stack:install', 'stack:post-config',
                                  CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='per_user',
                                  **env)
            self.assertOk(run)
            self.assertEqual([], run.calls('get_or_create_endpoint'), env)


class ExtraPhaseTest(PluginTestCase):

    def test_second_cbak_started_with_both_config_files(self):
        run = self.run_phases(*ALL_STACK)
        self.assertOk(run)
        swift_conf = os.path.join(self.root,
                                  'etc/cinder/cinder-backup-swift.conf')
        self.assertEqual(
            [['c-bak-swift', '/opt/stack/bin/cinder-backup --config-file %s '
              '--config-file %s' % (self.cinder_conf, swift_conf)]],
            run.calls('run_process'))

    def test_no_second_cbak_in_single_driver_profiles(self):
        for profile in ('ceph', 'swift'):
            run = self.run_phases(*ALL_STACK,
                                  CINDER_BACKUP_LAB_PROFILE=profile)
            self.assertOk(run)
            self.assertEqual([], run.calls('run_process'), profile)


class TestConfigPhaseTest(PluginTestCase):

    def test_tempest_conf(self):
        # DevStack wrote tempest.conf before test-config; keep its content.
        with open(self.tempest_conf, 'w') as f:
            f.write('[auth]\nadmin_username = admin\n\n[volume]\n'
                    'backup_driver = swift\ncatalog_type = volumev3\n')
        run = self.run_phases(*ALL_STACK)
        self.assertOk(run)
        self.assertEqual([['--tempest-conf', self.tempest_conf]],
                         run.core_call('tempest-conf'))
        conf = _ini(self.tempest_conf)
        self.assertEqual('True', conf['volume-feature-enabled']['backup'])
        self.assertEqual('ceph', conf['volume']['backup_driver'])
        self.assertEqual('latest', conf['volume']['max_microversion'])
        self.assertEqual('volumev3', conf['volume']['catalog_type'])
        self.assertEqual('admin', conf['auth']['admin_username'])

    def test_swift_profile_tempest_conf(self):
        run = self.run_phases(*ALL_STACK, CINDER_BACKUP_LAB_PROFILE='swift')
        self.assertOk(run)
        conf = _ini(self.tempest_conf)
        self.assertEqual('swift', conf['volume']['backup_driver'])
        self.assertNotIn('max_microversion', conf['volume'])

    def test_rados_and_rbd_importable_in_tempest_venv(self):
        run = self.run_phases(*ALL_STACK)
        self.assertOk(run)
        links = os.path.join(self.tempest_venv, 'lib/distro-ceph-bindings')
        for module in ('rados', 'rbd'):
            name = module + '.cpython-3x-standin.so'
            self.assertEqual(os.path.join(self.dist_packages, name),
                             os.readlink(os.path.join(links, name)))
        pth = os.path.join(self.purelib, 'cinder_backup_lab_ceph_bindings.pth')
        # Only the two modules' directory, not all of dist-packages.
        self.assertEqual(links + '\n', _read(pth))
        # Again on a re-stack: same result.
        self.assertOk(self.run_phases('stack:test-config'))
        self.assertEqual(links + '\n', _read(pth))

    def test_missing_bindings_stop_the_stack(self):
        os.unlink(os.path.join(self.dist_packages,
                               'rbd.cpython-3x-standin.so'))
        self.assertDies(self.run_phases(*ALL_STACK), 'python3-rbd')

    def test_missing_tempest_venv_stops_the_stack(self):
        shutil.rmtree(self.tempest_venv)
        self.assertDies(self.run_phases(*ALL_STACK), 'no Tempest venv')

    def _probe_keyrings(self):
        ceph_dir = os.path.join(self.root, 'etc/ceph')
        os.makedirs(ceph_dir)
        paths = {}
        for user in ('cinder', 'cinder-backup', 'cinder-backup-lab-probe'):
            path = os.path.join(ceph_dir, 'ceph.client.%s.keyring' % user)
            with open(path, 'w') as f:
                f.write('[client.%s]\n' % user)
            os.chmod(path, 0o640)
            paths[user] = path
        return paths

    def test_tempest_user_reads_the_probe_keyring_only(self):
        import grp
        import pwd
        if os.getuid() != 0:
            self.skipTest('changing a file\'s group to another user\'s '
                          'needs root')
        user = pwd.getpwnam('nobody')
        group = grp.getgrgid(user.pw_gid).gr_name
        keyrings = self._probe_keyrings()
        run = self.run_phases(*ALL_STACK,
                              CINDER_BACKUP_LAB_TEMPEST_USER='nobody')
        self.assertOk(run)
        probe = os.stat(keyrings['cinder-backup-lab-probe'])
        self.assertEqual(user.pw_gid, probe.st_gid, group)
        self.assertEqual(0o640, stat.S_IMODE(probe.st_mode))
        for name in ('cinder', 'cinder-backup'):
            self.assertNotEqual(user.pw_gid,
                                os.stat(keyrings[name]).st_gid, name)

    def test_no_tempest_user_leaves_keyrings_alone(self):
        keyrings = self._probe_keyrings()
        before = os.stat(keyrings['cinder-backup-lab-probe'])
        run = self.run_phases(*ALL_STACK)
        self.assertOk(run)
        self.assertEqual([], [c for c in run.calls('sudo')
                              if c[0] in ('chgrp', 'chmod')])
        self.assertEqual(before.st_gid,
                         os.stat(keyrings['cinder-backup-lab-probe']).st_gid)

    def test_controller_of_a_backup_subnode(self):
        run = self.run_phases(
            *ALL_STACK, CINDER_BACKUP_LAB_BACKUP_ON_SUBNODE='True',
            CINDER_BACKUP_LAB_PROFILE='swift',
            ENABLED_SERVICES='mysql,rabbit,key,c-api,c-vol,c-sch,tempest')
        self.assertOk(run)
        conf = _ini(self.tempest_conf)
        self.assertEqual('True', conf['volume-feature-enabled']['backup'])

    def test_without_tempest_nothing_is_written(self):
        run = self.run_phases(
            *ALL_STACK,
            ENABLED_SERVICES='mysql,rabbit,key,c-api,c-vol,c-sch,c-bak')
        self.assertOk(run)
        self.assertEqual([], run.core_call('tempest-conf'))
        self.assertFalse(os.path.exists(self.tempest_conf))


class UnstackCleanTest(PluginTestCase):

    def test_unstack_stops_and_keeps_data(self):
        run = self.run_phases(*ALL_STACK + ['unstack'])
        self.assertOk(run)
        self.assertEqual('down', run.core_commands()[-1])
        # unstack.sh runs this phase before it stops Cinder: the services
        # that use Ceph are stopped before the cluster goes down.
        self.assertEqual([['c-bak-swift'], ['c-bak'], ['c-vol']],
                         run.calls('stop_process'))
        stops = [i for i, c in enumerate(run.log) if c[0] == 'stop_process']
        down = [i for i, c in enumerate(run.log)
                if c[0] == 'sudo' and c[-1] == 'down']
        self.assertEqual(1, len(down))
        self.assertLess(max(stops), down[0])
        self.assertTrue(os.path.exists(self.lab_conf))

    def test_restack_after_unstack(self):
        run = self.run_phases(*ALL_STACK + ['unstack'] + ALL_STACK)
        self.assertOk(run)
        self.assertEqual(['check-config', 'up', 'configure-cinder',
                          'configure-cinder', 'tempest-conf', 'down',
                          'check-config', 'up', 'configure-cinder',
                          'configure-cinder', 'tempest-conf'],
                         run.core_commands())

    def test_clean_removes_everything_it_wrote(self):
        # clean.sh runs unstack.sh first.
        run = self.run_phases(*ALL_STACK + ['unstack', 'clean'])
        self.assertOk(run)
        self.assertEqual(['down', 'clean'], run.core_commands()[-2:])
        self.assertFalse(os.path.exists(self.lab_conf_dir))
        self.assertFalse(os.path.exists(
            os.path.join(self.root, 'etc/cinder/cinder-backup-swift.conf')))

    def test_unstack_and_clean_of_a_node_never_stacked(self):
        run = self.run_phases('unstack', 'clean')
        self.assertOk(run)
        self.assertEqual([], run.core)


# A DevStack tree (a checkout of openstack/devstack) to compare the
# stand-in with; tools/run-devstack.sh uses one, and run-tests.sh sets
# this for the unit tests when it has a mirror.
DEVSTACK_DIR_VAR = 'CINDER_BACKUP_LAB_DEVSTACK_DIR'
RECORDED = ('setup_develop', 'pip_install', 'install_package', 'run_process',
            'stop_process', 'create_service_user', 'get_or_create_service',
            'get_or_create_endpoint', 'sudo')


class RealDevStackFunctionsTest(PluginTestCase):
    """The stand-in behaves like DevStack's own functions.

    The same phases run twice: under the stand-in (functions.sh) and
    under a real DevStack tree's ``functions`` (functions-common,
    inc/ini-config, ...) with only the recorders on top; the files the
    plugin writes, the core commands, the recorded calls and the
    variables must be the same.
    """

    def setUp(self):
        super(RealDevStackFunctionsTest, self).setUp()
        self.devstack_tree = os.environ.get(DEVSTACK_DIR_VAR)
        if not self.devstack_tree:
            self.skipTest('no DevStack tree: set %s to a checkout of '
                          'openstack/devstack to compare the stand-in with '
                          'DevStack\'s own functions' % DEVSTACK_DIR_VAR)
        if not os.path.isfile(os.path.join(self.devstack_tree,
                                           'inc', 'ini-config')):
            self.fail('%s=%s is not a DevStack tree (no inc/ini-config)'
                      % (DEVSTACK_DIR_VAR, self.devstack_tree))

    def _phases_outcome(self, real, phases, **env):
        self._new_root()
        with open(self.tempest_conf, 'w') as f:
            f.write('[auth]\nadmin_username = admin\n\n[volume]\n'
                    'backup_driver = swift\ncatalog_type = volumev3\n')
        if real:
            env['STANDIN_DEVSTACK_DIR'] = self.devstack_tree
        run = self.run_phases(*phases, **env)
        self.assertOk(run)

        def text(path):
            if not os.path.exists(path):
                return None
            return _read(path).replace(self.root, '<root>')

        files = {'tempest.conf': text(self.tempest_conf),
                 'lab.conf': text(self.lab_conf),
                 'swift-bak.conf': text(os.path.join(
                     self.root, 'etc/cinder/cinder-backup-swift.conf'))}
        for command in set(run.core_commands()):
            files['core %s conf' % command] = text(
                run.env['STANDIN_CORE_LOG'] + '.%s.conf' % command)
        calls = [[a.replace(self.root, '<root>') for a in c]
                 for c in run.log if c[0] in RECORDED]
        core = [[a.replace(self.root, '<root>') for a in c]
                for c in run.core]
        variables = {k: v.replace(self.root, '<root>')
                     for k, v in run.vars.items()}
        return files, calls, core, variables

    def _compare(self, phases, **env):
        standin = self._phases_outcome(False, phases, **dict(env))
        real = self._phases_outcome(True, phases, **dict(env))
        for name, a, b in zip(('files', 'calls', 'core', 'variables'),
                              standin, real):
            self.assertEqual(a, b, '%s differ (stand-in, then DevStack)'
                             % name)

    def test_stack_unstack_clean_both(self):
        self._compare(ALL_STACK + ['unstack', 'clean'])

    def test_restack(self):
        self._compare(ALL_STACK + ['unstack'] + ALL_STACK)

    def test_profiles_and_modes(self):
        for env in ({'CINDER_BACKUP_LAB_PROFILE': 'ceph'},
                    {'CINDER_BACKUP_LAB_PROFILE': 'swift',
                     'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE': 'per_user'},
                    {'CINDER_BACKUP_LAB_REMOTE_CEPH': 'True',
                     'CINDER_BACKUP_LAB_PROFILE': 'swift',
                     'ENABLED_SERVICES': 'c-bak'},
                    {'CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE': 'repo',
                     'CINDER_BACKUP_LAB_CEPH_REPO_URL':
                         'https://mirror.example.org/ceph'}):
            self._compare(ALL_STACK, **env)


class IniStandInTest(testtools.TestCase):
    """The stand-in iniset/iniget really edit INI files."""

    def setUp(self):
        super(IniStandInTest, self).setUp()
        self.dir = self.useFixture_tempdir()
        self.path = os.path.join(self.dir, 'x.conf')

    def useFixture_tempdir(self):
        d = tempfile.mkdtemp(prefix='cbl-ini-')
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def _bash(self, script, **env):
        full_env = dict(os.environ, STANDIN_LOG=os.path.join(self.dir, 'log'),
                        F=self.path, **env)
        proc = subprocess.run(
            ['bash', '-c', 'set -e; source "$1"; ' + script, 'bash',
             os.path.join(STANDIN_DIR, 'functions.sh')],
            env=full_env, capture_output=True, text=True, timeout=30)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout

    # What DevStack's iniset does (RealDevStackFunctionsTest compares the
    # two when a DevStack tree is at hand).

    def test_creates_file_and_section(self):
        self._bash('iniset "$F" DEFAULT debug True')
        self.assertEqual('\n[DEFAULT]\ndebug = True\n', _read(self.path))

    def test_replaces_only_in_its_section(self):
        with open(self.path, 'w') as f:
            f.write('[a]\nx = 1\ny=2\n\n[b]\nx = 3\n')
        self._bash('iniset "$F" b x 4; iniset "$F" a y 5; iniset "$F" a z 6')
        # New options go right after the header; replaced ones keep
        # their spacing.
        self.assertEqual('[a]\nz = 6\nx = 1\ny=5\n\n[b]\nx = 4\n',
                         _read(self.path))

    def test_appends_new_section_and_keeps_mode(self):
        with open(self.path, 'w') as f:
            f.write('[a]\nx = 1\n')
        os.chmod(self.path, 0o600)
        self._bash('iniset "$F" c key value')
        self.assertEqual('[a]\nx = 1\n\n[c]\nkey = value\n',
                         _read(self.path))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_value_words_are_joined_by_single_spaces(self):
        self._bash('iniset "$F" s opt "$V"', V='  a   b\tc ')
        self.assertEqual('a b c\n', self._bash('iniget "$F" s opt'))
        self.assertEqual('a b c', _ini(self.path)['s']['opt'])

    def test_no_section_or_option_is_a_no_op(self):
        self._bash('iniset "$F" "" opt v; iniset "$F" s "" v')
        self.assertFalse(os.path.exists(self.path))

    def test_values_are_taken_literally(self):
        value = r'http://h/swift/v1/AUTH_$(project_id)s a&b \n c'
        self._bash('iniset "$F" s opt "$V"', V=value)
        parser = _ini(self.path)
        self.assertEqual(value, parser['s']['opt'])
        self.assertEqual(value + '\n', self._bash('iniget "$F" s opt'))

    def test_iniget_missing(self):
        self.assertEqual('', self._bash('iniget "$F" s opt'))

    def test_trueorfalse(self):
        out = self._bash('A=yes; B=FALSE; C=junk; '
                         'echo $(trueorfalse False A) $(trueorfalse True B) '
                         '$(trueorfalse False C) $(trueorfalse True UNSET)')
        self.assertEqual('True False False True\n', out)

    def test_is_service_enabled_is_exact(self):
        out = self._bash(
            'ENABLED_SERVICES=c-bak,key; '
            'is_service_enabled c-bak && echo yes1; '
            'is_service_enabled c-ba || echo no1; '
            'is_service_enabled c-bak-swift || echo no2; '
            'enable_service c-bak-swift; '
            'is_service_enabled c-bak-swift && echo yes2; '
            'echo $ENABLED_SERVICES')
        self.assertEqual('yes1\nno1\nno2\nyes2\nc-bak,key,c-bak-swift\n', out)


class PluginShapeTest(testtools.TestCase):
    """The shape of the plugin.

    plugin.sh only dispatches; lib holds the functions; settings hold
    every variable.
    """

    def _lib_functions(self):
        return set(re.findall(r'^function (\w+) \{', _read(LIB), re.M))

    def test_plugin_sh_only_calls_lib_functions(self):
        lib_functions = self._lib_functions()
        allowed = {'source', 'case', 'esac', 'echo_summary', ';;'}
        text = _read(os.path.join(DEVSTACK_DIR, 'plugin.sh'))
        for line in text.splitlines():
            line = line.strip()
            if (not line or line.startswith('#') or line.endswith(')')
                    or line == ';;'):
                continue
            word = line.split()[0]
            self.assertTrue(word in allowed or word in lib_functions,
                            'plugin.sh does work itself: %r' % line)

    def test_every_phase_is_dispatched(self):
        text = _read(os.path.join(DEVSTACK_DIR, 'plugin.sh'))
        for phase in ('pre-install', 'install', 'post-config', 'extra',
                      'test-config', 'unstack', 'clean'):
            self.assertRegex(text, r'\n\s+%s\)' % re.escape(phase))
        # No dead "source" phase.
        self.assertNotIn('"source"', text)

    @staticmethod
    def _calls(name, text):
        """Lines of code that call name.

        Comments, the definition and mentions inside strings do not count.
        """
        found = []
        for line in text.splitlines():
            code = line.split('#', 1)[0] if not line.lstrip().startswith(
                '#') else ''
            if re.match(r'\s*function\s+%s\b' % re.escape(name), code):
                continue
            # A call: the name as a command word (line start, after ;, &&,
            # ||, !, "if", "then", "$(", or the case arm's ")").
            if re.search(r'(^|[;&|!(]|\bif|\bthen|\$\()\s*%s(\s|$|[;)])'
                         % re.escape(name), code):
                found.append(line.strip())
        return found

    def _plugin_code(self):
        return (_read(os.path.join(DEVSTACK_DIR, 'plugin.sh')) + '\n'
                + _read(LIB))

    def test_every_lib_function_is_used(self):
        text = self._plugin_code()
        for name in self._lib_functions():
            self.assertTrue(self._calls(name, text),
                            '%s is never called' % name)

    def test_a_removed_call_is_noticed(self):
        # The check above must not count a function's own header comment
        # ("# start_cinder_backup_lab - ...") or definition as a use.
        text = self._plugin_code()
        self.assertEqual(['start_cinder_backup_lab'],
                         self._calls('start_cinder_backup_lab', text))
        without = '\n'.join(
            line for line in text.splitlines()
            if line.strip() != 'start_cinder_backup_lab')
        self.assertIn('# start_cinder_backup_lab - ', without)
        self.assertEqual([], self._calls('start_cinder_backup_lab', without))
        self.assertEqual(['if cinder_backup_lab_is_local; then'],
                         self._calls('cinder_backup_lab_is_local',
                                     'if cinder_backup_lab_is_local; then\n'
                                     '# cinder_backup_lab_is_local - x\n'
                                     'echo "cinder_backup_lab_is_local"'))

    def test_no_exit_and_no_unbounded_loops_in_sourced_code(self):
        for name in ('plugin.sh', 'settings', 'override-defaults',
                     'lib/cinder-backup-lab'):
            text = _read(os.path.join(DEVSTACK_DIR, name))
            code = '\n'.join(line for line in text.splitlines()
                             if not line.lstrip().startswith('#'))
            self.assertNotRegex(code, r'\bexit\b', name)
            self.assertNotRegex(code, r'\bwhile\b', name)

    def _defined_variables(self):
        text = (_read(os.path.join(DEVSTACK_DIR, 'settings'))
                + _read(os.path.join(DEVSTACK_DIR, 'override-defaults')))
        return set(re.findall(r'^\s*(CINDER_BACKUP_LAB_\w+)=', text, re.M))

    def test_variables_used_are_defined_in_settings(self):
        defined = self._defined_variables()
        used = set(re.findall(r'\$\{?(CINDER_BACKUP_LAB_\w+)', _read(LIB)))
        self.assertEqual(set(), used - defined)

    def test_local_conf_samples_use_only_known_variables(self):
        defined = self._defined_variables()
        samples = [n for n in os.listdir(DEVSTACK_DIR)
                   if n.startswith('local.conf.sample.')]
        self.assertEqual({'local.conf.sample.ceph', 'local.conf.sample.swift',
                          'local.conf.sample.both'}, set(samples))
        for name in samples:
            text = _read(os.path.join(DEVSTACK_DIR, name))
            used = set(re.findall(r'(CINDER_BACKUP_LAB_\w+)', text))
            self.assertTrue(used, name)
            self.assertEqual(set(), used - defined, name)

    def test_readme_documents_every_variable(self):
        readme = _read(os.path.join(DEVSTACK_DIR, 'README.md'))
        documented = set(re.findall(r'^\| `(CINDER_BACKUP_LAB_\w+)`', readme,
                                    re.M))
        self.assertEqual(self._defined_variables(), documented)

    def test_settings_defaults_are_overridable(self):
        text = _read(os.path.join(DEVSTACK_DIR, 'settings'))
        # Where the plugin itself lives is not a setting.
        fixed = {'CINDER_BACKUP_LAB_PLUGIN_DIR'}
        for var in self._defined_variables() - fixed:
            for m in re.finditer(r'^\s*%s=(.*)$' % var, text, re.M):
                value = m.group(1)
                self.assertTrue(
                    value.startswith('${%s:-' % var)
                    or re.match(r'^\$\(trueorfalse (True|False) %s\)$'
                                % var, value)
                    or '[[ -z "${%s:-}" ]]' % var in text,
                    '%s is not overridable: %s' % (var, value))


class LintSelectionTest(testtools.TestCase):
    """What the shell linters check.

    bashate and shellcheck see the plugin's files, the same in tox.ini as
    in tools/run-tests.sh.
    """

    def _files(self, script):
        proc = subprocess.run(['bash', '-c', script], cwd=REPO_DIR,
                              capture_output=True, timeout=30)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return set(f.decode() for f in proc.stdout.split(b'\0') if f)

    def test_one_list_of_shell_files_for_every_linter_run(self):
        listed = self._files('bash tools/shell-files.sh')
        for name in ('devstack/plugin.sh', 'devstack/settings',
                     'devstack/override-defaults',
                     'devstack/lib/cinder-backup-lab',
                     'cinder_backup_lab/tests/unit/devstack_standin/'
                     'functions.sh',
                     'cinder_backup_lab/tests/unit/devstack_standin/bin/sudo',
                     'tools/run-tests.sh', 'tools/shell-files.sh', '.ci/run'):
            self.assertIn(name, listed)
        text = _read(os.path.join(REPO_DIR, 'tools', 'run-tests.sh'))
        tox = configparser.ConfigParser(interpolation=None)
        tox.read(os.path.join(REPO_DIR, 'tox.ini'))
        for linter, run in (('bashate', 'bashate -i E006'),
                            ('shellcheck', 'shellcheck -x')):
            line = 'bash tools/shell-files.sh | xargs -0 -r %s' % run
            self.assertIn(line, text)
            self.assertIn(line, tox['testenv:%s' % linter]['commands'])


# Options the plugin writes into the lab config that the core does not
# register (see "Contract with the core" in devstack/README.md): none. A
# name here must be added on purpose, with the core change that follows.
PENDING_CORE_OPTIONS = set()


class CoreConfigTest(PluginTestCase):
    """The lab config the plugin writes is read by the real core."""

    def _written(self, **env):
        run = self.run_phases('stack:install', **env)
        self.assertOk(run)
        return self.lab_conf

    def test_core_loads_and_validates_it(self):
        from cinder_backup_lab import config
        conf = config.load(config_files=[self._written(
            CINDER_BACKUP_LAB_BACKUP_POOLS='b1,b2',
            CINDER_BACKUP_LAB_RGW_PORT='8181')])
        self.assertEqual([], config.validate(conf))
        self.assertEqual('both', conf.profile)
        self.assertFalse(conf.deploy_openstack)
        self.assertEqual(['b1', 'b2'], conf.ceph.backup_pools)
        self.assertEqual(8181, conf.rgw.port)
        self.assertEqual(10, conf.ceph.osd_size_gb)
        self.assertEqual('cinder-backup', conf.ceph.backup_user)

    def test_every_variant_loads_and_validates(self):
        from cinder_backup_lab import config
        variants = [
            {'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE': 'per_user'},
            {'CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE': 'repo',
             'CINDER_BACKUP_LAB_CEPH_REPO_URL':
                 'https://mirror.example.org/ceph/debian-reef',
             'CINDER_BACKUP_LAB_CEPH_REPO_KEY_URL':
                 'https://mirror.example.org/ceph/release.asc'},
            {'CINDER_BACKUP_LAB_REMOTE_CEPH': 'True',
             'CINDER_BACKUP_LAB_PROFILE': 'swift',
             'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE': 'per_user'},
            {'CINDER_BACKUP_LAB_BIND_HOST': '192.0.2.10'},
            {'CINDER_BACKUP_LAB_PROFILE': 'ceph'},
        ]
        for env in variants:
            if os.path.exists(self.lab_conf):
                os.unlink(self.lab_conf)
            conf = config.load(config_files=[self._written(**env)])
            self.assertEqual([], config.validate(conf), env)

    def test_per_user_reaches_rgw_keystone(self):
        from cinder_backup_lab import config
        conf = config.load(config_files=[self._written(
            CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='per_user')])
        self.assertEqual('per_user', conf.backup_swift.auth)
        self.assertEqual('http://127.0.0.1/identity', conf.rgw_keystone.url)
        self.assertEqual('Sekrit-Service-Pw-123',
                         conf.rgw_keystone.password)
        self.assertEqual('backup-swift', conf.cinder.swift_az)
        self.assertEqual('volumebackups', conf.backup_swift.container)

    def test_options_the_core_does_not_know_yet_are_listed(self):
        from cinder_backup_lab import config
        known = {(group, opt.name) for group, opts in config.list_opts()
                 for opt in opts}
        parser = _ini(self._written(
            CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='per_user',
            CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE='repo',
            CINDER_BACKUP_LAB_CEPH_REPO_URL='https://mirror.example.org/c',
            CINDER_BACKUP_LAB_CEPH_REPO_KEY_URL='https://mirror.example.org/'
                                                'k'))
        written = {('DEFAULT', k) for k in parser.defaults()}
        for section in parser.sections():
            written |= {(section, k) for k in parser[section]
                        if k not in parser.defaults()}
        self.assertEqual(set(), written - known - PENDING_CORE_OPTIONS)
