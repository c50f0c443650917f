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

"""Test data for volumes: seeded patterns and sparse-aware checksums.

Pure functions, unit-tested; the probes feed them with librbd reads.
"""

import hashlib
import random

MiB = 1024 * 1024
# Read and hash in pieces this big; zeros are hashed from one buffer.
CHUNK = 4 * MiB
_ZEROS = bytes(CHUNK)


def pattern(seed, offset, length):
    """Deterministic bytes for (seed, offset): the same call, same data."""
    return random.Random('%s:%d' % (seed, offset)).randbytes(length)


def sha256(data):
    """Hex sha256 of bytes: how every check here names data."""
    return hashlib.sha256(data).hexdigest()


def layout(size, generation=0):
    """Extents to write into a volume of `size` bytes.

    Data at the start, in the middle (not aligned to 4 MiB objects) and in
    the last MiB, with holes between them; each generation moves the middle
    extent so that a later write changes data the earlier one did not.
    """
    if size < 8 * MiB:
        raise ValueError('volume of %d bytes is too small for the layout'
                         % size)
    middle = (size // 2 + generation * 3 * MiB + 12345) % (size - 4 * MiB)
    return [(0, MiB), (middle, 2 * MiB + 512), (size - MiB, MiB)]


def expected_sha256(size, writes):
    """sha256 a volume of `size` zero bytes has after `writes`.

    writes: list of (seed, offset, length), applied in order.
    """
    image = bytearray(size)
    for seed, offset, length in writes:
        image[offset:offset + length] = pattern(seed, offset, length)
    return hashlib.sha256(bytes(image)).hexdigest()


def sparse_sha256(size, extents, read):
    """sha256 of `size` bytes where only `extents` may hold data.

    extents: (offset, length) pairs that are allocated; everything else
    reads as zeros and is not read. read(offset, length) returns bytes.
    """
    digest = hashlib.sha256()
    allocated = _merge(extents)
    pos = 0
    for offset, length in allocated + [(size, 0)]:
        _feed_zeros(digest, offset - pos)
        end = offset + length
        while offset < end:
            n = min(CHUNK, end - offset)
            data = read(offset, n)
            if len(data) != n:
                raise IOError('short read at %d: %d of %d bytes'
                              % (offset, len(data), n))
            digest.update(data)
            offset += n
        pos = max(pos, end)
    return digest.hexdigest()


def _feed_zeros(digest, count):
    while count > 0:
        n = min(CHUNK, count)
        digest.update(_ZEROS[:n])
        count -= n


def _merge(extents):
    merged = []
    for offset, length in sorted(extents):
        if merged and offset <= merged[-1][0] + merged[-1][1]:
            last_off, last_len = merged[-1]
            merged[-1] = (last_off, max(last_len, offset + length - last_off))
        else:
            merged.append((offset, length))
    return merged
