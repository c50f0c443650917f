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

"""The lab's configuration: oslo.config options and their validation.

Every option has a built-in default, so the lab runs with no config file.
validate() checks values that oslo.config's types cannot (names Ceph would
refuse, ports that collide, sizes that do not fit) before anything is
touched.
"""

import collections
import ipaddress
import os
import pwd
import re

from oslo_config import cfg

from cinder_backup_lab import errors

DEFAULT_CONFIG_FILE = '/etc/cinder-backup-lab/lab.conf'
# Names the lab config file when no --config-file is given (tests, tools).
CONFIG_ENV = 'CINDER_BACKUP_LAB_CONFIG'

# Backup drivers of the lab, and the profiles that choose among them.
CEPH = 'ceph'
SWIFT = 'swift'
POSIX = 'posix'
S3 = 's3'
GLUSTERFS = 'glusterfs'
GOOGLE = 'google'
# In the order the lab lists and deploys them.
DRIVERS = (CEPH, SWIFT, POSIX, S3, GLUSTERFS, GOOGLE)
ALL = 'all'
PROFILES = (CEPH, SWIFT, 'both', ALL)
PROFILE_DRIVERS = {CEPH: (CEPH,), SWIFT: (SWIFT,), 'both': (CEPH, SWIFT),
                   ALL: DRIVERS}
# Drivers of Cinder's list the lab does not deploy, and why. nfs is
# checked against the kernel too (kernel_problems).
NOT_DEPLOYED = {
    'nfs': 'the lab deploys no NFS server or client',
    'tsm': 'the TSM backup driver was removed from Cinder in 18.0.0 '
           '(Wallaby); IBM\'s TSM client is not packaged either',
}


def backup_drivers(conf):
    """The backup drivers the lab deploys, in DRIVERS order.

    [DEFAULT] backup_drivers when set, else the profile's.
    """
    wanted = conf.backup_drivers or PROFILE_DRIVERS[conf.profile]
    return [d for d in DRIVERS if d in wanted]


def selected_drivers(conf, wanted):
    """The deployed drivers among the names in "wanted", in DRIVERS order.

    None or empty: every deployed driver. A name the lab does not deploy
    is an error, not a silently shorter run.
    """
    deployed = backup_drivers(conf)
    unknown = sorted(set(wanted or ()) - set(deployed))
    if unknown:
        raise errors.LabError('driver(s) %s not deployed (profile %s runs '
                              '%s)' % (', '.join(unknown), conf.profile,
                                       ', '.join(deployed)))
    return [d for d in deployed if not wanted or d in wanted]


def swift_containers(conf):
    """Swift containers the lab backs up into.

    The driver's default container first, then a second one: the operator
    workflow's two containers.
    """
    first = conf.backup_swift.container
    return [first] + [c for c in ('volumebackups', 'backups')
                      if c != first][:1]


def posix_containers(conf):
    """Sub-directories of the posix driver's path used as containers."""
    return list(conf.backup_posix.containers)


def posix_path(conf):
    """backup_posix_path: [backup_posix] path, else under the state dir."""
    return conf.backup_posix.path or os.path.join(conf.state_dir,
                                                  'backup-posix')


def s3_buckets(conf):
    """S3 buckets the S3 driver backs up into; the first is its default."""
    return list(conf.backup_s3.buckets)


def google_buckets(conf):
    """GCS buckets the google driver backs up into; the first: default."""
    return list(conf.backup_google.buckets)


def glusterfs_dir(conf):
    """Where the lab keeps gluster's server and the driver's mounts."""
    return os.path.join(conf.state_dir, 'gluster')


def glusterfs_mount_base(conf):
    """glusterfs_backup_mount_point: the driver mounts the share below."""
    return os.path.join(glusterfs_dir(conf), 'mnt')


def glusterfs_brick(conf):
    """The volume's one brick: what the volume holds, on this disk."""
    return os.path.join(glusterfs_dir(conf), 'brick')


def glusterfs_containers(conf):
    """Directories of the gluster volume used as containers."""
    return list(conf.backup_glusterfs.containers)


def driver_containers(conf, driver):
    """The containers the lab uses with a (non-Ceph) driver."""
    return {SWIFT: swift_containers, POSIX: posix_containers,
            S3: s3_buckets, GLUSTERFS: glusterfs_containers,
            GOOGLE: google_buckets}[driver](conf)


def uses_rgw(conf):
    """RGW is deployed for the Swift and S3 backup drivers only."""
    drivers = backup_drivers(conf)
    return SWIFT in drivers or S3 in drivers


def swift_per_user(conf):
    """The Swift driver authenticates with each caller's Keystone token."""
    return (SWIFT in backup_drivers(conf)
            and conf.backup_swift.auth == 'per_user')


# Upstream Cinder bugs the lab shows (names shared with the Tempest
# plugin's [cinder_backup_lab] known_cinder_bugs).
BUG_RESTORE_POOL = 'restore-non-default-pool'
BUG_SOURCE_SNAPSHOTS = 'backup-snapshot-left-on-source'
BUG_INCREMENTAL_POOL = 'incremental-another-pool'
BUG_FULL_CLUSTER = 'backup-hangs-on-full-cluster'
BUG_PARENT_OTHER_DRIVER = 'incremental-parent-other-driver'
BUG_S3_EMPTY_PREFIX = 's3-empty-prefix-listing'
# Seen by the fault tests (tests/faults/test_restarts.py): a restart of
# MariaDB or RabbitMQ of a few seconds fails a backup that is running.
BUG_DB_RESTART = 'backup-fails-on-db-restart'
BUG_MQ_RESTART = 'backup-fails-on-rabbitmq-restart'
CINDER_BUGS = (BUG_RESTORE_POOL, BUG_SOURCE_SNAPSHOTS, BUG_INCREMENTAL_POOL,
               BUG_FULL_CLUSTER, BUG_PARENT_OTHER_DRIVER, BUG_S3_EMPTY_PREFIX,
               BUG_DB_RESTART, BUG_MQ_RESTART)
# What patches/cinder fixes (the snapshots only where the backup user may
# remove them: [ceph] backup_user_snapshot_cleanup).
PATCHED_FIXES = (BUG_RESTORE_POOL, BUG_SOURCE_SNAPSHOTS,
                 BUG_INCREMENTAL_POOL, BUG_PARENT_OTHER_DRIVER,
                 BUG_S3_EMPTY_PREFIX)


def known_cinder_bugs(conf):
    """The upstream bugs the lab's Cinder is expected to have."""
    if conf.cinder.known_bugs is not None:
        return list(conf.cinder.known_bugs)
    if conf.cinder.source.strip() == 'patched':
        fixed = [b for b in PATCHED_FIXES
                 if b != BUG_SOURCE_SNAPSHOTS
                 or conf.ceph.backup_user_snapshot_cleanup]
        return [b for b in CINDER_BUGS if b not in fixed]
    return list(CINDER_BUGS)


