"""The standalone lab: up, down, clean and status, phase by phase."""

import contextlib
import json
import logging
import os
import shutil
import signal
import time

from cinder_backup_lab import ceph
from cinder_backup_lab import cinder
from cinder_backup_lab import config
from cinder_backup_lab import database
from cinder_backup_lab import external
from cinder_backup_lab import keystone
from cinder_backup_lab import messaging
from cinder_backup_lab import openstack_half
from cinder_backup_lab import packages
from cinder_backup_lab import rgw
from cinder_backup_lab import secrets
from cinder_backup_lab import services
from cinder_backup_lab import utils

LOG = logging.getLogger(__name__)

# Values fixed once the cluster exists: changing them needs "clean".
FIXED_AFTER_CREATE = ('bind_host', 'mon_port', 'mon_port_v1', 'osd_size_gb')


class PhaseTimer:
    """Per-phase wall times, printed as the benchmark summary of `up`."""

    def __init__(self):
        self.phases = []

    @contextlib.contextmanager
    def phase(self, name):
        LOG.info('%s ...', name)
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases.append((name, time.monotonic() - start))

    @property
    def total(self):
        return sum(t for _, t in self.phases)

    def table(self):
        lines = ['%-12s %8s' % ('phase', 'seconds')]
        lines += ['%-12s %8.1f' % (name, t) for name, t in self.phases]
        lines.append('%-12s %8.1f' % ('total', self.total))
        return '\n'.join(lines)


