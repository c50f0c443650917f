"""Direct looks at the backends, below Cinder: RBD images and Swift objects.

Used by the demo and the integration tests to write known data into a
volume, checksum volumes, and check what a backup left in a pool or a
container. RBD access goes through librados/librbd (the distribution's
bindings, linked into the venv by `up`) as a named cephx user; Swift
through python-swiftclient with the RGW user's v1 credentials.
"""

import contextlib
import hashlib
import random

from cinder_backup_lab import ceph
from cinder_backup_lab import rgw

MiB = 1024 * 1024
CHUNK = 4 * MiB


@contextlib.contextmanager
def rados_client(state_dir, user):
    import rados
    cluster = rados.Rados(conffile=ceph.CephPaths(state_dir).conf,
                          rados_id=user)
    cluster.connect(timeout=30)
    try:
        yield cluster
    finally:
        cluster.shutdown()


@contextlib.contextmanager
def open_image(cluster, pool, name, read_only=False):
    import rbd
    with cluster.open_ioctx(pool) as ioctx:
        with rbd.Image(ioctx, name, read_only=read_only) as image:
            yield image


def pattern_extents(size, seed):
    """[(offset, bytes)] of seeded data: start, middle, last MiB.

    The holes between them stay unwritten.
    """
    rng = random.Random(seed)
    extents = [(0, rng.randbytes(4 * MiB))]
    if size >= 64 * MiB:
        mid = (size // 2 // MiB) * MiB + 512 * 1024
        extents.append((mid, rng.randbytes(MiB + 4096)))
    extents.append((size - MiB, rng.randbytes(MiB)))
    return extents


def write_pattern(image, seed):
    size = image.size()
    for offset, data in pattern_extents(size, seed):
        image.write(data, offset)
    image.flush()
    return size


def checksum(image):
    """sha256 of the whole image as a block device reads it."""
    h = hashlib.sha256()
    size = image.size()
    offset = 0
    while offset < size:
        n = min(CHUNK, size - offset)
        h.update(image.read(offset, n))
        offset += n
    return h.hexdigest()


def image_names(cluster, pool):
    import rbd
    with cluster.open_ioctx(pool) as ioctx:
        return rbd.RBD().list(ioctx)


def snapshot_names(cluster, pool, name):
    with open_image(cluster, pool, name, read_only=True) as image:
        return [s['name'] for s in image.list_snaps()]


def swift_connection(state_dir):
    from swiftclient import client as swift
    creds = rgw.load_credentials(state_dir)
    return swift.Connection(authurl=creds.auth_url, user=creds.user,
                            key=creds.key, auth_version='1', retries=2)


def swift_connection_for_token(storage_url, token):
    """Swift as a Keystone user (per_user mode): RGW validates the token."""
    from swiftclient import client as swift
    return swift.Connection(preauthurl=storage_url, preauthtoken=token,
                            retries=2)


def swift_objects(conn, container, prefix=''):
    """[(name, bytes)] in container under prefix; [] if no container."""
    from swiftclient import exceptions as swift_exc
    try:
        _headers, objects = conn.get_container(container, prefix=prefix,
                                               full_listing=True)
    except swift_exc.ClientException as exc:
        if exc.http_status == 404:
            return []
        raise
    return [(o['name'], o['bytes']) for o in objects]
