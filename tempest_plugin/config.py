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

"""Options of the cinder-backup-lab Tempest plugin.

They say what a deployment has (which backup drivers, in which
availability zones, with which containers) and how the tests reach the
backends to check where backup data really landed.
"""

from oslo_config import cfg

backup_lab_group = cfg.OptGroup(
    name='cinder_backup_lab',
    title='cinder-backup-lab: backup scenarios checked on the backends')

BackupLabGroup = [
    # What the deployment has.
    cfg.BoolOpt('ceph_backup_enabled', default=False,
                help='A cinder-backup service with the Ceph (RBD) backup '
                     'driver runs in ceph_backup_availability_zone.'),
    cfg.BoolOpt('swift_backup_enabled', default=False,
                help='A cinder-backup service with the Swift backup driver '
                     'pointed at RGW runs in swift_backup_availability_zone.'),
    cfg.StrOpt('ceph_backup_availability_zone', default=None,
               help='Availability zone of the Ceph-driver c-bak. Empty: '
                    'backups are created without an availability zone and '
                    'land on the default c-bak.'),
    cfg.StrOpt('swift_backup_availability_zone', default=None,
               help='Availability zone of the Swift-driver c-bak. Empty: '
                    'backups are created without an availability zone.'),
    cfg.ListOpt('ceph_backup_pools', default=['backups', 'volumebackups'],
                help='Ceph pools to use as backup containers with the Ceph '
                     'driver. The first must be the driver\'s '
                     'backup_ceph_pool (the default container).'),
    cfg.ListOpt('swift_backup_containers',
                default=['volumebackups', 'backups'],
                help='Swift containers to use as backup containers with the '
                     'Swift driver. The first must be the driver\'s '
                     'backup_swift_container (the default container).'),
    cfg.ListOpt('backup_drivers', default=[],
                help='More backup drivers, as data: entries '
                     '"<driver>:<availability zone>:<container>[+<container>'
                     '...]" with driver posix, s3, glusterfs or google, '
                     'e.g. '
                     '"posix:az-posix:volumebackups+backups". The first '
                     'container is the driver\'s default one. Every '
                     'scenario of the generic driver tests runs for each '
                     'entry; the Ceph and Swift drivers keep their own '
                     'options above.'),
    cfg.StrOpt('volume_type', default='ceph',
               help='Volume type of the RBD volume backend whose volumes '
                    'the tests back up.'),
    cfg.IntOpt('volume_size', default=1, min=1,
               help='Size in GiB of the volumes the tests create.'),
    cfg.StrOpt('missing_ceph_pool', default='cinder-backup-lab-no-such-pool',
               help='A pool name that must not exist, used by the negative '
                    'test of a backup into a missing pool.'),
    cfg.ListOpt('known_cinder_bugs',
                default=['restore-non-default-pool',
                         'backup-snapshot-left-on-source',
                         'incremental-another-pool',
                         'backup-hangs-on-full-cluster',
                         'incremental-parent-other-driver',
                         's3-empty-prefix-listing',
                         'backup-fails-on-db-restart',
                         'backup-fails-on-rabbitmq-restart'],
                help='Upstream Cinder bugs the deployed Cinder has. A test '
                     'that hits a listed bug is reported as an expected '
                     'failure that names it; once Cinder is fixed the test '
                     'passes unexpectedly and fails the run, so the entry '
                     'can be removed. Known names: '
                     'restore-non-default-pool (Ceph driver restores from '
                     'backup_ceph_pool instead of the backup\'s container), '
                     'backup-snapshot-left-on-source (Ceph driver leaves '
                     'backup.*.snap.* snapshots on the source volume after '
                     'the backups are deleted), incremental-another-pool '
                     '(the API accepts a Ceph incremental into another '
                     'pool than its parent\'s; the driver ends it in '
                     'error), backup-hangs-on-full-cluster (a backup into a '
                     'full Ceph cluster stays "creating" with no error for '
                     'as long as the cluster is full: Cinder sets no '
                     'timeout on the backend\'s writes; checked by the '
                     'lab\'s fault tests), incremental-parent-other-driver '
                     '(a Ceph incremental of a volume whose newest backup '
                     'another driver made ends in error and cannot be '
                     'deleted; the test of it runs only where the bug is '
                     'not listed), s3-empty-prefix-listing (the S3 driver '
                     'fails to list a prefix with no objects; checked by '
                     'the lab\'s integration tests), '
                     'backup-fails-on-db-restart (a '
                     'restart of the database of a few seconds ends a '
                     'running backup in error: the chunked drivers\' '
                     'per-object refresh of the backup is not retried), '
                     'backup-fails-on-rabbitmq-restart (after a restart '
                     'of the message broker, c-bak\'s call to c-vol at the '
                     'end of a backup times out and the backup ends in '
                     'error; both checked by the lab\'s fault tests).'),

    # How to reach the Ceph cluster.
    cfg.StrOpt('ceph_conf', default='/etc/ceph/ceph.conf',
               help='ceph.conf of the cluster holding the volumes and the '
                    'backup pools.'),
    cfg.StrOpt('ceph_probe_user', default='admin',
               help='cephx user (without "client.") the tests use to write '
                    'test data into volumes and to inspect backup pools: '
                    'needs read/write on the volumes pool and read on the '
                    'backup pools.'),
    cfg.StrOpt('ceph_probe_keyring', default=None,
               help='Keyring of ceph_probe_user. Empty: Ceph\'s default '
                    'search path.'),
    cfg.StrOpt('ceph_volumes_pool', default='volumes',
               help='Pool of the RBD volume backend (volume-<id> images).'),

    # How to reach RGW's Swift API.
    cfg.StrOpt('swift_backup_auth', default='single_user',
               choices=['single_user', 'per_user'],
               help='The Swift driver\'s backup_swift_auth. single_user: '
                    'backups live in the account of swift_user, which the '
                    'tests inspect with Swift v1 auth. per_user: backups '
                    'live in the account of the project that made them; '
                    'the tests inspect it with their own Keystone token '
                    'and the catalog\'s object-store endpoint '
                    '([object-storage] catalog_type, endpoint_type).'),
    cfg.URIOpt('swift_auth_url', default=None,
               help='Swift v1 auth URL of RGW '
                    '(e.g. http://127.0.0.1:8080/auth/1.0) '
                    'used to inspect the backup containers.'),
    cfg.StrOpt('swift_user', default=None,
               help='Swift v1 user ("<uid>:<subuser>") that owns the '
                    'backup containers.'),
    cfg.StrOpt('swift_key', default=None, secret=True,
               help='Swift v1 key of swift_user.'),
]