default_opts = [
    cfg.StrOpt('state_dir', default='/var/lib/cinder-backup-lab',
               help='Directory holding everything the lab creates: Ceph '
                    'config, keyrings, daemon data, logs, pid files, admin '
                    'sockets and generated credentials. "clean" removes it.'),
    cfg.StrOpt('profile', default='both', choices=PROFILES,
               help='Which cinder-backup drivers the lab deploys: the Ceph '
                    '(RBD) driver, the Swift driver pointed at RGW, both '
                    'side by side in two availability zones, or all: every '
                    'driver this lab can run (ceph, swift, posix, s3, '
                    'glusterfs, google), each '
                    'in its own availability zone.'),
    cfg.ListOpt('backup_drivers', default=[],
                help='The backup drivers to deploy, instead of the '
                     'profile\'s: any of ceph, swift, posix, s3, '
                     'glusterfs, google. Empty: the '
                     'profile decides. nfs and tsm are refused with the '
                     'reason (no NFS in this kernel; TSM removed from '
                     'Cinder in 18.0.0).'),
    cfg.StrOpt('bind_host', default='127.0.0.1',
               help='Address every lab service binds to. Must be a loopback '
                    'address: the lab never listens on other networks '
                    '(unless allow_non_loopback is set, for DevStack only).'),
    cfg.BoolOpt('allow_non_loopback', default=False,
                help='DevStack only (multinode job, c-bak on a subnode): '
                     'allow a non-loopback bind_host and [rgw] host. The '
                     'standalone lab keeps this false and stays on '
                     '127.0.0.0/8.'),
    cfg.StrOpt('client_conf_dir', default='',
               help='Directory to export a client-only ceph.conf and the '
                    'keyrings of volume_user, backup_user and the Tempest '
                    'probe user to after "up" (DevStack: /etc/ceph), as '
                    'ceph.client.<user>.keyring, mode 0640. Empty: export '
                    'nothing. With [ceph] deploy = false it is where the '
                    'existing cluster\'s ceph.conf and keyrings are read '
                    'from. "clean" removes only the files it exported.'),
    cfg.StrOpt('client_owner', default='root',
               help='User owning the exported keyrings (owner and group, '
                    'mode 0640), so that os-brick and services running as '
                    'that user (DevStack: the stack user) can read them.'),
    cfg.BoolOpt('deploy_openstack', default=True,
                help='Deploy MariaDB, RabbitMQ, Keystone and Cinder (c-api, '
                     'c-sch, c-vol, c-bak) too. False when DevStack deploys '
                     'them and the lab only provides Ceph and RGW.'),
    cfg.BoolOpt('install_packages', default=True,
                help='Install missing distribution packages with apt-get '
                     'during "up". When false, "up" stops with the list of '
                     'missing packages instead.'),
]

INSTALL_SOURCES = ('distro', 'repo')

ceph_opts = [
    cfg.BoolOpt('deploy', default=True,
                help='Deploy the Ceph cluster and RGW. False: use an '
                     'existing cluster whose ceph.conf and keyrings are '
                     'already in [DEFAULT] client_conf_dir; "up" then only '
                     'checks that it reaches the cluster and that the pools '
                     'exist, and starts nothing. Needs deploy_openstack = '
                     'false.'),
    cfg.StrOpt('install_source', default='distro', choices=INSTALL_SOURCES,
               help='Where the Ceph packages come from: the distribution, '
                    'or a Ceph package repository (repo_url, e.g. a '
                    'mirror) written to an apt source list file before '
                    'packages are installed. Packages already installed '
                    'are kept.'),
    cfg.StrOpt('repo_url', default='',
               help='Ceph Debian repository for install_source = repo, '
                    'e.g. https://mirror.example.org/ceph/debian-reef (the '
                    'distribution codename and "main" are appended).'),
    cfg.StrOpt('repo_key_url', default='',
               help='Signing key (ASCII-armoured or binary) of repo_url, '
                    'downloaded to /etc/apt/keyrings and named in the '
                    'source\'s signed-by. Empty: the key must already be '
                    'trusted by apt.'),
    cfg.StrOpt('release', default='pacific',
               choices=('pacific', 'reef', 'tentacle'),
               help='Ceph release of the daemons (mon, mgr, osd, radosgw) '
                    'and admin tools. pacific: 16.2, the host\'s Debian 12 '
                    'packages. reef (18.2, Debian trixie) and tentacle '
                    '(20.2, Debian sid): run from a Debian root of that '
                    'suite built with debootstrap and cached in '
                    'release_root_dir, never installed on the host. '
                    'Cinder\'s Ceph clients stay the host\'s (Pacific). '
                    'Fixed once the cluster exists.'),
    cfg.StrOpt('release_root_dir',
               default='/var/cache/cinder-backup-lab/ceph-roots',
               help='Where the Debian roots of releases other than the '
                    'host\'s are built and cached, one directory per '
                    'release. Outside the state dir: "clean" keeps them '
                    'unless asked ("clean --release-roots").'),
    cfg.StrOpt('release_mirror', default='',
               help='Debian archive the roots are built from, e.g. '
                    'http://mirror.example.org/debian. Empty: the archive '
                    'the host\'s own apt sources install from.'),
    cfg.BoolOpt('release_mirror_is_snapshot', default=False,
                help='release_mirror is a frozen snapshot of the archive: '
                     'apt in the roots then accepts Release files past '
                     'their Valid-Until (sid\'s expire within a week; '
                     'trixie\'s carry none). Leave false with a live '
                     'mirror: the date check protects against replayed, '
                     'outdated archives.'),
    cfg.PortOpt('mon_port', default=3300,
                help='Port of the Ceph monitor (messenger v2).'),
    cfg.PortOpt('mon_port_v1', default=6789,
                help='Port of the Ceph monitor (legacy messenger v1), for '
                     'older clients.'),
    cfg.IntOpt('osd_size_gb', default=10, min=2, max=4096,
               help='Size in GiB of the sparse file backing the single '
                    'BlueStore OSD. Only written blocks use disk space, but '
                    'the disk must have room for all of it. Fixed once the '
                    'OSD exists.'),
    cfg.IntOpt('pg_num', default=8, min=1, max=256,
               help='Placement groups per pool (the autoscaler is off).'),
    cfg.StrOpt('volumes_pool', default='volumes',
               help='Pool for Cinder volumes (RBD images of the volume '
                    'backend).'),
    cfg.ListOpt('backup_pools', default=['backups', 'volumebackups'],
                help='Pools the Ceph backup driver may write to: the first '
                     'is backup_ceph_pool, each of them can be asked for as '
                     'a backup "container".'),
    cfg.StrOpt('volume_user', default='cinder',
               help='cephx user (without "client.") of the volume service: '
                    'read/write on the volumes pool only.'),
    cfg.StrOpt('backup_user', default='cinder-backup',
               help='cephx user (without "client.") of the backup service: '
                    'read/write on the backup pools only.'),
    cfg.BoolOpt('backup_user_snapshot_cleanup', default=False,
                help='Also let backup_user remove the backup snapshots '
                     'Cinder leaves on source volumes, which a Cinder with '
                     'patches/cinder/0002 does when a backup is deleted: '
                     'read of rbd_id.* and rbd_info, write of rbd_header.* '
                     'and rbd_object_map.* in the volumes pool; no access '
                     'to volume data. The trade: the user can then create, '
                     'remove or change any snapshot or image header of the '
                     'volumes pool. False: the caps of the upstream '
                     'guides (backup pools only); the snapshots stay.'),
    cfg.IntOpt('osd_memory_target_mb', default=1024, min=896,
               help='BlueStore cache/memory target of the OSD in MiB. '
                    'Ceph\'s default (4 GiB) is too much for a lab.'),
    cfg.FloatOpt('nearfull_ratio', default=0.85, min=0.05, max=0.98,
                 help='Used fraction of the OSD at which Ceph warns '
                      '(OSD_NEARFULL); "status", "doctor" and the '
                      'preflight of big writes use it too. Set by every '
                      '"up", so a lab left with other ratios (an '
                      'interrupted fault test) gets these back.'),
    cfg.FloatOpt('full_ratio', default=0.95, min=0.06, max=0.99,
                 help='Used fraction of the OSD at which Ceph stops '
                      'writes (OSD_FULL): clients, RGW and c-bak, wait. '
                      'Set by every "up"; must be above nearfull_ratio.'),
]

