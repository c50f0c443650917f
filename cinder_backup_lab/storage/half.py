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

"""The storage half: a Ceph cluster with pools, cephx users and RGW.

What both fronts need from Ceph: the standalone lab runs it next to its
own OpenStack half; DevStack's plugin runs it next to DevStack's Cinder
(deploy_openstack = false). Which parts exist follows the profile: the
backup pools and their cephx user only for the Ceph backup driver, RGW
and its Swift user only for the Swift backup driver.
"""

import logging
import os

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import processes
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import venv
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import gluster
from cinder_backup_lab.storage import releases
from cinder_backup_lab.storage import rgw

LOG = logging.getLogger(__name__)


class StorageHalf:
    def __init__(self, conf, supervisor_):
        self.conf = conf
        self.supervisor = supervisor_
        self.cluster = ceph.Cluster(conf)
        self.gateway = rgw.Gateway(conf, self.cluster)
        self.gluster = gluster.Gluster(conf)

    @property
    def paths(self):
        return self.cluster.paths

    def programs(self):
        conf = self.paths.conf

        def daemon(name, *args, **kwargs):
            # The program is named after its binary; a release other than
            # the host's runs it inside that release's root.
            return supervisor.Program(name, self.cluster.release_argv([
                name, '-f', '--cluster', ceph.CLUSTER, '-c', conf]
                + list(args)), **kwargs)
        progs = [
            daemon('ceph-mon', '-i', ceph.MON_ID),
            daemon('ceph-mgr', '-i', ceph.MGR_ID),
            daemon('ceph-osd', '-i', str(ceph.OSD_ID), stopwaitsecs=60),
        ]
        if config.uses_rgw(self.conf):
            progs.append(daemon('radosgw', '-n', 'client.%s' % ceph.RGW_NAME,
                                startsecs=3))
        if self.gluster.enabled:
            progs.append(self.gluster.program())
        if gcs.deployed(self.conf):
            progs.append(gcs.program(self.conf))
        return progs

    def stray_pids(self):
        """Daemons with this cluster's ceph.conf (by hand too), and more.

        Those in a release's root too (by their path there), and the
        google c-bak's processes: they are in a mount namespace of their
        own, which the search by argument skips.
        """
        root = releases.root_path(self.conf)
        return (processes.pids_with_argument(
            self.paths.conf, roots=[os.path.realpath(root)] if root else [])
            + gcs.namespaced_pids(self.conf.state_dir))

    # -- up ------------------------------------------------------------------
    def write_config(self, rgw_extra=()):
        """ceph.conf; a changed file restarts the gateway (read at start)."""
        dropped = releases.release(self.conf).dropped_options
        changed = self.cluster.write_config(
            [(k, v) for k, v in rgw_extra if k not in dropped])
        if changed and self.supervisor.is_running():
            self.supervisor.stop_program('radosgw')
        return changed

    def up(self, timer, note):
        """Phases from the monitor to healthy PGs; note(changed, what)."""
        cluster, sup = self.cluster, self.supervisor
        with timer.phase('ceph-mon'):
            note(cluster.create_mon(), 'mon created')
            note(sup.start_program('ceph-mon'), 'mon started')
            cluster.wait_mon()
        with timer.phase('ceph-mgr'):
            note(cluster.create_mgr(), 'mgr created')
            note(sup.start_program('ceph-mgr'), 'mgr started')
            note(cluster.mute_checks(
                releases.release(self.conf).muted_checks), 'muted checks')
        with timer.phase('ceph-osd'):
            note(cluster.create_osd(), 'osd created')
            note(sup.start_program('ceph-osd'), 'osd started')
            cluster.wait_osd_up()
        with timer.phase('pools'):
            note(cluster.ensure_pools(ceph.pools(self.conf)), 'pools')
            note(cluster.set_full_ratios(self.conf.ceph.nearfull_ratio,
                                         self.conf.ceph.full_ratio),
                 'full ratios')
        with timer.phase('users'):
            wanted = ceph.users(self.conf)
            for entity, caps in sorted(wanted.items()):
                note(cluster.ensure_user(entity, caps), entity)
            # Least privilege: no key of a driver the profile dropped.
            unused = {'client.%s' % self.conf.ceph.backup_user,
                      'client.%s' % ceph.RGW_NAME} - set(wanted)
            for entity in sorted(unused):
                note(cluster.remove_user(entity), '%s removed' % entity)
        if config.uses_rgw(self.conf):
            drivers = config.backup_drivers(self.conf)
            with timer.phase('radosgw'):
                note(sup.start_program('radosgw'), 'rgw started')
                self.gateway.wait_answering()
                if config.SWIFT in drivers:
                    note(self.gateway.ensure_swift_user(), 'swift user')
                    self.gateway.check_swift_auth()
                if config.S3 in drivers:
                    note(self.gateway.ensure_s3_user(), 's3 user')
                    self.gateway.check_s3_auth()
                else:
                    note(self.gateway.remove_s3_user(), 's3 user removed')
        if self.gluster.enabled:
            with timer.phase('glusterfs'):
                self.gluster_up(note)
        elif os.path.isdir(self.gluster.paths.root):
            # The profile dropped glusterfs: supervisord stopped glusterd,
            # the brick and the mount are not its children.
            note(self.gluster.stop_all(), 'glusterfs stopped')
        if gcs.deployed(self.conf):
            with timer.phase('gcs'):
                self.gcs_up(note)
        with timer.phase('health'):
            cluster.wait_pgs_clean()

    def gluster_up(self, note):
        """The brick host's network, glusterd, the volume started."""
        g = self.gluster
        note(g.claim(), 'gluster owner')
        note(g.write_config() and self.supervisor.stop_program(
            gluster.PROGRAM), 'glusterd config')
        note(g.ensure_network(), 'gluster network')
        # A killed run leaves the c-bak's FUSE mount dead; c-bak would
        # fail on it instead of mounting again.
        note(g.unmount(only_dead=True), 'dead gluster mounts removed')
        note(self.supervisor.start_program(gluster.PROGRAM),
             'glusterd started')
        g.wait_glusterd()
        note(g.ensure_volume(), 'gluster volume')

    def gcs_up(self, note):
        """The google driver's emulator, its files and buckets."""
        changed = gcs.ensure_files(self.conf)
        note(changed, 'gcs files')
        if changed:
            # Both read their files at start: the emulator its
            # certificate; the c-bak its service account, and its bind
            # mount keeps the old hosts file (a rewrite is a new file).
            # The OpenStack half starts the c-bak again.
            self.supervisor.stop_programs([gcs.PROGRAM, gcs.BACKUP_PROGRAM])
        note(self.supervisor.start_program(gcs.PROGRAM), 'gcs started')
        emulator = gcs.Emulator(self.conf)
        emulator.wait_answering()
        note(emulator.ensure_buckets(config.google_buckets(self.conf)),
             'gcs buckets')
        gcs.check_token_path(self.conf, venv.venv_bin('python'))

    def export_client_files(self):
        return client_files.export(self.conf, self.cluster.fsid(),
                                   self.paths)

    def check_existing(self):
        """[ceph] deploy = false: reach the cluster, name missing pools.

        Connects with the ceph.conf and a keyring of client_conf_dir.
        """
        c = self.conf
        conf_file = client_files.conf_path(c)
        if not os.path.exists(conf_file):
            raise errors.LabError(
                '%s not found; with [ceph] deploy = false copy the '
                'cluster\'s ceph.conf and keyrings into client_conf_dir '
                '(e.g. from the node that deploys it)' % conf_file)
        users = [u for u in (ceph.backup_user(c), c.ceph.volume_user)
                 if u and os.path.exists(
                     client_files.keyring_path(c.client_conf_dir, u))]
        if not users:
            raise errors.LabError(
                'no keyring of the volume or backup user in %s; copy them '
                'from the node that deploys the cluster' % c.client_conf_dir)
        argv = ['ceph', '--conf', conf_file, '--name',
                'client.%s' % users[0], '--keyring',
                client_files.keyring_path(c.client_conf_dir, users[0]),
                '--connect-timeout', '20', 'osd', 'pool', 'ls',
                '--format', 'json']
        try:
            existing = commands.run_json(argv, timeout=60) or []
        except errors.LabError as exc:
            raise errors.LabError('cannot reach the Ceph cluster of %s as '
                                  'client.%s: %s' % (conf_file, users[0],
                                                     exc))
        missing = ceph.missing_pools(ceph.pools(c), existing)
        if missing:
            raise errors.LabError(
                'pools missing in the cluster of %s: %s; create them '
                '(ceph osd pool create <name>; rbd pool init <name>) or '
                'change [ceph] volumes_pool/backup_pools'
                % (conf_file, ', '.join(missing)))

    # -- status --------------------------------------------------------------
    def status(self, mon_running):
        """{'ceph': ..., 'pools': ..., 'rgw': ...} of the running cluster."""
        rel = releases.release(self.conf)
        result = {'ceph': {}, 'pools': {}, 'rgw': None,
                  'release': {'name': rel.name, 'version': rel.version,
                              'root': releases.root_path(self.conf),
                              'running': {}}}
        if mon_running:
            try:
                result['release']['running'] = ceph.version_counts(
                    self.cluster.ceph_json('versions', timeout=30))
                status = self.cluster.status()
                total, clean, states = ceph.pg_summary(status)
                osdmap = status.get('osdmap', {})
                result['ceph'] = {
                    'health': status['health']['status'],
                    'checks': sorted(status['health'].get('checks', {})),
                    'muted': sorted(m.get('code') for m in
                                    status['health'].get('mutes', [])),
                    'pgs_total': total, 'pgs_active_clean': clean,
                    'pg_states': states,
                    'osds_up': osdmap.get('num_up_osds'),
                    'osds_in': osdmap.get('num_in_osds')}
                existing = set(self.cluster.pools())
                for pool in ceph.pools(self.conf):
                    result['pools'][pool] = ('present' if pool in existing
                                             else 'MISSING')
                result['capacity'] = self.capacity()
            except errors.LabError as exc:
                result['ceph'] = {'health': 'UNREACHABLE',
                                  'error': str(exc)}
        if config.uses_rgw(self.conf):
            result['rgw'] = self.gateway.status()
        if gcs.deployed(self.conf):
            result['gcs'] = gcs.status(self.conf)
        if self.gluster.enabled:
            result['gluster'] = self.gluster.status(
                self.supervisor.is_process_running(gluster.PROGRAM))
        return result

    def capacity(self):
        """The cluster's space, its state, and what holds it."""
        cap = self.cluster.capacity()
        cap['state'] = ceph.capacity_state(cap)
        cap['room_before_nearfull_bytes'] = ceph.room_before_nearfull(cap)
        cap['rgw_gc'] = None
        # radosgw-admin blocks on a full cluster (it writes at start).
        if config.uses_rgw(self.conf) and cap['state'] != 'full':
            try:
                cap['rgw_gc'] = self.gateway.gc_backlog()
            except errors.LabError as exc:
                LOG.warning('RGW garbage collection backlog unknown: %s',
                            exc)
        return cap

    def check_room(self, need_bytes, what):
        """Refuse a big write the cluster has no room for, saying why.

        Room means staying below the nearfull ratio: a full cluster does
        not fail writes, it stalls them (README: Capacity).
        """
        cap = self.capacity()
        room = cap['room_before_nearfull_bytes']
        if room >= need_bytes:
            return cap
        gc = cap['rgw_gc']
        raise errors.LabError(
            '%s needs about %s in the Ceph cluster, which has %s left '
            'before it is nearly full (%d%% of %s; pools: %s%s). Delete '
            'backups or volumes you do not need%s, or make the OSD larger '
            '([ceph] osd_size_gb, then "cinder-backup-lab clean" and '
            '"up").' % (
                what, processes.human_bytes(need_bytes),
                processes.human_bytes(room),
                round(cap['nearfull_ratio'] * 100),
                processes.human_bytes(cap['total_bytes']),
                ceph.pool_usage(cap),
                '; RGW GC still to free: %d deleted objects' % gc['entries']
                if gc and gc['entries'] else '',
                ', and wait about %d s for RGW to free deleted Swift data'
                % (2 * max(self.conf.rgw.gc_min_wait, 30))
                if gc is not None else ''))

    def files(self):
        """Where the storage half's files are (never their contents)."""
        c = self.conf
        out = {'ceph_conf': self.paths.conf,
               'admin_keyring': self.paths.keyring('client.admin'),
               'logs': self.paths.log_dir}
        out['volume_keyring'] = self.paths.keyring(
            'client.%s' % c.ceph.volume_user)
        if ceph.backup_user(c):
            out['backup_keyring'] = self.paths.keyring(
                'client.%s' % c.ceph.backup_user)
        drivers = config.backup_drivers(c)
        if config.SWIFT in drivers:
            out['swift_credentials'] = rgw.credentials_path(c.state_dir)
        if config.S3 in drivers:
            out['s3_credentials'] = rgw.s3_credentials_path(c.state_dir)
        if config.POSIX in drivers:
            out['posix_backups'] = config.posix_path(c)
        if config.GLUSTERFS in drivers:
            out['glusterfs_brick'] = config.glusterfs_brick(c)
        if config.GOOGLE in drivers:
            out['gcs_credentials'] = gcs.Paths(c.state_dir).credentials
            out['gcs_ca'] = gcs.Paths(c.state_dir).ca_cert
        return out

    @staticmethod
    def healthy(status):
        return (status['ceph'].get('health') == 'HEALTH_OK'
                and status['ceph'].get('pgs_total')
                == status['ceph'].get('pgs_active_clean')
                and all(v == 'present' for v in status['pools'].values())
                and (status.get('rgw') is None
                     or (status['rgw']['swift_auth_v1'] is not False
                         and status['rgw'].get('s3_auth') is not False))
                and (status.get('gcs') is None
                     or (status['gcs']['answering']
                         and all(v == 'present' for v in
                                 status['gcs']['buckets'].values())))
                and status.get('gluster', {}).get('brick_online')
                is not False)
