"""The lab's OpenStack half: MariaDB, RabbitMQ, memcached, Keystone and
Cinder with two cinder-backup services, as phases of `up`, plus status
and doctor checks.
"""

import logging
import os
import signal
import time

from cinder_backup_lab import cinder
from cinder_backup_lab import database
from cinder_backup_lab import keystone
from cinder_backup_lab import messaging
from cinder_backup_lab import openstack_api
from cinder_backup_lab import outputs
from cinder_backup_lab import rgw
from cinder_backup_lab import utils

LOG = logging.getLogger(__name__)

PACKAGES = (database.PACKAGES + messaging.RABBIT_PACKAGES
            + messaging.MEMCACHED_PACKAGES)
INFRA_PROGRAMS = ['mariadb', 'epmd', 'rabbitmq', 'memcached']
# Environment variable that marks every process of a lab's OpenStack half.
STATE_TAG = 'CINDER_BACKUP_LAB_STATE_DIR'


def _children(pid):
    """All descendant pids of pid.

    gunicorn workers, c-vol's backend process, privsep daemons.
    """
    kids = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_rss(pid):
    total = utils.rss_bytes(pid) or 0
    for child in _children(pid):
        total += utils.rss_bytes(child) or 0
    return total


def healthy(status):
    os_ = status.get('openstack', {})
    return bool(os_.get('keystone') and os_.get('cinder_api')
                and os_.get('cinder_services')
                and all(s['state'] == 'up' and s['status'] == 'enabled'
                        for s in os_['cinder_services']))


