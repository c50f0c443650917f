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

"""Cinder's services in the lab: their files, processes and database.

The config comes from cinder_conf (pure rendering). Here: writing the
files, the supervised programs (c-api under gunicorn, c-sch, c-vol, one
c-bak per backup driver), cinder-manage, and the two waits that make a
fresh deployment usable (the scheduler has every service's capabilities;
each c-bak is up in its AZ), plus the volume type through the API.
"""

import json
import os
import re

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.openstack import cinder_source
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.storage import gcs

BACKUP_PROGRAM = 'cinder-backup-%s'


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
    def __init__(self, conf, passwords, database, messaging, ceph_paths):
        self.conf = conf
        self.passwords = passwords
        self.database = database
        self.messaging = messaging
        self.ceph_paths = ceph_paths
        self.paths = Paths(conf.state_dir)
        self.source = cinder_source.CinderSource(conf)

    def common_settings(self):
        c = self.conf
        return cinder_conf.CommonSettings(
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
            ceph_conf=self.ceph_paths.conf,
            rbd_pool=c.ceph.volumes_pool, rbd_user=c.ceph.volume_user,
            report_interval=c.cinder.report_interval,
            periodic_interval=c.cinder.periodic_interval,
            privsep_helper='%s --config-file %s' % (
                venv.venv_bin('privsep-helper'), self.paths.conf),
            api_paste_config=self.source.etc('api-paste.ini'),
            # The file the running cinder ships (in the venv's etc/cinder
            # for the release wheel, in the tree for an editable one).
            resource_filters_file=self.source.etc('resource_filters.json'),
            rootwrap_config=self.paths.rootwrap_conf,
            debug=c.cinder.debug)

    # -- files ------------------------------------------------------------
    def write_config(self):
        """Every Cinder file; True when one changed."""
        p = self.paths
        os.makedirs(os.path.join(p.root, 'lock'), mode=0o700, exist_ok=True)
        os.chmod(p.root, 0o700)
        changed = files.write_if_changed(
            p.conf, cinder_conf.render_cinder_conf(self.common_settings()),
            0o600)
        changed |= files.write_if_changed(
            p.scheduler_conf, cinder_conf.render_scheduler_conf(
                p.log('cinder-scheduler')), 0o600)
        changed |= files.write_if_changed(
            p.rootwrap_conf, cinder_conf.render_rootwrap_conf(
                [self.source.etc('rootwrap.d'),
                 venv.venv_etc('os-brick', 'rootwrap.d')],
                [venv.bin_dir(), '/sbin', '/usr/sbin',
                 '/bin', '/usr/bin']), 0o644)
        for driver, _host, _az in cinder_conf.backup_services(self.conf):
            changed |= self.write_backup_conf(driver)
        if config.POSIX in config.backup_drivers(self.conf):
            # The posix driver makes its containers (0770) below it; only
            # root, which c-bak runs as, reads the backups.
            os.makedirs(config.posix_path(self.conf), mode=0o700,
                        exist_ok=True)
        # c-bak reads RBD volumes through os-brick, which finds the volume
        # user's key only in /etc/ceph.
        client_files.place_os_brick_keyring(self.conf, self.ceph_paths)
        return changed

    def write_backup_conf(self, driver, overrides=None):
        """backup-<driver>.conf (with Cinder option overrides); changed?"""
        p = self.paths
        for d, host, az in cinder_conf.backup_services(self.conf):
            if d == driver:
                return files.write_if_changed(
                    p.backup_conf(driver), cinder_conf.render_backup_conf(
                        self.conf, driver, host, az,
                        p.log(BACKUP_PROGRAM % driver),
                        self.ceph_paths.conf, overrides), 0o600)
        raise errors.LabError('no cinder-backup with the %s driver in '
                              'profile %s' % (driver, self.conf.profile))

    # -- programs ---------------------------------------------------------
    def programs(self):
        c = self.conf
        p = self.paths
        # Fewer malloc arenas: the Swift c-bak otherwise keeps hundreds of
        # MiB of freed 50 MiB object buffers spread over per-thread arenas.
        # A fixed mmap threshold: glibc raises its default one after each
        # large free, up to 32 MiB, so the chunked drivers' object and
        # compression buffers end up in the heap and stay after the backup;
        # above 1 MiB they are mapped, and unmapped when freed.
        env = {'MALLOC_ARENA_MAX': '2', 'MALLOC_MMAP_THRESHOLD_': '1048576'}
        progs = [
            supervisor.gunicorn_program(
                'cinder-api', c.bind_host, c.cinder.api_port,
                'cinder_backup_lab.openstack.wsgi_cinder:application',
                c.state_dir, workers=c.cinder.api_workers, threads=4,
                timeout=300,
                environment=dict(env, CINDER_BACKUP_LAB_CINDER_CONF=p.conf,
                                 CINDER_BACKUP_LAB_API_LOG=p.log(
                                     'cinder-api'))),
            supervisor.Program(
                'cinder-scheduler',
                [venv.venv_bin('cinder-scheduler'), '--config-file', p.conf,
                 '--config-file', p.scheduler_conf], environment=env),
            supervisor.Program(
                'cinder-volume',
                [venv.venv_bin('cinder-volume'), '--config-file', p.conf,
                 '--log-file', p.log('cinder-volume')],
                stopwaitsecs=60, environment=env),
        ]
        for driver, _host, _az in cinder_conf.backup_services(c):
            prog = supervisor.Program(
                BACKUP_PROGRAM % driver,
                [venv.venv_bin('cinder-backup'), '--config-file', p.conf,
                 '--config-file', p.backup_conf(driver)],
                stopwaitsecs=60, environment=env)
            if driver == config.GOOGLE:
                # Its own /etc/hosts sends the GCS names to the emulator.
                prog = gcs.wrap_backup_program(c, prog)
            progs.append(prog)
        return progs

    # -- cinder-manage ------------------------------------------------------
    def _manage(self, *args, timeout=120):
        return commands.run([venv.venv_bin('cinder-manage'), '--config-file',
                             self.paths.conf] + list(args), timeout=timeout)

    def _record(self):
        installed = self.source.installed() or {}
        return {'cinder': installed.get('version'),
                'tree': installed.get('tree')}

    def ensure_source(self):
        """The configured Cinder in the venv; True when (re)installed."""
        return self.source.ensure()

    def db_sync(self):
        """cinder-manage db sync once per Cinder version; True if run."""
        try:
            with open(self.paths.done) as f:
                if json.load(f) == self._record():
                    return False
        except (OSError, ValueError):
            pass
        self._manage('db', 'sync', timeout=900)
        files.write_file(self.paths.done, json.dumps(self._record()) + '\n',
                         0o600)
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
        known = cinder_conf.all_backup_hosts(c)
        wanted = {h for _d, h, _az in cinder_conf.backup_services(c)}
        stale = [s['host'] for s in api.services('cinder-backup')
                 if s['host'] in known - wanted]
        for host in stale:
            self._manage('service', 'remove', 'cinder-backup', host)
        return stale


