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

"""The benchmark's pure logic: ratios, variants, outputs (no lab)."""

import configparser
import json
import os
from unittest import mock
import zlib

import fixtures
import testtools

from cinder_backup_lab.checks import bench
from cinder_backup_lab.checks import report
from cinder_backup_lab import cli
from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_conf

MiB = bench.MiB


def row(driver='swift', variant='default', data='random', op='backup',
        seconds=10.0, raw_seconds=2.0, cpu=5.0, ok=True):
    return bench.Row(driver, 'volumebackups', variant, data, op, 100 * MiB,
                     seconds, raw_seconds, cpu, ok,
                     '' if ok else 'backup error: boom')


class TestMaths(testtools.TestCase):

    def test_throughput_and_ratio(self):
        r = row(seconds=10.0, raw_seconds=2.0)
        self.assertEqual(10.0, r.mib_s)
        self.assertEqual(50.0, r.raw_mib_s)
        self.assertAlmostEqual(0.2, r.ratio)

    def test_raw_copy_is_read_then_write(self):
        self.assertEqual(3.5, bench.serial_seconds(1.5, 2.0))

    def test_unknown_raw_gives_no_ratio(self):
        self.assertIsNone(bench.ratio(10.0, 0))
        self.assertIsNone(bench.ratio(10.0, float('inf')))
        self.assertIsNone(row(raw_seconds=0).ratio)

    def test_cpu_share_is_cores_kept_busy(self):
        self.assertAlmostEqual(0.5, row(seconds=10.0, cpu=5.0).cpu_share)
        self.assertIsNone(row(cpu=None).cpu_share)

    def test_summary_averages_the_default_variant_only(self):
        rows = [row(data='random', seconds=10.0),          # ratio 0.2
                row(data='compressible', seconds=5.0),     # ratio 0.4
                row(variant='compression-none', seconds=1.0),
                row(op='restore', seconds=4.0, ok=False)]
        self.assertEqual({'swift': {'backup': 0.3}}, bench.summary(rows))


class TestVariants(testtools.TestCase):

    def test_default_is_always_first_and_present(self):
        got = bench.select_variants(['ceph', 'swift'], 'compression-zstd')
        self.assertEqual(['default'], [v.name for v in got['ceph']])
        self.assertEqual(['default', 'compression-zstd'],
                         [v.name for v in got['swift']])

    def test_all_gives_every_variant_of_each_driver(self):
        got = bench.select_variants(list(bench.VARIANTS), 'all')
        for driver in bench.VARIANTS:
            self.assertEqual(bench.VARIANTS[driver], got[driver])

    def test_unknown_name_is_an_error_naming_the_known_ones(self):
        exc = self.assertRaises(errors.LabError, bench.select_variants,
                                ['ceph'], 'default,compresion-zstd')
        self.assertIn('compresion-zstd', str(exc))
        self.assertIn('stripe-4MiB-x4', str(exc))
        # Compression exists only in the chunked drivers.
        self.assertRaises(errors.LabError, bench.select_variants, ['ceph'],
                          'compression-zstd')
        self.assertRaises(errors.LabError, bench.select_variants, ['ceph'],
                          ' , ')

    def test_compression_variants_cover_cinders_algorithms(self):
        names = {v.name for v in bench.VARIANTS['swift']}
        for algo in ('none', 'bz2', 'zstd'):
            self.assertIn('compression-%s' % algo, names)
        self.assertNotIn('compression-zlib', names)   # that is the default

    def test_sizes_stay_multiples_of_the_block_size(self):
        # Cinder refuses an object size that is not a multiple of its
        # block size: a variant must not produce one.
        conf = config.load(config_files=[])
        blocks = {'swift': conf.backup_swift.block_size,
                  's3': conf.backup_s3.block_size,
                  'posix': conf.backup_posix.sha_block_size}
        for driver, block in blocks.items():
            for v in bench.VARIANTS[driver]:
                o = v.overrides()
                size = bench.object_size(conf, driver, v)
                blk = int(o.get('backup_%s_block_size' % driver, block))
                self.assertEqual(0, size % blk, (driver, v.name))

    def test_object_size_follows_the_variant(self):
        conf = config.load(config_files=[])
        variants = {v.name: v for v in bench.VARIANTS['s3']}
        self.assertEqual(conf.backup_s3.object_size,
                         bench.object_size(conf, 's3', variants['default']))
        self.assertEqual(10 * MiB, bench.object_size(
            conf, 's3', variants['object-10MiB']))
        self.assertIsNone(bench.object_size(conf, 'ceph', bench.Variant(
            'default')))

    def test_overrides_replace_and_add_cbak_options(self):
        conf = config.load(config_files=[])
        conf.set_override('profile', 'all')
        text = cinder_conf.render_backup_conf(
            conf, 'posix', 'h', 'az', '/l.log', '/c.conf',
            {'backup_file_size': 10 * MiB,
             'backup_compression_algorithm': 'zstd'})
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        d = parser['DEFAULT']
        self.assertEqual(str(10 * MiB), d['backup_file_size'])
        self.assertEqual('zstd', d['backup_compression_algorithm'])
        self.assertEqual(1, text.count('backup_file_size'))


