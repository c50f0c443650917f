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

"""A single-node Ceph cluster: config, bootstrap, pools and cephx users.

Deployed by hand from the distribution's packages (no cephadm, no
containers): one mon, one mgr and one BlueStore OSD on a sparse file, all
bound to loopback, with every file under the lab's state directory.
"""

import dataclasses
import json
import logging
import os
import shutil
import uuid

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import processes
from cinder_backup_lab.storage import releases

LOG = logging.getLogger(__name__)

CLUSTER = 'ceph'
MON_ID = 'a'
MGR_ID = 'x'
OSD_ID = 0
RGW_NAME = 'rgw.lab'
# ceph-mgr imports every module it finds at start, enabled or not; these
# the lab never uses (Pacific's always-on modules and iostat stay).
# Measured on Ceph 16.2: the mgr's RSS 308 MiB with them loaded, 165 MiB
# without.
MGR_UNUSED_MODULES = (
    'alerts', 'diskprediction_local', 'influx', 'insights', 'localpool',
    'mirroring', 'nfs', 'osd_perf_query', 'osd_support', 'prometheus',
    'restful', 'selftest', 'snap_schedule', 'stats', 'telegraf',
    'test_orchestrator', 'zabbix')


@dataclasses.dataclass
class CephPaths:
    """Where each Ceph file of the lab lives."""
    root: str

    @property
    def conf(self):
        return os.path.join(self.root, 'ceph', '%s.conf' % CLUSTER)

    @property
    def keyring_dir(self):
        return os.path.join(self.root, 'ceph', 'keyrings')

    def keyring(self, name):
        """Keyring of an entity, named like /etc/ceph's convention."""
        return os.path.join(self.keyring_dir, '%s.%s.keyring'
                            % (CLUSTER, name))

    @property
    def fsid_file(self):
        return os.path.join(self.root, 'ceph', 'fsid')

    @property
    def run_dir(self):
        return os.path.join(self.root, 'run')

    @property
    def log_dir(self):
        return os.path.join(self.root, 'log')

    def data_dir(self, kind, daemon_id):
        return os.path.join(self.root, kind, '%s-%s' % (CLUSTER, daemon_id))


def mon_addrs(bind_host, port_v2, port_v1):
    return '[v2:%s:%d,v1:%s:%d]' % (bind_host, port_v2, bind_host, port_v1)


def public_network(bind_host):
    """Loopback for the lab; the one address on a DevStack controller."""
    if bind_host.startswith('127.'):
        return '127.0.0.0/8'
    return '%s/32' % bind_host


# cephx user of the Tempest plugin's backend probes (DevStack): writes test
# data into volumes, only reads the backup pools.
PROBE_USER = 'cinder-backup-lab-probe'


def backup_pools(conf):
    """The Ceph backup driver's pools; none without that driver."""
    if config.CEPH not in config.backup_drivers(conf):
        return []
    return list(conf.ceph.backup_pools)


def backup_user(conf):
    """cephx user of the Ceph backup driver, or None without that driver."""
    return conf.ceph.backup_user if backup_pools(conf) else None


def pools(conf):
    """Every pool the lab's profile uses: volumes, then backup pools."""
    return [conf.ceph.volumes_pool] + backup_pools(conf)


def users(conf):
    """{entity: caps} of every cephx user the profile needs."""
    c = conf.ceph
    wanted = {'client.%s' % c.volume_user: volume_user_caps(c.volumes_pool),
              'client.%s' % PROBE_USER: probe_user_caps(
                  c.volumes_pool, backup_pools(conf))}
    if backup_user(conf):
        wanted['client.%s' % c.backup_user] = backup_user_caps(
            backup_pools(conf), c.volumes_pool
            if c.backup_user_snapshot_cleanup else None)
    if config.uses_rgw(conf):
        wanted['client.%s' % RGW_NAME] = rgw_caps()
    return wanted