BackupLabGroup += [
    # How to reach the posix driver's directory and RGW's S3 API.
    cfg.StrOpt('posix_backup_path', default=None,
               help='backup_posix_path of the posix-driver c-bak: the '
                    'tests look for backup files in <path>/<container>.'),
    cfg.URIOpt('s3_endpoint_url', default=None,
               help='S3 endpoint of the S3 backup driver (RGW\'s S3 API, '
                    'e.g. http://127.0.0.1:8080), listed by the tests.'),
    cfg.StrOpt('s3_access_key', default=None, secret=True,
               help='S3 access key of the user owning the S3 buckets.'),
    cfg.StrOpt('s3_secret_key', default=None, secret=True,
               help='S3 secret key of the user owning the S3 buckets.'),
    # How to see the glusterfs driver's volume.
    cfg.StrOpt('glusterfs_backup_path', default=None,
               help='A directory showing the files of the glusterfs '
                    'driver\'s volume (the brick of a one-brick volume, or '
                    'a mount of the volume): the tests look for backup '
                    'files in <path>/<container>.'),
]

BackupLabGroup += [
    # How to reach the google driver's GCS (the lab's emulator).
    cfg.URIOpt('gcs_endpoint_url', default=None,
               help='GCS JSON API the google backup driver writes to, '
                    'by an address the tests can reach (the lab\'s '
                    'emulator, e.g. https://127.0.0.1:443), listed by the '
                    'tests.'),
    cfg.StrOpt('gcs_ca_file', default=None,
               help='CA certificate the GCS endpoint\'s certificate is '
                    'checked with.'),
    cfg.StrOpt('gcs_project_id', default='cinder-backup-lab',
               help='Project whose buckets the tests list.'),
]


def list_opts():
    return [(backup_lab_group, BackupLabGroup)]
