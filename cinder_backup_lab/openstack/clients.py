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

"""Thin in-process clients of the identity and block-storage APIs.

keystoneauth1 sessions with plain REST calls: fast (no CLI start-up), and
the exact requests are visible in the code. Tokens and passwords are never
logged (keystoneauth masks them in its debug output; we log none).
"""

import logging
import time
import urllib.error
import urllib.request

from keystoneauth1 import adapter
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from cinder_backup_lab import errors


LOG = logging.getLogger(__name__)
# keystoneauth logs request bodies at debug level, and a user's creation
# or password change carries the password: keep it out of lab.log.
logging.getLogger('keystoneauth').setLevel(logging.INFO)

# Volume API microversion the lab uses (its API clients and openrc files):
# 3.51 lets a backup name its AZ, so it reaches that AZ's c-bak.
VOLUME_API_VERSION = '3.51'
# The service list's, below the scheduler's backend state (3.49).
SERVICES_MICROVERSION = '3.0'


def http_ok(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= resp.status < 400
    except urllib.error.HTTPError as exc:
        return exc.code in (300, 401)
    except (urllib.error.URLError, OSError):
        return False


def password_works(auth_url, username, password, project):
    from keystoneauth1 import exceptions as ks_exc
    try:
        return bool(session_for(auth_url, username, password,
                                project).get_token())
    except ks_exc.Unauthorized:
        return False


def session_for(auth_url, username, password, project,
                domain='Default'):
    auth = v3.Password(auth_url=auth_url, username=username,
                       password=password, project_name=project,
                       user_domain_name=domain, project_domain_name=domain)
    return ks_session.Session(auth=auth)


class Identity:
    """Idempotent get-or-create of Keystone entities."""

    def __init__(self, session):
        self.api = adapter.Adapter(session, service_type='identity',
                                   interface='public')

    def _list(self, collection, **filters):
        resp = self.api.get('/%s' % collection, params=filters)
        return resp.json()[collection]

    def find(self, collection, name):
        found = self._list(collection, name=name)
        if not found:
            raise errors.LabError('Keystone has no %s named %r'
                                  % (collection[:-1], name))
        return found[0]

    def ensure(self, collection, name, body, secret=None):
        """(entity, created?) for a role, project or user called name."""
        found = self._list(collection, name=name)
        key = collection[:-1]
        if found:
            return found[0], False
        payload = dict(body, name=name)
        if secret is not None:
            payload['password'] = secret
        resp = self.api.post('/%s' % collection, json={key: payload},
                             log=secret is None)
        return resp.json()[key], True

    def set_password(self, user_id, password):
        # Changing a password revokes the user's tokens: only when needed.
        self.api.patch('/users/%s' % user_id,
                       json={'user': {'password': password}}, log=False)

    def grant(self, project_id, user_id, role_id):
        self.api.put('/projects/%s/users/%s/roles/%s'
                     % (project_id, user_id, role_id))

    def revoke(self, project_id, user_id, role_id):
        self.api.delete('/projects/%s/users/%s/roles/%s'
                        % (project_id, user_id, role_id))

    def project_role_ids(self, project_id, user_id):
        """Ids of the roles user_id holds directly on project_id."""
        resp = self.api.get('/projects/%s/users/%s/roles'
                            % (project_id, user_id))
        return [r['id'] for r in resp.json()['roles']]

    def ensure_service_endpoints(self, name, service_type, url, region,
                                 interfaces=('public', 'internal')):
        """Service plus its endpoints at url; True when anything changed."""
        changed = False
        services = self._list('services', type=service_type)
        if services:
            service = services[0]
        else:
            service = self.api.post('/services', json={'service': {
                'name': name, 'type': service_type,
                'enabled': True}}).json()['service']
            changed = True
        existing = self._list('endpoints', service_id=service['id'])
        for interface in interfaces:
            mine = [e for e in existing if e['interface'] == interface]
            if mine and mine[0]['url'] == url and \
                    mine[0].get('region_id') == region:
                continue
            for e in mine:
                self.api.delete('/endpoints/%s' % e['id'])
            self.api.post('/endpoints', json={'endpoint': {
                'service_id': service['id'], 'interface': interface,
                'url': url, 'region_id': region, 'enabled': True}})
            changed = True
        return changed


class BlockStorage:
    """The parts of the volume API v3 the lab and its demo use."""

    def __init__(self, session, microversion=VOLUME_API_VERSION):
        self.api = adapter.Adapter(
            session, service_type='block-storage', interface='public',
            default_microversion=microversion)

    def get(self, path, microversion=None, **params):
        # A GET may be sent again: c-api can close an idle kept-alive
        # connection just as it is reused ("Remote end closed connection").
        kwargs = {'microversion': microversion} if microversion else {}
        return self.api.get(path, params=params or None, connect_retries=2,
                            **kwargs).json()

    def post(self, path, body, **kwargs):
        resp = self.api.post(path, json=body, **kwargs)
        return resp.json() if resp.content else None

    def delete(self, path, **kwargs):
        return self.api.delete(path, **kwargs)

    # -- volumes --------------------------------------------------------
    def create_volume(self, name, size_gb, volume_type=None, az=None):
        body = {'name': name, 'size': size_gb}
        if volume_type:
            body['volume_type'] = volume_type
        if az:
            body['availability_zone'] = az
        return self.post('/volumes', {'volume': body})['volume']

    def volume(self, volume_id):
        return self.get('/volumes/%s' % volume_id)['volume']

    def delete_volume(self, volume_id):
        self.delete('/volumes/%s' % volume_id, raise_exc=False)

    # -- backups ----------------------------------------------------------
    def create_backup(self, volume_id, name, container=None, az=None,
                      incremental=False, force=False):
        body = {'volume_id': volume_id, 'name': name,
                'incremental': incremental, 'force': force}
        if container:
            body['container'] = container
        if az:
            body['availability_zone'] = az
        return self.post('/backups', {'backup': body})['backup']

    def backup(self, backup_id):
        return self.get('/backups/%s' % backup_id)['backup']

    def backups(self):
        return self.get('/backups/detail')['backups']

    def restore(self, backup_id, volume_id):
        return self.post('/backups/%s/restore' % backup_id,
                         {'restore': {'volume_id': volume_id}})['restore']

    def delete_backup(self, backup_id):
        self.delete('/backups/%s' % backup_id, raise_exc=False)

    def services(self, binary=None):
        params = {'binary': binary} if binary else {}
        # From 3.49 the list asks the scheduler for each backend's state
        # (an RPC call): right after a start that call times out
        # (MessagingTimeout) until the scheduler listens. 3.0 reads only
        # the database, which has every field the lab uses.
        return self.get('/os-services', microversion=SERVICES_MICROVERSION,
                        **params)['services']

    def pools(self):
        """The scheduler's view of the volume backends (admin only)."""
        return self.get('/scheduler-stats/get_pools', detail=True)['pools']

    # -- waiting ----------------------------------------------------------
    def wait_status(self, kind, obj_id, wanted, timeout=300, interval=1,
                    failed=('error',)):
        """Poll /<kind>s/<id> until status is in wanted; return the body.

        A status in `failed` ends the wait early (the caller decides
        whether that was expected). NotFound when wanted is 'deleted'
        counts as reached.
        """
        from keystoneauth1 import exceptions as ks_exc
        getter = self.volume if kind == 'volume' else self.backup
        deadline = time.monotonic() + timeout
        while True:
            try:
                obj = getter(obj_id)
            except ks_exc.NotFound:
                if 'deleted' in wanted:
                    return {'id': obj_id, 'status': 'deleted'}
                raise
            if obj['status'] in wanted or obj['status'] in failed:
                return obj
            if time.monotonic() > deadline:
                raise errors.LabError(
                    'timed out after %ds waiting for %s %s to be %s (it is '
                    '%s)' % (timeout, kind, obj_id, '/'.join(wanted),
                             obj['status']))
            time.sleep(interval)
