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

"""Look into the gluster volume of the glusterfs backup driver.

The driver mounts the volume and then writes as the posix driver does:
<volume>/<container>/volume_<volume id>_<timestamp>_backup_<backup id>...
The probe reads a directory that shows the volume's files: the lab gives
it the volume's single brick, what gluster stored on disk, below Cinder
and below the driver's own mount. gluster keeps its bookkeeping in the
brick's hidden ".glusterfs" directory, which is no container.
"""

from tempest_plugin.common import posix_probe


class GlusterfsProbe(posix_probe.PosixProbe):
    def containers(self):
        return [c for c in super().containers() if not c.startswith('.')]
