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

"""local.conf rendering, writing and the "localconf" subcommand."""

import contextlib
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile

import testtools

from cinder_backup_lab import cli
from cinder_backup_lab.fronts import localconf

REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        '..', '..', '..'))
MIRROR = 'https://mirror.example.org/git'
PIP = 'https://mirror.example.org/pypi/simple'


def _opts(**kw):
    kw.setdefault('git_base', MIRROR)
    return localconf.LocalConfOptions(**kw)


def _lines(text):
    return [line for line in text.splitlines()
            if line and not line.startswith('#')]


def _source(text):
    """Source the localrc section in bash, DevStack's calls stubbed.

    Returns the calls, with their arguments expanded as bash did.
    """
    body = text.split('[[local|localrc]]\n', 1)[1]
    script = ('calls=""\n'
              'enable_plugin() { calls+="enable_plugin $*;"; }\n'
              'enable_service() { calls+="enable_service $*;"; }\n'
              'disable_all_services() { calls+="disable_all_services;"; }\n'
              + body + '\nprintf "%s\\n" "$calls"\n')
    proc = subprocess.run(['bash', '-c', script], capture_output=True,
                          text=True, timeout=30, env={'PATH': os.defpath})
    assert proc.returncode == 0, proc.stderr
    return [c for c in proc.stdout.strip().split(';') if c]


class RenderTest(testtools.TestCase):

    def test_enable_plugin_comes_after_git_base(self):
        text = localconf.render(_opts())
        lines = _lines(text)
        git_base = lines.index('GIT_BASE=%s' % MIRROR)
        plugin = [i for i, line in enumerate(lines)
                  if line.startswith('enable_plugin ')]
        self.assertEqual([len(lines) - 1], plugin)
        self.assertLess(git_base, plugin[0])
        # With this repository's branch: enable_plugin's default is master.
        self.assertEqual('enable_plugin cinder-backup-lab '
                         '$GIT_BASE/x/cinder-backup-lab main', lines[-1])

    def test_sourced_by_bash_the_plugin_url_uses_the_mirror(self):
        calls = _source(localconf.render(_opts(), localconf
                                         .generate_passwords()))
        self.assertIn('enable_plugin cinder-backup-lab '
                      'https://mirror.example.org/git/x/cinder-backup-lab '
                      'main', calls)
        # Services: everything off, then the seed's minimal cloud.
        self.assertEqual('disable_all_services', calls[0])
        enabled = ' '.join(c[len('enable_service '):] for c in calls
                           if c.startswith('enable_service ')).split()
        self.assertEqual(['mysql', 'rabbit', 'key', 'c-api', 'c-vol',
                          'c-sch', 'c-bak', 'tempest'], enabled)

    def test_trailing_slash_of_the_mirror(self):
        text = localconf.render(_opts(git_base=MIRROR + '/'))
        self.assertIn('GIT_BASE=%s\n' % MIRROR, text)

    def test_mirrors_of_novnc_and_spice(self):
        lines = _lines(localconf.render(_opts()))
        self.assertIn('NOVNC_REPO=$GIT_BASE/novnc/novnc.git', lines)
        self.assertIn('SPICE_REPO=$GIT_BASE/spice/spice-html5.git', lines)

    def test_profiles(self):
        for profile in ('ceph', 'swift', 'both'):
            lines = _lines(localconf.render(_opts(profile=profile)))
            self.assertIn('CINDER_BACKUP_LAB_PROFILE=%s' % profile, lines)
            auth = [x for x in lines
                    if x.startswith('CINDER_BACKUP_LAB_SWIFT_AUTH_MODE=')]
            self.assertEqual([] if profile == 'ceph'
                             else ['CINDER_BACKUP_LAB_SWIFT_AUTH_MODE='
                                   'single_user'], auth)

    def test_per_user(self):
        lines = _lines(localconf.render(_opts(auth_mode='per_user')))
        self.assertIn('CINDER_BACKUP_LAB_SWIFT_AUTH_MODE=per_user', lines)

    def test_pip_index(self):
        lines = _lines(localconf.render(_opts(pip_index=PIP)))
        self.assertIn('PYPI_ALTERNATIVE_URL=%s' % PIP, lines)
        self.assertIn('PYPI_OVERRIDE=$PYPI_ALTERNATIVE_URL', lines)
        lines = _lines(localconf.render(_opts()))
        self.assertFalse([x for x in lines if x.startswith('PYPI_')])

    def test_ceph_repo(self):
        lines = _lines(localconf.render(_opts(
            ceph_repo='https://mirror.example.org/ceph',
            ceph_repo_key='https://mirror.example.org/ceph/release.asc')))
        self.assertIn('CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE=repo', lines)
        self.assertIn('CINDER_BACKUP_LAB_CEPH_REPO_URL='
                      'https://mirror.example.org/ceph', lines)
        self.assertIn('CINDER_BACKUP_LAB_CEPH_REPO_KEY_URL='
                      'https://mirror.example.org/ceph/release.asc', lines)
        lines = _lines(localconf.render(_opts()))
        self.assertFalse([x for x in lines if 'CEPH_REPO' in x
                          or 'INSTALL_SOURCE' in x])

    def test_host_ip_and_branches(self):
        lines = _lines(localconf.render(_opts(
            host_ip='192.0.2.7', branch='stable/2025.1',
            plugin_branch='stable/2025.1')))
        self.assertIn('HOST_IP=192.0.2.7', lines)
        self.assertIn('SERVICE_HOST=$HOST_IP', lines)
        self.assertIn('VERSION=stable/2025.1', lines)
        self.assertIn('CINDER_BRANCH=$VERSION', lines)
        self.assertTrue(lines[-1].endswith(' stable/2025.1'))
        self.assertIn('HOST_IP=127.0.0.1',
                      _lines(localconf.render(_opts())))

    def test_without_tempest(self):
        text = localconf.render(_opts(tempest=False))
        self.assertNotIn('enable_service tempest', text)
        self.assertNotIn('TEMPEST_PLUGINS', text)

    def test_tempest_gets_the_plugin_and_local_constraints(self):
        lines = _lines(localconf.render(_opts(dest='/srv/stack')))
        # DevStack clones the plugin to $DEST/<name> and installs
        # TEMPEST_PLUGINS into its Tempest venv.
        self.assertIn('TEMPEST_PLUGINS=$DEST/cinder-backup-lab', lines)
        # The constraints come from the mirror's requirements checkout,
        # never downloaded.
        self.assertIn('TEMPEST_VENV_UPPER_CONSTRAINTS=$DEST/requirements/'
                      'upper-constraints.txt', lines)
        script = ('\n'.join(lines[lines.index('[[local|localrc]]') + 1:])
                  .replace('disable_all_services', ':')
                  .replace('enable_service', ':').replace('enable_plugin',
                                                          ':'))
        proc = subprocess.run(
            ['bash', '-c', script + '\necho "$TEMPEST_PLUGINS '
             '$TEMPEST_VENV_UPPER_CONSTRAINTS"'],
            capture_output=True, text=True, timeout=30,
            env={'PATH': os.defpath})
        self.assertEqual('/srv/stack/cinder-backup-lab '
                         '/srv/stack/requirements/upper-constraints.txt\n',
                         proc.stdout, proc.stderr)

    def test_keystone_and_cinder_only_settings(self):
        lines = _lines(localconf.render(_opts()))
        for line in ('DOWNLOAD_DEFAULT_IMAGES=False', 'ENABLE_KSM=False',
                     'MYSQL_REDUCE_MEMORY=True'):
            self.assertIn(line, lines)

    def test_plugin_url(self):
        lines = _lines(localconf.render(_opts(
            plugin_url='file:///srv/git/cinder-backup-lab.git',
            plugin_branch='topic')))
        self.assertEqual('enable_plugin cinder-backup-lab '
                         'file:///srv/git/cinder-backup-lab.git topic',
                         lines[-1])
        self.assertIn('plugin URL', '\n'.join(localconf.validate(_opts(
            plugin_url='/srv/git x'))))


