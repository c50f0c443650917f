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

"""cinder-backup-lab bench: backup and restore throughput against the raw
backend, per driver, data kind and option variant.

For each deployed c-bak (its AZ) and the first container of its driver, a
volume of random and one of compressible data is backed up and restored;
in the same run the same bytes are copied by hand through the same
libraries (librbd, Swift and S3 on RGW at the driver's object size, the
local disk for posix), and Cinder's throughput is printed as a ratio of
that. A variant changes a c-bak's options (chunk/stripe, object and block
size, compression): its config is rewritten and only that c-bak restarted,
and the lab config's own options are written back at the end.

A benchmark prints figures; nothing here asserts a time.
"""

import collections
import dataclasses
import json
import logging
import math
import os
import time
import uuid

from cinder_backup_lab.checks import demo as demo_workflow
from cinder_backup_lab.checks import probes
from cinder_backup_lab.checks import report
from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import processes
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import rgw

LOG = logging.getLogger(__name__)

MiB = 1024 ** 2
GiB = 1024 ** 3
IO_SIZE = 4 * MiB
RANDOM = 'random'
COMPRESSIBLE = 'compressible'
DATA_KINDS = (RANDOM, COMPRESSIBLE)
BACKUP = 'backup'
RESTORE = 'restore'
DEFAULT = 'default'


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    options: tuple = ()          # ((cinder option, value), ...)

    def overrides(self):
        return dict(self.options)


def _compressions(option='backup_compression_algorithm'):
    # zlib is Cinder's default (and the lab's): "default" measures it.
    return [Variant('compression-%s' % algo, ((option, algo),))
            for algo in config.COMPRESSIONS if algo != 'zlib']


# What operators tune, per driver; "default" is the lab config's own.
# The Ceph driver copies an RBD volume with export-diff/import-diff:
# backup_ceph_chunk_size applies only to non-RBD sources, so its variant
# shows that it changes nothing here; the stripe applies to the backup
# image. Compression exists only in the chunked drivers.
VARIANTS = {
    config.CEPH: [
        Variant(DEFAULT),
        Variant('stripe-4MiB-x4', (('backup_ceph_stripe_unit', 4 * MiB),
                                   ('backup_ceph_stripe_count', 4))),
        Variant('chunk-32MiB', (('backup_ceph_chunk_size', 32 * MiB),)),
    ],
    config.SWIFT: [
        Variant(DEFAULT),
        Variant('object-10MiB', (('backup_swift_object_size', 10 * MiB),)),
        Variant('block-1MiB', (('backup_swift_block_size', MiB),)),
    ] + _compressions(),
    config.S3: [
        Variant(DEFAULT),
        Variant('object-10MiB', (('backup_s3_object_size', 10 * MiB),)),
        Variant('block-1MiB', (('backup_s3_block_size', MiB),)),
    ] + _compressions(),
    config.POSIX: [
        Variant(DEFAULT),
        Variant('file-10MiB', (('backup_file_size', 10 * MiB),)),
    ] + _compressions(),
}

# The option holding the size of one stored object, per chunked driver.
OBJECT_SIZE_OPTION = {config.SWIFT: 'backup_swift_object_size',
                      config.S3: 'backup_s3_object_size',
                      config.POSIX: 'backup_file_size'}


def select_variants(drivers, wanted):
    """{driver: [Variant]} for wanted: "all", "default" or names.

    Names are comma-separated; each must be a variant of at least one of
    the drivers (a typo is an error, not a silently empty run). A name
    applies to every driver that has it; "default" is always run first
    so each variant has its reference.
    """
    names = [n.strip() for n in wanted.split(',') if n.strip()]
    if not names:
        raise errors.LabError('no variant named; use "all", "default" or '
                              'names from: %s' % ', '.join(
                                  known_variants(drivers)))
    known = known_variants(drivers)
    unknown = [n for n in names if n not in known + ['all']]
    if unknown:
        raise errors.LabError('unknown variant(s) %s for drivers %s; '
                              'known: all, %s' % (
                                  ', '.join(unknown), ', '.join(drivers),
                                  ', '.join(known)))
    out = {}
    for driver in drivers:
        mine = [v for v in VARIANTS[driver]
                if 'all' in names or v.name in names or v.name == DEFAULT]
        out[driver] = mine
    return out