rgw_opts = [
    cfg.PortOpt('port', default=8080,
                help='Port of the RADOS Gateway (beast frontend).'),
    cfg.StrOpt('host', default='',
               help='Address or host name clients (Cinder, Tempest) use to '
                    'reach RGW. Empty: bind_host. Needed when [ceph] '
                    'deploy = false and RGW runs on another node; a '
                    'non-loopback value needs allow_non_loopback.'),
    cfg.StrOpt('uid', default='cinder-backup',
               help='RGW user that owns the backup containers in the '
                    'single_user Swift arrangement.'),
    cfg.StrOpt('subuser', default='swift',
               help='Swift subuser of the RGW user; the Swift user name is '
                    '"<uid>:<subuser>", as operators set it up.'),
    cfg.StrOpt('display_name', default='Cinder backup lab',
               help='Display name of the RGW user.'),
    cfg.StrOpt('s3_uid', default='cinder-backup-s3',
               help='RGW user whose S3 keys the S3 backup driver uses: a '
                    'user of its own, so the S3 c-bak cannot reach the '
                    'Swift driver\'s containers (least privilege).'),
    cfg.IntOpt('gc_min_wait', default=60, min=0, max=7200,
               help='Seconds after a Swift object is deleted before RGW\'s '
                    'garbage collector may free its data '
                    '(rgw_gc_obj_min_wait; Ceph\'s default, 7200, lets '
                    'deleted backups fill a small lab cluster). The '
                    'collector runs every gc_min_wait seconds too (at '
                    'least every 30 s).'),
]


database_opts = [
    cfg.PortOpt('port', default=3306,
                help='TCP port of the lab\'s MariaDB server (bound to '
                     'bind_host only).'),
    cfg.IntOpt('buffer_pool_mb', default=64, min=16,
               help='InnoDB buffer pool of the lab\'s MariaDB in MiB; the '
                    'lab\'s databases are small.'),
]

messaging_opts = [
    cfg.PortOpt('port', default=5672,
                help='AMQP port of the lab\'s RabbitMQ (bound to bind_host '
                     'only).'),
    cfg.PortOpt('dist_port', default=25672,
                help='Erlang distribution port of the lab\'s RabbitMQ node '
                     '(used by rabbitmqctl; bound to bind_host only).'),
    cfg.PortOpt('epmd_port', default=4369,
                help='Port of the Erlang port mapper daemon the RabbitMQ '
                     'node registers with (bound to bind_host only).'),
    cfg.StrOpt('user', default='cinder-lab',
               help='RabbitMQ user of the OpenStack services; its password '
                    'is generated and kept in a 0600 file.'),
]

memcached_opts = [
    cfg.PortOpt('port', default=11211,
                help='Port of the memcached that caches Keystone tokens '
                     'and lookups (bound to bind_host only).'),
    cfg.IntOpt('memory_mb', default=64, min=8,
               help='Memory limit of memcached in MiB.'),
]

keystone_opts = [
    cfg.PortOpt('port', default=5000,
                help='Port of the Keystone API (gunicorn).'),
    cfg.IntOpt('workers', default=1, min=1, max=8,
               help='gunicorn worker processes of Keystone (each is a '
                    'full Python process: ~100 MiB).'),
    cfg.IntOpt('threads', default=4, min=1, max=64,
               help='Threads per gunicorn worker of Keystone.'),
    cfg.StrOpt('region', default='RegionOne',
               help='Region of the endpoints registered in the catalog.'),
    cfg.StrOpt('demo_project', default='demo',
               help='Non-admin project for the demo user (openrc-demo).'),
    cfg.StrOpt('demo_user', default='demo',
               help='Non-admin user with the member role in demo_project.'),
]