def probe_user_caps(volumes_pool, backup_pools):
    osd = ', '.join(['profile rbd pool=%s' % volumes_pool]
                    + ['profile rbd-read-only pool=%s' % p
                       for p in backup_pools])
    return {'mon': 'profile rbd', 'osd': osd}


def render_client_conf(fsid, mon_host, keyring_dir):
    """ceph.conf for clients only: how to reach the cluster, no daemons.

    keyring points at keyring_dir so that librados finds the exported
    ceph.client.<user>.keyring files wherever they are.
    """
    return '\n'.join([
        '# Client configuration exported by cinder-backup-lab.',
        '[global]',
        'fsid = %s' % fsid,
        'mon_host = %s' % mon_host,
        'auth_cluster_required = cephx',
        'auth_service_required = cephx',
        'auth_client_required = cephx',
        '',
        '[client]',
        'keyring = %s' % os.path.join(keyring_dir, '$cluster.$name.keyring'),
        # Several clients run at once: no admin socket, log to stderr only.
        'admin_socket =',
        'log_file =',
    ]) + '\n'


def missing_pools(wanted, existing):
    """Pools of wanted that are not in existing, in wanted's order."""
    have = set(existing)
    return [p for p in wanted if p not in have]


def rgw_gc_options(min_wait):
    """RGW garbage collection prompt enough for a small lab cluster.

    Deleted Swift objects keep their data until the collector frees it;
    with Ceph's defaults (2 h wait, hourly runs) deleted backups go on
    filling the OSD long after Cinder says they are gone.
    """
    period = max(min_wait, 30)
    return [('rgw_gc_obj_min_wait', str(min_wait)),
            ('rgw_gc_processor_period', str(period)),
            ('rgw_gc_processor_max_time', str(period))]


