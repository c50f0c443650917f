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

"""RADOS Gateway: the Swift and S3 APIs the backup drivers talk to.

The usual arrangement (doc/operator-workflow.md): a local RGW user with a
":swift" subuser and a generated Swift key, used with v1 auth
(backup_swift_auth = single_user, backup_swift_auth_version = 1). The S3
driver gets an RGW user of its own ([rgw] s3_uid) with a generated S3 key
pair, so neither driver's key reaches the other's buckets. Keys are
written to 0600 credentials files and never printed.
"""

import configparser
import dataclasses
import json
import logging
import os
import urllib.error
import urllib.request

from cinder_backup_lab import config
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


@dataclasses.dataclass
class S3Credentials:
    endpoint_url: str
    user: str
    access_key: str
    secret_key: str

    def __repr__(self):
        return 'S3Credentials(endpoint_url=%r, user=%r, keys=***)' % (
            self.endpoint_url, self.user)


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


def _write_secret_ini(path, comment, section, creds):
    """A credentials dataclass as one INI section, 0600."""
    lines = ['# %s' % comment, '[%s]' % section]
    lines += ['%s = %s' % item for item in dataclasses.asdict(creds).items()]
    files.write_file(path, '\n'.join(lines) + '\n', 0o600)


def _load_secret_ini(path, section, cls, what):
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path):
        raise errors.LabError('no %s credentials at %s; run '
                              '"cinder-backup-lab up" first' % (what, path))
    return cls(**dict(parser[section]))


def write_credentials(path, creds):
    _write_secret_ini(path, 'Swift v1 credentials of the lab\'s RGW user '
                      '(secret).', 'swift', creds)


def load_credentials(state_dir):
    return _load_secret_ini(credentials_path(state_dir), 'swift',
                            SwiftCredentials, 'Swift')


def s3_credentials_path(state_dir):
    return os.path.join(state_dir, 'rgw', 's3-credentials.conf')


def write_s3_credentials(path, creds):
    _write_secret_ini(path, 'S3 keys of the lab\'s RGW user for the S3 '
                      'driver (secret).', 's3', creds)


def load_s3_credentials(state_dir):
    return _load_secret_ini(s3_credentials_path(state_dir), 's3',
                            S3Credentials, 'S3')


def _keep_credentials(path, creds, load, write, state_dir):
    """Write creds unless the file holds them already; always 0600."""
    try:
        current = load(state_dir)
    except errors.LabError:
        current = None
    if current != creds:
        write(path, creds)
    os.chmod(path, 0o600)


def s3_client(creds, timeout=30):
    """A boto3 S3 client of RGW's S3 API with the S3 user's keys."""
    import boto3
    from botocore import config as boto_config
    return boto3.client(
        's3', endpoint_url=creds.endpoint_url,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        # RGW ignores the region; boto3 insists on one.
        region_name='us-east-1',
        config=boto_config.Config(connect_timeout=timeout,
                                  read_timeout=timeout,
                                  retries={'max_attempts': 2}))


