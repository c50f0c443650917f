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

"""The one base class of the integration and lifecycle tests.

They talk to the real lab named by $CINDER_BACKUP_LAB_CONFIG (a lab
config file; default: the lab's default config). setUpClass runs the real
`cinder-backup-lab up` (a no-op when the lab is up); a test fails, not
skips, when the lab is not healthy.
"""

import os
import subprocess
import sys

import testtools

from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.fronts import lab
from cinder_backup_lab.storage import rgw
from tempest_plugin.common import volume_data

MiB = volume_data.MiB
# Test data and checksums: the Tempest plugin's, as everywhere.
pattern = volume_data.pattern
sha256 = volume_data.sha256


def cli(*args, config_files=None, check=False):
    """Run the real cinder-backup-lab CLI; return (rc, stdout, stderr)."""
    argv = [sys.executable, '-m', 'cinder_backup_lab.cli']
    for path in (config.default_config_files() if config_files is None
                 else config_files):
        argv += ['--config-file', path]
    proc = subprocess.run(argv + list(args), capture_output=True, text=True,
                          timeout=1200, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError('cinder-backup-lab %s exited %d:\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode, proc.stdout, proc.stderr


class LabTestCase(testtools.TestCase):
    """The running lab, its config, and handles on its services."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cli('up', check=True)
        cls.conf = config.load(config_files=config.default_config_files())
        cls.paths = lab.Lab(cls.conf).storage.paths

    def setUp(self):
        super().setUp()
        self.lab = lab.Lab(self.conf)
        status = self.lab.status()
        if not self.lab.healthy(status):
            self.fail('the lab in %s is not up and healthy; run '
                      '"cinder-backup-lab up" (status: %s)'
                      % (self.conf.state_dir, status.get('openstack')))

    # -- Ceph and RGW ------------------------------------------------------
    def rados_as(self, user):
        """A connected librados handle as client.<user>, closed after."""
        import rados  # distro binding, linked into the venv by "up"
        cluster = rados.Rados(
            conffile=self.paths.conf, rados_id=user,
            conf={'keyring': self.paths.keyring('client.%s' % user)})
        cluster.connect(timeout=30)
        self.addCleanup(cluster.shutdown)
        return cluster

    def ceph_probe(self, user='admin'):
        return probes.ceph_for(self.conf, user)

    def swift_connection(self, key=None):
        import swiftclient
        creds = rgw.load_credentials(self.conf.state_dir)
        return swiftclient.Connection(
            authurl=creds.auth_url, user=creds.user,
            key=creds.key if key is None else key, auth_version='1',
            retries=0, timeout=30)

    def lab_secrets(self):
        """Every key the lab generated, to prove none of them leaks."""
        secrets = []
        for name in os.listdir(self.paths.keyring_dir):
            with open(os.path.join(self.paths.keyring_dir, name)) as f:
                for line in f:
                    key, _, value = line.partition('=')
                    if key.strip() == 'key':
                        secrets.append(value.strip())
        if config.uses_rgw(self.conf):
            secrets.append(rgw.load_credentials(self.conf.state_dir).key)
        return secrets

    # -- Cinder as the demo user -------------------------------------------
    @property
    def demo(self):
        return demo.Demo(self.conf, self.lab.openstack, timeout=600)

    @property
    def api(self):
        if not hasattr(self, '_api'):
            self._api = self.demo.demo_api()
        return self._api

    def volume(self, name):
        """A volume of the lab's type, deleted (and waited for) after."""
        vol = self.demo.new_volume(self.api, name)
        self.addCleanup(self._delete_volume, vol['id'])
        return vol

    def _delete_volume(self, volume_id):
        self.api.delete_volume(volume_id)
        self.api.wait_status('volume', volume_id, ('deleted',),
                             timeout=300)

    def _delete_backup(self, backup_id):
        self.api.delete_backup(backup_id)
        self.api.wait_status('backup', backup_id, ('deleted',), timeout=300,
                             failed=('error_deleting',))