def known_variants(drivers):
    seen = []
    for driver in drivers:
        for v in VARIANTS[driver]:
            if v.name not in seen:
                seen.append(v.name)
    return seen


def object_size(conf, driver, variant):
    """Bytes per stored object of driver under variant (None for Ceph)."""
    option = OBJECT_SIZE_OPTION.get(driver)
    if option is None:
        return None
    own = {config.SWIFT: conf.backup_swift.object_size,
           config.S3: conf.backup_s3.object_size,
           config.POSIX: conf.backup_posix.file_size}[driver]
    return int(variant.overrides().get(option, own))


# -- the maths ---------------------------------------------------------------
def mib_per_s(nbytes, seconds):
    return nbytes / MiB / seconds if seconds > 0 else float('inf')


def serial_seconds(*seconds):
    """Time to read everything, then write it: the by-hand copy."""
    return sum(seconds)


def ratio(cinder_mib_s, raw_mib_s):
    """Cinder's throughput as a fraction of the raw copy (None: unknown)."""
    if not raw_mib_s or raw_mib_s == float('inf'):
        return None
    return cinder_mib_s / raw_mib_s


def cpu_share(cpu_seconds, wall_seconds):
    """Cores the c-bak kept busy on average (1.0 = one core all along)."""
    return cpu_seconds / wall_seconds if wall_seconds > 0 else None


@dataclasses.dataclass
class Row:
    driver: str
    container: str
    variant: str
    data: str
    op: str                     # backup | restore
    nbytes: int
    seconds: float
    raw_seconds: float          # the by-hand copy of the same bytes
    cpu_seconds: float = None   # the c-bak's, from /proc
    ok: bool = True
    detail: str = ''

    @property
    def mib_s(self):
        return mib_per_s(self.nbytes, self.seconds)

    @property
    def raw_mib_s(self):
        return mib_per_s(self.nbytes, self.raw_seconds)

    @property
    def ratio(self):
        return ratio(self.mib_s, self.raw_mib_s)

    @property
    def cpu_share(self):
        if self.cpu_seconds is None:
            return None
        return cpu_share(self.cpu_seconds, self.seconds)

    def test_id(self):
        """driver and container visible in the id (the HTML report)."""
        return 'bench.%s.%s.%s.%s.%s' % (self.driver, self.container,
                                         self.variant, self.data, self.op)

    def as_dict(self):
        d = dataclasses.asdict(self)
        d.update(mib_s=_round(self.mib_s), raw_mib_s=_round(self.raw_mib_s),
                 ratio=_round(self.ratio, 3),
                 cpu_share=_round(self.cpu_share, 3), id=self.test_id())
        return d


def _round(value, digits=1):
    if value is None or value == float('inf'):
        return None
    return round(value, digits)


def _fmt(value, pattern):
    return '-' if value is None or value == float('inf') else pattern % value


def table(rows):
    """The rows as a fixed-width text table."""
    fmt = '%-6s %-15s %-16s %-12s %-7s %8s %8s %6s %7s %6s  %s'
    out = [fmt % ('driver', 'container', 'variant', 'data', 'op', 'MiB/s',
                  'raw', 'ratio', 'cpu s', 'cores', 'result')]
    for r in rows:
        out.append(fmt % (
            r.driver, r.container, r.variant, r.data, r.op,
            _fmt(r.mib_s, '%.1f'), _fmt(r.raw_mib_s, '%.1f'),
            _fmt(r.ratio, '%.2f'), _fmt(r.cpu_seconds, '%.1f'),
            _fmt(r.cpu_share, '%.2f'),
            'ok' if r.ok else 'FAILED: %s' % r.detail))
    return '\n'.join(out)


def to_json(rows, meta):
    return json.dumps({'meta': meta, 'rows': [r.as_dict() for r in rows]},
                      indent=2, sort_keys=True)


