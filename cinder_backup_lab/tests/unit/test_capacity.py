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

"""Capacity: the cluster's state, the room left, what doctor says."""

import configparser
import sys
from unittest import mock

import fixtures
import testtools

from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import doctor
from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import half

GiB = 1024 ** 3


def capacity(used_gib, total_gib=10, nearfull=0.85, full=0.95, gc=None,
             pools=None):
    cap = {'total_bytes': total_gib * GiB, 'used_bytes': int(used_gib * GiB),
           'avail_bytes': int((total_gib - used_gib) * GiB),
           'nearfull_ratio': nearfull, 'full_ratio': full,
           'pools': pools or {'volumes': 2 * GiB, 'backups': 0,
                              'default.rgw.buckets.data': 5 * GiB},
           'rgw_gc': gc}
    cap['state'] = ceph.capacity_state(cap)
    cap['room_before_nearfull_bytes'] = ceph.room_before_nearfull(cap)
    return cap


class CapacityStateTest(testtools.TestCase):

    def test_states_follow_the_ratios(self):
        self.assertEqual('ok', capacity(8.4)['state'])
        self.assertEqual('nearfull', capacity(8.5)['state'])
        self.assertEqual('nearfull', capacity(9.4)['state'])
        self.assertEqual('full', capacity(9.5)['state'])

    def test_room_stops_at_nearfull(self):
        self.assertEqual(int(8.5 * GiB) - 6 * GiB,
                         ceph.room_before_nearfull(capacity(6)))
        self.assertEqual(0, ceph.room_before_nearfull(capacity(9.6)))

    def test_pool_usage_names_the_biggest_first_and_skips_empty(self):
        self.assertEqual('default.rgw.buckets.data 5.0 GiB, volumes 2.0 GiB',
                         ceph.pool_usage(capacity(7)))
        self.assertEqual('empty', ceph.pool_usage(capacity(
            0.1, pools={'volumes': 0})))


class RgwGcTest(testtools.TestCase):

    def _rgw_section(self, min_wait):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(ceph.render_ceph_conf(
            paths=ceph.CephPaths('/srv/lab'), fsid='f', bind_host='127.0.0.1',
            mon_port=3300, mon_port_v1=6789, osd_size_gb=10, pg_num=8,
            osd_memory_target_mb=1024, rgw_port=8080,
            rgw_gc_min_wait=min_wait))
        return parser['client.rgw.lab']

    def test_deleted_data_is_freed_within_minutes(self):
        rgw = self._rgw_section(60)
        self.assertEqual('60', rgw['rgw_gc_obj_min_wait'])
        self.assertEqual('60', rgw['rgw_gc_processor_period'])

    def test_the_collector_runs_at_least_every_30_s(self):
        rgw = self._rgw_section(0)
        self.assertEqual('0', rgw['rgw_gc_obj_min_wait'])
        self.assertEqual('30', rgw['rgw_gc_processor_period'])

    def test_default_config_is_prompt(self):
        self.assertLessEqual(config.load(config_files=[]).rgw.gc_min_wait,
                             300)


class DoctorCapacityTest(testtools.TestCase):

    def test_ok_cluster_is_no_problem(self):
        self.assertEqual([], doctor.capacity_problems(None, capacity(3)))
        self.assertEqual([], doctor.capacity_problems(None, None))

    def test_full_cluster_names_the_stall_and_the_space(self):
        problems = doctor.capacity_problems(None, capacity(
            9.6, gc={'entries': 12, 'chunks': 40}))
        self.assertEqual(1, len(problems))
        for fragment in ('FULL (96% used, full at 95%)', 'hang',
                         'default.rgw.buckets.data 5.0 GiB',
                         '12 deleted Swift objects', 'osd_size_gb'):
            self.assertIn(fragment, problems[0])

    def test_nearly_full_cluster_is_named(self):
        problems = doctor.capacity_problems(None, capacity(8.8))
        self.assertIn('nearly full (88% used, warns at 85%', problems[0])
        self.assertNotIn('deleted Swift objects', problems[0])


class PreflightTest(testtools.TestCase):

    def storage(self, cap):
        storage = half.StorageHalf(config.load(config_files=[]), None)
        self.useFixture(fixtures.MockPatchObject(
            storage, 'capacity', return_value=cap))
        return storage

    def test_room_below_nearfull_is_enough(self):
        cap = capacity(3)  # 8.5 GiB is nearly full: 5.5 GiB of room
        self.assertIs(cap, self.storage(cap).check_room(5 * GiB, 'a test'))

    def test_no_room_refuses_with_what_holds_the_space_and_what_to_do(self):
        cap = capacity(6, gc={'entries': 7, 'chunks': 30})
        exc = self.assertRaises(errors.LabError,
                                self.storage(cap).check_room, 3 * GiB,
                                'the bench')
        for fragment in ('the bench needs about 3.0 GiB', '2.5 GiB left',
                         'default.rgw.buckets.data 5.0 GiB',
                         '7 deleted objects', 'osd_size_gb'):
            self.assertIn(fragment, str(exc))

    def test_demo_counts_source_backups_and_restores(self):
        conf = config.load(config_files=[])
        workflow = demo.Demo(conf, mock.sentinel.openstack, size_gb=2)
        targets = len(workflow.targets())
        self.assertGreater(targets, 1)
        seeded = 4 * 1024 ** 2 + 512  # volume_data.layout's extents
        self.assertEqual(seeded * (1 + 2 * targets),
                         workflow.space_needed())

    def test_demo_of_chosen_drivers_has_only_their_targets(self):
        conf = config.load(config_files=[])
        conf.set_override('profile', 'all')
        workflow = demo.Demo(conf, mock.sentinel.openstack,
                             drivers=['ceph'])
        self.assertEqual([('ceph', 'backups', 'nova'),
                          ('ceph', 'volumebackups', 'nova')],
                         workflow.targets())


class CommandTimeoutTest(testtools.TestCase):

    def test_a_hung_command_is_a_lab_error(self):
        exc = self.assertRaises(
            errors.LabError, commands.run,
            [sys.executable, '-c', 'import time; time.sleep(30)'],
            timeout=1)
        self.assertIn('no answer in 1 s', str(exc))
