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

"""patches/cinder against Cinder's own unit tests of the drivers they fix.

Runs the Cinder test modules the patches change (test_backup_ceph,
test_backup_s3), in the lab's venv (Cinder's dependencies, ddt, moto),
on trees built from the pinned release's sdist
($CINDER_BACKUP_LAB_CINDER_SDIST):

- with every patch applied: every such module passes;
- per patch, with the patches before it and only its own test changes:
  at least one of the tests it adds fails, i.e. its tests guard its fix.
  (Tests it adds that pass there too are regression guards of behaviour
  the fix keeps; they are named in the failure message only.)

Nothing here touches a lab or a service.
"""

import os
import re
import subprocess
import sys

import fixtures
import testtools
from testtools import content

from cinder_backup_lab.openstack import cinder_source

TEST_FILE_PREFIX = 'cinder/tests/unit/'


# The run ends with os._exit: at interpreter exit the finalizers of
# os-brick RBD wrappers the tests leave behind call eventlet's tpool,
# which starts a thread and waits for it forever (seen: the tests done in
# 3 s, the process alive 20 min later). The watchdog still dumps every
# thread's traceback if a test itself ever stalls.
RUNNER = '''
import faulthandler, os, runpy, sys
faulthandler.dump_traceback_later(600, exit=True)
sys.argv = ['testtools.run'] + sys.argv[1:]
try:
    runpy.run_module('testtools.run', run_name='__main__')
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else int(bool(exc.code))
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
'''


def test_files(patch):
    """The Cinder unit test files a patch changes."""
    with open(patch) as f:
        return sorted({m.group(1) for m in re.finditer(
            r'^diff --git a/\S+ b/(%s\S+\.py)$' % re.escape(TEST_FILE_PREFIX),
            f.read(), re.M)})


def test_module(path):
    """cinder/tests/unit/x/test_y.py -> cinder.tests.unit.x.test_y"""
    return path[:-len('.py')].replace('/', '.')


def added_tests(patch):
    """Names of the test methods a patch adds to its test files."""
    names, in_test_file = [], False
    with open(patch) as f:
        for line in f:
            if line.startswith('diff --git '):
                in_test_file = line.rstrip().split(' b/')[-1].startswith(
                    TEST_FILE_PREFIX)
            elif in_test_file:
                m = re.match(r'^\+\s+def (test_\w+)\(', line)
                if m:
                    names.append(m.group(1))
    return names


def failed_tests(output):
    """Test method names testtools.run reports as FAIL or ERROR."""
    return sorted({m.group(1) for m in re.finditer(
        r'^(?:FAIL|ERROR): \S+\.(test_\w+)', output, re.M)})


class CinderPatchesTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sdist = os.environ.get('CINDER_BACKUP_LAB_CINDER_SDIST')
        cls.patches = cinder_source.patch_files()
        cls.version = cinder_source.pinned_version()

    def setUp(self):
        super().setUp()
        if not self.sdist:
            self.skipTest('set CINDER_BACKUP_LAB_CINDER_SDIST to the pinned '
                          'cinder sdist (tools/run-tests.sh downloads it)')
        self.assertNotEqual([], self.patches)
        self.work = self.useFixture(fixtures.TempDir()).path

    def _tree(self, name, full, tests_of=None):
        """The sdist with the full patches, and tests_of's test changes."""
        dest = os.path.join(self.work, name)
        os.mkdir(dest)
        cinder_source.extract_sdist(self.sdist, dest)
        top = os.path.join(dest, 'cinder-%s' % self.version)
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=dest)
        steps = [(p, []) for p in full]
        if tests_of:
            steps.append((tests_of, ['--include=' + f
                                     for f in test_files(tests_of)]))
        for patch, extra in steps:
            proc = subprocess.run(['git', 'apply'] + extra + [patch],
                                  cwd=top, env=env, capture_output=True,
                                  text=True)
            self.assertEqual(0, proc.returncode, '%s: %s' % (
                os.path.basename(patch), proc.stderr))
        return top

    def _run(self, top, modules):
        """Run Cinder's test modules in top: (rc, output)."""
        env = dict(os.environ, PYTHONPATH=top,
                   OS_CINDER_DISABLE_EVENTLET_PATCHING='False',
                   OS_STDOUT_CAPTURE='1', OS_STDERR_CAPTURE='1',
                   OS_TEST_TIMEOUT='60', PYTHONDONTWRITEBYTECODE='1')
        where = subprocess.run(
            [sys.executable, '-c', 'import cinder; print(cinder.__file__)'],
            cwd=top, env=env, capture_output=True, text=True, check=True)
        self.assertTrue(where.stdout.strip().startswith(top + os.sep),
                        'cinder imported from %s, not from the tree %s'
                        % (where.stdout.strip(), top))
        # Output to a file, not a pipe, and a traceback of every thread if
        # the run ever stalls (eventlet's tpool under a loaded machine)
        # rather than a hang.
        log = os.path.join(os.path.dirname(top), 'cinder-tests.log')
        with open(log, 'w') as out:
            proc = subprocess.run(
                [sys.executable, '-c', RUNNER] + modules, cwd=top, env=env,
                stdout=out, stderr=subprocess.STDOUT, timeout=1500,
                stdin=subprocess.DEVNULL)
        with open(log) as f:
            return proc.returncode, f.read()

    def test_driver_tests_pass_with_every_patch(self):
        top = self._tree('patched', self.patches)
        files = sorted({f for p in self.patches for f in test_files(p)})
        self.assertNotEqual([], files)
        for path in files:
            # One run per module, so each one's count is its own.
            rc, out = self._run(top, [test_module(path)])
            self.assertEqual(0, rc, '%s: %s' % (path, out[-4000:]))
            ran = re.search(r'^Ran (\d+) tests?', out, re.M)
            self.assertIsNotNone(ran, out[-2000:])
            added = sum(len(added_tests(p)) for p in self.patches
                        if path in test_files(p))
            # Every test the patches add to it ran (ddt may add more).
            self.assertGreater(int(ran.group(1)), added, path)

    def test_each_patch_has_tests_that_fail_without_its_fix(self):
        for i, patch in enumerate(self.patches):
            name = os.path.basename(patch)
            added = added_tests(patch)
            self.assertNotEqual([], added, '%s adds no test' % name)
            rc, out = self._run(
                self._tree('without-%d' % i, self.patches[:i], patch),
                [test_module(f) for f in test_files(patch)])
            failed = failed_tests(out)
            guarding = sorted(set(added) & set(failed))
            self.assertNotEqual(0, rc, '%s: its tests pass without its fix'
                                % name)
            self.assertNotEqual(
                [], guarding, '%s: none of its tests (%s) fails without its '
                'fix; failed: %s' % (name, ', '.join(added),
                                     ', '.join(failed)))
            # In the subunit stream: what guards what.
            self.addDetail(name, content.text_content(
                '%d of %d added tests fail without the fix (%s); also '
                'failing (tests the patch changes): %s' % (
                    len(guarding), len(added), ', '.join(guarding),
                    ', '.join(sorted(set(failed) - set(added))) or 'none')))


class HelpersTest(testtools.TestCase):
    """The parsing above, on the repository's own patches."""

    def test_added_tests_of_the_patches(self):
        for patch in cinder_source.patch_files():
            self.assertNotEqual([], added_tests(patch), patch)
            self.assertNotEqual([], test_files(patch), patch)

    def test_test_files_and_modules(self):
        by_name = {os.path.basename(p): test_files(p)
                   for p in cinder_source.patch_files()}
        s3 = [f for n, f in by_name.items() if '-S3-' in n]
        self.assertEqual([['cinder/tests/unit/backup/drivers/'
                           'test_backup_s3.py']], s3)
        self.assertEqual('cinder.tests.unit.backup.drivers.test_backup_s3',
                         test_module(s3[0][0]))

    def test_failed_tests(self):
        out = ('FAIL: cinder.tests.unit.x.Case.test_a\n'
               'ERROR: cinder.tests.unit.x.Case.test_b\n'
               'ok: cinder.tests.unit.x.Case.test_c\n')
        self.assertEqual(['test_a', 'test_b'], failed_tests(out))
