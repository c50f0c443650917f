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

"""The Tempest plugin's data helpers: patterns and sparse checksums."""

import hashlib

import testtools

from tempest_plugin.common import volume_data

MiB = volume_data.MiB


class PatternTest(testtools.TestCase):

    def test_deterministic_and_seed_dependent(self):
        a = volume_data.pattern('s', 4096, 1000)
        self.assertEqual(a, volume_data.pattern('s', 4096, 1000))
        self.assertNotEqual(a, volume_data.pattern('t', 4096, 1000))
        self.assertNotEqual(a, volume_data.pattern('s', 8192, 1000))
        self.assertEqual(1000, len(a))


class LayoutTest(testtools.TestCase):

    def test_includes_start_last_mib_and_holes(self):
        size = 1024 * MiB
        extents = volume_data.layout(size)
        self.assertEqual((0, MiB), extents[0])
        self.assertEqual((size - MiB, MiB), extents[-1])
        written = sum(length for _, length in extents)
        self.assertLess(written, size // 10)     # mostly holes
        for offset, length in extents:
            self.assertLessEqual(offset + length, size)

    def test_generations_change_other_data(self):
        size = 64 * MiB
        self.assertNotEqual(volume_data.layout(size, 0)[1],
                            volume_data.layout(size, 1)[1])

    def test_too_small(self):
        self.assertRaises(ValueError, volume_data.layout, MiB)


class ChecksumTest(testtools.TestCase):

    def _image(self, size, writes):
        image = bytearray(size)
        for seed, off, ln in writes:
            image[off:off + ln] = volume_data.pattern(seed, off, ln)
        return bytes(image)

    def test_sparse_equals_full_read(self):
        size = 24 * MiB + 4096
        writes = [('a', 0, 3000), ('b', 5 * MiB - 10, 2 * MiB),
                  ('c', size - 4096, 4096)]
        image = self._image(size, writes)
        extents = [(0, 4 * MiB), (4 * MiB, 4 * MiB), (size - 4096, 4096)]
        got = volume_data.sparse_sha256(
            size, extents, lambda off, ln: image[off:off + ln])
        self.assertEqual(hashlib.sha256(image).hexdigest(), got)
        self.assertEqual(got, volume_data.expected_sha256(size, writes))

    def test_overlapping_extents_are_read_once(self):
        size = 8 * MiB
        image = self._image(size, [('x', MiB, MiB)])
        reads = []

        def read(off, ln):
            reads.append((off, ln))
            return image[off:off + ln]
        got = volume_data.sparse_sha256(
            size, [(MiB, MiB), (MiB + 10, 100), (MiB, 2 * MiB)], read)
        self.assertEqual(hashlib.sha256(image).hexdigest(), got)
        self.assertEqual([(MiB, 2 * MiB)], reads)

    def test_missing_data_changes_the_checksum(self):
        size = 8 * MiB
        image = self._image(size, [('x', 3 * MiB, 100)])
        # Reporting no extent (as if the data were lost) must differ.
        self.assertNotEqual(
            hashlib.sha256(image).hexdigest(),
            volume_data.sparse_sha256(size, [], lambda o, n: b''))

    def test_short_read_is_an_error(self):
        self.assertRaises(IOError, volume_data.sparse_sha256, 8 * MiB,
                          [(0, MiB)], lambda off, ln: b'x')
