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

"""Find what tests left behind: in Cinder and below it, in the backends.

Compares what the backends hold with what Cinder knows: an RBD image,
snapshot, Swift, S3 or GCS object or posix or gluster file that belongs to
a volume or backup Cinder no longer has is a leftover, and so is any
volume or backup a test made: a Tempest run's (the "tempest-" prefix of
data_utils.rand_name) or the lab's own demo and tests' ("cbl-").
"""

import re

from cinder_backup_lab.checks import probes
from cinder_backup_lab import config
from cinder_backup_lab.storage import ceph

UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
_VOLUME_IMAGE = re.compile(r'^volume-(%s)$' % UUID)
_BACKUP_IMAGE = re.compile(
    r'^volume-(%s)\.backup\.(%s|base)$' % (UUID, UUID))
_BACKUP_SNAP = re.compile(r'^backup\.(%s)\.snap\.' % UUID)
# Swift, S3 and GCS objects: volume_<vol>/<ts>/az_<az>_backup_<id>...; posix
# files: volume_<vol>_<ts>_backup_<id>...
_SWIFT_OBJECT = re.compile(r'^volume_(%s)/.*_backup_(%s)' % (UUID, UUID))
_POSIX_FILE = re.compile(r'^volume_(%s)_\d+_backup_(%s)' % (UUID, UUID))
TEST_NAME_PREFIXES = ('tempest-', 'cbl-')


def orphan_images(pool_images, volume_ids, backup_ids, backup_pool):
    """Leftovers among {image: [snapshots]} of one pool (pure)."""
    found = []
    for image, snaps in sorted(pool_images.items()):
        vol = _VOLUME_IMAGE.match(image)
        bak = _BACKUP_IMAGE.match(image)
        if not backup_pool and vol and vol.group(1) not in volume_ids:
            found.append('image %s: volume %s does not exist'
                         % (image, vol.group(1)))
        if backup_pool and bak and bak.group(2) != 'base' and \
                bak.group(2) not in backup_ids:
            found.append('image %s: backup %s does not exist'
                         % (image, bak.group(2)))
        for snap in snaps:
            m = _BACKUP_SNAP.match(snap)
            if m and m.group(1) not in backup_ids:
                found.append('snapshot %s@%s: backup %s does not exist'
                             % (image, snap, m.group(1)))
    return found


def made_by_tests(kind, items):
    """Volumes or backups whose name says a test made them (pure)."""
    return ['%s %s (%s, %s) made by a test' % (kind, i['id'], i['name'],
                                               i['status'])
            for i in items
            if (i.get('name') or '').startswith(TEST_NAME_PREFIXES)]


def orphan_objects(container, names, backup_ids, kind='swift'):
    """Leftovers among the object (or file) names of one container."""
    pattern, sep = ((_POSIX_FILE, '_') if kind in ('posix', 'glusterfs')
                    else (_SWIFT_OBJECT, '/'))
    found = set()
    for name in names:
        m = pattern.match(name)
        if m and m.group(2) not in backup_ids:
            found.add('%s %s/volume_%s%s..._backup_%s: backup does not '
                      'exist' % (kind, container, m.group(1), sep,
                                 m.group(2)))
    return sorted(found)


def per_user_buckets(buckets):
    """The buckets of Keystone projects' accounts ("<tenant>/<name>")."""
    return sorted(b for b in buckets if '/' in b)


def find(conf, admin_api):
    """List of leftovers (strings); empty when everything is clean."""
    volumes = admin_api.get('/volumes/detail', all_tenants=1)['volumes']
    backups = admin_api.get('/backups/detail', all_tenants=1)['backups']
    found = (made_by_tests('volume', volumes)
             + made_by_tests('backup', backups))
    volume_ids = {v['id'] for v in volumes}
    backup_ids = {b['id'] for b in backups}

    cluster = probes.ceph_for(conf)
    pools = [(conf.ceph.volumes_pool, False)] + [
        (p, True) for p in ceph.backup_pools(conf)]
    for pool, is_backup_pool in pools:
        if not cluster.pool_exists(pool):
            continue
        images = {name: cluster.snapshots(pool, name)
                  for name in cluster.images(pool)}
        found += ['%s: %s' % (pool, item) for item in orphan_images(
            images, volume_ids, backup_ids, is_backup_pool)]

    drivers = config.backup_drivers(conf)
    if config.SWIFT in drivers and conf.backup_swift.auth == 'single_user':
        swift = probes.swift_for(conf)
        for container in swift.containers():
            found += orphan_objects(container, swift.objects(container),
                                    backup_ids)
    elif config.SWIFT in drivers:
        # per_user: each project's own account (an implicit RGW tenant,
        # "<project id>/<container>"), including those of projects Tempest
        # has deleted since; only RGW's admin sees them all.
        gateway = probes.gateway_for(conf)
        for bucket in per_user_buckets(gateway.buckets()):
            found += orphan_objects(bucket, gateway.bucket_objects(bucket),
                                    backup_ids)
    if config.S3 in drivers:
        s3 = probes.s3_for(conf)
        for bucket in s3.buckets():
            found += orphan_objects(bucket, s3.objects(bucket), backup_ids,
                                    kind='s3')
    if config.GOOGLE in drivers:
        gcs = probes.gcs_for(conf)
        for bucket in gcs.buckets():
            found += orphan_objects(bucket, gcs.objects(bucket), backup_ids,
                                    kind='gcs')
    if config.POSIX in drivers:
        posix = probes.posix_for(conf)
        for container in posix.containers():
            found += orphan_objects(container, posix.files(container),
                                    backup_ids, kind='posix')
    if config.GLUSTERFS in drivers:
        volume = probes.glusterfs_for(conf)
        for container in volume.containers():
            found += orphan_objects(container, volume.files(container),
                                    backup_ids, kind='glusterfs')
    return found