def s3_auth_ok(creds):
    """True when RGW's S3 API accepts the S3 user's keys."""
    try:
        s3_client(creds, timeout=5).list_buckets()
        return True
    except Exception:  # noqa: B902 - any failure means "not (yet) ok"
        return False


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

    def gc_process_now(self):
        """Free every deleted object's data now, without waiting for GC."""
        self._admin('gc', 'process', '--include-all', timeout=300)

    def _user_info(self, uid):
        try:
            return json.loads(self._admin('user', 'info', '--uid', uid))
        except errors.CommandError:
            return None

    def user_exists(self, uid):
        return self._user_info(uid) is not None

    def buckets(self):
        """Every bucket (Swift container) of every RGW user and tenant.

        A bucket of an implicit Keystone tenant (per_user Swift mode) is
        named "<project id>/<bucket>".
        """
        return json.loads(self._admin('bucket', 'list'))

    def bucket_objects(self, bucket):
        """Names of the objects in one bucket (as named by buckets())."""
        return [o['name'] for o in json.loads(
            self._admin('bucket', 'list', '--bucket', bucket))]

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
        _keep_credentials(credentials_path(self.conf.state_dir), creds,
                          load_credentials, write_credentials,
                          self.conf.state_dir)
        return changed

    def ensure_s3_user(self):
        """The S3 driver's RGW user and S3 key pair; writes the file.

        Returns True when something was made.
        """
        uid = self.conf.rgw.s3_uid
        changed = False
        info = self._user_info(uid)
        if info is None:
            self._admin('user', 'create', '--uid', uid, '--display-name',
                        '%s (S3 backup driver)' % self.conf.rgw.display_name)
            changed = True
            info = self._user_info(uid)
        keys = [k for k in info.get('keys', []) if k.get('user') == uid]
        if not keys:
            self._admin('key', 'create', '--uid', uid, '--key-type', 's3',
                        '--gen-access-key', '--gen-secret')
            changed = True
            info = self._user_info(uid)
            keys = [k for k in info.get('keys', []) if k.get('user') == uid]
        creds = S3Credentials(endpoint_url=endpoint(self.conf), user=uid,
                              access_key=keys[0]['access_key'],
                              secret_key=keys[0]['secret_key'])
        _keep_credentials(s3_credentials_path(self.conf.state_dir), creds,
                          load_s3_credentials, write_s3_credentials,
                          self.conf.state_dir)
        return changed

    def remove_s3_user(self):
        """Least privilege: no S3 user when no S3 driver runs.

        Loses nothing: only empty buckets go (the driver leaves its
        buckets behind when backups are deleted); a bucket still holding
        objects keeps the user, and says so. True when the user went.
        """
        uid = self.conf.rgw.s3_uid
        if self._user_info(uid) is None:
            return False
        path = s3_credentials_path(self.conf.state_dir)
        buckets = json.loads(self._admin('bucket', 'list', '--uid', uid))
        kept = []
        try:
            client = buckets and s3_client(load_s3_credentials(
                self.conf.state_dir))
        except errors.LabError:
            # Without the keys the buckets cannot be looked into: keep.
            client, kept, buckets = None, list(buckets), []
        if buckets:
            for bucket in buckets:
                # radosgw-admin's "bucket rm" may drop a non-empty bucket:
                # ask the S3 API whether it is empty first.
                if client.list_objects_v2(Bucket=bucket,
                                          MaxKeys=1).get('KeyCount'):
                    kept.append(bucket)
                else:
                    self._admin('bucket', 'rm', '--bucket', bucket)
        if kept:
            LOG.warning('RGW user %s is kept: its S3 buckets %s still hold '
                        'backup objects; delete those backups (or run the '
                        'S3 driver again) to let the lab remove the user',
                        uid, ', '.join(kept))
            return False
        self._admin('user', 'rm', '--uid', uid)
        if os.path.exists(path):
            os.remove(path)
        return True

    def check_s3_auth(self, timeout=60):
        creds = load_s3_credentials(self.conf.state_dir)
        commands.wait_for(lambda: s3_auth_ok(creds), timeout=timeout,
                          interval=1, what='RGW\'s S3 API to accept the '
                          'keys of %s' % creds.user)

    def check_swift_auth(self, timeout=60):
        creds = load_credentials(self.conf.state_dir)
        # A fresh user can take a moment to be visible to the gateway.
        commands.wait_for(lambda: swift_auth_ok(creds), timeout=timeout,
                          interval=1, what='RGW to accept the Swift v1 '
                          'credentials of %s' % creds.user)

    def status(self):
        """Endpoint, whether it answers and takes the drivers' keys.

        swift_auth_v1 / s3_auth are None for a driver the lab does not
        run.
        """
        drivers = config.backup_drivers(self.conf)
        url = endpoint(self.conf)
        answering = http_status(url + '/') == 200
        auth = s3 = None
        if config.SWIFT in drivers:
            auth = False
            if answering:
                try:
                    auth = swift_auth_ok(load_credentials(
                        self.conf.state_dir))
                except errors.LabError:
                    auth = False
        if config.S3 in drivers:
            s3 = False
            if answering:
                try:
                    s3 = s3_auth_ok(load_s3_credentials(self.conf.state_dir))
                except errors.LabError:
                    s3 = False
        return {'endpoint': url, 'answering': answering,
                'swift_auth_v1': auth, 'auth_url': auth_url(self.conf),
                'storage_url': storage_url(self.conf),
                'swift_user': swift_user(self.conf),
                's3_auth': s3, 's3_user': self.conf.rgw.s3_uid}


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
