"""Look into RGW's Swift API: the objects of a backup in a container.

The Swift backup driver names a backup's objects
"volume_<volume id>/<timestamp>/az_<az>_backup_<backup id>-<NNNNN>", plus
"..._metadata" and "..._sha256file", under the backup's container.
"""


class SwiftProbe:
    def __init__(self, auth_url, user, key):
        self.auth_url = auth_url
        self.user = user
        self.key = key

    def _connection(self):
        import swiftclient
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

    def backup_objects(self, container, volume_id, backup_id):
        names = self.objects(container, prefix='volume_%s/' % volume_id)
        return [n for n in names if '_backup_%s' % backup_id in n]

    def delete_container_if_empty(self, container):
        """Cinder leaves the (empty) container after the last delete."""
        import swiftclient
        conn = self._connection()
        try:
            conn.delete_container(container)
        except swiftclient.ClientException as exc:
            if exc.http_status not in (404, 409):
                raise
        finally:
            conn.close()
