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

"""Leftover processes: the lab ends exactly those tagged with its state dir."""

import os
import subprocess
import tempfile
import time

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.host import processes
from cinder_backup_lab.openstack import half as openstack_half
from cinder_backup_lab.storage import ceph


class TestStrays(testtools.TestCase):

    def _sleep(self, env_extra):
        proc = subprocess.Popen(['sleep', '60'],
                                env=dict(os.environ, **env_extra))
        self.addCleanup(self._reap, proc)
        return proc

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def test_only_tagged_processes_of_this_state_dir_end(self):
        state = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, state)
        conf = config.load()
        conf.set_override('state_dir', state)
        half = openstack_half.OpenStackHalf(conf, None,
                                            ceph.CephPaths(state))
        mine = self._sleep({openstack_half.STATE_TAG: state})
        other_lab = self._sleep({openstack_half.STATE_TAG: state + '-x'})
        untagged = self._sleep({})
        found = half.stray_pids()
        self.assertEqual([mine.pid], found)
        self.assertEqual([mine.pid], processes.stop_pids(found, timeout=10))
        self.assertIsNotNone(mine.wait(timeout=10))
        self.assertIsNone(other_lab.poll())
        self.assertIsNone(untagged.poll())

    def test_processes_of_another_mount_namespace_are_not_ours(self):
        # A container next to the lab may run a daemon with the same
        # arguments; its paths are other files.
        marker = '/nonexistent/cinder-backup-lab-%d.conf' % os.getpid()
        sleeper = ['python3', '-c', 'import time; time.sleep(60)', marker]
        here = subprocess.Popen(sleeper)
        self.addCleanup(self._reap, here)
        there = subprocess.Popen(['unshare', '--mount'] + sleeper)
        self.addCleanup(self._reap, there)
        # unshare execs the sleeper in its new namespace.
        for _ in range(100):
            if processes.cmdline(there.pid).startswith('python3'):
                break
            time.sleep(0.05)
        self.assertIn(marker, processes.cmdline(there.pid))
        self.assertEqual([here.pid], processes.pids_with_argument(marker))
