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

"""etc/lab.conf.sample documents every option; it must stay current."""

import os
import subprocess
import sys
import tempfile

import testtools

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


class SampleConfigTest(testtools.TestCase):

    def test_sample_is_up_to_date(self):
        fd, path = tempfile.mkstemp(suffix='.conf')
        os.close(fd)
        self.addCleanup(os.unlink, path)
        generator = os.path.join(os.path.dirname(sys.executable),
                                 'oslo-config-generator')
        subprocess.run([generator, '--config-file',
                        os.path.join(REPO_DIR, 'etc',
                                     'oslo-config-generator.conf'),
                        '--output-file', path], check=True, cwd=REPO_DIR)
        with open(path) as f:
            fresh = f.read()
        with open(os.path.join(REPO_DIR, 'etc', 'lab.conf.sample')) as f:
            committed = f.read()
        self.assertEqual(fresh, committed, 'etc/lab.conf.sample is stale: '
                         'run tox -e genconfig')
