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

"""A broken deployment makes the Tempest plugin fail, naming the cause.

The plugin's container test is run against the lab with a tempest.conf
that lists a Ceph backup pool the cluster does not have (as if the
deployment had lost it): the run must fail, and its output must say which
pool is missing.
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.tests.integration import base

TEST = ('tempest_plugin.tests.api.test_backup_containers.'
        'CinderBackupLabContainerTest.test_ceph_backup_lands_in_each_'
        'requested_pool')


class PluginCatchesBreakageTest(base.LabTestCase):

    def _workspace(self):
        work = tempfile.mkdtemp(prefix='cbl-broken-')
        self.addCleanup(shutil.rmtree, work, True)
        tempest_conf.write_workspace(work)
        return work

    def test_missing_ceph_pool_fails_with_its_name(self):
        rc, out, _ = base.cli('status', '--json')
        conf_path = json.loads(out)['files'].get('tempest_conf')
        if not conf_path:
            self.skipTest('the lab runs no OpenStack half (no tempest.conf)')
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(conf_path)
        group = parser['cinder_backup_lab']
        if group.get('ceph_backup_enabled') != 'true':
            self.skipTest('the lab runs no Ceph-driver c-bak')
        missing = 'lab-lost-pool-%s' % uuid.uuid4().hex[:8]
        group['ceph_backup_pools'] = '%s,%s' % (
            group['ceph_backup_pools'].split(',')[0], missing)
        work = self._workspace()
        broken = os.path.join(work, 'tempest.conf')
        fd = os.open(broken, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            parser.write(f)
        tempest = os.path.join(os.path.dirname(sys.executable), 'tempest')
        proc = subprocess.run(
            [tempest, 'run', '--config-file', broken, '--regex', TEST],
            cwd=work, capture_output=True, text=True, timeout=900,
            stdin=subprocess.DEVNULL)
        output = proc.stdout + proc.stderr
        self.assertNotEqual(0, proc.returncode, 'the broken deployment '
                            'was not caught:\n%s' % output[-3000:])
        self.assertIn(' - Failed: 1', output)
        cause = "Ceph pool '%s' does not exist" % missing
        if cause not in output:
            self.fail('the failure does not name the cause (%s):\n%s'
                      % (cause, output[-3000:]))
