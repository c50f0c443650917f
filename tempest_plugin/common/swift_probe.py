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

"""Look into RGW's Swift API: the objects of a backup in a container.

The Swift backup driver names a backup's objects
"volume_<volume id>/<timestamp>/az_<az>_backup_<backup id>-<NNNNN>", plus
"..._metadata" and "..._sha256file", under the backup's container.
"""


class SwiftProbe:
    """Objects in RGW's Swift API, seen as Cinder's Swift driver sees them.

    With Swift v1 credentials (single_user), or with a storage URL and a
    token (per_user: the account of the token's project).
    """

    def __init__(self, auth_url=None, user=None, key=None, storage_url=None,
                 token=None):
        self.auth_url = auth_url
        self.user = user
        self.key = key
        self.storage_url = storage_url
        self.token = token

    def _connection(self):
        import swiftclient
        if self.token:
            return swiftclient.Connection(preauthurl=self.storage_url,
                                          preauthtoken=self.token,
                                          retries=2, timeout=60)
        return swiftclient.Connection(authurl=self.auth_url, user=self.user,
                                      key=self.key, auth_version='1',
                                      retries=2, timeout=60)

    def objects(self, container, prefix=None):
        """Object names in a container ([] if it does not exist)."""
        import swiftclient
        conn = self._connection()
        try:
            _headers, listing = conn.get_container(
                container, prefix=prefix, full_listing=True)
        except swiftclient.ClientException as exc:
            if exc.http_status == 404:
                return []
            raise
        finally:
            conn.close()
        return [o['name'] for o in listing]

    def containers(self):
        conn = self._connection()
        try:
            _headers, listing = conn.get_account(full_listing=True)
        finally:
            conn.close()
        return [c['name'] for c in listing]

    def backup_objects(self, container, volume_id, backup_id=None):
        """Objects of a volume's backups (of one backup when given)."""
        names = self.objects(container, prefix='volume_%s/' % volume_id)
        return [n for n in names
                if backup_id is None or '_backup_%s' % backup_id in n]
