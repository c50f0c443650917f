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

"""Look into the posix backup driver's directory.

The driver writes a backup's files flat into <backup_posix_path>/
<container>/, named "volume_<volume id>_<timestamp>_backup_<backup id>"
followed by "-<NNNNN>", "_metadata" or "_sha256file".
"""

import os


class PosixProbe:
    def __init__(self, path):
        self.path = path

    def files(self, container, prefix=''):
        """File names in a container ([] if it does not exist)."""
        try:
            names = os.listdir(os.path.join(self.path, container))
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.startswith(prefix))

    def containers(self):
        """Sub-directories of the path (the driver's containers)."""
        try:
            return sorted(n for n in os.listdir(self.path)
                          if os.path.isdir(os.path.join(self.path, n)))
        except FileNotFoundError:
            return []

    def backup_objects(self, container, volume_id, backup_id=None):
        """Files of a volume's backups (of one backup when given)."""
        names = self.files(container, prefix='volume_%s_' % volume_id)
        return [n for n in names
                if backup_id is None or '_backup_%s' % backup_id in n]
