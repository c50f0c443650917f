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

"""[cinder] source: parsing, validation and the pure helpers around it."""

import io
import json
import os
import subprocess
import tarfile

import fixtures
import testtools

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.openstack import cinder_source
from cinder_backup_lab.tests.unit import test_config


def _cinder_tree(root, meta='pyproject.toml', name='cinder'):
    os.makedirs(os.path.join(root, 'cinder', 'backup', 'drivers'))
    open(os.path.join(root, 'cinder', 'backup', 'drivers', 'ceph.py'),
         'w').close()
    with open(os.path.join(root, meta), 'w') as f:
        f.write('[project]\nname = "%s"\n' % name if meta ==
                'pyproject.toml' else '[metadata]\nname = %s\n' % name)
    return root


class ParseTest(testtools.TestCase):

    def test_release_and_patched(self):
        self.assertEqual('release',
                         config.parse_cinder_source('release').kind)
        self.assertEqual('patched',
                         config.parse_cinder_source(' patched ').kind)

    def test_absolute_path_is_a_tree(self):
        s = config.parse_cinder_source('/srv/cinder/')
        self.assertEqual(('tree', '/srv/cinder'), (s.kind, s.path))

    def test_git_url_and_ref(self):
        s = config.parse_cinder_source(
            'git+https://mirror.example.org/openstack/cinder@stable/2025.2')
        self.assertEqual(('git', 'https://mirror.example.org/openstack/'
                          'cinder', 'stable/2025.2'), (s.kind, s.url, s.ref))
        s = config.parse_cinder_source('git+file:///srv/cinder.git@abc123')
        self.assertEqual(('file:///srv/cinder.git', 'abc123'),
                         (s.url, s.ref))

    def test_git_without_ref_is_refused(self):
        for value in ('git+https://mirror.example.org/cinder',
                      'git+https://mirror.example.org/cinder@',
                      'git+mirror.example.org/cinder@master'):
            e = self.assertRaises(ValueError, config.parse_cinder_source,
                                  value)
            self.assertIn('git+<url>@<ref>', str(e))

    def test_other_values_are_refused(self):
        for value in ('', 'relative/cinder', 'master', 'pypi'):
            e = self.assertRaises(ValueError, config.parse_cinder_source,
                                  value)
            self.assertIn('absolute path', str(e))


class TreeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path

    def test_a_cinder_tree(self):
        for meta in ('pyproject.toml', 'setup.cfg'):
            tree = _cinder_tree(os.path.join(self.root, meta), meta)
            self.assertIsNone(config.cinder_tree_problem(tree))

    def test_missing_directory(self):
        self.assertIn('does not exist', config.cinder_tree_problem(
            os.path.join(self.root, 'nope')))

    def test_not_a_cinder_tree(self):
        self.assertIn('not a Cinder source tree',
                      config.cinder_tree_problem(self.root))

    def test_another_project(self):
        tree = _cinder_tree(os.path.join(self.root, 'x'), name='nova')
        self.assertIn('naming the cinder project',
                      config.cinder_tree_problem(tree))


class ValidateTest(testtools.TestCase):

    def test_default_is_release_and_valid(self):
        conf = test_config._conf()
        self.assertEqual('release', conf.cinder.source)
        self.assertEqual([], config.validate_cinder_source('release'))

    def test_bad_path_is_reported_by_validate(self):
        problems = config.validate(test_config._conf(
            '[cinder]\nsource = /nonexistent/cinder\n'))
        self.assertEqual(1, len(problems))
        self.assertIn('[cinder] source: directory /nonexistent/cinder '
                      'does not exist', problems[0])

    def test_bad_value_is_reported_by_validate(self):
        problems = config.validate(test_config._conf(
            '[cinder]\nsource = cinder-master\n'))
        self.assertIn('is not understood', ' '.join(problems))

    def test_not_with_devstack(self):
        problems = config.validate_cinder_source('patched',
                                                 deploy_openstack=False)
        self.assertIn('DevStack installs Cinder from git', problems[0])
        self.assertEqual([], config.validate_cinder_source(
            'release', deploy_openstack=False))


class HelpersTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path

    def test_pinned_version(self):
        path = os.path.join(self.root, 'uc.txt')
        with open(path, 'w') as f:
            f.write('cinderclient===1.0\ncinder===29.0.0\nkeystone===30\n')
        self.assertEqual('29.0.0', cinder_source.pinned_version(path))

    def test_the_repository_pins_cinder(self):
        self.assertRegex(cinder_source.pinned_version(), r'^\d+\.\d+\.\d+$')

    def test_digest_follows_names_and_contents(self):
        a = os.path.join(self.root, '0001-a.patch')
        with open(a, 'w') as f:
            f.write('one')
        first = cinder_source.patches_digest([a])
        with open(a, 'w') as f:
            f.write('two')
        self.assertNotEqual(first, cinder_source.patches_digest([a]))
        self.assertEqual(cinder_source.patches_digest([a]),
                         cinder_source.patches_digest([a]))

    def test_editable_tree(self):
        self.assertEqual('/srv/cinder', cinder_source.editable_tree(
            json.dumps({'url': 'file:///srv/cinder',
                        'dir_info': {'editable': True}})))
        self.assertIsNone(cinder_source.editable_tree(json.dumps(
            {'url': 'file:///srv/cinder', 'dir_info': {}})))
        self.assertIsNone(cinder_source.editable_tree(None))

    def test_describe(self):
        self.assertEqual('cinder 29.0.0 (release wheel)',
                         cinder_source.describe({'version': '29.0.0',
                                                 'tree': None}))
        self.assertEqual(
            'cinder 29.0.0 from /t (editable), git 0123456789ab + '
            'uncommitted changes, patches: 0001-a.patch',
            cinder_source.describe({
                'version': '29.0.0', 'tree': '/t', 'dirty': True,
                'commit': '0123456789abcdef', 'patches': ['0001-a.patch']}))