cinder_opts = [
    cfg.PortOpt('api_port', default=8776,
                help='Port of the Cinder API (gunicorn).'),
    cfg.IntOpt('api_workers', default=1, min=1, max=8,
               help='gunicorn worker processes of the Cinder API.'),
    cfg.StrOpt('host', default='cbl',
               help='"host" of cinder-volume and cinder-scheduler; the '
                    'volume backend is <host>@<volume_backend>. Fixed once '
                    'volumes exist (they are bound to it).'),
    cfg.StrOpt('volume_backend', default='ceph',
               help='Name of the RBD volume backend section.'),
    cfg.StrOpt('volume_type', default='ceph',
               help='Volume type created for the RBD backend (the '
                    'operator workflow\'s '
                    'type=ceph); it is also the default volume type.'),
    cfg.StrOpt('default_az', default='nova',
               help='Availability zone of cinder-volume and of the Ceph '
                    'driver cinder-backup: tools that pass no AZ land here, '
                    'as in a single-driver cloud.'),
    cfg.StrOpt('swift_az', default='az-swift',
               help='Availability zone of the Swift-driver cinder-backup; '
                    'backups reach it with availability_zone (API '
                    'microversion >= 3.51). Must differ from default_az: '
                    'each AZ holds c-bak of one driver only.'),
    cfg.StrOpt('posix_az', default='az-posix',
               help='Availability zone of the posix-driver cinder-backup '
                    '(profile all, or posix in backup_drivers).'),
    cfg.StrOpt('s3_az', default='az-s3',
               help='Availability zone of the S3-driver cinder-backup '
                    '(profile all, or s3 in backup_drivers).'),
    cfg.StrOpt('glusterfs_az', default='az-glusterfs',
               help='Availability zone of the glusterfs-driver '
                    'cinder-backup (profile all, or glusterfs in '
                    'backup_drivers).'),
    cfg.StrOpt('google_az', default='az-google',
               help='Availability zone of the google (GCS) driver '
                    'cinder-backup (profile all, or google in '
                    'backup_drivers).'),
    cfg.IntOpt('report_interval', default=10, min=1,
               help='Seconds between service heartbeats in the database.'),
    cfg.IntOpt('periodic_interval', default=20, min=1,
               help='Seconds between periodic tasks, including the '
                    'capability reports the scheduler needs before it '
                    'accepts a backup service.'),
    cfg.BoolOpt('debug', default=False,
                help='Debug logging in the Cinder services\' log files.'),
    cfg.ListOpt('known_bugs', default=None,
                help='Upstream Cinder bugs the lab\'s Cinder is expected to '
                     'have (the demo\'s expected failures and the Tempest '
                     'plugin\'s known_cinder_bugs in the lab\'s '
                     'tempest.conf). Unset: all of them for source = '
                     'release (or a tree or git ref); for source = '
                     'patched only backup-hangs-on-full-cluster, '
                     'backup-fails-on-db-restart and '
                     'backup-fails-on-rabbitmq-restart (no patch for '
                     'them), and backup-snapshot-left-on-source when '
                     '[ceph] backup_user_snapshot_cleanup is false (the '
                     'fixed driver may not remove the snapshot then). '
                     'Names: restore-non-default-pool, '
                     'backup-snapshot-left-on-source, '
                     'incremental-another-pool, '
                     'backup-hangs-on-full-cluster, '
                     'incremental-parent-other-driver, '
                     's3-empty-prefix-listing, '
                     'backup-fails-on-db-restart, '
                     'backup-fails-on-rabbitmq-restart.'),
    cfg.StrOpt('source', default='release',
               help='Which Cinder the lab runs (deploy_openstack = true). '
                    '"release": the release pinned in '
                    'constraints/upper-constraints.txt. "patched": that '
                    'release\'s sdist (pip download) with the repository\'s '
                    'patches/cinder/*.patch applied, built under '
                    '<state_dir>/cinder-src and installed editable. An '
                    'absolute path: a local Cinder source tree, installed '
                    'editable into the lab\'s venv (edit it, then '
                    '"cinder-backup-lab reload-cinder"). git+<url>@<ref>: '
                    'cloned into <state_dir>/cinder-src/git at ref and '
                    'installed editable. Trees are installed without their '
                    'dependencies: the pinned libraries are used.'),
]


def _host_opt(driver):
    return cfg.StrOpt('host', default='cbl-backup-%s' % driver,
                      help='"host" of the %s-driver cinder-backup.' % driver)


def _containers_opt(name, default, what, cinder_option, note=''):
    """The containers of a driver; the first is Cinder's default one."""
    return cfg.ListOpt(name, default=default,
                       help='%s used as backup containers; the first is %s '
                            '(the default).%s' % (what, cinder_option,
                                                  note and ' ' + note))


def _chunk_opts(size_name, block_name, size_option, block_option):
    """The chunked drivers' object (or file) size and change-tracking unit."""
    return [
        cfg.IntOpt(size_name, default=52428800, min=1,
                   help='%s in bytes: the size of each '
                        'object or file of a backup; a multiple of %s.'
                        % (size_option, block_name)),
        cfg.IntOpt(block_name, default=32768, min=1,
                   help='%s in bytes: the unit of change '
                        'tracking for incremental backups.' % block_option),
    ]


backup_ceph_opts = [
    _host_opt('ceph'),
    cfg.IntOpt('chunk_size', default=134217728, min=4096,
               help='backup_ceph_chunk_size: bytes per chunk when the '
                    'driver copies a non-RBD volume (seed: 128 MiB).'),
    cfg.IntOpt('stripe_unit', default=0, min=0,
               help='backup_ceph_stripe_unit (0: RBD default).'),
    cfg.IntOpt('stripe_count', default=0, min=0,
               help='backup_ceph_stripe_count (0: RBD default).'),
    cfg.BoolOpt('restore_discard_excess_bytes', default=True,
                help='restore_discard_excess_bytes: zero the bytes of a '
                     'larger target volume beyond the backup on restore.'),
]

SWIFT_AUTH_MODES = ('single_user', 'per_user')
COMPRESSIONS = ('none', 'zlib', 'bz2', 'zstd')

backup_swift_opts = [
    _host_opt('swift'),
    cfg.StrOpt('auth', default='single_user', choices=SWIFT_AUTH_MODES,
               help='single_user: the usual arrangement, v1 auth with '
                    'the RGW swift subuser of [rgw]. per_user: the caller\'s '
                    'Keystone token, validated by RGW (rgw_keystone_*), '
                    'with an object-store endpoint in the catalog and '
                    'implicit tenants.'),
    cfg.StrOpt('container', default='volumebackups',
               help='backup_swift_container: container used when a '
                    'backup names none.'),
] + _chunk_opts('object_size', 'block_size', 'backup_swift_object_size',
                'backup_swift_block_size') + [
    cfg.IntOpt('retry_attempts', default=3, min=1,
               help='backup_swift_retry_attempts.'),
    cfg.IntOpt('retry_backoff', default=2, min=1,
               help='backup_swift_retry_backoff in seconds.'),
    cfg.StrOpt('compression', default='zlib', choices=COMPRESSIONS,
               help='backup_compression_algorithm of the Swift-driver '
                    'cinder-backup.'),
]

backup_posix_opts = [
    _host_opt('posix'),
    cfg.StrOpt('path', default='',
               help='backup_posix_path: the directory the posix driver '
                    'writes to. Empty: <state_dir>/backup-posix ("clean" '
                    'removes it).'),
    _containers_opt('containers', ['volumebackups', 'backups'],
                    'Sub-directories of path', 'backup_container'),
] + _chunk_opts('file_size', 'sha_block_size', 'backup_file_size',
                'backup_sha_block_size_bytes')

backup_s3_opts = [
    _host_opt('s3'),
    _containers_opt('buckets', ['s3-volumebackups', 's3-backups'],
                    'S3 buckets on RGW\'s S3 API', 'backup_s3_store_bucket',
                    'RGW buckets and Swift containers share one namespace, '
                    'so they must differ from the Swift containers.'),
] + _chunk_opts('object_size', 'block_size', 'backup_s3_object_size',
                'backup_s3_block_size')

backup_google_opts = [
    _host_opt('google'),
    cfg.StrOpt('address', default='127.0.43.1',
               help='Loopback address (127.x.y.z, not 127.0.0.1 nor '
                    'bind_host) whose port 443 the lab\'s GCS emulator '
                    'takes; the google c-bak\'s own /etc/hosts maps the '
                    'storage host name to it. Port 443 is well known and '
                    'other labs may share the machine: give each lab an '
                    'address of its own.'),
    _containers_opt('buckets', ['gcs-volumebackups', 'gcs-backups'],
                    'GCS buckets (on the emulator)', 'backup_gcs_bucket'),
    cfg.StrOpt('project_id', default='cinder-backup-lab',
               help='backup_gcs_project_id, also the generated service '
                    'account\'s project.'),
] + _chunk_opts('object_size', 'block_size', 'backup_gcs_object_size',
                'backup_gcs_block_size')