class TestData(testtools.TestCase):

    def test_compressible_data_compresses_and_random_does_not(self):
        text = bench.data_block(bench.COMPRESSIBLE, 3)
        noise = bench.data_block(bench.RANDOM, 3)
        self.assertEqual(bench.IO_SIZE, len(text))
        self.assertEqual(bench.IO_SIZE, len(noise))
        self.assertLess(len(zlib.compress(text)), len(text) / 5)
        self.assertGreater(len(zlib.compress(noise)), 0.99 * len(noise))


class TestOutputs(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.rows = [row(), row(op='restore', seconds=20.0),
                     row(driver='ceph', data='compressible', ok=False)]

    def test_table_has_a_line_per_row_with_ratio(self):
        lines = bench.table(self.rows).splitlines()
        self.assertEqual(4, len(lines))
        self.assertIn('ratio', lines[0])
        self.assertIn(' 0.20 ', lines[1])
        self.assertIn('FAILED: backup error: boom', lines[3])

    def test_json_has_figures_and_meta(self):
        doc = json.loads(bench.to_json(self.rows, {'size_mib': 100}))
        self.assertEqual(100, doc['meta']['size_mib'])
        first = doc['rows'][0]
        self.assertEqual(10.0, first['mib_s'])
        self.assertEqual(0.2, first['ratio'])
        self.assertEqual('bench.swift.volumebackups.default.random.backup',
                         first['id'])

    def test_plots_are_pngs(self):
        paths = bench.plot(self.rows, self.dir)
        self.assertEqual(['bench-backup.png', 'bench-restore.png'],
                         [os.path.basename(p) for p in paths])
        for p in paths:
            with open(p, 'rb') as f:
                self.assertEqual(b'\x89PNG', f.read(4))

    def test_subunit_round_trip_names_driver_and_container(self):
        path = bench.write_subunit(self.rows, os.path.join(self.dir,
                                                           'b.subunit'))
        tests = report.read_stream(path)
        self.assertEqual([report.PASS, report.PASS, report.FAIL],
                         [t['outcome'] for t in tests])
        self.assertIn('ratio 0.20', tests[0]['details']['details'])
        self.assertEqual(('ceph', 'volumebackups'),
                         report.driver_and_container(tests[2]['id'],
                                                     tests[2]['tags']))


class TestPreflight(testtools.TestCase):
    """bench measures nothing on a sick or full lab (README: Benchmarks)."""

    def args(self, **kw):
        values = dict(size_mib=64, data='random', drivers='', variants='all',
                      output_dir=self.useFixture(fixtures.TempDir()).path)
        values.update(kw)
        return mock.Mock(**values)

    def lab(self, healthy=True, room=True):
        lab = mock.Mock()
        lab.healthy.return_value = healthy
        if not room:
            lab.storage.check_room.side_effect = errors.LabError('no room')
        return lab

    def test_unhealthy_lab_is_refused(self):
        run = self.useFixture(fixtures.MockPatchObject(bench, 'Bench')).mock
        exc = self.assertRaises(errors.LabError, cli._bench, self.args(),
                                config.load(config_files=[]),
                                self.lab(healthy=False))
        self.assertIn('not healthy', str(exc))
        run.assert_not_called()

    def test_no_room_stops_before_any_volume(self):
        run = self.useFixture(fixtures.MockPatchObject(bench, 'Bench')).mock
        run.return_value.space_needed.return_value = 3 * 64 * MiB
        lab = self.lab(room=False)
        self.assertRaises(errors.LabError, cli._bench, self.args(),
                          config.load(config_files=[]), lab)
        lab.storage.check_room.assert_called_once_with(3 * 64 * MiB,
                                                       'the benchmark')
        run.return_value.run.assert_not_called()

    def test_size_must_be_positive(self):
        self.assertRaises(errors.LabError, cli._bench,
                          self.args(size_mib=0),
                          config.load(config_files=[]), self.lab())


class TestRestartWait(testtools.TestCase):
    """A variant's c-bak is used only once it reported a working backend."""

    def test_only_a_working_report_after_the_mark_counts(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'sched.log')
        line = ("2026-12-01 10:50:16.280 1 DEBUG cinder.scheduler.host_manager"
                " [-] Received backup service update from cbl-backup-ceph: "
                "{'backend_state': %s, 'driver_name': 'x'}\n")
        with open(path, 'w') as f:
            f.write(line % 'True')            # the old c-bak's, before
        log = cinder.SchedulerLog(config.load(config_files=[]), path)
        self.assertFalse(log.backup_working('cbl-backup-ceph'))
        with open(path, 'a') as f:
            f.write(line % 'False')           # the new one, not set up yet
        self.assertFalse(log.backup_working('cbl-backup-ceph'))
        self.assertFalse(log.backup_working('cbl-backup'))
        with open(path, 'a') as f:
            f.write(line % 'True')
        self.assertTrue(log.backup_working('cbl-backup-ceph'))
