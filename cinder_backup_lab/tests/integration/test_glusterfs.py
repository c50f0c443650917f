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

"""The glusterfs driver's server on the running lab (glusterfs deployed).

The backup scenarios themselves are the Tempest plugin's; here what only
the lab can check: the brick host behind its veth pair, the c-bak's FUSE
mount, a second lab refused while ours runs glusterd, a file of a backup
Cinder does not know reported by "leftovers".
"""

import os
import tempfile
import uuid

from cinder_backup_lab import config
from cinder_backup_lab.host import commands
from cinder_backup_lab.storage import gluster
from cinder_backup_lab.tests.integration import base


class GlusterfsTest(base.LabTestCase):

    def setUp(self):
        super().setUp()
        if config.GLUSTERFS not in config.backup_drivers(self.conf):
            self.skipTest('glusterfs is not among the lab\'s backup drivers '
                          '(profile all, or glusterfs in backup_drivers)')
        self.gluster = gluster.Gluster(self.conf)

    def _mount(self):
        mounts = self.gluster.mounts()
        self.assertEqual(1, len(mounts), 'the c-bak\'s one FUSE mount: %s'
                         % mounts)
        return mounts[0]

    def test_brick_host_is_behind_the_lab_veth_not_loopback(self):
        g = self.conf.backup_glusterfs
        out = commands.run(['ip', '-n', g.netns, '-4', '-o', 'addr'])
        self.assertIn('%s/%d' % (g.server_address, g.prefix_length), out)
        self.assertIn(g.veth_server, out)
        host = commands.run(['ip', '-4', '-o', 'addr', 'show', g.veth_host])
        self.assertIn(g.host_address, host)
        self.assertTrue(self.gluster.brick_online())
        with open('/proc/self/mountinfo') as f:
            line = next(x for x in f if ' %s ' % self._mount() in x)
        self.assertIn('fuse.glusterfs', line)
        self.assertIn(self.gluster.share, line)

    def test_second_lab_with_glusterfs_is_refused_while_ours_runs(self):
        state = tempfile.mkdtemp(prefix='cbl-gluster-second-')
        os.rmdir(state)     # "up" must not create it
        fd, path = tempfile.mkstemp(suffix='.conf')
        with os.fdopen(fd, 'w') as f:
            f.write('[DEFAULT]\nstate_dir = %s\nbackup_drivers = '
                    'ceph,glusterfs\n' % state)
        self.addCleanup(os.unlink, path)
        rc, out, err = base.cli(
            'up', config_files=config.default_config_files() + [path])
        self.assertEqual(1, rc, out + err)
        self.assertIn('only one lab per machine can run glusterfs', err)
        self.assertIn('of the lab in %s' % self.conf.state_dir, err)
        self.assertFalse(os.path.exists(state))
        self.assertTrue(self.gluster.brick_online())

    def test_leftovers_finds_a_file_of_an_unknown_backup(self):
        container = config.glusterfs_containers(self.conf)[-1]
        directory = os.path.join(self._mount(), container)
        os.makedirs(directory, exist_ok=True)
        name = 'volume_%s_20261201000000_backup_%s-00001' % (
            uuid.uuid4(), uuid.uuid4())
        # Through the volume, as the driver writes: the brick shows it.
        with open(os.path.join(directory, name), 'w') as f:
            f.write('orphan')
        self.addCleanup(os.unlink, os.path.join(directory, name))
        rc, out, err = base.cli('leftovers')
        self.assertEqual(1, rc, out + err)
        self.assertIn('glusterfs %s/volume_%s' % (container, name[7:43]),
                      out)