class RoleTest(testtools.TestCase):
    """The separate backup node: a controller and a backup node."""

    def _calls(self, **kw):
        return _source(localconf.render(
            _opts(profile='swift', auth_mode='per_user', **kw),
            localconf.generate_passwords()))

    def _services(self, calls):
        return ' '.join(c[len('enable_service '):] for c in calls
                        if c.startswith('enable_service ')).split()

    def test_controller_runs_everything_but_cbak(self):
        lines = _lines(localconf.render(_opts(
            role='controller', profile='swift', auth_mode='per_user',
            host_ip='192.0.2.7')))
        self.assertEqual(['mysql', 'rabbit', 'key', 'c-api', 'c-vol',
                          'c-sch', 'tempest'],
                         self._services(self._calls(role='controller')))
        self.assertIn('CINDER_BACKUP_LAB_BIND_HOST=192.0.2.7', lines)
        self.assertIn('CINDER_BACKUP_LAB_BACKUP_ON_SUBNODE=True', lines)
        self.assertNotIn('CINDER_BACKUP_LAB_REMOTE_CEPH=True', lines)

    def test_backup_node_runs_cbak_on_the_controllers_cluster(self):
        lines = _lines(localconf.render(_opts(
            role='backup-node', profile='swift', auth_mode='per_user',
            host_ip='192.0.2.8', service_host='192.0.2.7')))
        self.assertEqual(['c-bak'], self._services(self._calls(
            role='backup-node')))
        self.assertIn('HOST_IP=192.0.2.8', lines)
        self.assertIn('SERVICE_HOST=192.0.2.7', lines)
        self.assertIn('DATABASE_HOST=$SERVICE_HOST', lines)
        # Without it c-bak gets an empty database URL and dies (the first
        # real two-node run).
        self.assertIn('DATABASE_TYPE=mysql', lines)
        self.assertIn('RABBIT_HOST=$SERVICE_HOST', lines)
        self.assertIn('CINDER_BACKUP_LAB_REMOTE_CEPH=True', lines)
        self.assertIn('CINDER_BACKUP_LAB_RGW_HOST=$SERVICE_HOST', lines)
        # No Tempest there: it runs on the controller.
        self.assertFalse([x for x in lines if 'TEMPEST_PLUGINS' in x
                          or x == 'enable_service tempest'])

    def test_single_is_unchanged(self):
        self.assertEqual(localconf.render(_opts()),
                         localconf.render(_opts(role='single')))

    def test_what_a_backup_node_cannot_do(self):
        def errors(**kw):
            return '\n'.join(localconf.validate(_opts(**kw)))
        self.assertIn('use profile ceph or swift', errors(role='controller'))
        self.assertIn('per_user', errors(role='backup-node', profile='swift'))
        self.assertEqual('', errors(role='backup-node', profile='ceph'))
        self.assertIn('role backup-node only',
                      errors(service_host='192.0.2.7'))
        self.assertIn("role 'subnode'", errors(role='subnode'))
        self.assertIn('not an IP address', errors(
            role='backup-node', profile='ceph', service_host='ctl'))