backup_glusterfs_opts = [
    _host_opt('glusterfs'),
    cfg.StrOpt('volume', default='cbl-backups',
               help='The gluster volume the driver mounts '
                    '(glusterfs_backup_share = <server_address>:<volume>); '
                    'one brick under <state_dir>/gluster/brick.'),
    _containers_opt('containers', ['volumebackups', 'backups'],
                    'Directories of the gluster volume', 'backup_container'),
    cfg.StrOpt('netns', default='cbl-gluster',
               help='Network namespace of the lab\'s own that holds the '
                    'brick host (glusterd and its brick): gluster refuses '
                    'a volume on a loopback address.'),
    cfg.StrOpt('veth_host', default='cblgl0',
               help='Name of the veth end on the host side (at most 15 '
                    'characters); must not name an existing interface that '
                    'is not the lab\'s.'),
    cfg.StrOpt('veth_server', default='cblgl1',
               help='Name of the veth end inside netns.'),
    cfg.StrOpt('host_address', default='10.252.77.1',
               help='Private IPv4 address of the host end of the veth '
                    'pair (the c-bak mounts the volume from it).'),
    cfg.StrOpt('server_address', default='10.252.77.2',
               help='Private IPv4 address of the brick host inside netns, '
                    'in the same subnet as host_address.'),
    cfg.IntOpt('prefix_length', default=30, min=24, max=30,
               help='Prefix length of the veth pair\'s subnet; the subnet '
                    'must not overlap any network of the machine.'),
] + _chunk_opts('file_size', 'sha_block_size', 'backup_file_size',
                'backup_sha_block_size_bytes')

rgw_keystone_opts = [
    cfg.StrOpt('url', default='',
               help='Keystone URL RGW validates tokens with in per_user '
                    'Swift mode when deploy_openstack = false (DevStack\'s '
                    'Keystone). With deploy_openstack = true the lab\'s own '
                    'Keystone is used and this group must stay empty.'),
    cfg.StrOpt('user', default='',
               help='Keystone user RGW validates tokens as (a service '
                    'user; the service role is enough).'),
    cfg.StrOpt('password', default='', secret=True,
               help='Password of user. Written only to a 0600 file that '
                    'RGW reads (rgw_keystone_admin_password_path).'),
    cfg.StrOpt('project', default='service',
               help='Project of user (rgw_keystone_admin_project).'),
    cfg.StrOpt('domain', default='Default',
               help='Domain of user and project (RGW takes one domain for '
                    'both: rgw_keystone_admin_domain).'),
]

GROUPS = (('database', database_opts), ('messaging', messaging_opts),
          ('memcached', memcached_opts), ('keystone', keystone_opts),
          ('cinder', cinder_opts), ('backup_ceph', backup_ceph_opts),
          ('backup_swift', backup_swift_opts),
          ('backup_posix', backup_posix_opts),
          ('backup_s3', backup_s3_opts),
          ('backup_glusterfs', backup_glusterfs_opts),
          ('backup_google', backup_google_opts),
          ('rgw_keystone', rgw_keystone_opts))


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(ceph_opts, group='ceph')
    conf.register_opts(rgw_opts, group='rgw')
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)


def list_opts():
    """For oslo-config-generator."""
    return [('DEFAULT', default_opts), ('ceph', ceph_opts),
            ('rgw', rgw_opts)] + list(GROUPS)


# Pool names: Ceph itself accepts almost anything, but "/" and "@" break
# RBD image specs, a leading "." is reserved for internal pools, and
# Cinder passes the name around unquoted.
_POOL_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$')
_CEPH_USER = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
_RGW_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
# Pools that Ceph or RGW create for themselves in this lab.
RESERVED_POOLS = ('device_health_metrics', '.mgr', '.rgw.root')
RESERVED_POOL_PREFIX = 'default.rgw.'


def kernel_filesystems(path='/proc/filesystems'):
    """Filesystem types the running kernel supports (its own list)."""
    try:
        with open(path) as f:
            return {line.split()[-1] for line in f if line.strip()}
    except OSError:
        return set()


def driver_problems(requested, filesystems):
    """Why requested backup drivers cannot be deployed (pure).

    filesystems: what the kernel supports (kernel_filesystems()).
    """
    errors = []
    for name in requested:
        if name in DRIVERS:
            continue
        if name == 'nfs':
            if 'nfs' in filesystems:
                errors.append('backup driver nfs: this kernel has an NFS '
                              'client, but %s' % NOT_DEPLOYED['nfs'])
            else:
                errors.append(
                    'backup driver nfs: this kernel has no NFS client ('
                    '"nfs" is not in /proc/filesystems and the lab loads '
                    'no kernel modules), so the driver\'s mount of its '
                    'share would fail ("mount.nfs: No such device"). It '
                    'needs a machine whose kernel has NFS client support '
                    '(CONFIG_NFS_FS, built in or as a loadable module) '
                    'and an NFS server exporting a share to it; remove '
                    'nfs from [DEFAULT] backup_drivers')
        elif name in NOT_DEPLOYED:
            errors.append('backup driver %s: %s; remove it from [DEFAULT] '
                          'backup_drivers' % (name, NOT_DEPLOYED[name]))
        else:
            errors.append('[DEFAULT] backup_drivers: unknown driver %r; '
                          'use any of %s' % (name, ', '.join(DRIVERS)))
    return errors