class OpenStackHalf:
    def __init__(self, lab):
        self.lab = lab
        self.conf = lab.conf

    def _restart_if(self, changed, names):
        """Restart running programs whose config file changed."""
        sup = self.lab.supervisor
        if not changed:
            return []
        return sup.stop_programs(names)

    def programs(self):
        """The half's programs, each tagged with the lab's state dir.

        The tag (an environment variable, inherited by gunicorn workers,
        c-vol's backend process and privsep daemons) is how kill_strays
        recognises this lab's processes, and only them.
        """
        lab = self.lab
        progs = (lab.database.programs() + lab.messaging.programs()
                 + lab.keystone.programs() + lab.cinder.programs())
        for prog in progs:
            prog.environment = dict(prog.environment,
                                    **{STATE_TAG: self.conf.state_dir})
        return progs

    def stop(self):
        """Stop the half in dependency order, each layer in parallel."""
        sup = self.lab.supervisor
        sup.stop_programs([p.name for p in self.lab.cinder.programs()])
        sup.stop_programs(['keystone'])
        sup.stop_programs(['rabbitmq', 'mariadb', 'memcached'])
        sup.stop_programs(['epmd'])

    def kill_strays(self, timeout=60):
        """End this half's processes left without their supervisord."""
        tag = ('%s=%s' % (STATE_TAG, self.conf.state_dir)).encode() + b'\0'
        pids = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open('/proc/%s/environ' % entry, 'rb') as f:
                    if tag in f.read() + b'\0':
                        pids.append(int(entry))
            except OSError:
                continue
        for name in ('keystone', 'cinder-api'):
            pid = utils.read_pidfile(keystone.gunicorn_pid_file(
                self.conf.state_dir, name))
            if pid and utils.pid_alive(pid) and pid not in pids and \
                    'gunicorn: master [%s]' % name in \
                    utils.process_cmdline(pid):
                pids.append(pid)
        for pid in pids:
            LOG.info('stopping leftover %s (pid %d)',
                     utils.process_cmdline(pid)[:60], pid)
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for pid in pids:
            while utils.pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.3)
            if utils.pid_alive(pid):
                LOG.info('pid %d ignored SIGTERM; killing it', pid)
                os.kill(pid, signal.SIGKILL)
        return pids

    def per_user(self):
        return (self.conf.backup_swift.auth == 'per_user'
                and self.conf.profile in (cinder.SWIFT, 'both'))

    def rgw_password_file(self):
        return os.path.join(self.conf.state_dir, 'secrets',
                            'rgw-keystone-password')

    def rgw_options(self):
        """RGW options that make it validate Keystone tokens (per_user).

        The password of RGW's Keystone user is read from a 0600 file, so
        ceph.conf (world-readable) holds no secret.
        """
        if not self.per_user():
            return []
        c = self.conf
        if c.deploy_openstack:
            url = 'http://%s:%d' % (c.bind_host, c.keystone.port)
            user, project, domain = (keystone.RGW_SERVICE_USER,
                                     keystone.SERVICE_PROJECT, 'Default')
            password = self.lab.passwords.get('service_rgw')
        else:
            # Somebody else's Keystone (DevStack's): [rgw_keystone].
            rk = c.rgw_keystone
            url, user, project, domain = (rk.url, rk.user, rk.project,
                                          rk.domain)
            password = rk.password
        utils.write_if_changed(self.rgw_password_file(), password, 0o600)
        return rgw_keystone_options(url, user, self.rgw_password_file(),
                                    project, domain)

    def object_store_url(self):
        if not self.per_user():
            return None
        return '%s/swift/v1/AUTH_%%(project_id)s' % rgw.endpoint(self.conf)

    def admin_api(self):
        return openstack_api.BlockStorage(self.lab.keystone.admin_session())

    def up(self, timer):
        lab = self.lab
        note = lab._note
        with timer.phase('db-mq'):
            self._restart_if(lab.database.write_config(), ['mariadb'])
            self._restart_if(lab.messaging.write_config(), ['rabbitmq'])
            note(lab.database.install(), 'mariadb initialised')
            note(lab.supervisor.start_programs(INFRA_PROGRAMS),
                 'db/mq started')
            lab.database.wait_ready()
            lab.messaging.wait_ready()
            note(lab.database.ensure_databases(), 'databases')
        with timer.phase('keystone'):
            self._restart_if(lab.keystone.write_config(), ['keystone'])
            note(lab.keystone.setup(), 'keystone bootstrap')
            note(lab.supervisor.start_programs(['keystone']),
                 'keystone started')
            lab.keystone.wait_answering()
            note(lab.keystone.ensure_catalog(cinder.api_url(self.conf),
                                             self.object_store_url()),
                 'catalog')
        with timer.phase('cinder'):
            names = [p.name for p in lab.cinder.programs()]
            self._restart_if(lab.cinder.write_config(), names)
            note(lab.cinder.db_sync(), 'cinder db')
            offset = lab.cinder.log_offset()
            started = lab.supervisor.start_programs(names)
            note(started, 'cinder started')
            url = 'http://%s:%d/' % (self.conf.bind_host,
                                     self.conf.cinder.api_port)
            utils.wait_for(lambda: openstack_api.http_ok(url), timeout=90,
                           interval=0.5, what='the Cinder API on %s (see %s)'
                           % (url, lab.cinder.paths.log('cinder-api')))
            api = self.admin_api()
            note(lab.cinder.ensure_volume_type(api), 'volume type')
            note(lab.cinder.remove_stale_backup_services(api),
                 'stale c-bak services removed')
            if [n for n in started if n != 'cinder-api']:
                try:
                    lab.cinder.wait_scheduler_accepts(offset, timeout=20)
                except utils.LabError as exc:
                    # Started together, a service may have published before
                    # the scheduler listened; a restarted scheduler asks
                    # every service for its capabilities.
                    LOG.info('%s; restarting cinder-scheduler', exc)
                    offset = lab.cinder.log_offset()
                    lab.supervisor.stop_programs(['cinder-scheduler'])
                    lab.supervisor.start_programs(['cinder-scheduler'])
                    lab.cinder.wait_scheduler_accepts(offset, timeout=90)
            lab.cinder.wait_services_placed(api)
        with timer.phase('outputs'):
            outputs.write_outputs(self.conf, lab.passwords,
                                  keystone.public_url(self.conf),
                                  max_microversion(url))

    # -- status -------------------------------------------------------------
    def service_roles(self):
        """program name -> (AZ, driver) for the status table."""
        c = self.conf
        roles = {'cinder-volume': (c.cinder.default_az, 'rbd'),
                 'cinder-api': ('-', '-'), 'cinder-scheduler': ('-', '-')}
        for driver, _host, az in cinder.backup_services(c):
            roles['cinder-backup-%s' % driver] = (az, driver)
        return roles

    def status(self, result, infos):
        roles = self.service_roles()
        total = 0
        for svc in result['services']:
            if svc['pid']:
                svc['rss_bytes'] = tree_rss(svc['pid'])
            total += svc['rss_bytes'] or 0
            az, driver = roles.get(svc['name'], (None, None))
            svc['az'], svc['driver'] = az, driver
        result['rss_total_bytes'] = total
        c = self.conf
        ks_url = keystone.public_url(c)
        api_url = 'http://%s:%d/' % (c.bind_host, c.cinder.api_port)
        os_ = {'keystone_url': ks_url, 'cinder_url': api_url,
               'keystone': openstack_api.http_ok(ks_url),
               'cinder_api': openstack_api.http_ok(api_url),
               'cinder_services': []}
        if os_['keystone'] and os_['cinder_api']:
            try:
                for s in self.admin_api().services():
                    os_['cinder_services'].append({
                        'binary': s['binary'], 'host': s['host'],
                        'zone': s['zone'], 'state': s['state'],
                        'status': s['status']})
            except Exception as exc:  # noqa: B902 - shown in status
                os_['error'] = str(exc)
        # Only services this lab's profile runs (old rows may linger).
        wanted = {'%s@%s' % (c.cinder.host, c.cinder.volume_backend),
                  c.cinder.host} | {h for _d, h, _az in
                                    cinder.backup_services(c)}
        os_['cinder_services'] = [s for s in os_['cinder_services']
                                  if s['host'] in wanted]
        result['openstack'] = os_
        p = outputs.Paths(c.state_dir)
        result['files'].update({
            'openrc_admin': p.openrc_admin, 'openrc_demo': p.openrc_demo,
            'tempest_conf': p.tempest_conf,
            'cinder_conf': self.lab.cinder.paths.conf,
            'passwords': self.lab.passwords.path})

    # -- doctor ---------------------------------------------------------------
    def doctor(self, status):
        """Problems a person can act on, one sentence each."""
        problems = []
        for pool, state in status['pools'].items():
            if state != 'present':
                problems.append(
                    'Ceph pool "%s" is missing; run "cinder-backup-lab up" '
                    'to create it' % pool)
        for svc in status['services']:
            if svc['state'] != 'RUNNING':
                problems.append('%s is %s; see %s' % (
                    svc['name'], svc['state'], os.path.join(
                        self.conf.state_dir, 'log', '%s.out' % svc['name'])))
        os_ = status.get('openstack', {})
        for s in os_.get('cinder_services', []):
            if s['state'] != 'up':
                problems.append('%s on %s (AZ %s) is down' % (
                    s['binary'], s['host'], s['zone']))
        if os_.get('keystone') and os_.get('cinder_api') and \
                status['ceph'].get('health') not in (None, 'UNREACHABLE'):
            problems += self.failed_backup_problems(
                set(p for p, st in status['pools'].items()
                    if st == 'present') | set(self.lab.cluster.pools()))
        return problems

    def failed_backup_problems(self, existing_pools):
        """Backups in error whose Ceph container is not an existing pool."""
        out = []
        ceph_azs = {az for d, _h, az in cinder.backup_services(self.conf)
                    if d == cinder.CEPH}
        backups = self.admin_api().get('/backups/detail', all_tenants=1,
                                       status='error')['backups']
        for b in backups:
            container = b.get('container')
            if container and container not in existing_pools and \
                    b.get('availability_zone') in ceph_azs:
                out.append(
                    'backup %s failed because Ceph pool "%s" does not '
                    'exist (fail_reason: %s); create the pool and add it '
                    'to [ceph] backup_pools, or back up into one of: %s'
                    % (b['id'], container, b.get('fail_reason'),
                       ', '.join(self.conf.ceph.backup_pools)))
        return out


