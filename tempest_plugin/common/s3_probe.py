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

"""Look into an S3 API (RGW's): the objects of a backup in a bucket.

The S3 backup driver names a backup's objects like the Swift driver:
"volume_<volume id>/<timestamp>/az_<az>_backup_<backup id>-<NNNNN>",
plus "..._metadata" and "..._sha256file", in the backup's bucket.
"""


class S3Probe:
    """Objects in an S3 API, listed with the bucket owner's keys."""

    def __init__(self, endpoint_url, access_key, secret_key):
        self.endpoint_url = endpoint_url
        self.access_key = access_key
        self.secret_key = secret_key

    def _client(self):
        import boto3
        from botocore import config
        return boto3.client(
            's3', endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            # RGW ignores the region; boto3 needs one.
            region_name='us-east-1',
            config=config.Config(connect_timeout=30, read_timeout=60,
                                 retries={'max_attempts': 3}))

    def objects(self, bucket, prefix=''):
        """Object keys in a bucket ([] if it does not exist)."""
        from botocore import exceptions
        pages = self._client().get_paginator('list_objects_v2').paginate(
            Bucket=bucket, Prefix=prefix)
        names = []
        try:
            for page in pages:
                # A page of an empty listing has no "Contents" at all.
                names += [o['Key'] for o in page.get('Contents', [])]
        except exceptions.ClientError as exc:
            if exc.response.get('Error', {}).get('Code') == 'NoSuchBucket':
                return []
            raise
        return names

    def buckets(self):
        return [b['Name'] for b in self._client().list_buckets()['Buckets']]

    def backup_objects(self, bucket, volume_id, backup_id=None):
        """Objects of a volume's backups (of one backup when given)."""
        names = self.objects(bucket, prefix='volume_%s/' % volume_id)
        return [n for n in names
                if backup_id is None or '_backup_%s' % backup_id in n]
