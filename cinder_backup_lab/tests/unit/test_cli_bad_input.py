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

"""Bad command lines and config files given to the CLI itself.

Each gets one clear line, an exit code, no traceback, and touches
nothing: the state dir the config names is never created. (README,
"Bad input": the rows these tests cover.)
"""

import contextlib
import io
import os
import tempfile

import testtools

from cinder_backup_lab import cli


class CliBadInputTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='cbl-badinput-')
        self.addCleanup(self._rmtree, self.tmp)
        # A state dir the CLI must never create.
        self.state = os.path.join(self.tmp, 'state')

    @staticmethod
    def _rmtree(path):
        import shutil
        shutil.rmtree(path, ignore_errors=True)

    def config_file(self, text):
        path = os.path.join(self.tmp, 'lab.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nstate_dir = %s\n%s' % (self.state, text))
        return path

    def run_cli(self, *argv):
        """(exit code, what it printed); argparse's exit counts too."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            try:
                rc = cli.main(list(argv))
            except SystemExit as exc:
                rc = exc.code
        output = out.getvalue()
        self.assertNotIn('Traceback', output)
        self.assertFalse(os.path.exists(self.state),
                         'the CLI created the state dir for bad input')
        return rc, output

    def test_missing_config_file(self):
        path = os.path.join(self.tmp, 'no-such.conf')
        rc, out = self.run_cli('--config-file', path, 'status')
        self.assertEqual(2, rc, out)
        self.assertIn('error: cannot use the lab config: Failed to find '
                      'some config files: %s' % path, out)

    def test_unparsable_config_file(self):
        path = self.config_file('[ceph\nosd_size_gb = 10\n')
        rc, out = self.run_cli('--config-file', path, 'up')
        self.assertEqual(2, rc, out)
        self.assertIn('Invalid section (must end with ]): \'[ceph\'', out)

    def test_unknown_profile(self):
        path = self.config_file('profile = everything\n')
        rc, out = self.run_cli('--config-file', path, 'up')
        self.assertEqual(2, rc, out)
        self.assertIn("[DEFAULT] profile: Valid values are [ceph, swift, "
                      "both, all], but found 'everything'", out)

    def test_cross_option_error_from_check_config(self):
        path = self.config_file('[ceph]\nnearfull_ratio = 0.96\n')
        rc, out = self.run_cli('--config-file', path, 'check-config')
        self.assertEqual(1, rc, out)
        self.assertIn('error: [ceph] nearfull_ratio 0.96', out)

    def test_unknown_command(self):
        path = self.config_file('')
        rc, out = self.run_cli('--config-file', path, 'restore-everything')
        self.assertEqual(2, rc, out)
        self.assertIn("invalid choice: 'restore-everything'", out)

    def test_argument_of_the_wrong_type(self):
        path = self.config_file('')
        rc, out = self.run_cli('--config-file', path, 'demo', '--size-gb',
                               'lots')
        self.assertEqual(2, rc, out)
        self.assertIn("argument --size-gb: 'lots' is not a size in GiB (a "
                      "whole number, 1 or more)", out)

    def test_volume_size_below_one_gib(self):
        path = self.config_file('')
        rc, out = self.run_cli('--config-file', path, 'demo', '--size-gb',
                               '0')
        self.assertEqual(2, rc, out)
        self.assertIn("argument --size-gb: '0' is not a size in GiB", out)

    def test_required_argument_missing(self):
        path = self.config_file('')
        rc, out = self.run_cli('--config-file', path, 'configure-cinder',
                               '--driver', 'swift')
        self.assertEqual(2, rc, out)
        self.assertIn('the following arguments are required: --cinder-conf',
                      out)

    def test_driver_that_is_not_a_choice(self):
        path = self.config_file('')
        rc, out = self.run_cli('--config-file', path, 'configure-cinder',
                               '--cinder-conf', os.path.join(self.tmp, 'c'),
                               '--driver', 'tape')
        self.assertEqual(2, rc, out)
        self.assertIn("argument --driver: invalid choice: 'tape'", out)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'c')))