def render_ceph_conf(paths, fsid, bind_host, mon_port, mon_port_v1,
                     osd_size_gb, pg_num, osd_memory_target_mb, rgw_port,
                     rgw_extra=(), rgw_gc_min_wait=60,
                     mgr_unused_modules=MGR_UNUSED_MODULES):
    """The cluster's ceph.conf as text.

    Written for one node on loopback: replication size 1, no autoscaler
    (it would grow pools to 32 PGs and leave them "unknown" for a while),
    per-daemon admin sockets (a global one makes concurrent clients
    collide) and every path inside the state directory.
    """
    run = paths.run_dir
    log = paths.log_dir
    sections = [
        ('global', [
            ('fsid', fsid),
            ('mon_host', mon_addrs(bind_host, mon_port, mon_port_v1)),
            ('public_network', public_network(bind_host)),
            ('public_addr', bind_host),
            ('ms_bind_ipv6', 'false'),
            ('auth_cluster_required', 'cephx'),
            ('auth_service_required', 'cephx'),
            ('auth_client_required', 'cephx'),
            ('auth_allow_insecure_global_id_reclaim', 'false'),
            ('run_dir', run),
            ('keyring', os.path.join(paths.keyring_dir,
                                     '$cluster.$name.keyring')),
            ('osd_pool_default_size', '1'),
            ('osd_pool_default_min_size', '1'),
            ('osd_pool_default_pg_num', str(pg_num)),
            ('osd_pool_default_pgp_num', str(pg_num)),
            ('osd_pool_default_pg_autoscale_mode', 'off'),
            ('osd_crush_chooseleaf_type', '0'),
            ('mon_allow_pool_size_one', 'true'),
            ('mon_allow_pool_delete', 'true'),
            ('mon_warn_on_pool_no_redundancy', 'false'),
            ('mon_data_avail_warn', '10'),
            ('mon_max_pg_per_osd', '500'),
        ]),
        ('mon', [
            ('mon_data', os.path.join(paths.root, 'mon', '$cluster-$id')),
            ('keyring', '$mon_data/keyring'),
            ('mgr_initial_modules', 'iostat'),
            ('admin_socket', os.path.join(run, '$cluster-$name.asok')),
            ('pid_file', os.path.join(run, '$name.pid')),
            ('log_file', os.path.join(log, '$cluster-$name.log')),
            ('mon_cluster_log_file', os.path.join(log, '$cluster.log')),
        ]),
        ('mgr', [
            ('mgr_data', os.path.join(paths.root, 'mgr', '$cluster-$id')),
            ('keyring', '$mgr_data/keyring'),
            ('admin_socket', os.path.join(run, '$cluster-$name.asok')),
            ('pid_file', os.path.join(run, '$name.pid')),
            ('log_file', os.path.join(log, '$cluster-$name.log')),
        ]),
        ('osd', [
            ('osd_data', os.path.join(paths.root, 'osd', '$cluster-$id')),
            ('keyring', '$osd_data/keyring'),
            ('osd_objectstore', 'bluestore'),
            # The block file is created sparse inside osd_data. Do not set
            # bluestore_block_path to $osd_data/block: mkfs then makes a
            # symlink to itself.
            ('bluestore_block_create', 'true'),
            ('bluestore_block_size', str(osd_size_gb * 1024 ** 3)),
            ('osd_memory_target', str(osd_memory_target_mb * 1024 ** 2)),
            ('osd_crush_update_on_start', 'true'),
            ('admin_socket', os.path.join(run, '$cluster-$name.asok')),
            ('pid_file', os.path.join(run, '$name.pid')),
            ('log_file', os.path.join(log, '$cluster-$name.log')),
        ]),
        ('client', [
            # Clients (cinder, tools, tests) run concurrently: no socket.
            ('admin_socket', ''),
            ('log_file', ''),
        ]),
    ]
    if mgr_unused_modules:
        dict(sections)['mgr'].append(
            ('mgr_disabled_modules', ','.join(mgr_unused_modules)))
    if rgw_port is not None:
        sections.append(('client.%s' % RGW_NAME, [
            ('rgw_frontends', 'beast endpoint=%s:%d' % (bind_host,
                                                        rgw_port)),
            ('rgw_enable_apis', 's3, swift, swift_auth, admin'),
            ('rgw_swift_url_prefix', 'swift'),
            ('rgw_swift_auth_entry', 'auth'),
            ('rgw_data', os.path.join(paths.root, 'rgw', '$cluster-$id')),
            ('rgw_thread_pool_size', '64'),
        ] + rgw_gc_options(rgw_gc_min_wait) + list(rgw_extra) + [
            ('admin_socket', os.path.join(run, '$cluster-$name.asok')),
            ('pid_file', os.path.join(run, '$name.pid')),
            ('log_file', os.path.join(log, '$cluster-$name.log')),
        ]))
    return files.render_ini(sections)


def volume_user_caps(volumes_pool):
    """cephx caps of the volume service: its pool, nothing else."""
    return {
        'mon': 'profile rbd',
        'osd': 'profile rbd pool=%s' % volumes_pool,
        'mgr': 'profile rbd pool=%s' % volumes_pool,
    }


# Objects of an RBD pool that removing a snapshot of an image touches
# (measured with Ceph 16): the image id and pool info are read, the header
# and object map written. No rbd_data.* object: no volume data.
SNAPSHOT_CLEANUP_OBJECTS = (('rx', 'rbd_id.'), ('rx', 'rbd_info'),
                            ('rwx', 'rbd_header.'),
                            ('rwx', 'rbd_object_map.'))


def snapshot_cleanup_caps(volumes_pool):
    """osd caps that let a user remove snapshots of the pool's images.

    The least that works: no read or write of volume data and no image
    delete, but header writes cannot be narrowed to backup snapshots: the
    holder can also create or remove any snapshot of any image of the
    pool, resize an image or change its features.
    """
    return ', '.join('allow %s pool=%s object_prefix %s'
                     % (perm, volumes_pool, prefix)
                     for perm, prefix in SNAPSHOT_CLEANUP_OBJECTS)


