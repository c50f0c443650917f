"""The lab's configuration: oslo.config options and their validation.

Every option has a built-in default, so the lab runs with no config file.
validate() checks values that oslo.config's types cannot (names Ceph would
refuse, ports that collide, sizes that do not fit) before anything is
touched.
"""

import ipaddress
import re

from oslo_config import cfg

DEFAULT_CONFIG_FILE = '/etc/cinder-backup-lab/lab.conf'

PROFILES = ('ceph', 'swift', 'both')

default_opts = [
    cfg.StrOpt('state_dir', default='/var/lib/cinder-backup-lab',
               help='Directory holding everything the lab creates: Ceph '
                    'config, keyrings, daemon data, logs, pid files, admin '
                    'sockets and generated credentials. "clean" removes it.'),
    cfg.StrOpt('profile', default='both', choices=PROFILES,
               help='Which cinder-backup drivers the lab deploys: the Ceph '
                    '(RBD) driver, the Swift driver pointed at RGW, or both '
                    'side by side in two availability zones.'),
    cfg.StrOpt('bind_host', default='127.0.0.1',
               help='Address every lab service binds to. Must be a loopback '
                    'address: the lab never listens on other networks.'),
    cfg.BoolOpt('deploy_openstack', default=True,
                help='Deploy MariaDB, RabbitMQ, Keystone and Cinder (c-api, '
                     'c-sch, c-vol, c-bak) too. False when DevStack deploys '
                     'them and the lab only provides Ceph and RGW.'),
    cfg.BoolOpt('install_packages', default=True,
                help='Install missing distribution packages with apt-get '
                     'during "up". When false, "up" stops with the list of '
                     'missing packages instead.'),
]

ceph_opts = [
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
    cfg.IntOpt('osd_memory_target_mb', default=1024, min=896,
               help='BlueStore cache/memory target of the OSD in MiB. '
                    'Ceph\'s default (4 GiB) is too much for a lab.'),
]

rgw_opts = [
    cfg.PortOpt('port', default=8080,
                help='Port of the RADOS Gateway (beast frontend).'),
    cfg.StrOpt('uid', default='cinder-backup',
               help='RGW user that owns the backup containers in the '
                    'single_user Swift arrangement.'),
    cfg.StrOpt('subuser', default='swift',
               help='Swift subuser of the RGW user; the Swift user name is '
                    '"<uid>:<subuser>", as in the seed notes.'),
    cfg.StrOpt('display_name', default='Cinder backup lab',
               help='Display name of the RGW user.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(ceph_opts, group='ceph')
    conf.register_opts(rgw_opts, group='rgw')


def list_opts():
    """For oslo-config-generator."""
    return [('DEFAULT', default_opts), ('ceph', ceph_opts),
            ('rgw', rgw_opts)]


# Pool names: Ceph itself accepts almost anything, but "/" and "@" break
# RBD image specs, a leading "." is reserved for internal pools, and
# Cinder passes the name around unquoted.
_POOL_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$')
_CEPH_USER = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
_RGW_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
# Pools that Ceph or RGW create for themselves in this lab.
RESERVED_POOLS = ('device_health_metrics', '.mgr', '.rgw.root')
RESERVED_POOL_PREFIX = 'default.rgw.'


def validate(conf):
    """Return a list of error messages; empty when the config is good."""
    errors = []
    try:
        host = ipaddress.ip_address(conf.bind_host)
        if not host.is_loopback or host.version != 4:
            errors.append('bind_host %s is not an IPv4 loopback address; '
                          'the lab only listens on 127.0.0.0/8'
                          % conf.bind_host)
    except ValueError:
        errors.append('bind_host %r is not an IP address' % conf.bind_host)

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

    for opt in ('uid', 'subuser'):
        value = getattr(conf.rgw, opt)
        if not _RGW_NAME.match(value or ''):
            errors.append('[rgw] %s %r: use letters, digits, "_" or "-"'
                          % (opt, value))

    ports = {'[ceph] mon_port': conf.ceph.mon_port,
             '[ceph] mon_port_v1': conf.ceph.mon_port_v1,
             '[rgw] port': conf.rgw.port}
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


def lab_ports(conf):
    """Map of service name to the TCP port it listens on."""
    return {'ceph-mon': conf.ceph.mon_port,
            'ceph-mon-v1': conf.ceph.mon_port_v1,
            'radosgw': conf.rgw.port}


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
