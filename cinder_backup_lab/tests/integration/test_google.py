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

"""The google driver's pieces against the running lab (profile all, or
google in backup_drivers): the GCS probe on the real emulator, the c-bak's
mount namespace, private keys, the token path, and the :443 refusal.
"""

import json
import os
import socket
import ssl
import stat
import urllib.parse
import urllib.request
import uuid

from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.host import venv
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.tests.integration import base


class GoogleTestCase(base.LabTestCase):

    def setUp(self):
        super().setUp()
        if config.GOOGLE not in config.backup_drivers(self.conf):
            self.skipTest('the google backup driver is not deployed '
                          '(profile all, or google in backup_drivers)')
        self.paths = gcs.Paths(self.conf.state_dir)


class GcsProbeTest(GoogleTestCase):

    def _upload(self, bucket, name):
        url = '%s/upload/storage/v1/b/%s/o?%s' % (
            gcs.endpoint(self.conf), bucket,
            urllib.parse.urlencode({'uploadType': 'media', 'name': name}))
        req = urllib.request.Request(url, data=b'x', method='POST')
        ctx = ssl.create_default_context(cafile=self.paths.ca_cert)
        urllib.request.urlopen(req, timeout=30, context=ctx).close()
        self.addCleanup(self._delete, bucket, name)

    def _delete(self, bucket, name):
        url = '%s/storage/v1/b/%s/o/%s' % (
            gcs.endpoint(self.conf), bucket,
            urllib.parse.quote(name, safe=''))
        ctx = ssl.create_default_context(cafile=self.paths.ca_cert)
        urllib.request.urlopen(urllib.request.Request(url, method='DELETE'),
                               timeout=30, context=ctx).close()

    def test_backup_objects_by_cinder_naming(self):
        probe = probes.gcs_for(self.conf)
        first, second = config.google_buckets(self.conf)[:2]
        volume_id, backup_id = str(uuid.uuid4()), str(uuid.uuid4())
        prefix = 'volume_%s/20261201120000/az_az-google_backup_%s' % (
            volume_id, backup_id)
        names = [prefix + '-00001', prefix + '_metadata',
                 prefix + '_sha256file']
        for name in names:
            self._upload(first, name)
        self.assertEqual(sorted(names), sorted(
            probe.backup_objects(first, volume_id, backup_id)))
        # Found in the bucket asked for, and nowhere else.
        self.assertEqual([], probe.backup_objects(second, volume_id))
        self.assertEqual([], probe.backup_objects(first, volume_id,
                                                  str(uuid.uuid4())))
        self.assertEqual([], probe.objects('gcs-missing-%s'
                                           % uuid.uuid4().hex[:8]))
        self.assertIn(first, probe.buckets())


class GoogleNamespaceTest(GoogleTestCase):

    def test_only_the_google_cbak_resolves_the_storage_host(self):
        pids = gcs.namespaced_pids(self.conf.state_dir)
        self.assertTrue(pids, 'no google c-bak process found')
        for pid in pids:
            self.assertNotEqual(os.readlink('/proc/self/ns/mnt'),
                                os.readlink('/proc/%d/ns/mnt' % pid))
            with open('/proc/%d/root/etc/hosts' % pid) as f:
                lines = f.read().splitlines()
            self.assertIn('%s %s' % (self.conf.backup_google.address,
                                     ' '.join(gcs.HOST_NAMES)), lines)
        with open('/etc/hosts') as f:
            self.assertNotIn(gcs.STORAGE_HOST, f.read(),
                             'the machine\'s own /etc/hosts was changed')
        self.assertRaises(OSError, socket.gethostbyname, gcs.STORAGE_HOST)

    def test_keys_are_private_and_never_logged(self):
        for path in (self.paths.ca_key, self.paths.server_key,
                     self.paths.credentials):
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode),
                             path)
        with open(self.paths.credentials) as f:
            key = json.load(f)['private_key']
        body = ''.join(key.splitlines()[1:3])
        self.assertGreater(len(body), 100)
        hits = []
        for root, _dirs, files in os.walk(os.path.join(self.conf.state_dir,
                                                       'log')):
            for name in files:
                with open(os.path.join(root, name), errors='replace') as f:
                    if body in f.read():
                        hits.append(name)
        self.assertEqual([], hits)

    def test_google_auth_still_signs_its_own_token(self):
        # What "up" checks, with the lab venv's libraries.
        gcs.check_token_path(self.conf, venv.venv_bin('python'))

    def test_a_taken_address_443_is_refused_by_name(self):
        conf = config.load(config_files=config.default_config_files())
        conf.set_override('address', '127.0.43.250', group='backup_google')
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(('127.0.43.250', gcs.PORT))
            sock.listen(1)
            problems = gcs.preflight_problems(conf, emulator_running=False)
        self.assertEqual(1, len(problems), problems)
        self.assertIn('port 443 on 127.0.43.250', problems[0])
        self.assertIn('[backup_google] address', problems[0])
        self.assertEqual([], gcs.preflight_problems(conf, False))