def plot(rows, directory):
    """One PNG per operation: MiB/s per driver/variant/data, raw beside.

    Returns the paths written.
    """
    import matplotlib
    matplotlib.use('Agg')       # no display: files only
    from matplotlib import pyplot

    paths = []
    for op in (BACKUP, RESTORE):
        mine = [r for r in rows if r.op == op and r.ok]
        if not mine:
            continue
        labels = sorted({(r.driver, r.variant) for r in mine},
                        key=lambda k: (k[0], k[1] != DEFAULT, k[1]))
        fig, ax = pyplot.subplots(figsize=(max(6, 0.55 * len(labels) + 2),
                                           4.2))
        width = 0.27
        for i, (data, colour) in enumerate(((RANDOM, '#4c72b0'),
                                            (COMPRESSIBLE, '#55a868'))):
            by_key = {(r.driver, r.variant): r for r in mine
                      if r.data == data}
            xs = [j + (i - 1) * width for j in range(len(labels))]
            ax.bar(xs, [by_key[k].mib_s if k in by_key else 0
                        for k in labels], width, color=colour,
                   label='Cinder, %s data' % data)
        raw = {}
        for r in mine:
            raw.setdefault((r.driver, r.variant), []).append(r.raw_mib_s)
        ax.bar([j + width for j in range(len(labels))],
               [min(raw[k]) for k in labels], width, color='#999999',
               label='raw copy (same run)')
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(['%s\n%s' % k for k in labels], fontsize=7,
                           rotation=45, ha='right')
        ax.set_ylabel('MiB/s')
        ax.set_title('%s throughput per driver and variant' % op)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(directory, 'bench-%s.png' % op)
        fig.savefig(path, dpi=80)
        pyplot.close(fig)
        paths.append(path)
    return paths


def write_subunit(rows, path):
    """The rows as a subunit v2 stream (one test per measurement).

    The figures go in each test's details, so the HTML report shows them
    under ids that name driver and container.
    """
    return report.write_stream(path, [(
        r.test_id(), report.PASS if r.ok else report.FAIL,
        ('driver:%s' % r.driver, 'container:%s' % r.container),
        '%s MiB/s, raw %s MiB/s, ratio %s, c-bak cpu %s s (%s cores)%s' % (
            _fmt(r.mib_s, '%.1f'), _fmt(r.raw_mib_s, '%.1f'),
            _fmt(r.ratio, '%.2f'), _fmt(r.cpu_seconds, '%.1f'),
            _fmt(r.cpu_share, '%.2f'), '' if r.ok else '; ' + r.detail))
        for r in rows])


# -- data ------------------------------------------------------------------
def data_block(kind, index):
    """IO_SIZE bytes of kind; compressible data is log-like text."""
    if kind == RANDOM:
        return os.urandom(IO_SIZE)
    line = ('2026-12-01 10:00:%02d.%06d INFO cinder.backup.manager [req-%08d]'
            ' block %d of the benchmark volume is being written\n')
    lines = []
    size = 0
    n = 0
    while size < IO_SIZE:
        s = line % (n % 60, n, index, n)
        lines.append(s)
        size += len(s)
        n += 1
    return ''.join(lines).encode()[:IO_SIZE]


def cpu_seconds(pid):
    """utime+stime of pid, its waited-for children and live descendants.

    The Ceph driver's rbd export/import child processes are counted when
    reaped (cutime/cstime); privsep daemons while alive.
    """
    tick = os.sysconf('SC_CLK_TCK')
    total = 0
    for i, p in enumerate([pid] + processes.descendants(pid)):
        fields = processes._stat_fields(p)
        if len(fields) < 15:
            continue
        # After the name: state ppid ... utime(11) stime(12) cutime cstime
        total += int(fields[11]) + int(fields[12])
        if i == 0:
            total += int(fields[13]) + int(fields[14])
    return total / tick