def validate(conf, filesystems=None):
    """Return a list of error messages; empty when the config is good.

    filesystems: the kernel's filesystem types; None reads them.
    """
    errors = []
    if conf.backup_drivers:
        errors += driver_problems(
            conf.backup_drivers,
            kernel_filesystems() if filesystems is None else filesystems)
    try:
        host = ipaddress.ip_address(conf.bind_host)
        if host.version != 4:
            errors.append('bind_host %s is not an IPv4 address'
                          % conf.bind_host)
        elif not host.is_loopback and not conf.allow_non_loopback:
            errors.append('bind_host %s is not an IPv4 loopback address; '
                          'the lab only listens on 127.0.0.0/8 (only a '
                          'DevStack multinode setup may set '
                          'allow_non_loopback = true)' % conf.bind_host)
    except ValueError:
        errors.append('bind_host %r is not an IP address' % conf.bind_host)
    errors += validate_contract(conf)

    if not conf.state_dir.startswith('/') or conf.state_dir.rstrip('/') in (
            '', '/etc', '/var', '/var/lib', '/usr', '/root', '/home',
            '/tmp'):
        errors.append('state_dir %r must be an absolute path of its own '
                      '(clean removes it)' % conf.state_dir)

    pools = [conf.ceph.volumes_pool] + list(conf.ceph.backup_pools)
    if not conf.ceph.backup_pools:
        errors.append('[ceph] backup_pools is empty; name at least one '
                      'pool for the Ceph backup driver')
    for pool in pools:
        if pool in RESERVED_POOLS or pool.startswith(RESERVED_POOL_PREFIX):
            errors.append('pool name %r is reserved for Ceph/RGW internal '
                          'use' % pool)
        elif not _POOL_NAME.match(pool or ''):
            errors.append(
                'pool name %r is not usable: use 1-63 letters, digits, '
                '"_" or "-", starting with a letter or digit' % pool)
    dupes = sorted({p for p in pools if pools.count(p) > 1})
    if dupes:
        errors.append('pool names must be distinct; repeated: %s'
                      % ', '.join(dupes))

    for opt in ('volume_user', 'backup_user'):
        name = getattr(conf.ceph, opt)
        if name.startswith('client.'):
            errors.append('[ceph] %s %r: give the name without "client."'
                          % (opt, name))
        elif not _CEPH_USER.match(name or ''):
            errors.append('[ceph] %s %r is not a valid cephx user name'
                          % (opt, name))
    if conf.ceph.volume_user == conf.ceph.backup_user:
        errors.append('[ceph] volume_user and backup_user must differ: '
                      'each gets only the caps its service needs')
    if conf.ceph.nearfull_ratio >= conf.ceph.full_ratio:
        errors.append('[ceph] nearfull_ratio %s must be below full_ratio '
                      '%s: Ceph warns before it stops writes'
                      % (conf.ceph.nearfull_ratio, conf.ceph.full_ratio))

    for opt in ('uid', 'subuser'):
        value = getattr(conf.rgw, opt)
        if not _RGW_NAME.match(value or ''):
            errors.append('[rgw] %s %r: use letters, digits, "_" or "-"'
                          % (opt, value))

    ports = {'[ceph] mon_port': conf.ceph.mon_port,
             '[ceph] mon_port_v1': conf.ceph.mon_port_v1,
             '[rgw] port': conf.rgw.port}
    ports.update(openstack_ports(conf))
    errors += validate_openstack(conf)
    seen = {}
    for name, port in ports.items():
        if port in seen:
            errors.append('%s and %s are both %d; give each its own port'
                          % (seen[port], name, port))
        seen.setdefault(port, name)
        if 6800 <= port <= 7300:
            errors.append('%s %d is inside Ceph\'s OSD/MGR port range '
                          '6800-7300' % (name, port))
    return errors


_URL = re.compile(r'^https?://[^\s/]+(/\S*)?$')
_HOSTNAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$')


def is_loopback(host):
    """True for a loopback address or "localhost"."""
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_contract(conf):
    """Checks of the options DevStack (or another deployer) uses."""
    errors = []
    rgw_host = conf.rgw.host
    if rgw_host:
        if not _HOSTNAME.match(rgw_host):
            errors.append('[rgw] host %r is not an address or host name'
                          % rgw_host)
        elif not is_loopback(rgw_host) and not conf.allow_non_loopback:
            errors.append('[rgw] host %s is not a loopback address; leave '
                          'it empty (bind_host is used) or, in a DevStack '
                          'multinode setup only, set allow_non_loopback = '
                          'true' % rgw_host)
    if conf.client_conf_dir:
        if not conf.client_conf_dir.startswith('/'):
            errors.append('client_conf_dir %r must be an absolute path'
                          % conf.client_conf_dir)
        elif conf.client_conf_dir.rstrip('/').startswith(
                conf.state_dir.rstrip('/') + '/') or \
                conf.client_conf_dir.rstrip('/') == conf.state_dir.rstrip('/'):
            errors.append('client_conf_dir %s is inside state_dir; export '
                          'to a directory of its own (e.g. /etc/ceph)'
                          % conf.client_conf_dir)
        try:
            pwd.getpwnam(conf.client_owner)
        except KeyError:
            errors.append('client_owner %r is not a user on this machine; '
                          'name the user the Cinder services run as'
                          % conf.client_owner)
    c = conf.ceph
    if not c.deploy:
        if not conf.client_conf_dir:
            errors.append('[ceph] deploy = false needs client_conf_dir: '
                          'the directory holding the existing cluster\'s '
                          'ceph.conf and keyrings')
        if conf.deploy_openstack:
            errors.append('[ceph] deploy = false needs deploy_openstack = '
                          'false: the lab\'s own Cinder only runs on the '
                          'lab\'s own cluster')
    if c.install_source == 'repo':
        if not c.repo_url:
            errors.append('[ceph] install_source = repo needs repo_url, '
                          'e.g. https://mirror.example.org/ceph/debian-reef')
    elif c.repo_url or c.repo_key_url:
        errors.append('[ceph] repo_url/repo_key_url are set but '
                      'install_source is %s; set install_source = repo or '
                      'remove them' % c.install_source)
    for opt in ('repo_url', 'repo_key_url'):
        value = getattr(c, opt)
        if value and not _URL.match(value):
            errors.append('[ceph] %s %r is not an http(s) URL'
                          % (opt, value))
    rk = conf.rgw_keystone
    per_user = swift_per_user(conf)
    if conf.deploy_openstack:
        if rk.url or rk.user or rk.password:
            errors.append('[rgw_keystone] is only used with '
                          'deploy_openstack = false (the lab\'s own '
                          'Keystone is used otherwise); remove it')
    elif per_user and c.deploy:
        missing = [o for o in ('url', 'user', 'password', 'project')
                   if not getattr(rk, o)]
        if missing:
            errors.append('[backup_swift] auth = per_user with '
                          'deploy_openstack = false needs [rgw_keystone] '
                          '%s: the Keystone RGW validates tokens with'
                          % ', '.join(missing))
        elif not _URL.match(rk.url):
            errors.append('[rgw_keystone] url %r is not an http(s) URL'
                          % rk.url)
    return errors


def openstack_ports(conf):
    return {'[database] port': conf.database.port,
            '[messaging] port': conf.messaging.port,
            '[messaging] dist_port': conf.messaging.dist_port,
            '[messaging] epmd_port': conf.messaging.epmd_port,
            '[memcached] port': conf.memcached.port,
            '[keystone] port': conf.keystone.port,
            '[cinder] api_port': conf.cinder.api_port}


