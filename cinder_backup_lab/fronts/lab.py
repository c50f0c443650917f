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

"""The standalone lab: up, down, clean and status over the two halves.

`up` runs the storage half, then (deploy_openstack = true) the OpenStack
half, under one supervisord in the state dir, and writes the lab's
outputs (openrc files, tempest.conf). DevStack's plugin calls the same
`up`/`down`/`clean` with deploy_openstack = false: the storage half only,
its client files exported for DevStack's Cinder.
"""

import json
import logging
import os
import shutil

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import packages
from cinder_backup_lab.host import processes
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import timing
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import half as openstack_half
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import gluster
from cinder_backup_lab.storage import half as storage_half
from cinder_backup_lab.storage import releases

LOG = logging.getLogger(__name__)

# Values fixed once the cluster exists: changing them needs "clean".
FIXED_AFTER_CREATE = ('bind_host', 'mon_port', 'mon_port_v1', 'osd_size_gb',
                      'release')
# What a record written before a key existed means.
RECORD_DEFAULTS = {'release': releases.HOST_RELEASE}


class Lab:
    def __init__(self, conf):
        self.conf = conf
        self.state_dir = conf.state_dir
        self.supervisor = supervisor.Supervisor(conf.state_dir)
        self.storage = storage_half.StorageHalf(conf, self.supervisor)
        self.openstack = openstack_half.OpenStackHalf(
            conf, self.supervisor, self.storage.paths)
        self.outside_files = client_files.OutsideFiles(conf.state_dir)
        self.changed = []

    @property
    def record_path(self):
        return os.path.join(self.state_dir, 'lab.json')

    def programs(self):
        if not self.conf.ceph.deploy:
            return []
        progs = self.storage.programs()
        if self.conf.deploy_openstack:
            progs += self.openstack.programs()
        return progs

    def packages(self):
        if not self.conf.ceph.deploy:
            return packages.CEPH_CLIENT_PACKAGES
        ceph = packages.ceph_packages(releases.release(self.conf).in_root)
        extra = gluster.PACKAGES if self.storage.gluster.enabled else []
        if not self.conf.deploy_openstack:
            return ceph + extra
        return ceph + openstack_half.PACKAGES + extra

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
                'osd_size_gb': c.ceph.osd_size_gb,
                'release': c.ceph.release}

    def preflight(self):
        """Every reason not to start, as one error; touches nothing."""
        problems = list(config.validate(self.conf))
        if os.geteuid() != 0:
            problems.append('the lab must run as root (it installs packages '
                            'and runs Ceph daemons); run it with sudo')
        problems += packages.check_os()
        if problems:
            raise errors.LabError('invalid configuration:\n  - '
                                  + '\n  - '.join(problems))
        if not self.conf.ceph.deploy:
            return      # nothing is created or started here

        created = self._created_record()
        if created:
            current = self._current_record()
            for key in FIXED_AFTER_CREATE:
                if created.get(key, RECORD_DEFAULTS.get(key)) != \
                        current[key]:
                    problems.append(
                        '%s is %r but the lab in %s was created with %r; '
                        'it cannot change on an existing cluster: set it '
                        'back or run "cinder-backup-lab clean" first'
                        % (key, current[key], self.state_dir,
                           created.get(key, RECORD_DEFAULTS.get(key))))

        running = self.supervisor.all_info()
        for name, port in config.lab_ports(self.conf).items():
            program = config.PORT_OWNERS.get(name, name)
            if running.get(program, {}).get('statename') == 'RUNNING':
                continue     # our own daemon holds it
            if not commands.port_is_free(self.conf.bind_host, port):
                problems.append('port %d on %s (%s) is already in use by '
                                'another program; free it or choose another '
                                'port in the lab config'
                                % (port, self.conf.bind_host, name))

        problems += self.storage.gluster.preflight_problems()
        problems += gcs.preflight_problems(
            self.conf, running.get(gcs.PROGRAM, {}).get('statename')
            == 'RUNNING')

        osd_dir = self.storage.paths.data_dir('osd', ceph.OSD_ID)
        if not os.path.exists(os.path.join(osd_dir, '.lab-mkfs-done')):
            need = (self.conf.ceph.osd_size_gb + 2) * 1024 ** 3
            free = packages.free_disk_bytes(self.state_dir)
            if free < need:
                problems.append(
                    'only %s free for %s; the OSD file may grow to %d GiB '
                    'plus logs: free space or lower [ceph] osd_size_gb'
                    % (processes.human_bytes(free), self.state_dir,
                       self.conf.ceph.osd_size_gb))
        if problems:
            raise errors.LabError('cannot start the lab:\n  - '
                                  + '\n  - '.join(problems))

    # -- up ---------------------------------------------------------------
    def _note(self, changed, what):
        if changed:
            self.changed.append(what)

    def _install(self, timer):
        with timer.phase('packages'):
            self._note(packages.ensure_ceph_source(self.conf),
                       'ceph apt source')
            self._note(packages.ensure(self.packages(),
                                       self.conf.install_packages),
                       'packages')
            if self.conf.ceph.deploy:
                self._note(venv.link_distro_bindings(), 'python bindings')
        if self.conf.ceph.deploy and releases.root_path(self.conf):
            with timer.phase('ceph-root'):
                self._note(releases.ensure_root(
                    self.conf, packages.os_codename())[1],
                    'ceph %s root built' % self.conf.ceph.release)

    def up(self):
        timer = timing.PhaseTimer()
        self.changed = []
        if not self.conf.ceph.deploy:
            # An existing cluster (DevStack subnode): check it, start
            # nothing.
            with timer.phase('preflight'):
                self.preflight()
            self._install(timer)
            with timer.phase('cluster'):
                self.storage.check_existing()
            return timer
        with timer.phase('preflight'):
            if not self.supervisor.is_running():
                # Daemons orphaned by a killed supervisord hold our ports.
                self._note(self.kill_strays(), 'orphans stopped')
            self.preflight()
        self._install(timer)
        with timer.phase('config'):
            os.makedirs(self.state_dir, mode=0o755, exist_ok=True)
            self.storage.write_config(self.openstack.rgw_options())
            self.supervisor.write_config(self.programs())
            self.supervisor.start()
            if not self._created_record():
                files.write_file(self.record_path,
                                 json.dumps(self._current_record()) + '\n')
        self.storage.up(timer, self._note)
        if self.conf.client_conf_dir:
            with timer.phase('client-files'):
                self._note(self.storage.export_client_files(),
                           'client files')
        if self.conf.deploy_openstack:
            microversion = self.openstack.up(timer, self._note)
            with timer.phase('outputs'):
                tempest_conf.write_lab_outputs(
                    self.conf, self.openstack.passwords, microversion)
        return timer

    def reload_cinder(self, only=()):
        """Restart Cinder's services only (or those of only, and c-sch).

        Returns (PhaseTimer, what was installed or None, programs).
        """
        if not self.conf.deploy_openstack:
            raise errors.LabError('reload-cinder restarts the lab\'s own '
                                  'Cinder; with deploy_openstack = false '
                                  'DevStack runs Cinder (restart its '
                                  'devstack@c-* units)')
        if not self.supervisor.is_running():
            raise errors.LabError('the lab is not running; run '
                                  '"cinder-backup-lab up" first')
        problems = config.validate(self.conf)
        if problems:
            raise errors.LabError('invalid configuration:\n  - '
                                  + '\n  - '.join(problems))
        known = self.openstack.cinder_programs()
        unknown = [n for n in only if n not in known]
        if unknown:
            raise errors.LabError('reload-cinder: no Cinder service %s in '
                                  'this lab; its services: %s' % (
                                      ', '.join(unknown), ', '.join(known)))
        return self.openstack.reload_cinder(only)

    # -- down / clean -------------------------------------------------------
    def down(self):
        """Stop every daemon, then supervisord. Data stays."""
        if not self.supervisor.is_running():
            self.kill_strays()
            return False
        if self.conf.deploy_openstack:
            self.openstack.stop()
        # The c-bak's FUSE mount and the brick are daemons of their own,
        # not supervisord's children.
        self.storage.gluster.unmount()
        self.storage.gluster.stop_bricks()
        for prog in reversed(self.programs()):
            self.supervisor.stop_program(prog.name)
        self.supervisor.shutdown()
        return True

    def kill_strays(self):
        """End daemons of this lab left without their supervisord.

        supervisord gives every child (and so every grandchild: gunicorn
        workers, Erlang helpers) SUPERVISOR_SERVER_URL naming its socket,
        which is inside our state dir; Ceph daemons started by hand with
        our ceph.conf, and the OpenStack half's tagged processes, count
        too. Each is ended by its PID, nothing else.
        """
        pids = set(processes.pids_with_environment(
            'SUPERVISOR_SERVER_URL', 'unix://' + self.supervisor.socket_path))
        pids.update(self.storage.stray_pids())
        if self.conf.deploy_openstack:
            pids.update(self.openstack.stray_pids())
        # Unmounting ends a FUSE client; killing it would leave the mount
        # dead ("Transport endpoint is not connected").
        self.storage.gluster.unmount()
        pids.update(self.storage.gluster.stray_pids())
        return processes.stop_pids(pids)

    def clean(self):
        """Stop everything and remove all the lab made. Idempotent."""
        self.down()
        self.kill_strays()
        removed = self.outside_files.remove()
        removed = bool(self.storage.gluster.clean()) or removed
        left = self.storage.gluster.mounts()
        if left:
            # rmtree would walk into the gluster volume.
            raise errors.LabError('cannot remove %s: still mounted: %s; '
                                  'unmount them (umount -l) and run clean '
                                  'again' % (self.state_dir, ', '.join(left)))
        if os.path.isdir(self.state_dir):
            shutil.rmtree(self.state_dir)
            return True
        return bool(removed)

    def remove_release_roots(self):
        """Remove the cached Ceph release roots; [(path, bytes)] removed.

        Refused for a root a process still runs in (this lab's or
        another's sharing the cache): nothing is removed then.
        """
        base = self.conf.ceph.release_root_dir
        if not os.path.isdir(base):
            return []
        # Only what the lab builds there: <release> and <release>.building.
        names = set(releases.RELEASES) | {
            '%s.building' % r for r in releases.RELEASES}
        roots = [os.path.join(base, name) for name in sorted(os.listdir(base))
                 if name in names and os.path.isdir(os.path.join(base, name))]
        busy = {r: processes.pids_in_root(os.path.realpath(r)) for r in roots}
        busy = {r: p for r, p in busy.items() if p}
        # Never delete through a mount (a root's /dev, /proc, a state dir).
        mounted = [m for m in processes.mount_points()
                   for r in roots if m == r or m.startswith(r + '/')]
        if mounted:
            raise errors.LabError('not removing the release roots: %s '
                                  'mounted inside' % ', '.join(mounted))
        if busy:
            raise errors.LabError('not removing the release roots: %s' % (
                '; '.join('%s is in use by pid %s' % (
                    r, ', '.join(map(str, p))) for r, p in busy.items())))
        removed = []
        for root in roots:
            size = releases.dir_bytes(root)
            shutil.rmtree(root)
            removed.append((root, size))
        return removed

    # -- status -------------------------------------------------------------
    def status(self):
        c = self.conf
        infos = self.supervisor.all_info()
        result = {'state_dir': self.state_dir,
                  'created': os.path.exists(self.record_path),
                  'supervisord': {'running': self.supervisor.is_running(),
                                  'pid': self.supervisor.pid()},
                  'services': [], 'profile': c.profile,
                  'deploy_openstack': c.deploy_openstack}
        roles = (self.openstack.service_roles() if c.deploy_openstack
                 else {})
        total_rss = 0
        for prog in self.programs():
            info = infos.get(prog.name, {})
            pid = info.get('pid') or None
            # Children included: gunicorn workers, privsep daemons.
            rss = processes.tree_rss(pid) if pid else None
            if pid:
                # Daemonized gluster processes: the c-bak's FUSE client,
                # glusterd's brick.
                rss += self.storage.gluster.extra_rss(prog.name)
            total_rss += rss or 0
            az, driver = roles.get(prog.name, (None, None))
            result['services'].append({
                'name': prog.name,
                'state': info.get('statename', 'STOPPED'),
                'pid': pid, 'rss_bytes': rss, 'az': az, 'driver': driver})
        result['rss_total_bytes'] = total_rss
        result.update(self.storage.status(
            infos.get('ceph-mon', {}).get('statename') == 'RUNNING'))
        # Where the secrets are, never what they are.
        result['files'] = self.storage.files()
        if c.client_conf_dir or self.outside_files.paths():
            result['files']['outside_state_dir'] = ', '.join(
                self.outside_files.paths()) or '(none yet)'
        if c.deploy_openstack:
            result['openstack'] = self.openstack.status()
            result['files'].update(self.openstack.files())
            p = tempest_conf.Paths(c.state_dir)
            result['files'].update({'openrc_admin': p.openrc_admin,
                                    'openrc_demo': p.openrc_demo,
                                    'tempest_conf': p.tempest_conf})
        return result

    @staticmethod
    def healthy(status):
        return (status['supervisord']['running']
                and all(s['state'] == 'RUNNING' for s in status['services'])
                and storage_half.StorageHalf.healthy(status)
                and (not status.get('deploy_openstack', True)
                     or openstack_half.OpenStackHalf.healthy(status)))
