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

"""Cinder's configuration, rendered by pure functions from plain values.

One common cinder.conf (API, scheduler, volume with the RBD backend) and
the backup options of each cinder-backup: the Ceph driver in the default
AZ, the Swift and S3 drivers pointed at RGW, the posix driver on a
directory and the glusterfs driver on the lab's gluster volume, each in
an AZ of its own with its own "host".
backup_options() is the one place those options are made: the lab's own
c-bak files and "configure-cinder" (DevStack) both use it.
"""

import dataclasses
import os

from cinder_backup_lab import config
from cinder_backup_lab.host import files
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import rgw

CEPH = config.CEPH
SWIFT = config.SWIFT
POSIX = config.POSIX
S3 = config.S3
GLUSTERFS = config.GLUSTERFS
GOOGLE = config.GOOGLE
BACKUP_DRIVERS = {
    CEPH: 'cinder.backup.drivers.ceph.CephBackupDriver',
    SWIFT: 'cinder.backup.drivers.swift.SwiftBackupDriver',
    POSIX: 'cinder.backup.drivers.posix.PosixBackupDriver',
    S3: 'cinder.backup.drivers.s3.S3BackupDriver',
    GLUSTERFS: 'cinder.backup.drivers.glusterfs.GlusterfsBackupDriver',
    GOOGLE: 'cinder.backup.drivers.gcs.GoogleBackupDriver',
}
RBD_DRIVER = 'cinder.volume.drivers.rbd.RBDDriver'


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
    # The filters non-admin list queries may use (status, name, ...).
    # Without the file every filtered list by a non-admin answers 400
    # "Invalid filters"; Cinder's default path, /etc/cinder/..., is not
    # the lab's.
    resource_filters_file: str
    debug: bool = False

    def __repr__(self):
        return 'CommonSettings(host=%r, ...)' % self.host


@dataclasses.dataclass
class CephBackupSettings:
    ceph_conf: str
    user: str
    pool: str
    chunk_size: int
    stripe_unit: int
    stripe_count: int
    restore_discard_excess_bytes: bool


@dataclasses.dataclass
class SwiftBackupSettings:
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

    def __repr__(self):
        return 'SwiftBackupSettings(auth=%r, key=***)' % self.auth


@dataclasses.dataclass
class PosixBackupSettings:
    path: str               # backup_posix_path
    container: str          # backup_container: the default sub-directory
    file_size: int
    sha_block_size: int


@dataclasses.dataclass
class S3BackupSettings:
    endpoint_url: str       # RGW's S3 API, an IP endpoint
    access_key: str
    secret_key: str
    bucket: str             # the default bucket
    object_size: int
    block_size: int

    def __repr__(self):
        return 'S3BackupSettings(endpoint_url=%r, keys=***)' % (
            self.endpoint_url)


@dataclasses.dataclass
class GoogleBackupSettings:
    credential_file: str    # the service-account JSON (0600)
    project_id: str
    bucket: str             # the default bucket
    object_size: int
    block_size: int


@dataclasses.dataclass
class GlusterfsBackupSettings:
    share: str              # <server address>:<volume>
    mount_point_base: str   # the driver mounts the share below it
    container: str          # backup_container: the default directory
    file_size: int
    sha_block_size: int


def _bool(value):
    return 'true' if value else 'false'