class PasswordTest(testtools.TestCase):

    def test_generated_passwords_are_random_and_distinct(self):
        first = localconf.generate_passwords()
        second = localconf.generate_passwords()
        self.assertEqual(set(localconf.PASSWORD_VARS), set(first))
        self.assertEqual(len(first), len(set(first.values())))
        for value in first.values():
            self.assertRegex(value, r'^[0-9a-f]{32}$')
        self.assertFalse(set(first.values()) & set(second.values()))

    def test_passwords_are_written(self):
        pw = localconf.generate_passwords()
        lines = _lines(localconf.render(_opts(), pw))
        for name, value in pw.items():
            self.assertIn('%s=%s' % (name, value), lines)

    def test_no_passwords_leaves_them_to_stack_sh(self):
        text = localconf.render(_opts())
        for name in localconf.PASSWORD_VARS:
            self.assertNotRegex(text, r'(?m)^%s=' % name)
            self.assertIn('#%s=' % name, text)

    def test_incomplete_or_unsafe_passwords_are_refused(self):
        pw = localconf.generate_passwords()
        del pw['ADMIN_PASSWORD']
        self.assertRaises(ValueError, localconf.render, _opts(), pw)
        pw = localconf.generate_passwords()
        pw['SERVICE_PASSWORD'] = 'a b$(reboot)'
        self.assertRaises(ValueError, localconf.render, _opts(), pw)


class ValidateTest(testtools.TestCase):

    def _errors(self, **kw):
        return '\n'.join(localconf.validate(_opts(**kw)))

    def test_defaults_are_valid(self):
        self.assertEqual([], localconf.validate(_opts()))

    def test_shell_characters_in_urls(self):
        for bad in ('https://x.example.org/g it', 'https://x;reboot',
                    'https://x/$(id)', "https://x/'q'", 'https://x/`id`'):
            self.assertIn('plain URL', self._errors(git_base=bad), bad)

    def test_url_scheme_and_host(self):
        self.assertIn('must start with', self._errors(git_base='ftp://x/g'))
        self.assertIn('no host', self._errors(git_base='https:///g'))
        self.assertEqual('', self._errors(git_base='file:///srv/git'))
        self.assertIn('must start with',
                      self._errors(pip_index='git://mirror.example.org/p'))

    def test_profile_auth_mode_ip_branch(self):
        self.assertIn("profile 'rbd'", self._errors(profile='rbd'))
        self.assertIn("auth mode 'v2'", self._errors(auth_mode='v2'))
        self.assertIn('not an IP address', self._errors(host_ip='my-host'))
        self.assertIn("branch 'a b'", self._errors(branch='a b'))
        self.assertIn('DEST', self._errors(dest='opt/stack'))

    def test_repo_key_needs_repo(self):
        self.assertIn('needs a Ceph repository URL', self._errors(
            ceph_repo_key='https://mirror.example.org/k.asc'))

    def test_render_refuses_invalid_options(self):
        self.assertRaises(ValueError, localconf.render,
                          _opts(git_base='not a url'))