def backup_user_caps(backup_pools, snapshot_cleanup_pool=None):
    """cephx caps of the backup service: the backup pools only.

    With snapshot_cleanup_pool (the volumes pool), also what removing a
    backup's snapshot from its source volume needs (a fixed Cinder does
    it on delete).
    """
    per_pool = ', '.join('profile rbd pool=%s' % p for p in backup_pools)
    osd = per_pool
    if snapshot_cleanup_pool:
        osd += ', ' + snapshot_cleanup_caps(snapshot_cleanup_pool)
    return {'mon': 'profile rbd', 'osd': osd, 'mgr': per_pool}


def rgw_caps():
    # The gateway creates its own pools on first start.
    return {'mon': 'allow rw', 'osd': 'allow rwx', 'mgr': 'allow rw'}


def caps_args(caps):
    args = []
    for kind in ('mon', 'osd', 'mgr'):
        if kind in caps:
            args += [kind, caps[kind]]
    return args


def pg_summary(status):
    """(total PGs, active+clean PGs, {state: count}) from `ceph status`."""
    pgmap = status.get('pgmap', {})
    states = {s['state_name']: s['count']
              for s in pgmap.get('pgs_by_state', [])}
    return pgmap.get('num_pgs', 0), states.get('active+clean', 0), states