def _tar(path, members):
    """A .tar.gz at path of (name, type, linkname) members."""
    with tarfile.open(path, 'w:gz') as tar:
        for name, kind, link in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link
            data = b'x' if kind == tarfile.REGTYPE else b''
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class ExtractSdistTest(testtools.TestCase):
    """An sdist is extracted only if it stays inside the target."""

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.dest = os.path.join(self.root, 'dest')
        os.mkdir(self.dest)

    def test_plain_sdist_is_extracted(self):
        sdist = _tar(os.path.join(self.root, 'ok.tar.gz'), [
            ('cinder-1', tarfile.DIRTYPE, ''),
            ('cinder-1/setup.cfg', tarfile.REGTYPE, '')])
        cinder_source.extract_sdist(sdist, self.dest)
        self.assertTrue(os.path.isfile(
            os.path.join(self.dest, 'cinder-1', 'setup.cfg')))

    def test_members_leaving_the_target_are_named(self):
        members = [('cinder-1/ok', tarfile.REGTYPE, ''),
                   ('../evil', tarfile.REGTYPE, ''),
                   ('/etc/evil', tarfile.REGTYPE, ''),
                   ('cinder-1/link', tarfile.SYMTYPE, '/etc/passwd'),
                   ('cinder-1/hard', tarfile.LNKTYPE, 'cinder-1/ok'),
                   ('cinder-1/dev', tarfile.CHRTYPE, '')]
        infos = []
        for name, kind, link in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link
            infos.append(info)
        self.assertEqual(['../evil', '/etc/evil', 'cinder-1/link',
                          'cinder-1/hard', 'cinder-1/dev'],
                         cinder_source.unsafe_members(infos))

    def test_unsafe_sdist_is_refused_without_the_data_filter(self):
        # Debian 12's python3 (3.11.2) has no tarfile data filter.
        self.useFixture(fixtures.MonkeyPatch('tarfile.data_filter',
                                             fixtures.MonkeyPatch.delete))
        sdist = _tar(os.path.join(self.root, 'bad.tar.gz'), [
            ('cinder-1/ok', tarfile.REGTYPE, ''),
            ('../evil', tarfile.REGTYPE, '')])
        e = self.assertRaises(errors.LabError, cinder_source.extract_sdist,
                              sdist, self.dest)
        self.assertIn('../evil', str(e))
        self.assertEqual([], os.listdir(self.dest))
        self.assertFalse(os.path.exists(os.path.join(self.root, 'evil')))


class PatchesApplyTest(testtools.TestCase):
    """The repository's Cinder patches apply to the pinned sdist.

    Needs the sdist (pip download, a registry or mirror); set
    CINDER_BACKUP_LAB_CINDER_SDIST to its path to run this here.
    """

    def test_patches_apply(self):
        sdist = os.environ.get('CINDER_BACKUP_LAB_CINDER_SDIST')
        if not sdist:
            self.skipTest('set CINDER_BACKUP_LAB_CINDER_SDIST to the pinned '
                          'cinder sdist (pip download --no-deps --no-binary '
                          ':all: cinder==%s)' % cinder_source.pinned_version())
        patches = cinder_source.patch_files()
        self.assertNotEqual([], patches)
        work = self.useFixture(fixtures.TempDir()).path
        subprocess.run(['tar', '-xzf', sdist, '-C', work], check=True)
        top = os.path.join(work, 'cinder-%s'
                           % cinder_source.pinned_version())
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=work)
        for patch in patches:
            proc = subprocess.run(['git', 'apply', '--check', patch],
                                  cwd=top, env=env, capture_output=True,
                                  text=True)
            self.assertEqual(0, proc.returncode, '%s: %s' % (
                os.path.basename(patch), proc.stderr))
            subprocess.run(['git', 'apply', patch], cwd=top, env=env,
                           check=True)


class KnownBugsTest(testtools.TestCase):

    def test_release_has_every_bug(self):
        self.assertEqual(list(config.CINDER_BUGS),
                         config.known_cinder_bugs(test_config._conf()))

    def test_patched_with_the_cleanup_caps_has_only_the_unpatched(self):
        conf = test_config._conf('[cinder]\nsource = patched\n[ceph]\n'
                                 'backup_user_snapshot_cleanup = true\n')
        self.assertEqual(['backup-hangs-on-full-cluster',
                          'backup-fails-on-db-restart',
                          'backup-fails-on-rabbitmq-restart'],
                         config.known_cinder_bugs(conf))

    def test_patched_without_the_caps_keeps_the_snapshots(self):
        conf = test_config._conf('[cinder]\nsource = patched\n')
        self.assertEqual(['backup-snapshot-left-on-source',
                          'backup-hangs-on-full-cluster',
                          'backup-fails-on-db-restart',
                          'backup-fails-on-rabbitmq-restart'],
                         config.known_cinder_bugs(conf))

    def test_same_names_as_the_tempest_plugin(self):
        from tempest_plugin import config as plugin_config
        opt = [o for o in plugin_config.BackupLabGroup
               if o.name == 'known_cinder_bugs'][0]
        self.assertEqual(list(config.CINDER_BUGS), list(opt.default))

    def test_explicit_value_wins_and_is_checked(self):
        conf = test_config._conf('[cinder]\nknown_bugs =\n')
        self.assertEqual([], config.known_cinder_bugs(conf))
        conf = test_config._conf('[cinder]\nknown_bugs = restore-pool\n')
        self.assertIn('[cinder] known_bugs: unknown restore-pool',
                      ' '.join(config.validate(conf)))