def ensure_volume_type(api, conf):
    """The volume type of the RBD backend; True when created."""
    name = conf.cinder.volume_type
    types = api.get('/types', is_public='None')['volume_types']
    if any(t['name'] == name for t in types):
        return False
    api.post('/types', {'volume_type': {
        'name': name, 'os-volume-type-access:is_public': True,
        'extra_specs': {
            'volume_backend_name': conf.cinder.volume_backend}}})
    return True


def wait_services_placed(api, conf, log_dir, timeout=120):
    """Wait until each c-bak is up in the API in its configured AZ.

    A c-bak that moved AZ (profile change) keeps its old zone until its
    first heartbeat; a backup asked for in between could land on the
    wrong driver.
    """
    wanted = {(h, az) for _d, h, az in cinder_conf.backup_services(conf)}

    def placed():
        rows = {(s['host'], s['zone']) for s in
                api.services('cinder-backup') if s['state'] == 'up'}
        placed.missing = wanted - rows
        return not placed.missing
    placed.missing = wanted
    try:
        commands.wait_for(placed, timeout=timeout, interval=1,
                          what='cinder-backup services in their AZs')
    except errors.LabError:
        raise errors.LabError(
            'cinder-backup not up in its AZ: %s; see the c-bak logs in %s'
            % (', '.join('%s in %s' % m for m in sorted(placed.missing)),
               log_dir))


class SchedulerLog:
    """What cinder-scheduler logged since a point: capability reports.

    A fresh cinder-backup is refused ("Service not found for creating
    backup") until the scheduler has its capabilities; the scheduler logs
    "Received <kind> service update from <host>" at debug level (the lab
    turns debug on for it alone), which no API shows.
    """

    def __init__(self, conf, path):
        self.conf = conf
        self.path = path
        self.offset = self._size()

    def _size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def mark(self):
        """Only what is logged from now on counts."""
        self.offset = self._size()

    def _expected(self):
        c = self.conf
        wanted = [('volume', '%s@%s' % (c.cinder.host,
                                        c.cinder.volume_backend))]
        wanted += [('backup', host) for _d, host, _az in
                   cinder_conf.backup_services(c)]
        return wanted

    def _text(self):
        try:
            with open(self.path, errors='replace') as f:
                f.seek(self.offset)
                return f.read()
        except OSError:
            return ''

    @staticmethod
    def _reported(kind, host, text):
        # The message may carry extra blanks before the host.
        pattern = r'Received %s service update from\s+%s:' % (
            kind, re.escape(host))
        if kind == 'backup':
            # A c-bak's first reports come before its driver's setup check
            # and say "not working"; the scheduler refuses its backups
            # ("Service not found for creating backup") until one says it
            # works.
            pattern += r"\s*\{'backend_state': True"
        return re.search(pattern, text) is not None

    def missing_reports(self):
        text = self._text()
        return ['%s service update from %s%s' % (
                kind, host, ' (backend working)' if kind == 'backup' else '')
                for kind, host in self._expected()
                if not self._reported(kind, host, text)]

    def backup_working(self, host):
        """Whether a c-bak reported its backend working since the mark."""
        return self._reported('backup', host, self._text())

    def wait_reports(self, timeout=120):
        try:
            commands.wait_for(lambda: not self.missing_reports(),
                              timeout=timeout, interval=1,
                              what='the scheduler to hear from every cinder '
                              'service')
        except errors.LabError:
            raise errors.LabError(
                'the scheduler did not receive: %s; see %s and the c-vol/'
                'c-bak logs in %s' % ('; '.join(self.missing_reports()),
                                      self.path,
                                      os.path.dirname(self.path)))