class Cluster:
    """Operations on the lab's cluster, run as client.admin."""

    def __init__(self, conf):
        self.conf = conf
        self.paths = CephPaths(conf.state_dir)

    # -- commands ---------------------------------------------------------
    def release_argv(self, argv):
        """argv of a program of the cluster's release.

        The host's for Pacific; inside the release's root otherwise (the
        admin tools match the daemons, as on an operator's cluster node).
        """
        root = releases.root_path(self.conf)
        if root is None:
            return list(argv)
        return releases.enter_argv(root, self.conf.state_dir, argv)

    def run_tool(self, *argv, timeout=300):
        """Run a Ceph tool of the cluster's release (mkfs, keyrings)."""
        return commands.run(self.release_argv(argv), timeout=timeout)

    def key_type_args(self, flag):
        """Key type of users the host's clients read (the release's)."""
        key_type = releases.release(self.conf).client_key_type
        return [flag, key_type] if key_type else []

    def admin_argv(self, tool):
        """argv of a Ceph tool run as client.admin on the lab's cluster."""
        return self.release_argv([
            tool, '--conf', self.paths.conf, '--name', 'client.admin',
            '--keyring', self.paths.keyring('client.admin')])

    def ceph(self, *args, secret_output=False, input_text=None,
             check=True, timeout=120):
        argv = (self.admin_argv('ceph') + ['--connect-timeout', '20']
                + list(args))
        return commands.run(argv, secret_output=secret_output,
                            input_text=input_text, check=check,
                            timeout=timeout)

    def ceph_json(self, *args, **kwargs):
        out = self.ceph(*args, '--format', 'json', **kwargs)
        return json.loads(out) if out.strip() else None

    # -- bootstrap ---------------------------------------------------------
    def fsid(self):
        """The cluster's fsid, made once and kept with the state."""
        path = self.paths.fsid_file
        if os.path.exists(path):
            with open(path) as f:
                return f.read().strip()
        fsid = str(uuid.uuid4())
        files.write_file(path, fsid + '\n', 0o644)
        return fsid

    def write_config(self, rgw_extra=()):
        """Write ceph.conf; True when its content changed.

        rgw_extra: more options for the gateway's section (the OpenStack
        half's Keystone settings in per_user Swift mode). The gateway's
        section is written only when the profile deploys RGW.
        """
        c = self.conf
        for d in (self.paths.keyring_dir, self.paths.run_dir,
                  self.paths.log_dir):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.paths.keyring_dir, 0o700)
        text = render_ceph_conf(
            self.paths, self.fsid(), c.bind_host, c.ceph.mon_port,
            c.ceph.mon_port_v1, c.ceph.osd_size_gb, c.ceph.pg_num,
            c.ceph.osd_memory_target_mb,
            c.rgw.port if config.uses_rgw(c) else None, rgw_extra,
            c.rgw.gc_min_wait,
            # The list was read from (and measured on) Pacific's modules;
            # a newer release keeps its own defaults.
            () if releases.release(c).in_root else MGR_UNUSED_MODULES)
        return files.write_if_changed(self.paths.conf, text, 0o644)

    def _done_marker(self, data_dir):
        return os.path.join(data_dir, '.lab-mkfs-done')

    def create_mon(self):
        """mkfs the monitor once; True if it was created now."""
        data = self.paths.data_dir('mon', MON_ID)
        if os.path.exists(self._done_marker(data)):
            return False
        # A mkfs that did not finish leaves nothing worth keeping: nothing
        # else can exist without a monitor.
        shutil.rmtree(data, ignore_errors=True)
        tmp = os.path.join(self.paths.root, 'ceph', 'bootstrap')
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp, mode=0o700)
        mon_keyring = os.path.join(tmp, 'mon.keyring')
        admin_keyring = self.paths.keyring('client.admin')
        self.run_tool('ceph-authtool', '--create-keyring', mon_keyring,
                      '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *')
        if not os.path.exists(admin_keyring):
            self.run_tool('ceph-authtool', '--create-keyring', admin_keyring,
                          '--gen-key', *self.key_type_args('--key-type'),
                          '-n', 'client.admin',
                          '--cap', 'mon', 'allow *',
                          '--cap', 'osd', 'allow *',
                          '--cap', 'mds', 'allow *',
                          '--cap', 'mgr', 'allow *')
        os.chmod(admin_keyring, 0o600)
        self.run_tool('ceph-authtool', mon_keyring, '--import-keyring',
                      admin_keyring)
        monmap = os.path.join(tmp, 'monmap')
        c = self.conf
        self.run_tool('monmaptool', '--create', '--fsid', self.fsid(),
                      '--addv', MON_ID, mon_addrs(c.bind_host, c.ceph.mon_port,
                                                  c.ceph.mon_port_v1),
                      *releases.release(c).monmap_args, monmap)
        os.makedirs(data, mode=0o700)
        self.run_tool('ceph-mon', '--cluster', CLUSTER, '-c', self.paths.conf,
                      '--mkfs', '-i', MON_ID, '--monmap', monmap,
                      '--keyring', mon_keyring)
        shutil.rmtree(tmp)
        files.write_file(self._done_marker(data), '', 0o600)
        return True

    def wait_mon(self, timeout=60):
        commands.wait_for(lambda: self.ceph_json('mon', 'stat') is not None,
                          timeout=timeout, interval=1,
                          what='the Ceph monitor to form a quorum')

    def create_mgr(self):
        data = self.paths.data_dir('mgr', MGR_ID)
        keyring = os.path.join(data, 'keyring')
        if os.path.exists(keyring):
            return False
        os.makedirs(data, mode=0o700, exist_ok=True)
        self.ceph('auth', 'get-or-create', 'mgr.%s' % MGR_ID,
                  'mon', 'allow profile mgr', 'osd', 'allow *',
                  'mds', 'allow *', '-o', keyring, secret_output=True)
        os.chmod(keyring, 0o600)
        return True

    def create_osd(self):
        """mkfs the BlueStore OSD once; True if it was created now."""
        data = self.paths.data_dir('osd', OSD_ID)
        if os.path.exists(self._done_marker(data)):
            return False
        # Half-made OSD from an interrupted run: forget it in the cluster
        # too, so the id can be reused.
        shutil.rmtree(data, ignore_errors=True)
        self.ceph('osd', 'purge', str(OSD_ID), '--yes-i-really-mean-it',
                  check=False)
        self.ceph('auth', 'del', 'osd.%d' % OSD_ID, check=False)
        os.makedirs(data, mode=0o700)
        keyring = os.path.join(data, 'keyring')
        self.run_tool('ceph-authtool', '--create-keyring', keyring,
                      '--gen-key', '-n', 'osd.%d' % OSD_ID)
        os.chmod(keyring, 0o600)
        secret = _keyring_secret(keyring)
        osd_uuid = str(uuid.uuid4())
        # The secret goes through stdin, never the command line.
        out = self.ceph('osd', 'new', osd_uuid, str(OSD_ID), '-i', '-',
                        input_text=json.dumps({'cephx_secret': secret}))
        if out.strip() != str(OSD_ID):
            raise errors.LabError('ceph osd new returned id %r, expected %d'
                                  % (out.strip(), OSD_ID))
        self.run_tool('ceph-osd', '--cluster', CLUSTER, '-c', self.paths.conf,
                      '-i', str(OSD_ID), '--mkfs', '--osd-uuid', osd_uuid,
                      timeout=600)
        files.write_file(self._done_marker(data), '', 0o600)
        return True

    def wait_osd_up(self, timeout=120):
        def osd_up():
            stat = self.ceph_json('osd', 'stat')
            return stat and stat.get('num_up_osds', 0) >= 1 and \
                stat.get('num_in_osds', 0) >= 1
        commands.wait_for(osd_up, timeout=timeout, interval=1,
                          what='osd.%d to be up and in' % OSD_ID)

    def wait_pgs_clean(self, timeout=300):
        """Wait until every PG is active+clean.

        HEALTH_OK alone is reported while PGs are still "unknown".
        """
        def clean():
            status = self.ceph_json('status')
            total, good, _states = pg_summary(status)
            return total > 0 and total == good
        commands.wait_for(clean, timeout=timeout, interval=1,
                          what='all placement groups to be active+clean')

    # -- pools and users ---------------------------------------------------
    def pools(self):
        return [p['pool_name'] for p in
                self.ceph_json('osd', 'pool', 'ls', 'detail')]

    def ensure_pools(self, names):
        """Create the RBD pools that are missing; return the new ones."""
        existing = set(self.pools())
        created = []
        for name in names:
            if name in existing:
                continue
            pg = str(self.conf.ceph.pg_num)
            self.ceph('osd', 'pool', 'create', name, pg, pg)
            # What "rbd pool init" does that matters here, without its
            # wait for the PGs (the health phase waits once for all).
            self.ceph('osd', 'pool', 'application', 'enable', name, 'rbd')
            created.append(name)
        return created

    def auth_exists(self, entity):
        out = self.ceph('auth', 'get', entity, check=False,
                        secret_output=True)
        return bool(out.strip())

    def ensure_user(self, entity, caps):
        """Create the cephx user or bring its caps to `caps`.

        Its keyring goes to the lab's keyring dir with mode 0600.
        Returns True when something changed.
        """
        keyring = self.paths.keyring(entity)
        changed = False
        if self.auth_exists(entity):
            current = self.ceph_json('auth', 'get', entity,
                                     secret_output=True)[0].get('caps', {})
            if current != caps:
                self.ceph('auth', 'caps', entity, *caps_args(caps))
                changed = True
        else:
            self.ceph('auth', 'get-or-create', entity, *caps_args(caps),
                      *self.key_type_args('--key_type'),
                      secret_output=True)
            changed = True
        if changed or not os.path.exists(keyring):
            # "-o" writes the key to a file; it never reaches stdout.
            self.ceph('auth', 'get', entity, '-o', keyring,
                      secret_output=True)
        os.chmod(keyring, 0o600)
        return changed

    def remove_user(self, entity):
        """Delete a cephx user the profile no longer uses; True if it was."""
        if not self.auth_exists(entity):
            return False
        self.ceph('auth', 'del', entity)
        keyring = self.paths.keyring(entity)
        if os.path.exists(keyring):
            os.unlink(keyring)
        return True

    def status(self):
        return self.ceph_json('status', timeout=30)

    def mute_checks(self, codes):
        """Mute health checks (sticky: kept if they clear and return).

        Muted only where a release is known to raise them for a reason
        the lab documents; "status" lists them. True when one was new.
        """
        if not codes:
            return False
        health = self.ceph_json('health', timeout=30) or {}
        muted = {m.get('code') for m in health.get('mutes', [])}
        new = [c for c in codes if c not in muted]
        for code in new:
            self.ceph('health', 'mute', code, '--sticky', timeout=30)
        return bool(new)

    # -- capacity ----------------------------------------------------------
    def full_ratios(self):
        dump = self.ceph_json('osd', 'dump', timeout=30)
        return (round(dump['nearfull_ratio'], 3),
                round(dump['backfillfull_ratio'], 3),
                round(dump['full_ratio'], 3))

    def set_full_ratios(self, nearfull, full):
        """Set the OSD full ratios (backfillfull half way); True if changed.

        Ordered so that Ceph never sees nearfull > backfillfull > full.
        """
        wanted = (round(nearfull, 3), round((nearfull + full) / 2, 3),
                  round(full, 3))
        current = self.full_ratios()
        if current == wanted:
            return False
        steps = [('set-full-ratio', wanted[2]),
                 ('set-backfillfull-ratio', wanted[1]),
                 ('set-nearfull-ratio', wanted[0])]
        if wanted[2] < current[2]:
            steps.reverse()  # lowering: nearfull first
        for cmd, value in steps:
            self.ceph('osd', cmd, str(value), timeout=30)
        return True

    def capacity(self):
        """Raw space, the full ratios and what each pool stores."""
        df = self.ceph_json('df', timeout=30)
        nearfull, _backfill, full = self.full_ratios()
        stats = df['stats']
        return {'total_bytes': stats['total_bytes'],
                'used_bytes': stats['total_used_raw_bytes'],
                'avail_bytes': stats['total_avail_bytes'],
                'nearfull_ratio': nearfull, 'full_ratio': full,
                'pools': {p['name']: p['stats']['stored']
                          for p in df['pools']}}


