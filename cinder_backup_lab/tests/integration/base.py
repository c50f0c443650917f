"""Shared helpers of the integration tests: they talk to the real lab."""

import hashlib
import os
import random
import subprocess
import sys

import testtools

from cinder_backup_lab import config
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import rgw

CONFIG_ENV = 'CINDER_BACKUP_LAB_CONFIG'
MiB = 1024 * 1024


def lab_config_files():
    path = os.environ.get(CONFIG_ENV)
    if path:
        return [path]
    if os.path.exists(config.DEFAULT_CONFIG_FILE):
        return [config.DEFAULT_CONFIG_FILE]
    return []


def cli(*args, config_files=None, check=False):
    """Run the real cinder-backup-lab CLI; return (rc, stdout, stderr)."""
    argv = [sys.executable, '-m', 'cinder_backup_lab.cli']
    for path in (lab_config_files() if config_files is None
                 else config_files):
        argv += ['--config-file', path]
    proc = subprocess.run(argv + list(args), capture_output=True, text=True,
                          timeout=1200, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError('cinder-backup-lab %s exited %d:\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode, proc.stdout, proc.stderr


def seeded_bytes(seed, size):
    return random.Random(seed).randbytes(size)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class LabTestCase(testtools.TestCase):
    """Brings the lab up (a no-op when it is up) and gives client handles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cli('up', check=True)
        cls.conf = config.load(config_files=lab_config_files())
        cls.paths = ceph.CephPaths(cls.conf.state_dir)

    def rados_as(self, user):
        """A connected librados handle as client.<user>, closed after."""
        import rados  # distro binding, linked into the venv by "up"
        cluster = rados.Rados(
            conffile=self.paths.conf, rados_id=user,
            conf={'keyring': self.paths.keyring('client.%s' % user)})
        cluster.connect(timeout=30)
        self.addCleanup(cluster.shutdown)
        return cluster

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
        key_dir = self.paths.keyring_dir
        for name in os.listdir(key_dir):
            with open(os.path.join(key_dir, name)) as f:
                for line in f:
                    key, _, value = line.partition('=')
                    if key.strip() == 'key':
                        secrets.append(value.strip())
        secrets.append(rgw.load_credentials(self.conf.state_dir).key)
        return secrets
