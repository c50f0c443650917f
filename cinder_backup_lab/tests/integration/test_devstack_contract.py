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

"""The core commands the DevStack plugin calls, against the running lab.

configure-cinder and tempest-conf run through the real CLI on temporary
files, with the running lab's config plus a temporary client_conf_dir;
their output is compared with what the lab itself runs with (its own
backup-<driver>.conf and tempest.conf). The client files are exported
into a temporary directory and used for real: librados connects with
the exported ceph.conf and keyrings, and the probe user has exactly the
access the Tempest plugin needs. Nothing is left in the lab.
"""

import configparser
import hashlib
import os
import shutil
import stat
import tempfile

from cinder_backup_lab import config
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.tests.integration import base


def _ini(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def _group_digest(parser, group):
    own = {k: v for k, v in parser.items(group)
           if k not in parser.defaults()}
    return {k: hashlib.sha256(v.encode()).hexdigest()[:12]
            for k, v in sorted(own.items())}


class DevStackContractTest(base.LabTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix='cbl-contract-it-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.client_dir = os.path.join(self.dir, 'etc-ceph')
        self.extra = os.path.join(self.dir, 'client.conf')
        with open(self.extra, 'w') as f:
            f.write('[DEFAULT]\nclient_conf_dir = %s\nclient_owner = root\n'
                    % self.client_dir)
        self.files = config.default_config_files() + [self.extra]

    def _file(self, name, text='', mode=0o640):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def test_configure_cinder_writes_what_the_lab_runs_with(self):
        lab_paths = cinder.Paths(self.conf.state_dir)
        for driver, _host, az in cinder_conf.backup_services(self.conf):
            path = self._file('cinder-%s.conf' % driver,
                              '[DEFAULT]\ndebug = True\n\n[ceph]\n'
                              'volume_driver = x\n')
            rc, out, err = base.cli(
                'configure-cinder', '--cinder-conf', path, '--driver',
                driver, '--availability-zone', az, '--backup-host',
                'it-%s' % driver, '--volume-backend', 'ceph',
                config_files=self.files)
            self.assertEqual(0, rc, out + err)
            self.assertEqual(0o640, stat.S_IMODE(os.stat(path).st_mode))
            written = _ini(path)
            ours = dict(written['DEFAULT'])
            self.assertEqual('True', ours.pop('debug'))
            self.assertEqual(az, ours.pop('storage_availability_zone'))
            self.assertEqual('it-%s' % driver, ours.pop('host'))
            lab = dict(_ini(lab_paths.backup_conf(driver))['DEFAULT'])
            for key in ('host', 'storage_availability_zone', 'log_file'):
                lab.pop(key)
            if driver == config.CEPH:
                self.assertEqual(os.path.join(self.client_dir, 'ceph.conf'),
                                 ours.pop('backup_ceph_conf'))
                lab.pop('backup_ceph_conf')
            self.assertEqual(lab, ours, driver)
            self.assertEqual('x', written['ceph']['volume_driver'])
            self.assertEqual(self.conf.ceph.volume_user,
                             written['ceph']['rbd_user'])
            self.assertEqual(self.conf.ceph.volumes_pool,
                             written['ceph']['rbd_pool'])
            # Secrets only in the file.
            for secret in self.lab_secrets():
                self.assertNotIn(secret, out + err)

    def test_tempest_conf_matches_the_labs_own(self):
        path = self._file('tempest.conf', '[auth]\nadmin_username = admin\n',
                          0o600)
        rc, out, err = base.cli('tempest-conf', '--tempest-conf', path,
                                config_files=self.files)
        self.assertEqual(0, rc, out + err)
        written = _ini(path)
        own = _ini(tempest_conf.Paths(self.conf.state_dir).tempest_conf)
        # Only the group's own options (configparser mixes [DEFAULT] in);
        # compared by digest so a failure never prints the Swift key.
        self.assertEqual(_group_digest(own, tempest_conf.TEMPEST_GROUP),
                         _group_digest(written, tempest_conf.TEMPEST_GROUP))
        self.assertEqual('admin', written['auth']['admin_username'])
        for secret in self.lab_secrets():
            self.assertNotIn(secret, out + err)

    def test_exported_client_files_work(self):
        conf = config.load(config_files=self.files)
        cluster = ceph.Cluster(conf)
        outside = client_files.OutsideFiles(conf.state_dir)
        changed = client_files.export(conf, cluster.fsid(), cluster.paths)
        # Only what this test exported: the record also lists the lab's
        # own os-brick keyring.
        self.addCleanup(outside.remove, changed)
        self.assertIn(client_files.conf_path(conf), changed)
        for user in client_files.exported_users(conf):
            keyring = client_files.keyring_path(conf.client_conf_dir, user)
            self.assertEqual(0o640, stat.S_IMODE(os.stat(keyring).st_mode))
        # What the Tempest plugin gets in DevStack, used as it would.
        conf.set_override('deploy_openstack', False)
        opts = dict(tempest_conf.tempest_plugin_options(conf))
        self.assertEqual(ceph.PROBE_USER, opts['ceph_probe_user'])
        import rados
        probe = rados.Rados(conffile=opts['ceph_conf'],
                            rados_id=opts['ceph_probe_user'],
                            conf={'keyring': opts['ceph_probe_keyring']})
        probe.connect(timeout=30)
        self.addCleanup(probe.shutdown)
        pools = set(probe.list_pools())
        for pool in ceph.pools(conf):
            self.assertIn(pool, pools)
        name = 'cbl-contract-probe-%d' % os.getpid()
        with probe.open_ioctx(conf.ceph.volumes_pool) as ioctx:
            ioctx.write_full(name, b'probe')
            ioctx.remove_object(name)
        for pool in ceph.backup_pools(conf):
            with probe.open_ioctx(pool) as ioctx:
                list(ioctx.list_objects())   # read is allowed ...
                self.assertRaises(
                    (rados.PermissionError, rados.PermissionDeniedError),
                    ioctx.write_full, name, b'probe')     # ... write not
        # The volume user through the exported ceph.conf alone: its
        # [client] keyring line finds ceph.client.<user>.keyring.
        volume = rados.Rados(conffile=client_files.conf_path(conf),
                             rados_id=conf.ceph.volume_user)
        volume.connect(timeout=30)
        self.addCleanup(volume.shutdown)
        self.assertIn(conf.ceph.volumes_pool, volume.list_pools())
        # clean's part: exactly what was exported goes.
        removed = outside.remove(changed)
        self.assertEqual(sorted(changed), sorted(removed))
        self.assertEqual([], os.listdir(self.client_dir))
