"""Cinder: cinder.conf for every service, the processes, db sync, types.

One common cinder.conf (API, scheduler, volume with the RBD backend) plus
one small file per cinder-backup service: the Ceph driver in the default
AZ and the Swift driver pointed at RGW in a second AZ, each with its own
"host". The files are rendered by pure functions (unit-tested) from
plain values; the class around them wires the values from the lab's
config, runs cinder-manage once and creates the volume type through the
API.
"""

import dataclasses
import json
import logging
import os
import re
import shutil
import sys

from cinder_backup_lab import keystone
from cinder_backup_lab import rgw
from cinder_backup_lab import services
from cinder_backup_lab import utils

LOG = logging.getLogger(__name__)

CEPH = 'ceph'
SWIFT = 'swift'
BACKUP_DRIVERS = {
    CEPH: 'cinder.backup.drivers.ceph.CephBackupDriver',
    SWIFT: 'cinder.backup.drivers.swift.SwiftBackupDriver',
}
RBD_DRIVER = 'cinder.volume.drivers.rbd.RBDDriver'
# Where os-brick looks for the key of an RBD volume's user when Cinder
# does not pass one in the connection info (it does not since OSSN-0085).
OS_BRICK_KEYRING = '/etc/ceph/%s.client.%s.keyring'


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def venv_bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def venv_etc(*parts):
    return os.path.join(os.path.dirname(os.path.dirname(sys.executable)),
                        'etc', *parts)


@dataclasses.dataclass
class CommonSettings:
    """Values of the shared cinder.conf."""
    state_path: str
    log_dir: str
    host: str
    bind_host: str
    api_port: int
    db_url: str
    transport_url: str
    keystone_url: str
    memcached: str
    service_user: str
    service_password: str
    service_project: str
    default_az: str
    volume_backend: str
    volume_type: str
    ceph_conf: str
    rbd_pool: str
    rbd_user: str
    report_interval: int
    periodic_interval: int
    privsep_helper: str
    api_paste_config: str
    rootwrap_config: str
    debug: bool = False
    # The filters non-admin list queries may use (status, name, ...):
    # the file the pinned cinder ships, installed into the venv's
    # etc/cinder by pip. Cinder's default (/etc/cinder/...) does not
    # exist here, and without the file every filtered list by a
    # non-admin answers 400 "Invalid filters".
    resource_filters_file: str = dataclasses.field(
        default_factory=lambda: venv_etc('cinder', 'resource_filters.json'))

    def __repr__(self):
        return 'CommonSettings(host=%r, ...)' % self.host


@dataclasses.dataclass
class CephBackupSettings:
    host: str
    az: str
    ceph_conf: str
    user: str
    pool: str
    chunk_size: int
    stripe_unit: int
    stripe_count: int
    restore_discard_excess_bytes: bool
    log_file: str


@dataclasses.dataclass
class SwiftBackupSettings:
    host: str
    az: str
    auth: str               # single_user | per_user
    url: str                # ends in /swift/v1/AUTH_
    auth_url: str           # v1 auth URL (single_user)
    user: str               # uid:subuser (single_user)
    key: str                # swift key (single_user)
    container: str
    object_size: int
    block_size: int
    retry_attempts: int
    retry_backoff: int
    compression: str
    log_file: str

    def __repr__(self):
        return 'SwiftBackupSettings(host=%r, auth=%r, key=***)' % (
            self.host, self.auth)


def _bool(value):
    return 'true' if value else 'false'


