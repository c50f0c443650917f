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

"""The OpenStack half: MariaDB, RabbitMQ, memcached, Keystone and Cinder
with one cinder-backup per backup driver of the profile.

The standalone lab's own cloud, what DevStack deploys otherwise. It runs
under the lab's supervisord and uses the storage half through its paths
(ceph.conf, keyrings) and RGW's endpoint.
"""

import json
import logging
import os
import time
import urllib.error
import urllib.request

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import processes
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import timing
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.openstack import clients
from cinder_backup_lab.openstack import database
from cinder_backup_lab.openstack import keystone
from cinder_backup_lab.openstack import messaging
from cinder_backup_lab.openstack import passwords
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import rgw

LOG = logging.getLogger(__name__)


PACKAGES = (database.PACKAGES + messaging.RABBIT_PACKAGES
            + messaging.MEMCACHED_PACKAGES)
INFRA_PROGRAMS = ['mariadb', 'epmd', 'rabbitmq', 'memcached']
# Environment variable that marks every process of a lab's OpenStack half.
STATE_TAG = 'CINDER_BACKUP_LAB_STATE_DIR'
GUNICORN_PROGRAMS = ('keystone', 'cinder-api')


class OpenStackHalf:
    def __init__(self, conf, supervisor_, ceph_paths):
        self.conf = conf
        self.supervisor = supervisor_
        self.passwords = passwords.Passwords(conf.state_dir)
        self.database = database.Database(conf, self.passwords)
        self.messaging = messaging.Messaging(conf, self.passwords)
        self.keystone = keystone.Keystone(conf, self.passwords,
                                          self.database)
        self.cinder = cinder.Cinder(conf, self.passwords, self.database,
                                    self.messaging, ceph_paths)

    def programs(self):
        """The half's programs, each tagged with the lab's state dir.

        The tag (an environment variable, inherited by gunicorn workers,
        c-vol's backend process and privsep daemons) is how stray_pids
        recognises this lab's processes, and only them.
        """
        progs = (self.database.programs() + self.messaging.programs()
                 + self.keystone.programs() + self.cinder.programs())
        for prog in progs:
            prog.environment = dict(prog.environment,
                                    **{STATE_TAG: self.conf.state_dir})
        return progs

    def stop(self):
        """Stop the half in dependency order, each layer in parallel."""
        sup = self.supervisor
        sup.stop_programs([p.name for p in self.cinder.programs()])
        sup.stop_programs(['keystone'])
        sup.stop_programs(['rabbitmq', 'mariadb', 'memcached'])
        sup.stop_programs(['epmd'])

    def stray_pids(self):
        """This half's processes, found by their tag or gunicorn pid file."""
        pids = set(processes.pids_with_environment(STATE_TAG,
                                                   self.conf.state_dir))
        for name in GUNICORN_PROGRAMS:
            pid = processes.read_pidfile(supervisor.gunicorn_pid_file(
                self.conf.state_dir, name))
            if pid and processes.pid_alive(pid) and \
                    'gunicorn: master [%s]' % name in processes.cmdline(pid):
                pids.add(pid)
        return sorted(pids)

    # -- RGW and Keystone ----------------------------------------------------
    def rgw_password_file(self):
        return os.path.join(self.conf.state_dir, 'secrets',
                            'rgw-keystone-password')

    def rgw_options(self):
        """RGW options that make it validate Keystone tokens (per_user).

        The password of RGW's Keystone user is read from a 0600 file, so
        ceph.conf (world-readable) holds no secret.
        """
        if not config.swift_per_user(self.conf):
            return []
        c = self.conf
        if c.deploy_openstack:
            url = 'http://%s:%d' % (c.bind_host, c.keystone.port)
            user, project, domain = (keystone.RGW_SERVICE_USER,
                                     keystone.SERVICE_PROJECT, 'Default')
            password = self.passwords.get('service_rgw')
        else:
            # Somebody else's Keystone (DevStack's): [rgw_keystone].
            rk = c.rgw_keystone
            url, user, project, domain = (rk.url, rk.user, rk.project,
                                          rk.domain)
            password = rk.password
        files.write_if_changed(self.rgw_password_file(), password, 0o600)
        return rgw.keystone_options(url, user, self.rgw_password_file(),
                                    project, domain)

    def object_store_url(self):
        if not config.swift_per_user(self.conf):
            return None
        return '%s/swift/v1/AUTH_%%(project_id)s' % rgw.endpoint(self.conf)

    def admin_api(self):
        return clients.BlockStorage(self.keystone.admin_session())

    # -- up -------------------------------------------------------------------
    def _restart_if(self, changed, names):
        """Stop running programs whose config changed; up starts them."""
        return self.supervisor.stop_programs(names) if changed else []

    def up(self, timer, note):
        """Phases from the database to every c-bak ready; note(changed, what).

        Returns the Cinder API's highest microversion.
        """
        sup = self.supervisor
        with timer.phase('db-mq'):
            self._restart_if(self.database.write_config(), ['mariadb'])
            self._restart_if(self.messaging.write_config(), ['rabbitmq'])
            note(self.database.install(), 'mariadb initialised')
            note(sup.start_programs(INFRA_PROGRAMS), 'db/mq started')
            self.database.wait_ready()
            self.messaging.wait_ready()
            note(self.database.ensure_databases(), 'databases')
        with timer.phase('keystone'):
            self._restart_if(self.keystone.write_config(), ['keystone'])
            note(self.keystone.setup(), 'keystone bootstrap')
            note(sup.start_programs(['keystone']), 'keystone started')
            self.keystone.wait_answering()
            note(self.keystone.ensure_catalog(
                cinder_conf.api_url(self.conf), self.object_store_url()),
                'catalog')
        with timer.phase('cinder'):
            names = [p.name for p in self.cinder.programs()]
            installed = self.cinder.ensure_source()
            note(installed, 'cinder source installed')
            self._restart_if(installed, names)
            self._restart_if(self.cinder.write_config(), names)
            note(self.cinder.db_sync(), 'cinder db')
            scheduler_log = cinder.SchedulerLog(
                self.conf, self.cinder.paths.log('cinder-scheduler'))
            started = sup.start_programs(names)
            note(started, 'cinder started')
            api = self._cinder_ready()
            note(cinder.ensure_volume_type(api, self.conf), 'volume type')
            note(self.cinder.remove_stale_backup_services(api),
                 'stale c-bak services removed')
            if [n for n in started if n != 'cinder-api']:
                self._wait_scheduler(scheduler_log)
            cinder.wait_services_placed(api, self.conf,
                                        self.cinder.paths.log_dir)
        return max_microversion(self.cinder_url())

    def _cinder_ready(self):
        url = self.cinder_url()
        commands.wait_for(
            lambda: clients.http_ok(url), timeout=90, interval=0.5,
            what='the Cinder API on %s (see %s)'
            % (url, self.cinder.paths.log('cinder-api')))
        return self.admin_api()

    def _wait_scheduler(self, scheduler_log, first_timeout=20):
        try:
            scheduler_log.wait_reports(timeout=first_timeout)
        except errors.LabError as exc:
            # Started together, a service may have published before the
            # scheduler listened; a restarted scheduler asks every
            # service for its capabilities.
            LOG.info('%s; restarting cinder-scheduler', exc)
            scheduler_log.mark()
            self.supervisor.stop_programs(['cinder-scheduler'])
            self.supervisor.start_programs(['cinder-scheduler'])
            scheduler_log.wait_reports(timeout=90)

    def cinder_programs(self):
        """Names of the Cinder programs, as supervised and in status."""
        return [p.name for p in self.cinder.programs()]

    def reload_cinder(self, only=None):
        """Restart only Cinder's services (after an edit of its tree).

        The configured source is installed first if another Cinder is in
        the venv (a no-op after an edit: a tree is installed editable).
        only: the programs to restart (e.g. the c-bak whose driver was
        edited), all when empty or when a new Cinder was installed. The
        scheduler always restarts, last: at start it asks every service for
        its capabilities, so no restarted c-bak waits for its periodic
        report (its first one, sent before its setup check, says "not
        working"). Returns (a PhaseTimer, what was installed or None,
        the programs restarted).
        """
        timer = timing.PhaseTimer()
        sup = self.supervisor
        with timer.phase('install, config'):
            installed = self.cinder.ensure_source()
            self.cinder.write_config()
        names = self.cinder_programs()
        if only and not installed:
            names = [n for n in names
                     if n in only or n == 'cinder-scheduler']
        with timer.phase('stop'):
            sup.stop_programs(names)
        with timer.phase('db sync'):
            self.cinder.db_sync()
        scheduler_log = cinder.SchedulerLog(
            self.conf, self.cinder.paths.log('cinder-scheduler'))
        with timer.phase('start'):
            sup.start_programs([n for n in names
                                if n != 'cinder-scheduler'])
            sup.start_programs(['cinder-scheduler'])
        with timer.phase('API answering'):
            api = self._cinder_ready()
        with timer.phase('scheduler reports'):
            self._wait_scheduler(scheduler_log)
        with timer.phase('c-bak placed'):
            cinder.wait_services_placed(api, self.conf,
                                        self.cinder.paths.log_dir)
        return (timer,
                self.cinder.source.installed() if installed else None,
                names)

    def restart_backup_service(self, driver, overrides=None):
        """Rewrite one c-bak's config and restart only that c-bak.

        overrides ({cinder option: value}) are the benchmark's variants;
        None writes the lab config's own options back. Waits until the
        scheduler has the c-bak's report and the API shows it up in its
        AZ (a backup asked for before is refused). Returns the seconds
        (0 when the config was already that: nothing restarted).
        """
        start = time.monotonic()
        if not self.cinder.write_backup_conf(driver, overrides):
            return 0.0
        name = cinder.BACKUP_PROGRAM % driver
        self.supervisor.stop_programs([name])
        # Marked once the old c-bak is gone: only the new one's reports.
        scheduler_log = cinder.SchedulerLog(
            self.conf, self.cinder.paths.log('cinder-scheduler'))
        self.supervisor.start_programs([name])
        host = [h for d, h, _az in cinder_conf.backup_services(self.conf)
                if d == driver][0]
        # A restarted c-bak's first reports come before its driver's
        # setup check and say "not working" (the scheduler refuses its
        # backups: "Service not found for creating backup"); wait for one
        # that says it works.
        commands.wait_for(
            lambda: scheduler_log.backup_working(host),
            timeout=120, interval=1,
            what='%s to report a working backend to the scheduler (see %s)'
            % (host, scheduler_log.path))
        cinder.wait_services_placed(self.admin_api(), self.conf,
                                    self.cinder.paths.log_dir)
        return time.monotonic() - start

    def cinder_url(self):
        return 'http://%s:%d/' % (self.conf.bind_host,
                                  self.conf.cinder.api_port)

    # -- status -------------------------------------------------------------
    def service_roles(self):
        """program name -> (AZ, driver) for the status table."""
        c = self.conf
        roles = {'cinder-volume': (c.cinder.default_az, 'rbd'),
                 'cinder-api': ('-', '-'), 'cinder-scheduler': ('-', '-')}
        for driver, _host, az in cinder_conf.backup_services(c):
            roles[cinder.BACKUP_PROGRAM % driver] = (az, driver)
            if driver == config.GOOGLE:
                roles[gcs.PROGRAM] = ('-', 'gcs emulator')
        return roles

    def status(self):
        """Keystone, the Cinder API and the services it lists."""
        c = self.conf
        ks_url = keystone.public_url(c)
        api_url = self.cinder_url()
        result = {'keystone_url': ks_url, 'cinder_url': api_url,
                  'cinder_source': c.cinder.source,
                  'cinder_installed': self.cinder.source.installed(),
                  'keystone': clients.http_ok(ks_url),
                  'cinder_api': clients.http_ok(api_url),
                  'cinder_services': []}
        if result['keystone'] and result['cinder_api']:
            try:
                rows = self.admin_api().services()
            except Exception as exc:  # noqa: B902 - shown in status
                rows = []
                result['error'] = str(exc)
            # Only services this lab's profile runs (old rows may linger).
            wanted = {'%s@%s' % (c.cinder.host, c.cinder.volume_backend),
                      c.cinder.host} | {h for _d, h, _az in
                                        cinder_conf.backup_services(c)}
            result['cinder_services'] = [
                {k: s[k] for k in ('binary', 'host', 'zone', 'state',
                                   'status')}
                for s in rows if s['host'] in wanted]
        return result

    def files(self):
        """Where the half's files are (never their contents)."""
        return {'cinder_conf': self.cinder.paths.conf,
                'passwords': self.passwords.path}

    @staticmethod
    def healthy(status):
        os_ = status.get('openstack', {})
        return bool(os_.get('keystone') and os_.get('cinder_api')
                    and os_.get('cinder_services')
                    and all(s['state'] == 'up' and s['status'] == 'enabled'
                            for s in os_['cinder_services']))


def max_microversion(url):
    """Highest volume API microversion the Cinder API at url offers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:     # 300 Multiple Choices
        body = exc.read()
    for v in json.loads(body).get('versions', []):
        if v.get('id') == 'v3.0':
            return v['version']
    raise errors.LabError('the Cinder API at %s lists no v3.0' % url)
