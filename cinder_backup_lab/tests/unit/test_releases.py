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

"""The Ceph release choice: the root's mirror, readiness, entering it."""

import os
import shutil
import subprocess
import tempfile
import time

import testtools

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.fronts import lab
from cinder_backup_lab.host import packages
from cinder_backup_lab.host import processes
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import half as storage_half
from cinder_backup_lab.storage import releases

DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example.org/debian
Suites: bookworm
"""

ONE_LINE = """\
# deb http://old.example.org/debian bookworm main
deb [signed-by=/k.gpg arch=amd64] http://mirror.example.org/debian-security \
bookworm-security main
deb http://mirror.example.org/debian bookworm main
"""


def _conf(**ceph_opts):
    conf = config.load()
    conf.set_override('state_dir', '/srv/lab')
    for key, value in ceph_opts.items():
        conf.set_override(key, value, group='ceph')
    return conf


class TestMirror(testtools.TestCase):

    def test_deb822_entries(self):
        self.assertEqual(
            [('http://mirror.example.org/debian',
              ['bookworm', 'bookworm-updates']),
             ('http://mirror.example.org/debian-security',
              ['bookworm-security'])],
            releases.parse_apt_sources(DEB822, deb822=True))

    def test_one_line_entries_skip_options_and_comments(self):
        self.assertEqual(
            [('http://mirror.example.org/debian-security',
              ['bookworm-security']),
             ('http://mirror.example.org/debian', ['bookworm'])],
            releases.parse_apt_sources(ONE_LINE, deb822=False))

    def test_the_archive_of_the_host_suite_not_security(self):
        for text, deb822 in ((DEB822, True), (ONE_LINE, False)):
            entries = releases.parse_apt_sources(text, deb822)
            self.assertEqual('http://mirror.example.org/debian',
                             releases.pick_mirror(entries, 'bookworm'))

    def test_no_source_of_the_host_suite(self):
        entries = releases.parse_apt_sources(DEB822, True)
        self.assertIsNone(releases.pick_mirror(entries, 'jammy'))

    def test_configured_mirror_wins(self):
        conf = _conf(release='reef',
                     release_mirror='http://mirror.example.org/d/')
        self.assertEqual('http://mirror.example.org/d',
                         releases.mirror(conf, 'no-such-codename'))

    def test_no_mirror_is_a_clear_error(self):
        conf = _conf(release='reef')
        exc = self.assertRaises(errors.LabError, releases.mirror, conf,
                                'no-such-codename')
        self.assertIn('release_mirror', str(exc))


class TestRelease(testtools.TestCase):

    def test_pacific_is_the_host(self):
        conf = _conf()
        self.assertEqual('pacific', conf.ceph.release)
        self.assertIsNone(releases.root_path(conf))
        # The host's daemons, run as before: no root, no wrapper.
        cluster = ceph.Cluster(conf)
        self.assertEqual(['ceph', '--conf', '/srv/lab/ceph/ceph.conf'],
                         cluster.admin_argv('ceph')[:3])
        progs = storage_half.StorageHalf(conf, None).programs()
        self.assertEqual('ceph-mon', progs[0].command[0])
        self.assertEqual(packages.CEPH_PACKAGES,
                         lab.Lab(conf).packages()[:len(
                             packages.CEPH_PACKAGES)])

    def test_newer_release_runs_in_its_root(self):
        conf = _conf(release='reef', release_root_dir='/cache/roots')
        root = '/cache/roots/reef'
        self.assertEqual(root, releases.root_path(conf))
        progs = storage_half.StorageHalf(conf, None).programs()
        for prog in progs:
            self.assertEqual(['unshare', '--mount'], prog.command[:2])
            self.assertEqual(prog.name, prog.command[
                prog.command.index(root) + 2])
            self.assertIn('/srv/lab', prog.command)
        self.assertIn(root, ceph.Cluster(conf).admin_argv('radosgw-admin'))
        # The host gets Cinder's clients only, never the daemons.
        pkgs = lab.Lab(conf).packages()
        for daemon in ('ceph-mon', 'ceph-mgr', 'ceph-osd', 'radosgw'):
            self.assertNotIn(daemon, pkgs)
        self.assertIn('python3-rbd', pkgs)
        self.assertIn('debootstrap', pkgs)

    def test_release_is_fixed_once_created(self):
        self.assertIn('release', lab.FIXED_AFTER_CREATE)
        # A lab created before the option existed ran Pacific.
        self.assertEqual('pacific', lab.RECORD_DEFAULTS['release'])

    def test_root_readiness(self):
        reef = releases.RELEASES['reef']
        good = {'release': 'reef', 'suite': 'trixie',
                'packages': list(releases.ROOT_PACKAGES)}
        self.assertTrue(releases.root_is_ready(good, reef))
        self.assertFalse(releases.root_is_ready(None, reef))
        self.assertFalse(releases.root_is_ready(
            dict(good, release='tentacle', suite='sid'), reef))
        self.assertFalse(releases.root_is_ready(
            dict(good, packages=['ceph-mon']), reef))

    def test_major_version(self):
        self.assertEqual('18.2', releases.major_version(
            'ceph version 18.2.7 (6b0e98) reef (stable)'))
        self.assertEqual('20.2', releases.major_version(
            'ceph version 20.2.4 (abc) tentacle (stable)'))
        self.assertIsNone(releases.major_version('garbage'))

    def test_version_counts(self):
        versions = {'overall': {
            'ceph version 18.2.7 (6b0e98) reef (stable)': 3,
            'ceph version 18.2.7 (6b0e98) reef (stable) x': 1}}
        self.assertEqual({'18.2.7 reef': 4},
                         ceph.version_counts(versions))
        self.assertEqual({}, ceph.version_counts(None))

    def test_options_a_release_dropped_stay_out_of_its_conf(self):
        written = []

        class Cluster:
            def write_config(self, rgw_extra):
                written.append(list(rgw_extra))
                return False
        extra = [('rgw_keystone_api_version', '3'),
                 ('rgw_keystone_url', 'http://127.0.0.1:5000')]
        for release, keys in (
                ('reef', ['rgw_keystone_api_version', 'rgw_keystone_url']),
                ('tentacle', ['rgw_keystone_url'])):
            half = storage_half.StorageHalf(_conf(release=release), None)
            half.cluster = Cluster()
            half.write_config(extra)
            self.assertEqual(keys, [k for k, _ in written[-1]])

    def test_tentacle_keys_the_host_clients_can_read(self):
        # Tentacle makes AES256K keys, which Pacific cannot parse: the
        # users the host's clients use get AES, and the monitor allows it.
        runs = []

        class Recording(ceph.Cluster):
            def run_tool(self, *argv, timeout=300):
                runs.append(argv)
                if '--create-keyring' in argv:
                    path = argv[argv.index('--create-keyring') + 1]
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, 'w').close()

            def fsid(self):
                return 'f-s-i-d'
        state = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, state)
        for release, key_type, ciphers in (('tentacle', 'aes', True),
                                           ('reef', None, False)):
            runs.clear()
            conf = _conf(release=release)
            conf.set_override('state_dir', state)
            Recording(conf).create_mon()
            admin = [a for a in runs if 'client.admin' in a][0]
            monmap = [a for a in runs if a[0] == 'monmaptool'][0]
            if key_type:
                self.assertEqual(key_type,
                                 admin[admin.index('--key-type') + 1])
            else:
                self.assertNotIn('--key-type', admin)
            self.assertEqual(ciphers, '--auth-allowed-ciphers' in monmap)
            shutil.rmtree(os.path.join(state, 'mon'))
            os.unlink(os.path.join(state, 'ceph', 'keyrings',
                                   'ceph.client.admin.keyring'))

    def test_release_choices(self):
        opt = [o for o in config.ceph_opts if o.name == 'release'][0]
        self.assertEqual(set(releases.RELEASES), set(opt.type.choices))


class TestEnterRoot(testtools.TestCase):
    """A process chrooted in a private mount namespace is still found."""

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def test_process_in_the_root_counts_as_the_labs(self):
        if os.geteuid() != 0:
            self.skipTest('needs root (mount namespaces, chroot)')
        root = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, root)
        marker = '/nonexistent/cinder-backup-lab-root-%d.conf' % os.getpid()
        # The host's / bound at root inside the private namespace: the
        # process runs chrooted there and its mounts vanish with it.
        proc = subprocess.Popen([
            'unshare', '--mount', '--propagation', 'private', '--', 'sh',
            '-c', 'mount --rbind / "$1" && exec chroot "$1" python3 -c '
            '"import time; time.sleep(60)" "$2"',
            'sh', root, marker], stderr=subprocess.DEVNULL)
        self.addCleanup(self._reap, proc)
        for _ in range(100):
            if processes.cmdline(proc.pid).startswith('python3'):
                break
            time.sleep(0.05)
        self.assertIn(marker, processes.cmdline(proc.pid))
        self.assertEqual([], processes.pids_with_argument(marker))
        self.assertEqual([proc.pid], processes.pids_with_argument(
            marker, roots=[root]))
        self.assertEqual([proc.pid], processes.pids_in_root(root))

    def test_clean_keeps_a_root_in_use(self):
        if os.geteuid() != 0:
            self.skipTest('needs root (mount namespaces, chroot)')
        base = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, base, True)
        root = os.path.join(base, 'reef')
        os.makedirs(os.path.join(root, 'etc'))
        # Not the lab's: kept whatever happens.
        os.makedirs(os.path.join(base, 'something-else'))
        proc = subprocess.Popen([
            'unshare', '--mount', '--propagation', 'private', '--', 'sh',
            '-c', 'mount --rbind / "$1" && exec chroot "$1" sleep 60',
            'sh', root], stderr=subprocess.DEVNULL)
        self.addCleanup(self._reap, proc)
        for _ in range(100):
            if processes.pids_in_root(root):
                break
            time.sleep(0.05)
        conf = _conf(release_root_dir=base)
        the_lab = lab.Lab(conf)
        exc = self.assertRaises(errors.LabError,
                                the_lab.remove_release_roots)
        self.assertIn('pid %d' % proc.pid, str(exc))
        self.assertTrue(os.path.isdir(os.path.join(root, 'etc')))
        self._reap(proc)
        removed = the_lab.remove_release_roots()
        self.assertEqual([root], [path for path, _size in removed])
        self.assertFalse(os.path.exists(root))
        self.assertTrue(os.path.isdir(os.path.join(base, 'something-else')))