def render_cinder_conf(s):
    """The shared cinder.conf (API, scheduler, volume) as text."""
    privsep = [('helper_command', s.privsep_helper)]
    return utils.render_ini([
        ('DEFAULT', [
            ('host', s.host),
            ('my_ip', s.bind_host),
            ('state_path', s.state_path),
            ('log_dir', s.log_dir),
            ('use_stderr', 'false'),
            ('debug', _bool(s.debug)),
            ('transport_url', s.transport_url),
            ('auth_strategy', 'keystone'),
            ('api_paste_config', s.api_paste_config),
            ('resource_query_filters_file', s.resource_filters_file),
            ('rootwrap_config', s.rootwrap_config),
            ('osapi_volume_listen', s.bind_host),
            ('osapi_volume_listen_port', str(s.api_port)),
            ('enabled_backends', s.volume_backend),
            ('default_volume_type', s.volume_type),
            ('storage_availability_zone', s.default_az),
            ('default_availability_zone', s.default_az),
            ('allow_availability_zone_fallback', 'false'),
            ('report_interval', str(s.report_interval)),
            ('periodic_interval', str(s.periodic_interval)),
            ('service_down_time', str(max(60, 6 * s.report_interval))),
            # Stop within seconds even when RabbitMQ is gone (restart).
            ('graceful_shutdown_timeout', '15'),
            # First capability report right at start, not up to 60 s later.
            ('periodic_fuzzy_delay', '0'),
            # Any c-bak of the requested AZ may take a backup: each AZ
            # holds c-bak of one driver only.
            ('backup_use_same_host', 'false'),
            ('glance_api_servers', ''),
        ]),
        ('database', [('connection', s.db_url),
                      ('max_pool_size', '5'), ('max_overflow', '10')]),
        ('keystone_authtoken', [
            ('www_authenticate_uri', s.keystone_url),
            ('auth_url', s.keystone_url),
            ('auth_type', 'password'),
            ('username', s.service_user),
            ('password', s.service_password),
            ('project_name', s.service_project),
            ('user_domain_name', 'Default'),
            ('project_domain_name', 'Default'),
            ('memcached_servers', s.memcached),
            ('service_token_roles_required', 'true'),
        ]),
        ('oslo_concurrency', [('lock_path',
                               os.path.join(s.state_path, 'lock'))]),
        # No [oslo_policy]: the pinned cinder's default policies (new
        # defaults: reader/member/admin personas) apply, as upstream
        # ships them.
        # oslo.privsep contexts that cinder and os-brick use: start the
        # helper from the venv directly (the lab runs as root), not
        # through "sudo cinder-rootwrap" (not on sudo's secure_path).
        ('privsep', privsep),
        ('privsep_osbrick', privsep),
        ('cinder_sys_admin', privsep),
        (s.volume_backend, [
            ('volume_driver', RBD_DRIVER),
            ('volume_backend_name', s.volume_backend),
            ('rbd_ceph_conf', s.ceph_conf),
            ('rbd_cluster_name', 'ceph'),
            ('rbd_pool', s.rbd_pool),
            ('rbd_user', s.rbd_user),
            ('rbd_flatten_volume_from_snapshot', 'false'),
            ('rbd_max_clone_depth', '5'),
            ('rbd_store_chunk_size', '4'),
            ('rados_connect_timeout', '30'),
            ('report_discard_supported', 'true'),
            ('backend_availability_zone', s.default_az),
        ]),
    ])


def ceph_backup_options(s):
    """[DEFAULT] options of the Ceph backup driver (the seed's options)."""
    return [
        ('backup_driver', BACKUP_DRIVERS[CEPH]),
        ('backup_ceph_conf', s.ceph_conf),
        ('backup_ceph_user', s.user),
        ('backup_ceph_pool', s.pool),
        ('backup_ceph_chunk_size', str(s.chunk_size)),
        ('backup_ceph_stripe_unit', str(s.stripe_unit)),
        ('backup_ceph_stripe_count', str(s.stripe_count)),
        ('restore_discard_excess_bytes',
         _bool(s.restore_discard_excess_bytes)),
    ]


def swift_backup_options(s):
    """[DEFAULT] options of the Swift backup driver on RGW. Holds a key."""
    if s.object_size % s.block_size:
        raise ValueError('backup_swift_object_size %d is not a multiple of '
                         'backup_swift_block_size %d'
                         % (s.object_size, s.block_size))
    options = [
        ('backup_driver', BACKUP_DRIVERS[SWIFT]),
        ('backup_swift_url', s.url),
        ('backup_swift_auth', s.auth),
    ]
    if s.auth == 'single_user':
        options += [
            ('backup_swift_auth_url', s.auth_url),
            ('backup_swift_auth_version', '1'),
            ('backup_swift_user', s.user),
            ('backup_swift_key', s.key),
        ]
    options += [
        ('backup_swift_container', s.container),
        ('backup_swift_object_size', str(s.object_size)),
        ('backup_swift_block_size', str(s.block_size)),
        ('backup_swift_retry_attempts', str(s.retry_attempts)),
        ('backup_swift_retry_backoff', str(s.retry_backoff)),
        ('backup_compression_algorithm', s.compression),
    ]
    return options