def rgw_keystone_options(keystone_url, user, password_path, project,
                         domain='Default'):
    """RGW section options for the per_user Swift mode.

    Keystone v3 tokens, implicit tenants, and the account
    (AUTH_<project id>) in Swift URLs.
    """
    return [
        ('rgw_keystone_url', keystone_url),
        ('rgw_keystone_api_version', '3'),
        ('rgw_keystone_admin_user', user),
        ('rgw_keystone_admin_password_path', password_path),
        ('rgw_keystone_admin_project', project),
        ('rgw_keystone_admin_domain', domain),
        ('rgw_keystone_accepted_roles', 'member, admin'),
        ('rgw_keystone_accepted_admin_roles', 'admin'),
        ('rgw_keystone_implicit_tenants', 'true'),
        ('rgw_keystone_verify_ssl', 'false'),
        ('rgw_swift_account_in_url', 'true'),
        ('rgw_s3_auth_use_keystone', 'false'),
    ]


def max_microversion(url):
    """Highest volume API microversion the Cinder API at url offers."""
    import json
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:     # 300 Multiple Choices
        body = exc.read()
    for v in json.loads(body).get('versions', []):
        if v.get('id') == 'v3.0':
            return v['version']
    raise utils.LabError('the Cinder API at %s lists no v3.0' % url)