_AZ_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
_HOST_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def validate_openstack(conf):
    """Checks of the OpenStack half's options; a list of messages."""
    errors = []
    sw = conf.backup_swift
    if sw.object_size % sw.block_size:
        errors.append(
            '[backup_swift] object_size %d is not a multiple of block_size '
            '%d; Cinder\'s Swift driver would refuse every backup. Use e.g. '
            'object_size = %d' % (sw.object_size, sw.block_size,
                                  max(1, sw.object_size // sw.block_size)
                                  * sw.block_size))
    for group, size, block in (('backup_posix', 'file_size',
                                'sha_block_size'),
                               ('backup_s3', 'object_size', 'block_size'),
                               ('backup_glusterfs', 'file_size',
                                'sha_block_size'),
                               ('backup_google', 'object_size',
                                'block_size')):
        g = conf[group]
        if getattr(g, size) % getattr(g, block):
            errors.append('[%s] %s %d is not a multiple of %s %d; the '
                          'driver would refuse every backup'
                          % (group, size, getattr(g, size), block,
                             getattr(g, block)))
    c = conf.cinder
    zones = {'default_az': c.default_az, 'swift_az': c.swift_az,
             'posix_az': c.posix_az, 's3_az': c.s3_az,
             'glusterfs_az': c.glusterfs_az, 'google_az': c.google_az}
    for opt, value in zones.items():
        if not _AZ_NAME.match(value or ''):
            errors.append('[cinder] %s %r: use letters, digits, ".", "_" '
                          'or "-"' % (opt, value))
    if len(set(zones.values())) != len(zones):
        errors.append('[cinder] %s must all differ: each cinder-backup '
                      'driver needs an AZ of its own (a c-bak is picked at '
                      'random inside an AZ)' % ', '.join(zones))
    hosts = {'[cinder] host': c.host,
             '[backup_ceph] host': conf.backup_ceph.host,
             '[backup_swift] host': conf.backup_swift.host,
             '[backup_posix] host': conf.backup_posix.host,
             '[backup_s3] host': conf.backup_s3.host,
             '[backup_glusterfs] host': conf.backup_glusterfs.host,
             '[backup_google] host': conf.backup_google.host}
    for name, value in hosts.items():
        if not _HOST_NAME.match(value or ''):
            errors.append('%s %r: use letters, digits, ".", "_" or "-"'
                          % (name, value))
    if len(set(hosts.values())) != len(hosts):
        errors.append('%s must all differ; each cinder service needs its '
                      'own host' % ', '.join(hosts))
    if not _RGW_NAME.match(sw.container or ''):
        errors.append('[backup_swift] container %r: use letters, digits, '
                      '"_" or "-"' % sw.container)
    errors += _container_problems('[backup_posix] containers',
                                  conf.backup_posix.containers, _RGW_NAME)
    errors += _container_problems('[backup_glusterfs] containers',
                                  conf.backup_glusterfs.containers,
                                  _RGW_NAME)
    errors += validate_glusterfs(conf.backup_glusterfs)
    errors += _container_problems('[backup_s3] buckets',
                                  conf.backup_s3.buckets, _S3_BUCKET)
    shared = sorted(set(conf.backup_s3.buckets) & set(swift_containers(conf)))
    if shared:
        errors.append('[backup_s3] buckets %s are also Swift containers: '
                      'RGW keeps buckets and containers in one namespace, '
                      'give the S3 buckets names of their own'
                      % ', '.join(shared))
    errors += google_problems(conf)
    if conf.rgw.s3_uid == conf.rgw.uid:
        errors.append('[rgw] s3_uid and uid are both %r: the S3 driver '
                      'gets a user of its own' % conf.rgw.uid)
    elif not _RGW_NAME.match(conf.rgw.s3_uid or ''):
        errors.append('[rgw] s3_uid %r: use letters, digits, "_" or "-"'
                      % conf.rgw.s3_uid)
    path = conf.backup_posix.path
    if path and (not path.startswith('/') or path.rstrip('/') in (
            '', '/etc', '/var', '/var/lib', '/usr', '/root', '/home',
            '/tmp')):
        errors.append('[backup_posix] path %r must be an absolute path of '
                      'its own' % path)
    errors += validate_cinder_source(conf.cinder.source,
                                     conf.deploy_openstack)
    unknown = [b for b in conf.cinder.known_bugs or []
               if b not in CINDER_BUGS]
    if unknown:
        errors.append('[cinder] known_bugs: unknown %s; known names: %s'
                      % (', '.join(unknown), ', '.join(CINDER_BUGS)))
    return errors


# GCS bucket names: lowercase letters, digits, "-", "_" and ".", 3-63,
# starting and ending with a letter or digit (no dots here: the lab's
# certificate names no bucket hosts).
_GCS_BUCKET = re.compile(r'^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$')


def google_problems(conf):
    """Checks of [backup_google] (pure)."""
    g = conf.backup_google
    errors = _container_problems('[backup_google] buckets', g.buckets,
                                 _GCS_BUCKET)
    if not re.match(r'^[a-z][a-z0-9-]{4,28}[a-z0-9]$', g.project_id or ''):
        errors.append('[backup_google] project_id %r: use 6-30 lowercase '
                      'letters, digits or "-", starting with a letter'
                      % g.project_id)
    try:
        ip = ipaddress.ip_address(g.address)
    except ValueError:
        return errors + ['[backup_google] address %r is not an IP address'
                         % g.address]
    if ip.version != 4 or not ip.is_loopback:
        errors.append('[backup_google] address %s is not an IPv4 loopback '
                      'address (127.0.0.0/8): the GCS emulator listens on '
                      'loopback only' % g.address)
    elif g.address in ('127.0.0.1', conf.bind_host):
        errors.append('[backup_google] address %s is shared (127.0.0.1 '
                      'and bind_host are used by other programs and labs) '
                      'and the GCS emulator takes port 443 on it: give the '
                      'lab a loopback address of its own, e.g. 127.0.43.1'
                      % g.address)
    return errors


# Linux interface names: at most 15 characters (IFNAMSIZ), no "/" or
# blanks; a network namespace name becomes a file in /run/netns.
_IFNAME = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,14}$')
_NETNS = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,63}$')
_GLUSTER_VOLUME = re.compile(r'^[A-Za-z][A-Za-z0-9_-]{0,63}$')


def glusterfs_subnet(g):
    """The veth pair's IPv4 network; ValueError if the values make none."""
    return ipaddress.ip_interface('%s/%d' % (g.host_address,
                                             g.prefix_length)).network


def validate_glusterfs(g):
    """Checks of [backup_glusterfs] (pure); a list of messages.

    The brick host lives behind a veth pair of the lab's own: private
    addresses of one small subnet, interface names the lab may create.
    The machine's own networks are checked when the pair is made
    (storage.gluster.network_problems).
    """
    errors = []
    if not _GLUSTER_VOLUME.match(g.volume or ''):
        errors.append('[backup_glusterfs] volume %r: use letters, digits, '
                      '"_" or "-", starting with a letter' % g.volume)
    if not _NETNS.match(g.netns or ''):
        errors.append('[backup_glusterfs] netns %r: use letters, digits, '
                      '".", "_" or "-", starting with a letter' % g.netns)
    for opt in ('veth_host', 'veth_server'):
        name = getattr(g, opt) or ''
        if not _IFNAME.match(name):
            errors.append('[backup_glusterfs] %s %r is not a usable '
                          'interface name (a letter, then up to 14 letters, '
                          'digits, ".", "_" or "-")' % (opt, name))
        elif name in ('lo', 'eth0') or name.startswith(('eth', 'en', 'wl')):
            errors.append('[backup_glusterfs] %s %r looks like a real '
                          'interface of the machine; the lab only makes '
                          'its own veth pair' % (opt, name))
    if g.veth_host == g.veth_server:
        errors.append('[backup_glusterfs] veth_host and veth_server must '
                      'differ')
    addresses = []
    for opt in ('host_address', 'server_address'):
        value = getattr(g, opt) or ''
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            errors.append('[backup_glusterfs] %s %r is not an IP address'
                          % (opt, value))
            continue
        if address.version != 4:
            errors.append('[backup_glusterfs] %s %s is not IPv4'
                          % (opt, value))
        elif address.is_loopback:
            errors.append('[backup_glusterfs] %s %s is a loopback address: '
                          'gluster refuses a brick on loopback' % (opt, value))
        elif (not address.is_private or address.is_link_local
              or address.is_multicast or address.is_unspecified
              or address.is_reserved):
            errors.append('[backup_glusterfs] %s %s is not a private '
                          'address (use one of 10.0.0.0/8, 172.16.0.0/12, '
                          '192.168.0.0/16)' % (opt, value))
        else:
            addresses.append(address)
    if len(addresses) == 2:
        net = glusterfs_subnet(g)
        if addresses[0] == addresses[1]:
            errors.append('[backup_glusterfs] host_address and '
                          'server_address are both %s' % addresses[0])
        elif addresses[1] not in net:
            errors.append('[backup_glusterfs] server_address %s is not in '
                          '%s, the subnet of host_address/prefix_length'
                          % (addresses[1], net))
        else:
            for address in addresses:
                if address in (net.network_address, net.broadcast_address):
                    errors.append('[backup_glusterfs] %s is the network or '
                                  'broadcast address of %s' % (address, net))
    return errors


