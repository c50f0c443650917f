"""Integration tests of the OpenStack half against the running lab.

They talk to the real services (Keystone, Cinder, Ceph, RGW) of the lab
named by $CINDER_BACKUP_LAB_CONFIG (a lab config file; default: the lab's
default config) and fail, not skip, when that lab is not up: run
"cinder-backup-lab up" first.
"""

import configparser
import json
import os
import uuid

import testtools

from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.fronts import lab as lab_mod
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import passwords
from cinder_backup_lab.storage import rgw


def load_lab():
    path = os.environ.get('CINDER_BACKUP_LAB_CONFIG')
    files = [path] if path else (
        [config.DEFAULT_CONFIG_FILE]
        if os.path.exists(config.DEFAULT_CONFIG_FILE) else [])
    return lab_mod.Lab(config.load(config_files=files))


class LabTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lab = load_lab()
        self.conf = self.lab.conf
        status = self.lab.status()
        if not self.lab.healthy(status):
            self.fail('the lab in %s is not up and healthy; run '
                      '"cinder-backup-lab up" (status: %s)'
                      % (self.conf.state_dir, status.get('openstack')))
        self.demo = demo.Demo(self.lab, timeout=600)
        self.api = self.demo.demo_api()

    def volume(self, name):
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


class TestStatus(LabTestCase):

    def test_every_service_has_its_az_and_driver(self):
        status = self.lab.status()
        by_name = {s['name']: s for s in status['services']}
        for driver, _host, az in cinder.backup_services(self.conf):
            svc = by_name['cinder-backup-%s' % driver]
            self.assertEqual('RUNNING', svc['state'])
            self.assertEqual((az, driver), (svc['az'], svc['driver']))
            self.assertGreater(svc['rss_bytes'], 10 * 1024 * 1024)
        hosts = {(s['binary'], s['host']): s
                 for s in status['openstack']['cinder_services']}
        for _driver, host, az in cinder.backup_services(self.conf):
            row = hosts[('cinder-backup', host)]
            self.assertEqual(('up', az), (row['state'], row['zone']))

    def test_outputs_are_private(self):
        files = self.lab.status()['files']
        for key in ('openrc_admin', 'openrc_demo', 'tempest_conf',
                    'passwords', 'cinder_conf'):
            mode = os.stat(files[key]).st_mode & 0o777
            self.assertEqual(0o600, mode, '%s is %o' % (files[key], mode))


class TestSeedWorkflow(LabTestCase):

    def test_demo_workflow(self):
        res = demo.Demo(self.lab, timeout=600).run()
        table = res.table()
        self.assertTrue(res.ok, table)
        rows = {(r.step, r.driver, r.container): r for r in res.rows}
        default_pool = self.conf.ceph.backup_pools[0]
        for driver, container, _az in self.demo.targets():
            self.assertEqual(demo.PASS,
                             rows[('backup', driver, container)].result,
                             table)
            # The backend held it where asked before delete, so the
            # "nothing left" rows after delete are not vacuous.
            self.assertEqual(demo.PASS,
                             rows[('stored', driver, container)].result,
                             table)
            restore = rows[('restore', driver, container)]
            if driver == cinder.CEPH and container != default_pool:
                # Upstream bug 1: must be reported as such, not hidden.
                self.assertIn(restore.result, (demo.XFAIL,), table)
                self.assertIn('ImageNotFound', restore.detail)
            else:
                self.assertEqual(demo.PASS, restore.result, table)
                self.assertIn('== source', restore.detail)
        self.assertEqual(demo.PASS, rows[('cleanup', '-', '-')].result,
                         table)


class TestBadInput(LabTestCase):

    def test_backup_into_missing_pool_fails_readably(self):
        if cinder.CEPH not in [d for d, _h, _a in
                               cinder.backup_services(self.conf)]:
            self.skipTest('profile %s has no Ceph backup driver'
                          % self.conf.profile)
        pool = 'cbl-missing-%s' % uuid.uuid4().hex[:6]
        vol = self.volume('badpool')
        backup = self.api.create_backup(vol['id'], 'bad-pool',
                                        container=pool,
                                        az=self.conf.cinder.default_az)
        self.addCleanup(self._delete_backup, backup['id'])
        backup = self.api.wait_status('backup', backup['id'],
                                      ('available',), timeout=300)
        self.assertEqual('error', backup['status'])
        self.assertIn(pool, backup['fail_reason'] or '')
        problems = self.lab.openstack.doctor(self.lab.status())
        mine = [p for p in problems if backup['id'] in p]
        self.assertEqual(1, len(mine), problems)
        self.assertIn('Ceph pool "%s" does not exist' % pool, mine[0])
        # Nothing of it reached the backend.
        with probes.rados_client(self.conf.state_dir,
                                 self.conf.ceph.backup_user) as cl:
            for p in self.conf.ceph.backup_pools:
                self.assertEqual([], [n for n in probes.image_names(cl, p)
                                      if vol['id'] in n])


class TestNoSecretsInLogs(LabTestCase):

    def _secrets(self):
        with open(passwords.path(self.conf.state_dir)) as f:
            values = dict(json.load(f))
        values['swift_key'] = rgw.load_credentials(self.conf.state_dir).key
        keyrings = self.lab.cluster.paths.keyring_dir
        for name in os.listdir(keyrings):
            parser = configparser.ConfigParser(interpolation=None)
            parser.read(os.path.join(keyrings, name))
            for section in parser.sections():
                if 'key' in parser[section]:
                    values['cephx %s' % section] = parser[section]['key']
        return values

    def test_no_password_or_key_in_any_log(self):
        values = self._secrets()
        # Passwords of Keystone users, databases, RabbitMQ, cephx and
        # Swift keys: all of them are known to the lab.
        self.assertGreaterEqual(len(values), 8)
        hits = []
        log_dir = os.path.join(self.conf.state_dir, 'log')
        for root, _dirs, files in os.walk(log_dir):
            for name in files:
                path = os.path.join(root, name)
                with open(path, errors='replace') as f:
                    text = f.read()
                hits += ['%s in %s' % (k, path) for k, v in values.items()
                         if v and v in text]
        self.assertEqual([], hits)