def render_cinder_conf(s):
    """The shared cinder.conf (API, scheduler, volume) as text."""
    privsep = [('helper_command', s.privsep_helper)]
    return files.render_ini([
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
            # Cinder's default of 10 volumes and 10 backups per project is
            # too few for six drivers side by side: the Tempest plugin's
            # parallel test runs a job (a source and a restored volume)
            # per driver, the demo two backups per driver. The database's
            # "default" quota class (10, written by db sync) would win
            # over these unless it is turned off.
            ('use_default_quota_class', 'false'),
            ('quota_volumes', '30'),
            ('quota_backups', '30'),
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
    """[DEFAULT] options of the Ceph backup driver, as operators set it."""
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


def _check_multiple(size_opt, size, block_opt, block):
    if size % block:
        raise ValueError('%s %d is not a multiple of %s %d'
                         % (size_opt, size, block_opt, block))


def posix_backup_options(s):
    """[DEFAULT] options of the posix backup driver."""
    _check_multiple('backup_file_size', s.file_size,
                    'backup_sha_block_size_bytes', s.sha_block_size)
    return [
        ('backup_driver', BACKUP_DRIVERS[POSIX]),
        ('backup_posix_path', s.path),
        ('backup_container', s.container),
        ('backup_file_size', str(s.file_size)),
        ('backup_sha_block_size_bytes', str(s.sha_block_size)),
    ]


def s3_backup_options(s):
    """[DEFAULT] options of the S3 backup driver on RGW. Holds keys."""
    _check_multiple('backup_s3_object_size', s.object_size,
                    'backup_s3_block_size', s.block_size)
    return [
        ('backup_driver', BACKUP_DRIVERS[S3]),
        ('backup_s3_endpoint_url', s.endpoint_url),
        ('backup_s3_store_access_key', s.access_key),
        ('backup_s3_store_secret_key', s.secret_key),
        ('backup_s3_store_bucket', s.bucket),
        ('backup_s3_object_size', str(s.object_size)),
        ('backup_s3_block_size', str(s.block_size)),
        # Plain http on the lab's loopback RGW.
        ('backup_s3_verify_ssl', 'false'),
    ]


def google_backup_options(s):
    """[DEFAULT] options of the google (GCS) backup driver.

    No endpoint: the driver has none. The lab's c-bak reaches the
    emulator through its mount namespace's hosts file and environment
    (storage.gcs.wrap_backup_program).
    """
    _check_multiple('backup_gcs_object_size', s.object_size,
                    'backup_gcs_block_size', s.block_size)
    return [
        ('backup_driver', BACKUP_DRIVERS[GOOGLE]),
        ('backup_gcs_credential_file', s.credential_file),
        ('backup_gcs_project_id', s.project_id),
        ('backup_gcs_bucket', s.bucket),
        ('backup_gcs_object_size', str(s.object_size)),
        ('backup_gcs_block_size', str(s.block_size)),
    ]


def google_backup_settings(conf):
    g = conf.backup_google
    return GoogleBackupSettings(
        credential_file=gcs.Paths(conf.state_dir).credentials,
        project_id=g.project_id, bucket=config.google_buckets(conf)[0],
        object_size=g.object_size, block_size=g.block_size)


def glusterfs_backup_options(s):
    """[DEFAULT] options of the glusterfs backup driver.

    The driver mounts the share (FUSE, through os-brick's privsep) below
    the mount point base and then works as the posix driver on it.
    """
    _check_multiple('backup_file_size', s.file_size,
                    'backup_sha_block_size_bytes', s.sha_block_size)
    return [
        ('backup_driver', BACKUP_DRIVERS[GLUSTERFS]),
        ('glusterfs_backup_share', s.share),
        ('glusterfs_backup_mount_point', s.mount_point_base),
        ('backup_container', s.container),
        ('backup_file_size', str(s.file_size)),
        ('backup_sha_block_size_bytes', str(s.sha_block_size)),
    ]


def glusterfs_backup_settings(conf):
    g = conf.backup_glusterfs
    return GlusterfsBackupSettings(
        share='%s:%s' % (g.server_address, g.volume),
        mount_point_base=config.glusterfs_mount_base(conf),
        container=config.glusterfs_containers(conf)[0],
        file_size=g.file_size, sha_block_size=g.sha_block_size)


def posix_backup_settings(conf):
    p = conf.backup_posix
    return PosixBackupSettings(
        path=config.posix_path(conf),
        container=config.posix_containers(conf)[0],
        file_size=p.file_size, sha_block_size=p.sha_block_size)


def s3_backup_settings(conf):
    """Settings of the S3 driver; reads the S3 user's keys."""
    creds = rgw.load_s3_credentials(conf.state_dir)
    return S3BackupSettings(
        endpoint_url=creds.endpoint_url, access_key=creds.access_key,
        secret_key=creds.secret_key, bucket=config.s3_buckets(conf)[0],
        object_size=conf.backup_s3.object_size,
        block_size=conf.backup_s3.block_size)


def ceph_backup_settings(conf, ceph_conf):
    c = conf
    return CephBackupSettings(
        ceph_conf=ceph_conf,
        user=c.ceph.backup_user, pool=c.ceph.backup_pools[0],
        chunk_size=c.backup_ceph.chunk_size,
        stripe_unit=c.backup_ceph.stripe_unit,
        stripe_count=c.backup_ceph.stripe_count,
        restore_discard_excess_bytes=(
            c.backup_ceph.restore_discard_excess_bytes))


def swift_backup_settings(conf):
    """Settings of the Swift driver; single_user reads the RGW key."""
    sw = conf.backup_swift
    auth_url = user = key = None
    if sw.auth == 'single_user':
        creds = rgw.load_credentials(conf.state_dir)
        auth_url, user, key = creds.auth_url, creds.user, creds.key
    return SwiftBackupSettings(
        auth=sw.auth,
        url=rgw.endpoint(conf) + rgw.SWIFT_PREFIX + '/AUTH_',
        auth_url=auth_url, user=user, key=key,
        container=sw.container, object_size=sw.object_size,
        block_size=sw.block_size, retry_attempts=sw.retry_attempts,
        retry_backoff=sw.retry_backoff, compression=sw.compression)


# Seconds between a c-bak's reports to the scheduler (see backup_options).
STATS_POLLING_INTERVAL = 10


def backup_options(conf, driver, ceph_conf):
    """The backup options of a c-bak with driver, from the lab config.

    The one place they are made: the lab's own backup-<driver>.conf and
    "configure-cinder" (DevStack's cinder.conf) both use it. ceph_conf is
    the ceph.conf the Ceph driver reads.
    """
    if driver == CEPH:
        opts = ceph_backup_options(ceph_backup_settings(conf, ceph_conf))
    elif driver == SWIFT:
        opts = swift_backup_options(swift_backup_settings(conf))
    elif driver == POSIX:
        opts = posix_backup_options(posix_backup_settings(conf))
    elif driver == S3:
        opts = s3_backup_options(s3_backup_settings(conf))
    elif driver == GLUSTERFS:
        opts = glusterfs_backup_options(glusterfs_backup_settings(conf))
    elif driver == GOOGLE:
        opts = google_backup_options(google_backup_settings(conf))
    else:
        raise ValueError('unknown backup driver %r; use one of %s'
                         % (driver, ', '.join(config.DRIVERS)))
    # A c-bak's first report to the scheduler comes before its driver's
    # setup check and says "not working"; until the next one (60 s by
    # default) the scheduler refuses backups in its AZ ("Service not
    # found for creating backup": a DevStack run whose Tempest started
    # 50 s after c-bak). The report is cheap: send it every 10 s.
    return opts + [('backup_driver_stats_polling_interval',
                    str(STATS_POLLING_INTERVAL))]


def render_scheduler_conf(log_file):
    # Debug on the scheduler only: the lab reads "Received ... service
    # update" from its log to know when every service was accepted.
    return files.render_ini([('DEFAULT', [('debug', 'true'),
                                          ('log_file', log_file)])])


def backup_services(conf):
    """[(driver, host, az)] of the c-bak services of the lab's profile."""
    c = conf.cinder
    drivers = config.backup_drivers(conf)
    hosts = {CEPH: conf.backup_ceph.host, SWIFT: conf.backup_swift.host,
             POSIX: conf.backup_posix.host, S3: conf.backup_s3.host,
             GLUSTERFS: conf.backup_glusterfs.host,
             GOOGLE: conf.backup_google.host}
    # Alone, a c-bak serves the default AZ like any cloud's; side by side
    # the Ceph one keeps the default AZ and each other has one of its own.
    zones = {CEPH: c.default_az, SWIFT: c.swift_az, POSIX: c.posix_az,
             S3: c.s3_az, GLUSTERFS: c.glusterfs_az, GOOGLE: c.google_az}
    if len(drivers) == 1:
        zones = {d: c.default_az for d in drivers}
    elif CEPH not in drivers:
        # Backups that name no AZ land in the default AZ: give it the
        # first driver, as the profile swift does.
        zones[drivers[0]] = c.default_az
    return [(d, hosts[d], zones[d]) for d in drivers]


def all_backup_hosts(conf):
    """The "host" of every c-bak the lab may run, deployed or not."""
    return {conf.backup_ceph.host, conf.backup_swift.host,
            conf.backup_posix.host, conf.backup_s3.host,
            conf.backup_glusterfs.host, conf.backup_google.host}


def api_url(conf):
    return 'http://%s:%d/v3/%%(project_id)s' % (
        conf.bind_host, conf.cinder.api_port)


def render_backup_conf(conf, driver, host, az, log_file, ceph_conf,
                       overrides=None):
    """Extra config of one c-bak: its host, AZ, log, backup options.

    overrides ({cinder option: value}) replace or add backup options: the
    benchmark's variants (an option the lab config does not expose, such
    as the posix driver's compression, is still a Cinder option).
    """
    opts = backup_options(conf, driver, ceph_conf)
    overrides = dict(overrides or {})
    opts = [(k, overrides.pop(k, v)) for k, v in opts]
    opts += sorted(overrides.items())
    return files.render_ini([('DEFAULT', [
        ('host', host), ('storage_availability_zone', az),
        ('log_file', log_file),
    ] + [(k, str(v)) for k, v in opts])])


def render_rootwrap_conf(filters_paths, exec_dirs):
    return files.render_ini([('DEFAULT', [
        ('filters_path', ','.join(filters_paths)),
        ('exec_dirs', ','.join(exec_dirs)),
        ('use_syslog', 'false'),
    ])])
