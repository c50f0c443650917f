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

"""Keystone: config, database, keys, bootstrap and the lab's catalog.

Keystone runs under gunicorn (from the venv) supervised by the lab. The
one-off steps (db_sync, key repositories, bootstrap) use keystone-manage
once per state directory; everything else (projects, users, roles,
services, endpoints) is created in-process through the identity API with
keystoneauth1: one `openstack` CLI call costs ~5 s here.
"""

import json
import logging
import os
import shlex

from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import supervisor
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import clients

LOG = logging.getLogger(__name__)

ADMIN_USER = 'admin'
ADMIN_PROJECT = 'admin'
SERVICE_PROJECT = 'service'
DOMAIN = 'Default'
CINDER_SERVICE_USER = 'cinder'
RGW_SERVICE_USER = 'rgw'
MEMBER_ROLE = 'member'
SERVICE_ROLE = 'service'
ROLES = ('admin', 'member', 'reader', 'service')
# Roles of the service users in the service project: the least that works.
# Both only validate users' tokens (keystonemiddleware in Cinder, RGW in
# per_user Swift mode); keystone's default identity:validate_token allows
# rule:service_role, so "service" is enough and "admin" is not needed.
# Cinder uses its [keystone_authtoken] credentials for nothing else here:
# its Keystone lookups (projects, quotas) go with the caller's token, and
# its one other use of them (a retried delete of an encryption key in
# Barbican) cannot happen in a lab without Barbican. DevStack's
# create_service_user gives cinder the same: "service" only.
CINDER_SERVICE_ROLES = (SERVICE_ROLE,)
RGW_SERVICE_ROLES = (SERVICE_ROLE,)


def keystone_version():
    from importlib import metadata
    return metadata.version('keystone')


class Paths:
    def __init__(self, state_dir):
        self.root = os.path.join(state_dir, 'keystone')
        self.conf = os.path.join(self.root, 'keystone.conf')
        self.fernet = os.path.join(self.root, 'fernet-keys')
        self.receipts = os.path.join(self.root, 'fernet-receipts')
        self.credential = os.path.join(self.root, 'credential-keys')
        self.log = os.path.join(state_dir, 'log', 'keystone.log')
        self.done = os.path.join(self.root, 'lab-setup.json')


def public_url(conf):
    return 'http://%s:%d/v3' % (conf.bind_host, conf.keystone.port)


def render_keystone_conf(paths, db_url, memcached):
    """keystone.conf as text: SQL, fernet, memcached cache, cheap hashing."""
    sections = [
        ('DEFAULT', [('log_file', paths.log), ('use_stderr', 'false'),
                     ('max_token_size', '255')]),
        ('database', [('connection', db_url),
                      ('max_pool_size', '5'), ('max_overflow', '10')]),
        ('cache', [('enabled', 'true'),
                   ('backend', 'dogpile.cache.memcached'),
                   ('memcache_servers', memcached)]),
        ('token', [('provider', 'fernet'), ('expiration', '14400')]),
        ('fernet_tokens', [('key_repository', paths.fernet)]),
        ('fernet_receipts', [('key_repository', paths.receipts)]),
        ('credential', [('key_repository', paths.credential)]),
        # A lab: bcrypt at its cheapest (hashing is ~1 s per auth
        # otherwise on this kind of machine).
        ('identity', [('password_hash_algorithm', 'bcrypt'),
                      ('password_hash_rounds', '4')]),
        # No [oslo_policy]: the pinned keystone's default policies apply.
        # They need nothing set for the lab: its setup, the demo and
        # Tempest 47 use the admin user's project-scoped token, and
        # keystone's rule admin_required ("role:admin") with scope_types
        # that include "project" accepts it (oslo.policy 6 has no
        # enforce_scope option any more; scope is always checked).
    ]
    return files.render_ini(sections)


def render_openrc(auth_url, username, password, project, region):
    env = [
        ('OS_AUTH_URL', auth_url),
        ('OS_IDENTITY_API_VERSION', '3'),
        ('OS_AUTH_TYPE', 'password'),
        ('OS_USERNAME', username),
        ('OS_PASSWORD', password),
        ('OS_PROJECT_NAME', project),
        ('OS_USER_DOMAIN_NAME', 'Default'),
        ('OS_PROJECT_DOMAIN_NAME', 'Default'),
        ('OS_REGION_NAME', region),
        ('OS_VOLUME_API_VERSION', clients.VOLUME_API_VERSION),
    ]
    lines = ['# cinder-backup-lab credentials of %s (secret; mode 0600).'
             % username, '# Use: source <this file>']
    lines += ['export %s=%s' % (k, shlex.quote(v)) for k, v in env]
    return '\n'.join(lines) + '\n'