def ceph_backup_settings(conf, ceph_conf, host=None, az=None,
                         log_file=None):
    c = conf
    return CephBackupSettings(
        host=host, az=az, ceph_conf=ceph_conf,
        user=c.ceph.backup_user, pool=c.ceph.backup_pools[0],
        chunk_size=c.backup_ceph.chunk_size,
        stripe_unit=c.backup_ceph.stripe_unit,
        stripe_count=c.backup_ceph.stripe_count,
        restore_discard_excess_bytes=(
            c.backup_ceph.restore_discard_excess_bytes),
        log_file=log_file)


def swift_backup_settings(conf, host=None, az=None, log_file=None):
    """Settings of the Swift driver; single_user reads the RGW key."""
    sw = conf.backup_swift
    auth_url = user = key = None
    if sw.auth == 'single_user':
        creds = rgw.load_credentials(conf.state_dir)
        auth_url, user, key = creds.auth_url, creds.user, creds.key
    return SwiftBackupSettings(
        host=host, az=az, auth=sw.auth,
        url=rgw.endpoint(conf) + rgw.SWIFT_PREFIX + '/AUTH_',
        auth_url=auth_url, user=user, key=key,
        container=sw.container, object_size=sw.object_size,
        block_size=sw.block_size, retry_attempts=sw.retry_attempts,
        retry_backoff=sw.retry_backoff, compression=sw.compression,
        log_file=log_file)


def backup_options(conf, driver, ceph_conf):
    """The backup options of a c-bak with driver, from the lab config.

    The one place they are made: the lab's own backup-<driver>.conf and
    "configure-cinder" (DevStack's cinder.conf) both use it. ceph_conf is
    the ceph.conf the Ceph driver reads.
    """
    if driver == CEPH:
        return ceph_backup_options(ceph_backup_settings(conf, ceph_conf))
    if driver == SWIFT:
        return swift_backup_options(swift_backup_settings(conf))
    raise ValueError('unknown backup driver %r; use ceph or swift' % driver)


def _service_options(s):
    return [('host', s.host), ('storage_availability_zone', s.az),
            ('log_file', s.log_file)]


def render_ceph_backup_conf(s):
    """Extra config of the Ceph-driver cinder-backup (the seed's options)."""
    return utils.render_ini([('DEFAULT', _service_options(s)
                              + ceph_backup_options(s))])


def render_swift_backup_conf(s):
    """Extra config of the Swift-driver cinder-backup (RGW). Holds a key."""
    return utils.render_ini([('DEFAULT', _service_options(s)
                              + swift_backup_options(s))])


def render_scheduler_conf(log_file):
    # Debug on the scheduler only: the lab reads "Received ... service
    # update" from its log to know when every service was accepted.
    return utils.render_ini([('DEFAULT', [('debug', 'true'),
                                          ('log_file', log_file)])])


def backup_services(conf):
    """[(driver, host, az)] of the c-bak services of the lab's profile."""
    c = conf.cinder
    if conf.profile == CEPH:
        return [(CEPH, conf.backup_ceph.host, c.default_az)]
    if conf.profile == SWIFT:
        # Alone, the Swift c-bak serves the default AZ like any cloud's.
        return [(SWIFT, conf.backup_swift.host, c.default_az)]
    return [(CEPH, conf.backup_ceph.host, c.default_az),
            (SWIFT, conf.backup_swift.host, c.swift_az)]


def api_url(conf):
    return 'http://%s:%d/v3/%%(project_id)s' % (
        conf.bind_host, conf.cinder.api_port)


class Paths:
    def __init__(self, state_dir):
        self.root = os.path.join(state_dir, 'cinder')
        self.conf = os.path.join(self.root, 'cinder.conf')
        self.scheduler_conf = os.path.join(self.root, 'scheduler.conf')
        self.rootwrap_conf = os.path.join(self.root, 'rootwrap.conf')
        self.log_dir = os.path.join(state_dir, 'log')
        self.done = os.path.join(self.root, 'lab-db.json')

    def backup_conf(self, driver):
        return os.path.join(self.root, 'backup-%s.conf' % driver)

    def log(self, program):
        return os.path.join(self.log_dir, '%s.log' % program)


