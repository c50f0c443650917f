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

"""Unit tests of the pure helpers: supervisord config, credentials, utils."""

import configparser
import os
import socket
import stat
import tempfile
from unittest import mock

import fixtures

import testtools

from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import packages
from cinder_backup_lab.host import processes
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import timing
from cinder_backup_lab.storage import rgw


class SupervisorConfigTest(testtools.TestCase):

    def test_programs_are_rendered_foreground_and_manual(self):
        sup = supervisor.Supervisor('/srv/lab')
        text = sup.render([supervisor.Program(
            'ceph-mon', ['ceph-mon', '-f', '-c', '/srv/lab/a b.conf'])])
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        prog = parser['program:ceph-mon']
        self.assertEqual("ceph-mon -f -c '/srv/lab/a b.conf'",
                         prog['command'])
        # The lab starts daemons in order itself.
        self.assertEqual('false', prog['autostart'])
        self.assertEqual('/srv/lab/log/ceph-mon.out',
                         prog['stdout_logfile'])
        self.assertEqual('/srv/lab/supervisor/supervisor.sock',
                         parser['unix_http_server']['file'])
        self.assertEqual('0700', parser['unix_http_server']['chmod'])
        self.assertNotIn('inet_http_server', parser.sections())
        # Orphans are found by supervisord's environment marker: no child
        # may let setproctitle wipe its environ.
        self.assertIn('SPT_NOENV="1"',
                      parser['supervisord']['environment'])


class CredentialsTest(testtools.TestCase):

    def test_written_0600_and_read_back(self):
        state = self.useFixture_tempdir()
        creds = rgw.SwiftCredentials('http://127.0.0.1:8080/auth/1.0',
                                     'u:swift', 'sekrit',
                                     'http://127.0.0.1:8080/swift/v1')
        path = rgw.credentials_path(state)
        rgw.write_credentials(path, creds)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(creds, rgw.load_credentials(state))

    def test_s3_keys_written_0600_and_read_back(self):
        state = self.useFixture_tempdir()
        creds = rgw.S3Credentials('http://127.0.0.1:8080', 'u-s3',
                                  'AKEY', 'sekrit')
        path = rgw.s3_credentials_path(state)
        rgw.write_s3_credentials(path, creds)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(creds, rgw.load_s3_credentials(state))
        self.assertNotIn('sekrit', repr(creds))
        exc = self.assertRaises(errors.LabError, rgw.load_s3_credentials,
                                '/nonexistent')
        self.assertIn('no S3 credentials', str(exc))

    def test_repr_hides_the_key(self):
        creds = rgw.SwiftCredentials('a', 'u', 'sekrit', 's')
        self.assertNotIn('sekrit', repr(creds))
        self.assertNotIn('sekrit', str(creds))

    def test_missing_file_says_what_to_do(self):
        exc = self.assertRaises(errors.LabError, rgw.load_credentials,
                                '/nonexistent')
        self.assertIn('cinder-backup-lab up', str(exc))

    def useFixture_tempdir(self):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__('shutil').rmtree(d, True))
        return d


class UtilsTest(testtools.TestCase):

    def test_write_file_mode_from_first_byte(self):
        d = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(d, 'sub', 'k')
        old_umask = os.umask(0o022)
        self.addCleanup(os.umask, old_umask)
        real_fdopen = os.fdopen
        modes_when_opened = []

        def spy(fd, *args, **kwargs):
            # The mode the file has when its first byte is written.
            modes_when_opened.append(stat.S_IMODE(os.fstat(fd).st_mode))
            return real_fdopen(fd, *args, **kwargs)
        with mock.patch.object(files.os, 'fdopen', spy):
            files.write_file(path, 'x', 0o600)
        self.assertEqual([0o600], modes_when_opened)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(['k'], os.listdir(os.path.dirname(path)))

    def test_write_file_replaces_atomically(self):
        d = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(d, 'k')
        files.write_file(path, 'old', 0o600)
        # A reader holding the old file (a hard link stands for it) still
        # sees the whole old content: the new one arrived by rename.
        os.link(path, path + '.reader')
        files.write_file(path, 'new', 0o600)
        with open(path + '.reader') as f:
            self.assertEqual('old', f.read())
        with open(path) as f:
            self.assertEqual('new', f.read())
        self.assertEqual(['k', 'k.reader'], sorted(os.listdir(d)))

    def test_secret_output_is_not_quoted_in_errors(self):
        exc = self.assertRaises(
            errors.CommandError, commands.run,
            # The secret is built at run time so argv does not hold it.
            ['python3', '-c', 'import sys; s = "SEC" + "RET"; print(s); '
             'sys.exit("key=" + s)'],
            secret_output=True)
        self.assertNotIn('SECRET', str(exc))
        self.assertIn('exit 1', str(exc))

    def test_errors_quote_stderr(self):
        exc = self.assertRaises(errors.CommandError, commands.run,
                                ['sh', '-c', 'echo boom >&2; exit 1'])
        self.assertIn('boom', str(exc))

    def test_wait_for_times_out_with_what(self):
        exc = self.assertRaises(errors.LabError, commands.wait_for,
                                lambda: False, 0.2, 0.05, 'the moon')
        self.assertIn('the moon', str(exc))

    def test_port_is_free(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        self.addCleanup(sock.close)
        port = sock.getsockname()[1]
        self.assertFalse(commands.port_is_free('127.0.0.1', port))

    def test_port_is_free_when_nothing_listens(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        self.assertTrue(commands.port_is_free('127.0.0.1', port))

    def test_human_bytes(self):
        self.assertEqual('512 B', processes.human_bytes(512))
        self.assertEqual('1.5 MiB', processes.human_bytes(1536 * 1024))
        self.assertEqual('-', processes.human_bytes(None))


class OsReleaseTest(testtools.TestCase):

    def test_parse(self):
        fd, path = tempfile.mkstemp()
        with os.fdopen(fd, 'w') as f:
            f.write('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
                    'ID=debian\nVERSION_ID="12"\n')
        self.addCleanup(os.unlink, path)
        self.assertEqual(('debian', '12'), packages.os_release(path))
        self.assertEqual(('unknown', 'unknown'),
                         packages.os_release('/nonexistent'))


class PhaseTimerTest(testtools.TestCase):

    def test_phases_and_total(self):
        timer = timing.PhaseTimer()
        with timer.phase('a'):
            pass
        self.assertRaises(RuntimeError, self._failing_phase, timer)
        self.assertEqual(['a', 'b'], [n for n, _ in timer.phases])
        self.assertIn('total', timer.table())

    @staticmethod
    def _failing_phase(timer):
        with timer.phase('b'):
            raise RuntimeError('x')
