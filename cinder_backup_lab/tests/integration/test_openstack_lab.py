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

from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import doctor
from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.openstack import passwords
from cinder_backup_lab.storage import rgw
from cinder_backup_lab.tests.integration import base

# Where test_demo_workflow also writes the demo's rows as subunit.
DEMO_SUBUNIT_ENV = 'CINDER_BACKUP_LAB_DEMO_SUBUNIT'


class TestStatus(base.LabTestCase):

    def test_every_service_has_its_az_and_driver(self):
        status = self.lab.status()
        by_name = {s['name']: s for s in status['services']}
        for driver, _host, az in cinder_conf.backup_services(self.conf):
            svc = by_name['cinder-backup-%s' % driver]
            self.assertEqual('RUNNING', svc['state'])
            self.assertEqual((az, driver), (svc['az'], svc['driver']))
            self.assertGreater(svc['rss_bytes'], 10 * 1024 * 1024)
        hosts = {(s['binary'], s['host']): s
                 for s in status['openstack']['cinder_services']}
        for _driver, host, az in cinder_conf.backup_services(self.conf):
            row = hosts[('cinder-backup', host)]
            self.assertEqual(('up', az), (row['state'], row['zone']))

    def test_outputs_are_private(self):
        files = self.lab.status()['files']
        for key in ('openrc_admin', 'openrc_demo', 'tempest_conf',
                    'passwords', 'cinder_conf'):
            mode = os.stat(files[key]).st_mode & 0o777
            self.assertEqual(0o600, mode, '%s is %o' % (files[key], mode))


class TestSeedWorkflow(base.LabTestCase):

    def test_demo_workflow(self):
        res = self.demo.run()
        # The test command runs the demo once, here, and shows its rows in
        # the run's HTML report.
        if os.environ.get(DEMO_SUBUNIT_ENV):
            demo.write_subunit(res, os.environ[DEMO_SUBUNIT_ENV])
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
            if driver == config.CEPH and container != default_pool:
                # Upstream bug 1: must be reported as such, not hidden.
                self.assertIn(restore.result, (demo.XFAIL,), table)
                self.assertIn('ImageNotFound', restore.detail)
            else:
                self.assertEqual(demo.PASS, restore.result, table)
                self.assertIn('== source', restore.detail)
        self.assertEqual(demo.PASS, rows[('cleanup', '-', '-')].result,
                         table)


class TestBadInput(base.LabTestCase):

    def test_backup_into_missing_pool_fails_readably(self):
        if config.CEPH not in [d for d, _h, _a in
                               cinder_conf.backup_services(self.conf)]:
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
        problems = doctor.problems(self.conf, self.lab.status(),
                                   self.lab.openstack.admin_api(),
                                   self.lab.storage.cluster.pools)
        mine = [p for p in problems if backup['id'] in p]
        self.assertEqual(1, len(mine), problems)
        self.assertIn('Ceph pool "%s" does not exist' % pool, mine[0])
        # Nothing of it reached the backend.
        probe = self.ceph_probe(self.conf.ceph.backup_user)
        for p in self.conf.ceph.backup_pools:
            self.assertEqual([], probe.backup_images(p, vol['id']))


class TestNoSecretsInLogs(base.LabTestCase):

    def _secrets(self):
        with open(passwords.path(self.conf.state_dir)) as f:
            values = dict(json.load(f))
        if config.uses_rgw(self.conf):
            values['swift_key'] = rgw.load_credentials(
                self.conf.state_dir).key
        keyrings = self.paths.keyring_dir
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
