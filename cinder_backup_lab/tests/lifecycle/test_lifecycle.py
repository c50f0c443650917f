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

"""down/up keeps the data; clean leaves nothing. Runs last: it ends the lab.

One test on purpose: the steps must run in this order.
"""

import os
import signal
import time
import uuid

from cinder_backup_lab import config
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import processes
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import gluster
from cinder_backup_lab.tests.integration import base

MiB = base.MiB


class LifecycleTest(base.LabTestCase):

    def _daemon_pids(self):
        rc, out, _ = base.cli('status', '--json')
        import json
        status = json.loads(out)
        for svc in status['services']:
            self.assertTrue(svc['pid'], '%s is not running' % svc['name'])
        return [s['pid'] for s in status['services']] + \
            [status['supervisord']['pid']]

    def _google_namespaced(self):
        """The google c-bak's processes, each in another mount namespace."""
        pids = gcs.namespaced_pids(self.conf.state_dir)
        own = os.readlink('/proc/self/ns/mnt')
        for pid in pids:
            self.assertNotEqual(own, os.readlink('/proc/%d/ns/mnt' % pid),
                                'google c-bak %d shares our mounts' % pid)
        return pids

    def _assert_no_google_left(self, when):
        """No google c-bak (nor its namespace) and no emulator."""
        if config.GOOGLE not in config.backup_drivers(self.conf):
            return
        self.assertEqual([], gcs.namespaced_pids(self.conf.state_dir),
                         'google c-bak processes (and so their mount '
                         'namespace) left after %s' % when)
        self.assertTrue(commands.port_is_free(
            self.conf.backup_google.address, gcs.PORT),
            'the GCS emulator still holds %s:443 after %s'
            % (self.conf.backup_google.address, when))

    def _write_data(self):
        import rbd
        cluster = self.rados_as(self.conf.ceph.volume_user)
        ioctx = cluster.open_ioctx(self.conf.ceph.volumes_pool)
        image = 'lab-lifecycle-%s' % uuid.uuid4().hex[:12]
        data = base.pattern(image, 0, 5 * MiB)
        rbd.RBD().create(ioctx, image, 16 * MiB)
        with rbd.Image(ioctx, image) as img:
            img.write(data, 11 * MiB - 4096)
        ioctx.close()
        container = 'lab-lifecycle-%s' % uuid.uuid4().hex[:12]
        if config.SWIFT in self.drivers:
            conn = self.swift_connection()
            conn.put_container(container)
            conn.put_object(container, 'obj', data)
        if config.GLUSTERFS in self.drivers:
            # Through the c-bak's FUSE mount, into the gluster volume.
            mount, = gluster.Gluster(self.conf).mounts()
            with open(os.path.join(mount, container), 'wb') as f:
                f.write(data)
        return image, container, base.sha256(data)

    def _read_data(self, image, container):
        import rbd
        cluster = self.rados_as(self.conf.ceph.volume_user)
        ioctx = cluster.open_ioctx(self.conf.ceph.volumes_pool)
        self.addCleanup(ioctx.close)
        with rbd.Image(ioctx, image, read_only=True) as img:
            rbd_data = img.read(11 * MiB - 4096, 5 * MiB)
        sums = [base.sha256(rbd_data)]
        if config.SWIFT in self.drivers:
            _, swift_data = self.swift_connection().get_object(
                container, 'obj')
            sums.append(base.sha256(swift_data))
        if config.GLUSTERFS in self.drivers:
            # The c-bak's mount of the volume, made again by each "up".
            mount, = gluster.Gluster(self.conf).mounts()
            with open(os.path.join(mount, container), 'rb') as f:
                sums.append(base.sha256(f.read()))
        return sums

    def _wait_gone(self, pid, timeout=30):
        deadline = time.monotonic() + timeout
        while processes.pid_alive(pid):
            self.assertLess(time.monotonic(), deadline,
                            'pid %d did not exit' % pid)
            time.sleep(0.2)

    def _gluster_pids(self):
        """The daemonized gluster processes: the brick, the FUSE client."""
        if config.GLUSTERFS not in self.drivers:
            return []
        pids = gluster.Gluster(self.conf).stray_pids()
        self.assertGreaterEqual(len(pids), 3, 'glusterd, brick, FUSE client')
        return pids

    def test_down_up_and_kill_up_keep_data_then_clean_removes_everything(self):
        self.drivers = config.backup_drivers(self.conf)
        image, container, checksum = self._write_data()
        checksums = [checksum] * (1 + len({config.SWIFT, config.GLUSTERFS}
                                          & set(self.drivers)))

        pids = self._daemon_pids() + self._gluster_pids()
        self.assertGreaterEqual(len(pids), 5)
        google = config.GOOGLE in config.backup_drivers(self.conf)
        if google:
            self.assertTrue(self._google_namespaced(),
                            'no google c-bak in a namespace of its own')
        rc, out, err = base.cli('down')
        self.assertEqual(0, rc, err)
        for pid in pids:
            self.assertFalse(processes.pid_alive(pid),
                             'pid %d still runs after down' % pid)
        self._assert_no_google_left('down')
        rc, _, _ = base.cli('status')
        self.assertEqual(1, rc, 'status must fail while the lab is down')
        self.assertEqual([], gluster.Gluster(self.conf).mounts())

        rc, out, err = base.cli('up')
        self.assertEqual(0, rc, out + err)
        self.assertEqual(checksums, self._read_data(image, container))

        # A machine that stopped hard (as between a session and CI) leaves
        # stale pid files and sockets behind: "up" must cope.
        # First supervisord alone (its daemons are orphaned), then all.
        pids = self._daemon_pids()
        namespaced = self._google_namespaced() if google else []
        os.kill(pids[-1], signal.SIGKILL)
        self._wait_gone(pids[-1])
        rc, out, err = base.cli('up')
        self.assertEqual(0, rc, out + err)
        for pid in pids + namespaced:
            self.assertFalse(processes.pid_alive(pid),
                             'orphan %d was not replaced' % pid)
        # The brick and the FUSE client too: the mount is left dead.
        pids = sorted(set(self._daemon_pids() + self._gluster_pids()))
        # The google c-bak's privsep daemons outlive it in its namespace.
        namespaced = self._google_namespaced() if google else []
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        for pid in pids:
            self._wait_gone(pid)
        rc, out, err = base.cli('up')
        self.assertEqual(0, rc, out + err)
        for pid in namespaced:
            self.assertFalse(processes.pid_alive(pid),
                             'namespaced orphan %d was left' % pid)
        self.assertEqual(checksums, self._read_data(image, container))

        pids = self._daemon_pids() + self._gluster_pids()
        rc, out, err = base.cli('clean')
        self.assertEqual(0, rc, err)
        self.assertIn('lab removed', out)
        if config.GLUSTERFS in self.drivers:
            # Processes, mounts, netns, veth, gluster's files elsewhere.
            self.assertEqual([], gluster.Gluster(self.conf).leftovers())
        for pid in pids:
            self.assertFalse(processes.pid_alive(pid),
                             'pid %d still runs after clean' % pid)
        self._assert_no_google_left('clean')
        self.assertFalse(os.path.exists(self.conf.state_dir))
        rc, out, err = base.cli('clean')
        self.assertEqual(0, rc, err)
        self.assertIn('nothing to clean', out)
