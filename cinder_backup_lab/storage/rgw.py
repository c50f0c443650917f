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

"""RADOS Gateway: the Swift API that the Swift backup driver talks to.

The usual arrangement (doc/operator-workflow.md): a local RGW user with a
":swift" subuser and a generated Swift key, used with v1 auth
(backup_swift_auth = single_user, backup_swift_auth_version = 1). The key
is written to a 0600 credentials file and never printed.
"""

import configparser
import dataclasses
import json
import logging
import os
import urllib.error
import urllib.request

from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files


LOG = logging.getLogger(__name__)

SWIFT_PREFIX = '/swift/v1'
AUTH_ENTRY = '/auth'


@dataclasses.dataclass
class SwiftCredentials:
    auth_url: str
    user: str
    key: str
    storage_url: str

    def __repr__(self):
        # Keep the key out of tracebacks and debug logs.
        return ('SwiftCredentials(auth_url=%r, user=%r, key=***, '
                'storage_url=%r)' % (self.auth_url, self.user,
                                     self.storage_url))


def endpoint(conf):
    """URL clients reach RGW at: [rgw] host, else bind_host."""
    return 'http://%s:%d' % (conf.rgw.host or conf.bind_host, conf.rgw.port)


def auth_url(conf):
    """v1 auth URL, as cinder's backup_swift_auth_url expects it."""
    return endpoint(conf) + AUTH_ENTRY + '/1.0'


def storage_url(conf):
    return endpoint(conf) + SWIFT_PREFIX


def swift_user(conf):
    return '%s:%s' % (conf.rgw.uid, conf.rgw.subuser)


def credentials_path(state_dir):
    return os.path.join(state_dir, 'rgw', 'swift-credentials.conf')


def write_credentials(path, creds):
    lines = ['# Swift v1 credentials of the lab\'s RGW user (secret).',
             '[swift]']
    lines += ['%s = %s' % item for item in dataclasses.asdict(creds).items()]
    files.write_file(path, '\n'.join(lines) + '\n', 0o600)


def load_credentials(state_dir):
    path = credentials_path(state_dir)
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path):
        raise errors.LabError('no Swift credentials at %s; run '
                              '"cinder-backup-lab up" first' % path)
    return SwiftCredentials(**dict(parser['swift']))


def http_status(url, headers=None, timeout=5):
    """HTTP status code of a GET, or None when nothing answers."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def swift_auth_ok(creds, timeout=5):
    """True when RGW accepts the v1 credentials and hands out a token."""
    req = urllib.request.Request(creds.auth_url, headers={
        'X-Auth-User': creds.user, 'X-Auth-Key': creds.key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bool(resp.headers.get('X-Auth-Token'))
    except (urllib.error.URLError, OSError):
        return False


class Gateway:
    def __init__(self, conf, cluster):
        self.conf = conf
        self.cluster = cluster

    def _admin(self, *args, check=True, timeout=300):
        argv = self.cluster.admin_argv('radosgw-admin') + list(args)
        # radosgw-admin prints users with their keys: never log that.
        return commands.run(argv, check=check, secret_output=True,
                            timeout=timeout)

    def wait_answering(self, timeout=120):
        commands.wait_for(
            lambda: http_status(endpoint(self.conf) + '/') == 200,
            timeout=timeout, interval=1,
            what='RGW to answer on %s' % endpoint(self.conf))

    def gc_backlog(self):
        """What RGW's garbage collector has still to free.

        {'entries': deleted objects waiting, 'chunks': their RADOS
        objects}: deleted backups whose space is not free yet.
        """
        # radosgw-admin writes at start: on a full cluster it blocks.
        listing = json.loads(self._admin('gc', 'list', '--include-all',
                                         timeout=30) or '[]')
        return {'entries': len(listing),
                'chunks': sum(len(e.get('objs', [])) for e in listing)}

    def _user_info(self, uid):
        try:
            return json.loads(self._admin('user', 'info', '--uid', uid))
        except errors.CommandError:
            return None

    def ensure_swift_user(self):
        """Create the RGW user, its swift subuser and key if missing.

        Writes the credentials file; returns True when something was made.
        """
        uid = self.conf.rgw.uid
        subuser = swift_user(self.conf)
        changed = False
        info = self._user_info(uid)
        if info is None:
            self._admin('user', 'create', '--uid', uid,
                        '--display-name', self.conf.rgw.display_name)
            changed = True
            info = self._user_info(uid)
        if not any(s['id'] == subuser for s in info.get('subusers', [])):
            self._admin('subuser', 'create', '--uid', uid,
                        '--subuser', subuser, '--access', 'full')
            changed = True
            info = self._user_info(uid)
        keys = [k for k in info.get('swift_keys', [])
                if k['user'] == subuser]
        if not keys:
            self._admin('key', 'create', '--subuser', subuser,
                        '--key-type', 'swift', '--gen-secret')
            changed = True
            info = self._user_info(uid)
            keys = [k for k in info.get('swift_keys', [])
                    if k['user'] == subuser]
        creds = SwiftCredentials(auth_url=auth_url(self.conf),
                                 user=subuser, key=keys[0]['secret_key'],
                                 storage_url=storage_url(self.conf))
        path = credentials_path(self.conf.state_dir)
        try:
            current = load_credentials(self.conf.state_dir)
        except errors.LabError:
            current = None
        if current != creds:
            write_credentials(path, creds)
        os.chmod(path, 0o600)
        return changed

    def check_swift_auth(self, timeout=60):
        creds = load_credentials(self.conf.state_dir)
        # A fresh user can take a moment to be visible to the gateway.
        commands.wait_for(lambda: swift_auth_ok(creds), timeout=timeout,
                          interval=1, what='RGW to accept the Swift v1 '
                          'credentials of %s' % creds.user)

    def status(self):
        """Endpoint, whether it answers and takes the Swift v1 key."""
        url = endpoint(self.conf)
        answering = http_status(url + '/') == 200
        auth = False
        if answering:
            try:
                auth = swift_auth_ok(load_credentials(self.conf.state_dir))
            except errors.LabError:
                auth = False
        return {'endpoint': url, 'answering': answering,
                'swift_auth_v1': auth, 'auth_url': auth_url(self.conf),
                'storage_url': storage_url(self.conf),
                'swift_user': swift_user(self.conf)}


def keystone_options(keystone_url, user, password_path, project,
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
