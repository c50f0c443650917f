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

"""Look into a GCS JSON API (the lab's emulator): a backup's objects.

The google backup driver names a backup's objects like the Swift and S3
drivers: "volume_<volume id>/<timestamp>/az_<az>_backup_<backup id>-
<NNNNN>", plus "..._metadata" and "..._sha256file", in the backup's
bucket. The probe lists them over the JSON API by the emulator's address
(the driver's host name resolves only inside the google c-bak's mount
namespace), trusting the emulator's CA only; the emulator takes no
credentials.
"""

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request


class GcsProbe:
    """Buckets and object names of a GCS JSON API endpoint."""

    def __init__(self, endpoint_url, ca_file, project_id):
        self.endpoint_url = endpoint_url.rstrip('/')
        self.ca_file = ca_file
        self.project_id = project_id

    def _get(self, path, **query):
        url = '%s/storage/v1/%s?%s' % (self.endpoint_url, path,
                                       urllib.parse.urlencode(query))
        ctx = ssl.create_default_context(cafile=self.ca_file)
        with urllib.request.urlopen(url, timeout=60, context=ctx) as resp:
            return json.loads(resp.read() or b'{}')

    def _pages(self, path, key, **query):
        names, token = [], None
        while True:
            if token:
                query['pageToken'] = token
            page = self._get(path, **query)
            names += [i['name'] for i in page.get(key, [])]
            token = page.get('nextPageToken')
            if not token:
                return names

    def buckets(self):
        return sorted(self._pages('b', 'items', project=self.project_id))

    def objects(self, bucket, prefix=''):
        """Object names in a bucket ([] if it does not exist)."""
        try:
            return self._pages('b/%s/o' % urllib.parse.quote(bucket, safe=''),
                               'items', prefix=prefix)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise

    def backup_objects(self, bucket, volume_id, backup_id=None):
        """Objects of a volume's backups (of one backup when given)."""
        names = self.objects(bucket, prefix='volume_%s/' % volume_id)
        return [n for n in names
                if backup_id is None or '_backup_%s' % backup_id in n]