class WriteTest(testtools.TestCase):

    def setUp(self):
        super(WriteTest, self).setUp()
        self.dir = tempfile.mkdtemp(prefix='cbl-localconf-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, 'local.conf')

    def _mode(self):
        return stat.S_IMODE(os.stat(self.path).st_mode)

    def test_written_private(self):
        old = os.umask(0)
        try:
            localconf.write(self.path, 'x\n')
        finally:
            os.umask(old)
        self.assertEqual(0o600, self._mode())

    def test_existing_file_needs_force(self):
        with open(self.path, 'w') as f:
            f.write('mine\n')
        os.chmod(self.path, 0o644)
        self.assertRaises(FileExistsError, localconf.write, self.path, 'x\n')
        with open(self.path) as f:
            self.assertEqual('mine\n', f.read())
        localconf.write(self.path, 'new\n', force=True)
        with open(self.path) as f:
            self.assertEqual('new\n', f.read())
        self.assertEqual(0o600, self._mode())


class CommandTest(testtools.TestCase):

    def setUp(self):
        super(CommandTest, self).setUp()
        self.dir = tempfile.mkdtemp(prefix='cbl-localconf-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, 'local.conf')

    def _main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.main(['localconf'] + list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_writes_a_private_file_with_generated_passwords(self):
        rc, out, err = self._main('--git-base', MIRROR, '--profile', 'swift',
                                  '--pip-index', PIP, '-o', self.path)
        self.assertEqual(0, rc, err)
        self.assertEqual('', out)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        with open(self.path) as f:
            text = f.read()
        self.assertRegex(text, r'(?m)^ADMIN_PASSWORD=[0-9a-f]{32}$')
        self.assertIn('CINDER_BACKUP_LAB_PROFILE=swift', text)
        # Passwords are never printed.
        password = re.search(r'(?m)^ADMIN_PASSWORD=(\S+)$', text).group(1)
        self.assertNotIn(password, err)

    def test_refuses_to_overwrite(self):
        self.assertEqual(0, self._main('--git-base', MIRROR,
                                       '-o', self.path)[0])
        rc, _, err = self._main('--git-base', MIRROR, '-o', self.path)
        self.assertEqual(1, rc)
        self.assertIn('--force', err)
        self.assertEqual(0, self._main('--git-base', MIRROR, '-o', self.path,
                                       '--force')[0])

    def test_stdout_only_when_asked(self):
        rc, out, _ = self._main('--git-base', MIRROR, '--stdout',
                                '--no-passwords')
        self.assertEqual(0, rc)
        self.assertIn('enable_plugin cinder-backup-lab', out)
        self.assertFalse(os.path.exists(self.path))

    def test_passwords_from_the_controllers_local_conf(self):
        controller = os.path.join(self.dir, 'controller.conf')
        self.assertEqual(0, self._main('--git-base', MIRROR, '-o',
                                       controller, '--role', 'controller',
                                       '--profile', 'swift', '--auth-mode',
                                       'per_user')[0])
        rc, _, err = self._main('--git-base', MIRROR, '-o', self.path,
                                '--role', 'backup-node', '--profile', 'swift',
                                '--auth-mode', 'per_user',
                                '--passwords-from', controller)
        self.assertEqual(0, rc, err)
        self.assertEqual(localconf.read_passwords(controller),
                         localconf.read_passwords(self.path))
        rc, _, err = self._main('--git-base', MIRROR, '--stdout',
                                '--passwords-from', self.path + '.missing')
        self.assertEqual(2, rc)
        self.assertIn('.missing', err)

    def test_bad_mirror_is_refused(self):
        rc, out, err = self._main('--git-base', 'https://x;rm', '--stdout')
        self.assertEqual(2, rc)
        self.assertEqual('', out)
        self.assertIn('git mirror', err)


class SamplesTest(testtools.TestCase):
    """The samples are the renderer's output.

    devstack/local.conf.sample.* cannot drift from localconf.render()
    (to regenerate them, see devstack/README.md).
    """

    def test_samples_match_the_renderer(self):
        for profile in ('ceph', 'swift', 'both'):
            path = os.path.join(REPO_DIR, 'devstack',
                                'local.conf.sample.%s' % profile)
            with open(path) as f:
                sample = f.read()
            expected = localconf.render(_opts(profile=profile, pip_index=PIP))
            self.assertEqual(expected, sample, path)

    def test_samples_name_no_real_host(self):
        for profile in ('ceph', 'swift', 'both'):
            path = os.path.join(REPO_DIR, 'devstack',
                                'local.conf.sample.%s' % profile)
            with open(path) as f:
                hosts = re.findall(r'://([^/\s]+)', f.read())
            self.assertTrue(hosts)
            for host in hosts:
                self.assertEqual('mirror.example.org', host, path)