class Keystone:
    def __init__(self, conf, passwords, database):
        self.conf = conf
        self.passwords = passwords
        self.database = database
        self.paths = Paths(conf.state_dir)

    def programs(self):
        c = self.conf
        return [supervisor.gunicorn_program(
            'keystone', c.bind_host, c.keystone.port,
            'cinder_backup_lab.openstack.wsgi_keystone:application',
            c.state_dir, workers=c.keystone.workers,
            threads=c.keystone.threads, timeout=120,
            environment={'OS_KEYSTONE_CONFIG_FILES': self.paths.conf})]

    def write_config(self):
        p = self.paths
        os.makedirs(p.root, mode=0o700, exist_ok=True)
        c = self.conf
        return files.write_if_changed(p.conf, render_keystone_conf(
            p, self.database.url('keystone'),
            '%s:%d' % (c.bind_host, c.memcached.port)), 0o600)

    def _manage(self, *args, env=None):
        argv = [venv.venv_bin('keystone-manage'), '--config-file',
                self.paths.conf] + list(args)
        return commands.run(argv, env=env, timeout=600)

    def _setup_record(self):
        return {'keystone': keystone_version(),
                'public_url': public_url(self.conf)}

    def setup_done(self):
        try:
            with open(self.paths.done) as f:
                return json.load(f) == self._setup_record()
        except (OSError, ValueError):
            return False

    def setup(self):
        """db_sync, key repositories and bootstrap; skipped when done."""
        if self.setup_done():
            return False
        p = self.paths
        self._manage('db_sync')
        for repo, cmd in ((p.fernet, 'fernet_setup'),
                          (p.credential, 'credential_setup')):
            if not os.path.exists(os.path.join(repo, '0')):
                os.makedirs(repo, mode=0o700, exist_ok=True)
                self._manage(cmd, '--keystone-user', 'root',
                             '--keystone-group', 'root')
        url = public_url(self.conf)
        env = dict(os.environ,
                   OS_BOOTSTRAP_PASSWORD=self.passwords.get('admin'))
        self._manage('bootstrap', '--bootstrap-username', ADMIN_USER,
                     '--bootstrap-project-name', ADMIN_PROJECT,
                     '--bootstrap-role-name', 'admin',
                     '--bootstrap-service-name', 'keystone',
                     '--bootstrap-region-id', self.conf.keystone.region,
                     '--bootstrap-admin-url', url,
                     '--bootstrap-internal-url', url,
                     '--bootstrap-public-url', url, env=env)
        files.write_file(p.done, json.dumps(self._setup_record()) + '\n',
                         0o600)
        return True

    # -- API --------------------------------------------------------------
    def admin_session(self):

        return clients.session_for(
            public_url(self.conf), ADMIN_USER, self.passwords.get('admin'),
            ADMIN_PROJECT)

    def wait_answering(self, timeout=90):

        url = public_url(self.conf)
        commands.wait_for(
            lambda: clients.http_ok(url), timeout=timeout, interval=0.5,
            what='Keystone to answer on %s (see %s)' % (url, self.paths.log))

    def ensure_catalog(self, cinder_url, object_store_url=None):
        """Projects, users, roles, services and endpoints of the lab.

        Returns the names of what was created (empty when all existed).
        """

        c = self.conf.keystone
        api = clients.Identity(self.admin_session())
        made = []
        domain_id = api.find('domains', DOMAIN)['id']
        roles = {}
        for role in ROLES:
            roles[role], new = api.ensure('roles', role, {})
            made += ['role %s' % role] if new else []
        projects = {}
        for name in (SERVICE_PROJECT, c.demo_project):
            projects[name], new = api.ensure(
                'projects', name, {'domain_id': domain_id,
                                   'description': 'cinder-backup-lab'})
            made += ['project %s' % name] if new else []
        users = [(c.demo_user, 'demo', c.demo_project,
                  [MEMBER_ROLE, 'reader']),
                 (CINDER_SERVICE_USER, 'service_cinder', SERVICE_PROJECT,
                  list(CINDER_SERVICE_ROLES))]
        if object_store_url:
            users.append((RGW_SERVICE_USER, 'service_rgw', SERVICE_PROJECT,
                          list(RGW_SERVICE_ROLES)))
        service_users = (CINDER_SERVICE_USER, RGW_SERVICE_USER)
        for name, secret, project, user_roles in users:
            user, new = api.ensure('users', name, {
                'domain_id': domain_id,
                'default_project_id': projects[project]['id']},
                secret=self.passwords.get(secret))
            made += ['user %s' % name] if new else []
            if not new and not clients.password_works(
                    public_url(self.conf), name, self.passwords.get(secret),
                    project):
                # Keep the password in step with the secrets file.
                api.set_password(user['id'], self.passwords.get(secret))
                made.append('password of %s' % name)
            for role in user_roles:
                api.grant(projects[project]['id'], user['id'],
                          roles[role]['id'])
            if name in service_users:
                # A lab made by an older version gave them admin too:
                # take back what they do not need.
                wanted = {roles[r]['id'] for r in user_roles}
                names = {r['id']: n for n, r in roles.items()}
                for role_id in api.project_role_ids(
                        projects[project]['id'], user['id']):
                    if role_id not in wanted:
                        api.revoke(projects[project]['id'], user['id'],
                                   role_id)
                        made.append('role %s of %s revoked' % (
                            names.get(role_id, role_id), name))
        region = c.region
        catalog = [('cinderv3', 'volumev3', cinder_url),
                   ('cinder', 'block-storage', cinder_url)]
        if object_store_url:
            catalog.append(('swift', 'object-store', object_store_url))
        for name, stype, url in catalog:
            new = api.ensure_service_endpoints(name, stype, url, region)
            made += ['service %s' % stype] if new else []
        return made