# S3 bucket names (the DNS-compatible rules RGW applies).
_S3_BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')


def _container_problems(name, values, pattern):
    errors = []
    if not values:
        errors.append('%s is empty; name at least one' % name)
    for value in values:
        if not pattern.match(value or ''):
            errors.append('%s: %r is not a usable name' % (name, value))
    if len(set(values)) != len(values):
        errors.append('%s: names must be distinct' % name)
    return errors


# [cinder] source: the kinds of Cinder the lab can run, and its parsing.
CINDER_RELEASE = 'release'
CINDER_PATCHED = 'patched'
CINDER_TREE = 'tree'
CINDER_GIT = 'git'

CinderSource = collections.namedtuple('CinderSource', 'kind path url ref')

_GIT_SOURCE = re.compile(r'^git\+((?:https?|ssh|file|git)://\S+?)@'
                         r'([^@\s/][^@\s]*)$')
_CINDER_SOURCE_FORMS = (
    '"release" (the pinned PyPI release), "patched" (the pinned release '
    'with the patches in patches/cinder), an absolute path to a Cinder '
    'source tree, or git+<url>@<ref>')


def parse_cinder_source(value):
    """The CinderSource a [cinder] source value names; ValueError if none."""
    value = (value or '').strip()
    if value in (CINDER_RELEASE, CINDER_PATCHED):
        return CinderSource(value, None, None, None)
    if value.startswith('git+'):
        m = _GIT_SOURCE.match(value)
        if not m:
            raise ValueError(
                '[cinder] source %r: a git source is git+<url>@<ref>, e.g. '
                'git+https://mirror.example.org/openstack/cinder@master (the '
                'ref is required: a branch, tag or commit)' % value)
        return CinderSource(CINDER_GIT, None, m.group(1), m.group(2))
    if value.startswith('/'):
        return CinderSource(CINDER_TREE, os.path.normpath(value), None, None)
    raise ValueError('[cinder] source %r is not understood; use %s'
                     % (value, _CINDER_SOURCE_FORMS))


def cinder_tree_problem(path):
    """Why path is not a Cinder source tree, or None."""
    if not os.path.isdir(path):
        return 'directory %s does not exist' % path
    if not os.path.isfile(os.path.join(path, 'cinder', 'backup', 'drivers',
                                       'ceph.py')):
        return ('%s is not a Cinder source tree (no cinder/backup/drivers/'
                'ceph.py); give the top directory of a Cinder checkout'
                % path)
    for meta in ('pyproject.toml', 'setup.cfg'):
        try:
            with open(os.path.join(path, meta)) as f:
                if re.search(r'^name\s*=\s*"?cinder"?\s*$', f.read(), re.M):
                    return None
        except OSError:
            pass
    return ('%s has no pyproject.toml or setup.cfg naming the cinder '
            'project; give the top directory of a Cinder checkout' % path)


def validate_cinder_source(value, deploy_openstack=True):
    """Error messages for a [cinder] source value; empty when usable."""
    try:
        source = parse_cinder_source(value)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if source.kind != CINDER_RELEASE and not deploy_openstack:
        problems.append(
            '[cinder] source = %s is for the lab\'s own Cinder '
            '(deploy_openstack = true); DevStack installs Cinder from git '
            'itself (CINDER_REPO, CINDER_BRANCH)' % value)
    if source.kind == CINDER_TREE:
        problem = cinder_tree_problem(source.path)
        if problem:
            problems.append('[cinder] source: %s' % problem)
    return problems


# Port names of lab_ports() whose program has another name.
PORT_OWNERS = {'ceph-mon-v1': 'ceph-mon', 'rabbitmq-dist': 'rabbitmq'}


def lab_ports(conf):
    """Map of service name to the TCP port it listens on."""
    if not conf.ceph.deploy:
        return {}
    ports = {'ceph-mon': conf.ceph.mon_port,
             'ceph-mon-v1': conf.ceph.mon_port_v1}
    if uses_rgw(conf):
        ports['radosgw'] = conf.rgw.port
    if not conf.deploy_openstack:
        return ports
    ports.update({'mariadb': conf.database.port,
                  'rabbitmq': conf.messaging.port,
                  'rabbitmq-dist': conf.messaging.dist_port,
                  'epmd': conf.messaging.epmd_port,
                  'memcached': conf.memcached.port,
                  'keystone': conf.keystone.port,
                  'cinder-api': conf.cinder.api_port})
    return ports


def default_config_files():
    """$CINDER_BACKUP_LAB_CONFIG, else the default file if it exists.

    The variable may name several files separated by ":" (later ones
    override earlier ones, as repeated --config-file do), e.g. a lab's
    own config and etc/lab-patched.conf.
    """
    paths = [p for p in os.environ.get(CONFIG_ENV, '').split(os.pathsep)
             if p]
    if paths:
        return paths
    if os.path.exists(DEFAULT_CONFIG_FILE):
        return [DEFAULT_CONFIG_FILE]
    return []


class ConfigError(Exception):
    """The config files hold values the options cannot take."""


def load(argv=None, config_files=None):
    """Build a ConfigOpts with the lab's options and parse argv/files.

    oslo.config converts values lazily; every option is read here once so
    that a bad value is reported now, by name, not as a traceback later.
    """
    conf = cfg.ConfigOpts()
    register_opts(conf)
    conf(args=argv or [], project='cinder-backup-lab',
         default_config_files=config_files or [])
    errors = []
    for group, opts in list_opts():
        section = conf if group == 'DEFAULT' else conf[group]
        for opt in opts:
            try:
                getattr(section, opt.dest)
            except (ValueError, cfg.Error) as exc:
                reason = str(exc).rpartition('is not valid: ')[2]
                errors.append('[%s] %s: %s' % (group, opt.name, reason))
    if errors:
        raise ConfigError('invalid values in %s:\n  - %s' % (
            ', '.join(config_files or ['the defaults']),
            '\n  - '.join(errors)))
    return conf