class Cinder:
    def __init__(self, conf, passwords, database, messaging, cluster):
        self.conf = conf
        self.passwords = passwords
        self.database = database
        self.messaging = messaging
        self.cluster = cluster
        self.paths = Paths(conf.state_dir)
        # Where os-brick looks for keyrings (tests point it elsewhere).
        self.os_brick_dir = os.path.dirname(OS_BRICK_KEYRING)

    # -- settings ---------------------------------------------------------
    def common_settings(self):
        c = self.conf
        return CommonSettings(
            state_path=self.paths.root, log_dir=self.paths.log_dir,
            host=c.cinder.host, bind_host=c.bind_host,
            api_port=c.cinder.api_port, db_url=self.database.url('cinder'),
            transport_url=self.messaging.transport_url(),
            keystone_url='http://%s:%d' % (c.bind_host, c.keystone.port),
            memcached='%s:%d' % (c.bind_host, c.memcached.port),
            service_user='cinder',
            service_password=self.passwords.get('service_cinder'),
            service_project='service', default_az=c.cinder.default_az,
            volume_backend=c.cinder.volume_backend,
            volume_type=c.cinder.volume_type,
            ceph_conf=self.cluster.paths.conf,
            rbd_pool=c.ceph.volumes_pool, rbd_user=c.ceph.volume_user,
            report_interval=c.cinder.report_interval,
            periodic_interval=c.cinder.periodic_interval,
            privsep_helper='%s --config-file %s' % (
                venv_bin('privsep-helper'), self.paths.conf),
            api_paste_config=venv_etc('cinder', 'api-paste.ini'),
            resource_filters_file=venv_etc('cinder',
                                           'resource_filters.json'),
            rootwrap_config=self.paths.rootwrap_conf,
            debug=c.cinder.debug)

    def render_backup_conf(self, driver, host, az):
        """Extra config of one c-bak.

        Its host, AZ and log, then the options of backup_options(), the
        function configure-cinder uses for DevStack.
        """
        return utils.render_ini([('DEFAULT', [
            ('host', host), ('storage_availability_zone', az),
            ('log_file', self.paths.log('cinder-backup-%s' % driver)),
        ] + backup_options(self.conf, driver, self.cluster.paths.conf))])

    # -- files ------------------------------------------------------------
    def write_config(self):
        p = self.paths
        os.makedirs(os.path.join(p.root, 'lock'), mode=0o700, exist_ok=True)
        os.chmod(p.root, 0o700)
        changed = utils.write_if_changed(
            p.conf, render_cinder_conf(self.common_settings()), 0o600)
        changed |= utils.write_if_changed(p.scheduler_conf,
                                          render_scheduler_conf(
                                              p.log('cinder-scheduler')),
                                          0o600)
        rootwrap = utils.render_ini([('DEFAULT', [
            ('filters_path', '%s,%s' % (venv_etc('cinder', 'rootwrap.d'),
                                        venv_etc('os-brick', 'rootwrap.d'))),
            ('exec_dirs', '%s,/sbin,/usr/sbin,/bin,/usr/bin'
             % os.path.dirname(sys.executable)),
            ('use_syslog', 'false'),
        ])])
        changed |= utils.write_if_changed(p.rootwrap_conf, rootwrap, 0o644)
        for driver, host, az in backup_services(self.conf):
            text = self.render_backup_conf(driver, host, az)
            changed |= utils.write_if_changed(p.backup_conf(driver), text,
                                              0o600)
        self.place_volume_keyring()
        return changed

    def os_brick_keyring(self, user):
        return os.path.join(self.os_brick_dir,
                            os.path.basename(OS_BRICK_KEYRING
                                             % ('ceph', user)))

    def _keyring_owner_path(self, dst):
        return dst + '.cinder-backup-lab-owner'

    def place_volume_keyring(self):
        """Put client.<volume_user>'s keyring where os-brick reads it.

        c-bak opens the RBD volumes through os-brick, which reads
        /etc/ceph/<cluster>.client.<user>.keyring: one file per user name
        for the whole machine. A marker next to it names the lab that
        wrote it; a second lab with the same volume_user is refused
        instead of silently replacing the first lab's key (which breaks
        the first lab's backups and restores). Returns the path.
        """
        user = self.conf.ceph.volume_user
        src = self.cluster.paths.keyring('client.%s' % user)
        dst = self.os_brick_keyring(user)
        owner_path = self._keyring_owner_path(dst)
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        with open(src) as f:
            wanted = f.read()
        current = _read(dst)
        owner = (_read(owner_path) or '').strip()
        if current is not None and current != wanted and \
                owner != self.conf.state_dir:
            other_lab_key = owner and _read(os.path.join(
                owner, 'ceph', 'keyrings', 'ceph.client.%s.keyring' % user))
            if not owner or other_lab_key == current:
                raise utils.LabError(
                    '%s holds another key for client.%s (%s); os-brick '
                    'reads one keyring per user name on a machine, so two '
                    'labs cannot share a volume_user: give this lab another '
                    '[ceph] volume_user%s' % (
                        dst, user,
                        'written by the lab in %s' % owner if owner else
                        'not written by a lab of this version',
                        ', or run "cinder-backup-lab clean" for the other '
                        'lab' if owner else ', or remove the file if it is '
                        'stale'))
        if current != wanted:
            utils.write_file(dst, wanted, 0o600)
        os.chmod(dst, 0o600)
        utils.write_if_changed(owner_path, self.conf.state_dir + '\n', 0o644)
        return dst

    def remove_volume_keyring(self):
        """Remove the keyring copy in /etc/ceph if it is this lab's."""
        user = self.conf.ceph.volume_user
        dst = self.os_brick_keyring(user)
        owner_path = self._keyring_owner_path(dst)
        if (_read(owner_path) or '').strip() != self.conf.state_dir:
            return False
        for path in (dst, owner_path):
            if os.path.exists(path):
                os.unlink(path)
        return True

    # -- programs ---------------------------------------------------------
    def programs(self):
        c = self.conf
        p = self.paths
        # Fewer malloc arenas: the Swift c-bak otherwise keeps hundreds of
        # MiB of freed 50 MiB object buffers spread over per-thread arenas.
        env = {'MALLOC_ARENA_MAX': '2'}
        progs = [
            services.Program(
                'cinder-api',
                [venv_bin('gunicorn'), '--bind', '%s:%d' % (
                    c.bind_host, c.cinder.api_port),
                 '--workers', str(c.cinder.api_workers),
                 '--threads', '4', '--worker-class', 'gthread',
                 '--timeout', '300', '--keep-alive', '5',
                 '--name', 'cinder-api', '--pid',
                 keystone.gunicorn_pid_file(c.state_dir, 'cinder-api'),
                 'cinder_backup_lab.wsgi_cinder:application'],
                environment=dict(env, CINDER_BACKUP_LAB_CINDER_CONF=p.conf,
                                 CINDER_BACKUP_LAB_API_LOG=p.log(
                                     'cinder-api')),
                startsecs=2),
            services.Program(
                'cinder-scheduler',
                [venv_bin('cinder-scheduler'), '--config-file', p.conf,
                 '--config-file', p.scheduler_conf], startsecs=2,
                environment=env),
            services.Program(
                'cinder-volume',
                [venv_bin('cinder-volume'), '--config-file', p.conf,
                 '--log-file', p.log('cinder-volume')], startsecs=2,
                stopwaitsecs=60, environment=env),
        ]
        for driver, _host, _az in backup_services(c):
            progs.append(services.Program(
                'cinder-backup-%s' % driver,
                [venv_bin('cinder-backup'), '--config-file', p.conf,
                 '--config-file', p.backup_conf(driver)],
                startsecs=2, stopwaitsecs=60, environment=env))
        return progs

    # -- database -----------------------------------------------------------
    def _record(self):
        from importlib import metadata
        return {'cinder': metadata.version('cinder')}

    def db_sync(self):
        try:
            with open(self.paths.done) as f:
                if json.load(f) == self._record():
                    return False
        except (OSError, ValueError):
            pass
        utils.run([venv_bin('cinder-manage'), '--config-file',
                   self.paths.conf, 'db', 'sync'], timeout=900)
        utils.write_file(self.paths.done, json.dumps(self._record()) + '\n',
                         0o600)
        return True

    # -- API-level setup ----------------------------------------------------
    def ensure_volume_type(self, api):
        """The volume type of the RBD backend; True when created."""
        name = self.conf.cinder.volume_type
        types = api.get('/types', is_public='None')['volume_types']
        if any(t['name'] == name for t in types):
            return False
        api.post('/types', {'volume_type': {
            'name': name, 'os-volume-type-access:is_public': True,
            'extra_specs': {
                'volume_backend_name': self.conf.cinder.volume_backend}}})
        return True

    def remove_stale_backup_services(self, api):
        """Forget c-bak services the lab's profile no longer runs.

        With backup_use_same_host = False, Cinder routes a restore or a
        delete to *any* cinder-backup of the backup's AZ that looks up;
        the row of a c-bak stopped by a profile change looks up for
        service_down_time and would swallow those requests. Returns the
        hosts removed.
        """
        c = self.conf
        known = {c.backup_ceph.host, c.backup_swift.host}
        wanted = {h for _d, h, _az in backup_services(c)}
        stale = [s['host'] for s in api.services('cinder-backup')
                 if s['host'] in known - wanted]
        for host in stale:
            utils.run([venv_bin('cinder-manage'), '--config-file',
                       self.paths.conf, 'service', 'remove',
                       'cinder-backup', host], timeout=120)
        return stale

    def wait_services_placed(self, api, timeout=120):
        """Wait until each c-bak is up in the API in its configured AZ.

        A c-bak that moved AZ (profile change) keeps its old zone until
        its first heartbeat; a backup asked for in between could land on
        the wrong driver.
        """
        wanted = {(h, az) for _d, h, az in backup_services(self.conf)}

        def placed():
            rows = {(s['host'], s['zone']) for s in
                    api.services('cinder-backup') if s['state'] == 'up'}
            placed.missing = wanted - rows
            return not placed.missing
        placed.missing = wanted
        try:
            utils.wait_for(placed, timeout=timeout, interval=1,
                           what='cinder-backup services in their AZs')
        except utils.LabError:
            raise utils.LabError(
                'cinder-backup not up in its AZ: %s; see the c-bak logs in '
                '%s' % (', '.join('%s in %s' % m for m in
                                  sorted(placed.missing)),
                        self.paths.log_dir))

    def log_offset(self):
        try:
            return os.path.getsize(self.paths.log('cinder-scheduler'))
        except OSError:
            return 0

    def wait_scheduler_accepts(self, offset, timeout=120):
        """Wait until the scheduler got a report from each c-vol/c-bak.

        A fresh cinder-backup is refused ("Service not found for creating
        backup") until the scheduler has its capabilities.
        """
        c = self.conf
        wanted = ['Received volume service update from %s@%s'
                  % (c.cinder.host, c.cinder.volume_backend)]
        wanted += ['Received backup service update from %s' % host
                   for _d, host, _az in backup_services(c)]
        # The scheduler's message may carry extra blanks before the host.
        patterns = {w: re.compile(r'%s\s+%s:' % (
            re.escape(w.rsplit(' ', 1)[0]), re.escape(w.rsplit(' ', 1)[1])))
            for w in wanted}
        path = self.paths.log('cinder-scheduler')

        def seen():
            try:
                with open(path, errors='replace') as f:
                    f.seek(offset)
                    text = f.read()
            except OSError:
                return False
            missing = [w for w in wanted if not patterns[w].search(text)]
            seen.missing = missing
            return not missing
        seen.missing = wanted
        try:
            utils.wait_for(seen, timeout=timeout, interval=1,
                           what='the scheduler to hear from every cinder '
                           'service')
        except utils.LabError:
            raise utils.LabError(
                'the scheduler did not receive: %s; see %s and the c-vol/'
                'c-bak logs in %s' % ('; '.join(seen.missing), path,
                                      self.paths.log_dir))

    def clean_files(self):
        self.remove_volume_keyring()
        shutil.rmtree(self.paths.root, ignore_errors=True)