class Bench:
    def __init__(self, conf, lab, size_mib, variants, data_kinds=DATA_KINDS,
                 drivers=None, timeout=1800):
        self.conf = conf
        self.lab = lab
        self.openstack = lab.openstack
        self.nbytes = size_mib * MiB
        self.volume_gb = max(1, math.ceil(self.nbytes / GiB))
        self.data_kinds = data_kinds
        deployed = config.backup_drivers(conf)
        wanted = config.selected_drivers(conf, drivers)
        no_raw = [d for d in drivers or () if d not in VARIANTS]
        if no_raw:
            raise errors.LabError(
                'bench has no raw copy for the %s driver yet; it measures %s'
                % (', '.join(no_raw), ', '.join(VARIANTS)))
        # Deployed drivers bench cannot compare with their backend yet;
        # said in the printout, not silently left out.
        self.not_measured = [d for d in deployed if d not in VARIANTS]
        self.services = [(d, h, az) for d, h, az in
                         cinder_conf.backup_services(conf)
                         if d in VARIANTS and d in wanted]
        self.variants = select_variants([d for d, _h, _az in self.services],
                                        variants)
        self.timeout = timeout
        self.workflow = demo_workflow.Demo(conf, lab.openstack,
                                           size_gb=self.volume_gb,
                                           timeout=timeout)
        self.workflow.tag = 'cbl-bench-%s' % uuid.uuid4().hex[:8]
        self.rows = []
        self.raw_cache = {}

    def space_needed(self):
        """A source per data kind, a backup and a restored volume."""
        return self.nbytes * len(self.data_kinds) * 3

    def container(self, driver):
        if driver == config.CEPH:
            return self.conf.ceph.backup_pools[0]
        return config.driver_containers(self.conf, driver)[0]

    # -- raw copies --------------------------------------------------------
    def _rbd(self, user):
        return probes.ceph_for(self.conf, user)

    def rbd_read(self, volume_id):
        import rbd
        probe = self._rbd(self.conf.ceph.volume_user)
        start = time.monotonic()
        with probe.ioctx(self.conf.ceph.volumes_pool) as ioctx:
            with rbd.Image(ioctx, 'volume-%s' % volume_id,
                           read_only=True) as img:
                for off in range(0, self.nbytes, IO_SIZE):
                    img.read(off, min(IO_SIZE, self.nbytes - off))
        return time.monotonic() - start

    def rbd_write(self, pool, user, block):
        """Seconds to write nbytes into a new image of pool, as user."""
        import rbd
        name = '%s-raw' % self.workflow.tag
        probe = self._rbd(user)
        with probe.ioctx(pool) as ioctx:
            rbd.RBD().create(ioctx, name, self.volume_gb * GiB,
                             old_format=False)
            try:
                start = time.monotonic()
                with rbd.Image(ioctx, name) as img:
                    for off in range(0, self.nbytes, IO_SIZE):
                        img.write(block[:self.nbytes - off], off)
                    img.flush()
                return time.monotonic() - start
            finally:
                rbd.RBD().remove(ioctx, name)

    def object_put_get(self, driver, size):
        """(put seconds, get seconds) of nbytes in objects of size."""
        block = os.urandom(min(size, 64 * MiB))
        count = max(1, math.ceil(self.nbytes / size))
        names = ['%s-raw/%05d' % (self.workflow.tag, i) for i in range(count)]
        lengths = [min(size, self.nbytes - i * size) for i in range(count)]
        payload = (block * (size // len(block) + 1))[:size]
        if driver == config.POSIX:
            return self._posix_put_get(names, lengths, payload)
        if driver == config.SWIFT:
            import swiftclient
            creds = rgw.load_credentials(self.conf.state_dir)
            conn = swiftclient.Connection(
                authurl=creds.auth_url, user=creds.user, key=creds.key,
                auth_version='1', retries=2, timeout=120)
            bucket = self.workflow.tag + '-raw'
            conn.put_container(bucket)
            put = lambda n, data: conn.put_object(bucket, n, data)  # noqa
            get = lambda n: conn.get_object(bucket, n)[1]  # noqa
            drop = lambda n: conn.delete_object(bucket, n)  # noqa
            done = lambda: conn.delete_container(bucket)  # noqa
        else:
            client = probes.s3_for(self.conf)._client()
            bucket = self.workflow.tag + '-raw'
            client.create_bucket(Bucket=bucket)
            put = lambda n, data: client.put_object(  # noqa
                Bucket=bucket, Key=n, Body=data)
            get = lambda n: client.get_object(  # noqa
                Bucket=bucket, Key=n)['Body'].read()
            drop = lambda n: client.delete_object(Bucket=bucket, Key=n)  # noqa
            done = lambda: client.delete_bucket(Bucket=bucket)  # noqa
        try:
            start = time.monotonic()
            for n, length in zip(names, lengths):
                put(n, payload[:length])
            put_s = time.monotonic() - start
            start = time.monotonic()
            for n in names:
                get(n)
            return put_s, time.monotonic() - start
        finally:
            for n in names:
                drop(n)
            done()

    def _posix_put_get(self, names, lengths, payload):
        base = os.path.join(config.posix_path(self.conf),
                            self.workflow.tag + '-raw')
        os.makedirs(base, mode=0o700)
        paths = [os.path.join(base, n.replace('/', '-')) for n in names]
        try:
            start = time.monotonic()
            for p, length in zip(paths, lengths):
                with open(p, 'wb') as f:
                    f.write(payload[:length])
                    f.flush()
                    os.fsync(f.fileno())
            put_s = time.monotonic() - start
            start = time.monotonic()
            for p in paths:
                with open(p, 'rb') as f:
                    while f.read(IO_SIZE):
                        pass
            return put_s, time.monotonic() - start
        finally:
            for p in paths:
                os.unlink(p)
            os.rmdir(base)

    def raw(self, driver, variant, source_id):
        """{'backup': s, 'restore': s}: the by-hand copy's seconds.

        backup = read the source through librbd, then write the backend;
        restore = read the backend, then write a volume through librbd.
        Measured once per object size (and per run).
        """
        size = object_size(self.conf, driver, variant)
        key = (driver, size)
        if key in self.raw_cache:
            return self.raw_cache[key]
        block = os.urandom(IO_SIZE)
        read_src = self.rbd_read(source_id)
        write_vol = self.rbd_write(self.conf.ceph.volumes_pool,
                                   self.conf.ceph.volume_user, block)
        if driver == config.CEPH:
            write_backend = self.rbd_write(self.container(driver),
                                           self.conf.ceph.backup_user, block)
            # The backup user reads its pool as fast as it writes it back;
            # read what was written in the volumes pool instead.
            read_backend = read_src
        else:
            write_backend, read_backend = self.object_put_get(driver, size)
        found = {BACKUP: serial_seconds(read_src, write_backend),
                 RESTORE: serial_seconds(read_backend, write_vol),
                 'parts': {'rbd_read': read_src, 'rbd_write': write_vol,
                           'backend_write': write_backend,
                           'backend_read': read_backend,
                           'object_size': size}}
        self.raw_cache[key] = found
        return found

    # -- the run -----------------------------------------------------------
    def cbak_pid(self, driver):
        info = self.lab.supervisor.info(cinder.BACKUP_PROGRAM % driver)
        return info['pid'] if info else None

    def run(self):
        api = self.workflow.demo_api()
        volumes = probes.ceph_for(self.conf, self.conf.ceph.volume_user)
        started = time.time()
        # The cores are shared (other labs): say how busy they were.
        load_before = os.getloadavg()[1]
        try:
            sources = {}
            for kind in self.data_kinds:
                vol = self.workflow.new_volume(api, 'source-%s' % kind)
                self._fill(volumes, vol['id'], kind)
                sources[kind] = (vol['id'], volumes.checksum(vol['id']))
            for driver, _host, az in self.services:
                for variant in self.variants[driver]:
                    self._run_variant(api, volumes, driver, az, variant,
                                      sources)
        finally:
            self.workflow._cleanup(api, self.workflow.result)
            for driver, _host, _az in self.services:
                if any(v.name != DEFAULT for v in self.variants[driver]):
                    self.openstack.restart_backup_service(driver)
        return {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                         time.gmtime(started)),
                'seconds': round(time.time() - started, 1),
                'size_mib': self.nbytes // MiB, 'volume_gib': self.volume_gb,
                'profile': self.conf.profile, 'cpus': os.cpu_count(),
                'loadavg_5min': [round(load_before, 1),
                                 round(os.getloadavg()[1], 1)],
                'raw': {'%s/%s' % k: v['parts']
                        for k, v in self.raw_cache.items()}}

    def _fill(self, volumes, volume_id, kind):
        with volumes.ioctx(self.conf.ceph.volumes_pool) as ioctx:
            import rbd
            with rbd.Image(ioctx, 'volume-%s' % volume_id) as img:
                for i, off in enumerate(range(0, self.nbytes, IO_SIZE)):
                    img.write(data_block(kind, i)[:self.nbytes - off], off)
                img.flush()

    def _run_variant(self, api, volumes, driver, az, variant, sources):
        container = self.container(driver)
        if variant.name != DEFAULT:
            LOG.info('%s: variant %s: restarting its c-bak', driver,
                     variant.name)
            self.openstack.restart_backup_service(driver,
                                                  variant.overrides())
        elif any(v.name != DEFAULT for v in self.variants[driver]):
            self.openstack.restart_backup_service(driver)
        raw = self.raw(driver, variant, sources[self.data_kinds[0]][0])
        for kind in self.data_kinds:
            source_id, source_sum = sources[kind]
            row, backup = self._backup(api, driver, az, container, variant,
                                       kind, source_id, raw[BACKUP])
            self.rows.append(row)
            LOG.info('%s', table([row]).splitlines()[1])
            if backup is None:
                continue
            row = self._restore(api, volumes, driver, container, variant,
                                kind, backup, source_sum, raw[RESTORE])
            self.rows.append(row)
            LOG.info('%s', table([row]).splitlines()[1])
            api.delete_backup(backup['id'])
            api.wait_status('backup', backup['id'], ('deleted',),
                            timeout=self.timeout,
                            failed=('error', 'error_deleting'))
            self.workflow.backups.remove(backup['id'])

    def _timed(self, driver, action):
        pid = self.cbak_pid(driver)
        cpu = cpu_seconds(pid) if pid else None
        start = time.monotonic()
        result = action()
        wall = time.monotonic() - start
        if pid and pid == self.cbak_pid(driver) and cpu is not None:
            cpu = cpu_seconds(pid) - cpu
        else:
            cpu = None
        return result, wall, cpu

    def _backup(self, api, driver, az, container, variant, kind, source_id,
                raw_seconds):
        wf = self.workflow

        def action():
            b = api.create_backup(source_id, '%s-%s-%s-%s' % (
                wf.tag, driver, variant.name, kind), container=container,
                az=az)
            wf.backups.append(b['id'])
            return api.wait_status('backup', b['id'], ('available',),
                                   timeout=self.timeout)
        b, wall, cpu = self._timed(driver, action)
        ok = b['status'] == 'available'
        row = Row(driver, container, variant.name, kind, BACKUP, self.nbytes,
                  wall, raw_seconds, cpu, ok,
                  '' if ok else 'backup %s: %s' % (b['status'],
                                                   b.get('fail_reason')))
        return row, b if ok else None

    def _restore(self, api, volumes, driver, container, variant, kind,
                 backup, source_sum, raw_seconds):
        target = self.workflow.new_volume(api, 'restore-%s-%s' % (driver,
                                                                  kind))

        def action():
            api.restore(backup['id'], target['id'])
            vol = api.wait_status('volume', target['id'], ('available',),
                                  timeout=self.timeout,
                                  failed=('error', 'error_restoring'))
            api.wait_status('backup', backup['id'], ('available',),
                            timeout=self.timeout)
            return vol
        vol, wall, cpu = self._timed(driver, action)
        ok = vol['status'] == 'available'
        detail = 'volume %s' % vol['status']
        if ok:
            # A fast wrong restore is no result: compare with the source.
            ok = volumes.checksum(target['id']) == source_sum
            detail = '' if ok else 'restored data differs from the source'
        api.delete_volume(target['id'])
        return Row(driver, container, variant.name, kind, RESTORE,
                   self.nbytes, wall, raw_seconds, cpu, ok, detail)


def summary(rows):
    """Per driver: the default variant's backup and restore ratios."""
    out = collections.OrderedDict()
    for r in rows:
        if r.variant == DEFAULT and r.ok and r.ratio is not None:
            out.setdefault(r.driver, {}).setdefault(r.op, []).append(r.ratio)
    return {d: {op: round(sum(v) / len(v), 3) for op, v in ops.items()}
            for d, ops in out.items()}