class Lab:
    def __init__(self, conf):
        self.conf = conf
        self.state_dir = conf.state_dir
        self.supervisor = services.Supervisor(conf.state_dir)
        self.cluster = ceph.Cluster(conf)
        self.gateway = rgw.Gateway(conf, self.cluster)
        self.passwords = secrets.Passwords(conf.state_dir)
        self.database = database.Database(conf, self.passwords)
        self.messaging = messaging.Messaging(conf, self.passwords)
        self.keystone = keystone.Keystone(conf, self.passwords,
                                          self.database)
        self.cinder = cinder.Cinder(conf, self.passwords, self.database,
                                    self.messaging, self.cluster)
        self.openstack = openstack_half.OpenStackHalf(self)
        self.changed = []

    @property
    def record_path(self):
        return os.path.join(self.state_dir, 'lab.json')

    def programs(self):
        if not self.conf.ceph.deploy:
            return []
        if not self.conf.deploy_openstack:
            return self.cluster.programs()
        return self.cluster.programs() + self.openstack.programs()

    def packages(self):
        if not self.conf.ceph.deploy:
            return packages.CEPH_CLIENT_PACKAGES
        if not self.conf.deploy_openstack:
            return packages.CEPH_PACKAGES
        return packages.CEPH_PACKAGES + openstack_half.PACKAGES

    # -- checks before anything is touched ----------------------------------
    def _created_record(self):
        try:
            with open(self.record_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _current_record(self):
        c = self.conf
        return {'bind_host': c.bind_host, 'mon_port': c.ceph.mon_port,
                'mon_port_v1': c.ceph.mon_port_v1,
                'osd_size_gb': c.ceph.osd_size_gb}

    def preflight(self):
        """Every reason not to start, as one error; touches nothing."""
        errors = list(config.validate(self.conf))
        if os.geteuid() != 0:
            errors.append('the lab must run as root (it installs packages '
                          'and runs Ceph daemons); run it with sudo')
        errors += packages.check_os()
        if errors:
            raise utils.LabError('invalid configuration:\n  - '
                                 + '\n  - '.join(errors))
        if not self.conf.ceph.deploy:
            return      # nothing is created or started here

        created = self._created_record()
        if created:
            current = self._current_record()
            for key in FIXED_AFTER_CREATE:
                if created.get(key) != current[key]:
                    errors.append(
                        '%s is %r but the lab in %s was created with %r; '
                        'it cannot change on an existing cluster: set it '
                        'back or run "cinder-backup-lab clean" first'
                        % (key, current[key], self.state_dir,
                           created.get(key)))

        running = self.supervisor.all_info()
        for name, port in config.lab_ports(self.conf).items():
            program = config.PORT_OWNERS.get(name, name)
            if running.get(program, {}).get('statename') == 'RUNNING':
                continue     # our own daemon holds it
            if not utils.port_is_free(self.conf.bind_host, port):
                errors.append('port %d on %s (%s) is already in use by '
                              'another program; free it or choose another '
                              'port in the lab config'
                              % (port, self.conf.bind_host, name))

        osd_dir = self.cluster.paths.data_dir('osd', ceph.OSD_ID)
        if not os.path.exists(os.path.join(osd_dir, '.lab-mkfs-done')):
            need = (self.conf.ceph.osd_size_gb + 2) * 1024 ** 3
            free = packages.free_disk_bytes(self.state_dir)
            if free < need:
                errors.append(
                    'only %s free for %s; the OSD file may grow to %d GiB '
                    'plus logs: free space or lower [ceph] osd_size_gb'
                    % (utils.human_bytes(free), self.state_dir,
                       self.conf.ceph.osd_size_gb))
        if errors:
            raise utils.LabError('cannot start the lab:\n  - '
                                 + '\n  - '.join(errors))

    # -- up ---------------------------------------------------------------
    def _note(self, changed, what):
        if changed:
            self.changed.append(what)

    def up(self):
        if not self.conf.ceph.deploy:
            return self.up_existing()
        timer = PhaseTimer()
        self.changed = []
        with timer.phase('preflight'):
            if not self.supervisor.is_running():
                # Daemons orphaned by a killed supervisord hold our ports.
                self._note(self._kill_strays(), 'orphans stopped')
            self.preflight()
        with timer.phase('packages'):
            self._note(packages.ensure_ceph_source(self.conf),
                       'ceph apt source')
            installed = packages.ensure(self.packages(),
                                        self.conf.install_packages)
            self._note(installed, 'packages')
            self._note(packages.link_distro_bindings(), 'python bindings')
        with timer.phase('config'):
            os.makedirs(self.state_dir, mode=0o755, exist_ok=True)
            if self.cluster.write_config(self.openstack.rgw_options()) \
                    and self.supervisor.is_running():
                # The gateway reads its section only at start.
                self.supervisor.stop_program('radosgw')
            self.supervisor.write_config(self.programs())
            self.supervisor.start()
        with timer.phase('ceph-mon'):
            self._note(self.cluster.create_mon(), 'mon created')
            self._note(self.supervisor.start_program('ceph-mon'),
                       'mon started')
            self.cluster.wait_mon()
            if not self._created_record():
                utils.write_file(self.record_path,
                                 json.dumps(self._current_record()) + '\n')
        with timer.phase('ceph-mgr'):
            self._note(self.cluster.create_mgr(), 'mgr created')
            self._note(self.supervisor.start_program('ceph-mgr'),
                       'mgr started')
        with timer.phase('ceph-osd'):
            self._note(self.cluster.create_osd(), 'osd created')
            self._note(self.supervisor.start_program('ceph-osd'),
                       'osd started')
            self.cluster.wait_osd_up()
        with timer.phase('pools'):
            pools = [self.conf.ceph.volumes_pool] + list(
                self.conf.ceph.backup_pools)
            self._note(self.cluster.ensure_pools(pools), 'pools')
        with timer.phase('users'):
            c = self.conf.ceph
            self._note(self.cluster.ensure_user(
                'client.%s' % c.volume_user,
                ceph.volume_user_caps(c.volumes_pool)), 'volume user')
            self._note(self.cluster.ensure_user(
                'client.%s' % c.backup_user,
                ceph.backup_user_caps(c.backup_pools)), 'backup user')
            self._note(self.cluster.ensure_user(
                'client.%s' % ceph.PROBE_USER,
                ceph.probe_user_caps(c.volumes_pool, c.backup_pools)),
                'probe user')
        with timer.phase('radosgw'):
            self._note(self.cluster.ensure_user(
                'client.%s' % ceph.RGW_NAME, ceph.rgw_caps()), 'rgw key')
            self._note(self.supervisor.start_program('radosgw'),
                       'rgw started')
            self.gateway.wait_answering()
            self._note(self.gateway.ensure_swift_user(), 'swift user')
            self.gateway.check_swift_auth()
        with timer.phase('health'):
            self.cluster.wait_pgs_clean()
        if self.conf.client_conf_dir:
            with timer.phase('client-files'):
                self._note(external.export_client_files(
                    self.conf, self.cluster.fsid()), 'client files')
        if self.conf.deploy_openstack:
            self.openstack.up(timer)
        return timer

    def up_existing(self):
        """[ceph] deploy = false: check the existing cluster, start nothing.

        Connects with the exported ceph.conf and a keyring of
        client_conf_dir and names every pool the config needs that the
        cluster lacks.
        """
        timer = PhaseTimer()
        self.changed = []
        with timer.phase('preflight'):
            self.preflight()
        with timer.phase('packages'):
            self._note(packages.ensure_ceph_source(self.conf),
                       'ceph apt source')
            self._note(packages.ensure(self.packages(),
                                       self.conf.install_packages),
                       'packages')
        with timer.phase('cluster'):
            self.existing_pools_check()
        return timer

    def existing_pools_check(self):
        c = self.conf
        conf_file = external.client_conf_path(c)
        if not os.path.exists(conf_file):
            raise utils.LabError(
                '%s not found; with [ceph] deploy = false copy the '
                'cluster\'s ceph.conf and keyrings into client_conf_dir '
                '(e.g. from the node that deploys it)' % conf_file)
        users = [u for u in (c.ceph.backup_user, c.ceph.volume_user)
                 if os.path.exists(external.client_keyring_path(c, u))]
        if not users:
            raise utils.LabError(
                'no keyring of client.%s or client.%s in %s; copy them '
                'from the node that deploys the cluster'
                % (c.ceph.backup_user, c.ceph.volume_user,
                   c.client_conf_dir))
        argv = ['ceph', '--conf', conf_file, '--name',
                'client.%s' % users[0], '--keyring',
                external.client_keyring_path(c, users[0]),
                '--connect-timeout', '20', 'osd', 'pool', 'ls',
                '--format', 'json']
        try:
            existing = utils.run_json(argv, timeout=60) or []
        except utils.LabError as exc:
            raise utils.LabError('cannot reach the Ceph cluster of %s as '
                                 'client.%s: %s' % (conf_file, users[0],
                                                    exc))
        wanted = [c.ceph.volumes_pool] + list(c.ceph.backup_pools)
        missing = ceph.missing_pools(wanted, existing)
        if missing:
            raise utils.LabError(
                'pools missing in the cluster of %s: %s; create them '
                '(ceph osd pool create <name>; rbd pool init <name>) or '
                'change [ceph] volumes_pool/backup_pools'
                % (conf_file, ', '.join(missing)))
        return wanted

    # -- down / clean -------------------------------------------------------
    def down(self):
        """Stop every daemon, then supervisord. Data stays."""
        if not self.supervisor.is_running():
            self._kill_strays()
            return False
        self.openstack.stop()
        for prog in reversed(self.programs()):
            self.supervisor.stop_program(prog.name)
        self.supervisor.shutdown()
        return True

    def _kill_strays(self):
        """End daemons of this lab left without their supervisord.

        supervisord gives every child (and so every grandchild: gunicorn
        workers, Erlang helpers) SUPERVISOR_SERVER_URL naming its socket,
        which is inside our state dir; daemons started by hand with our
        ceph.conf count too. Each is ended by its PID, nothing else.
        """
        pids = set(utils.pids_with_environment(
            'SUPERVISOR_SERVER_URL', 'unix://' + self.supervisor.socket_path))
        pids.update(utils.pids_with_argument(self.cluster.paths.conf))
        for pid in sorted(pids):
            LOG.info('stopping leftover %s (pid %d)',
                     utils.process_cmdline(pid).split(' ')[0], pid)
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.conf.deploy_openstack:
            # gunicorn masters found by their pid files, in case their
            # environment was lost.
            self.openstack.kill_strays()
        for pid in sorted(pids):
            try:
                utils.wait_for(lambda p=pid: not utils.pid_alive(p),
                               timeout=60, interval=0.2,
                               what='pid %d to exit' % pid)
            except utils.LabError:
                LOG.info('pid %d ignored SIGTERM; killing it', pid)
                os.kill(pid, signal.SIGKILL)
        return sorted(pids)

    def clean(self):
        """Stop everything and remove all the lab made. Idempotent."""
        self.down()
        self._kill_strays()
        self.cinder.remove_volume_keyring()
        removed = external.remove_exported_files(self.conf)
        if os.path.isdir(self.state_dir):
            shutil.rmtree(self.state_dir)
            return True
        return bool(removed)

    # -- status -------------------------------------------------------------
    def status(self):
        paths = self.cluster.paths
        c = self.conf
        result = {'state_dir': self.state_dir,
                  'created': os.path.exists(self.record_path),
                  'supervisord': {'running': self.supervisor.is_running(),
                                  'pid': self.supervisor.pid()},
                  'services': [], 'ceph': {}, 'pools': {}, 'rgw': {},
                  'files': {}}
        infos = self.supervisor.all_info()
        total_rss = 0
        for prog in self.programs():
            info = infos.get(prog.name, {})
            pid = info.get('pid') or None
            rss = utils.rss_bytes(pid) if pid else None
            total_rss += rss or 0
            result['services'].append({
                'name': prog.name,
                'state': info.get('statename', 'STOPPED'),
                'pid': pid, 'rss_bytes': rss})
        result['rss_total_bytes'] = total_rss

        if infos.get('ceph-mon', {}).get('statename') == 'RUNNING':
            try:
                status = self.cluster.status()
                total, clean, states = ceph.pg_summary(status)
                osdmap = status.get('osdmap', {})
                result['ceph'] = {
                    'health': status['health']['status'],
                    'checks': sorted(status['health'].get('checks', {})),
                    'pgs_total': total, 'pgs_active_clean': clean,
                    'pg_states': states,
                    'osds_up': osdmap.get('num_up_osds'),
                    'osds_in': osdmap.get('num_in_osds')}
                existing = set(self.cluster.pools())
                for pool in [c.ceph.volumes_pool] + list(c.ceph.backup_pools):
                    result['pools'][pool] = ('present' if pool in existing
                                             else 'MISSING')
            except utils.LabError as exc:
                result['ceph'] = {'health': 'UNREACHABLE',
                                  'error': str(exc)}
        url = rgw.endpoint(c)
        answering = rgw.http_status(url + '/') == 200
        auth = False
        if answering:
            try:
                auth = rgw.swift_auth_ok(rgw.load_credentials(c.state_dir))
            except utils.LabError:
                auth = False
        result['rgw'] = {'endpoint': url, 'answering': answering,
                         'swift_auth_v1': auth,
                         'auth_url': rgw.auth_url(c),
                         'storage_url': rgw.storage_url(c),
                         'swift_user': rgw.swift_user(c)}
        # Where the secrets are, never what they are.
        result['files'] = {
            'ceph_conf': paths.conf,
            'admin_keyring': paths.keyring('client.admin'),
            'volume_keyring': paths.keyring('client.%s' % c.ceph.volume_user),
            'backup_keyring': paths.keyring('client.%s' % c.ceph.backup_user),
            'swift_credentials': rgw.credentials_path(c.state_dir),
            'logs': paths.log_dir,
        }
        result['deploy_openstack'] = c.deploy_openstack
        if c.client_conf_dir:
            result['files']['exported'] = ', '.join(
                external.exported(c)) or '(none yet)'
        if c.deploy_openstack:
            self.openstack.status(result, infos)
        return result

    @staticmethod
    def healthy(status):
        return (status['supervisord']['running']
                and all(s['state'] == 'RUNNING' for s in status['services'])
                and status['ceph'].get('health') == 'HEALTH_OK'
                and status['ceph'].get('pgs_total')
                == status['ceph'].get('pgs_active_clean')
                and all(v == 'present' for v in status['pools'].values())
                and status['rgw']['swift_auth_v1']
                and (not status.get('deploy_openstack', True)
                     or openstack_half.healthy(status)))