def version_counts(versions):
    """{'18.2.7 reef': daemons} from `ceph versions`' "overall" counts."""
    out = {}
    for text, count in (versions or {}).get('overall', {}).items():
        # "ceph version 18.2.7 (<sha>) reef (stable)"
        words = text.split()
        if len(words) >= 5 and words[:2] == ['ceph', 'version']:
            text = '%s %s' % (words[2], words[4])
        out[text] = out.get(text, 0) + count
    return out


def capacity_state(capacity):
    """'ok', 'nearfull' or 'full' for a capacity() result."""
    used = capacity['used_bytes'] / float(capacity['total_bytes'] or 1)
    if used >= capacity['full_ratio']:
        return 'full'
    if used >= capacity['nearfull_ratio']:
        return 'nearfull'
    return 'ok'


def pool_usage(capacity):
    """The pools that store something, biggest first: "volumes 2.0 GiB"."""
    used = sorted(((b, p) for p, b in capacity['pools'].items() if b),
                  reverse=True)
    return ', '.join('%s %s' % (p, processes.human_bytes(b))
                     for b, p in used) or 'empty'


def room_before_nearfull(capacity):
    """Bytes that can be written before the cluster is nearly full."""
    limit = capacity['total_bytes'] * capacity['nearfull_ratio']
    return max(0, int(limit - capacity['used_bytes']))


def _keyring_secret(path):
    with open(path) as f:
        for line in f:
            key, _, value = line.partition('=')
            if key.strip() == 'key':
                return value.strip()
    raise errors.LabError('no key found in keyring %s' % path)
