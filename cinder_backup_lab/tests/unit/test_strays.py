"""kill_strays ends exactly the processes tagged with its lab's state dir."""

import os
import subprocess
import tempfile
import types

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.openstack import half as openstack_half


class TestKillStrays(testtools.TestCase):

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
        half = openstack_half.OpenStackHalf(types.SimpleNamespace(conf=conf))
        mine = self._sleep({openstack_half.STATE_TAG: state})
        other_lab = self._sleep({openstack_half.STATE_TAG: state + '-x'})
        untagged = self._sleep({})
        killed = half.kill_strays(timeout=10)
        self.assertEqual([mine.pid], killed)
        self.assertIsNotNone(mine.wait(timeout=10))
        self.assertIsNone(other_lab.poll())
        self.assertIsNone(untagged.poll())
