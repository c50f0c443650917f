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

"""Look into the Ceph cluster behind Cinder: volumes and backup pools.

The Ceph backup driver stores a full backup of an RBD volume as an image
named "volume-<volume id>.backup.base" (incrementals as snapshots on it)
in the backup's pool, or "volume-<volume id>.backup.<backup id>" when it
cannot use diffs, and keeps "backup.<backup id>.snap.<timestamp>"
snapshots on the source volume. These probes find those by name.
"""

import contextlib

from tempest_plugin.common import volume_data


class PoolMissing(AssertionError):
    """A pool the configuration names is not in the cluster."""


class CephProbe:
    def __init__(self, conffile, user, keyring=None, volumes_pool='volumes'):
        self.conffile = conffile
        self.user = user
        self.keyring = keyring
        self.volumes_pool = volumes_pool

    @contextlib.contextmanager
    def cluster(self):
        """A connected librados handle as the probe's user."""
        # Imported here: test discovery must work without the bindings.
        import rados
        conf = {'keyring': self.keyring} if self.keyring else {}
        cluster = rados.Rados(conffile=self.conffile, rados_id=self.user,
                              conf=conf)
        cluster.connect(timeout=30)
        try:
            yield cluster
        finally:
            cluster.shutdown()

    @contextlib.contextmanager
    def ioctx(self, pool):
        import rados
        with self.cluster() as cluster:
            try:
                ioctx = cluster.open_ioctx(pool)
            except rados.ObjectNotFound:
                raise PoolMissing(
                    'Ceph pool %r does not exist in the cluster of %s: the '
                    'deployment lost it, or [cinder_backup_lab] names a pool '
                    'it never had' % (pool, self.conffile))
            with ioctx:
                yield ioctx

    def pool_exists(self, pool):
        with self.cluster() as cluster:
            return cluster.pool_exists(pool)

    def images(self, pool):
        import rbd
        with self.ioctx(pool) as ioctx:
            return sorted(rbd.RBD().list(ioctx))

    def snapshots(self, pool, image):
        import rbd
        with self.ioctx(pool) as ioctx:
            with rbd.Image(ioctx, image, read_only=True) as img:
                return sorted(s['name'] for s in img.list_snaps())

    def backup_images(self, pool, volume_id):
        """Backup images of one volume in a pool."""
        prefix = 'volume-%s.backup.' % volume_id
        return [i for i in self.images(pool) if i.startswith(prefix)]

    def backup_artifacts(self, pool, volume_id, backup_id):
        """Images and snapshots in `pool` that belong to one backup.

        The base image of a volume is shared by its backups in a pool;
        a backup owns its own "volume-<vol>.backup.<id>" image or its
        "backup.<id>.snap.*" snapshots on the base image.
        """
        found = []
        for image in self.backup_images(pool, volume_id):
            if image.endswith('.backup.%s' % backup_id):
                found.append(image)
            for snap in self.snapshots(pool, image):
                if snap.startswith('backup.%s.snap.' % backup_id):
                    found.append('%s@%s' % (image, snap))
        return found

    def source_backup_snapshots(self, volume_id):
        """backup.*.snap.* snapshots left on the source volume's image."""
        image = 'volume-%s' % volume_id
        return [s for s in self.snapshots(self.volumes_pool, image)
                if s.startswith('backup.')]

    def remove_backup_snapshots(self, volume_id):
        """Remove backup.* snapshots from a volume's image (cleanup)."""
        import rbd
        with self.ioctx(self.volumes_pool) as ioctx:
            with rbd.Image(ioctx, 'volume-%s' % volume_id) as img:
                for snap in list(img.list_snaps()):
                    if snap['name'].startswith('backup.'):
                        if img.is_protected_snap(snap['name']):
                            img.unprotect_snap(snap['name'])
                        img.remove_snap(snap['name'])

    # -- volume data -------------------------------------------------------
    def write_pattern(self, volume_id, seed, extents):
        """Write seeded data at the given (offset, length) extents."""
        import rbd
        with self.ioctx(self.volumes_pool) as ioctx:
            with rbd.Image(ioctx, 'volume-%s' % volume_id) as img:
                for offset, length in extents:
                    img.write(volume_data.pattern(seed, offset, length),
                              offset)
                img.flush()

    def checksum(self, volume_id, pool=None, image=None, snapshot=None):
        """sha256 of a whole volume (or image/snapshot), holes included."""
        import rbd
        pool = pool or self.volumes_pool
        image = image or 'volume-%s' % volume_id
        with self.ioctx(pool) as ioctx:
            with rbd.Image(ioctx, image, snapshot=snapshot,
                           read_only=True) as img:
                size = img.size()
                extents = []

                def collect(offset, length, exists):
                    if exists:
                        extents.append((offset, length))
                img.diff_iterate(0, size, None, collect)
                return volume_data.sparse_sha256(
                    size, extents, lambda off, ln: img.read(off, ln))
