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

"""Generated passwords of the lab's OpenStack half.

Every password is made once with the secrets module and kept in one JSON
file of mode 0600 inside the state directory; nothing here is ever logged.
"""

import json
import os
import secrets as _secrets

from cinder_backup_lab import errors
from cinder_backup_lab.host import files


def path(state_dir):
    return os.path.join(state_dir, 'secrets', 'passwords.json')


class Passwords:
    """get(name) returns the password called name, made on first use."""

    def __init__(self, state_dir):
        self.path = path(state_dir)
        self._values = None

    def _load(self):
        if self._values is None:
            try:
                with open(self.path) as f:
                    self._values = json.load(f)
            except FileNotFoundError:
                self._values = {}
            except ValueError:
                raise errors.LabError(
                    '%s is not valid JSON; restore it or run '
                    '"cinder-backup-lab clean" to start afresh' % self.path)
        return self._values

    def get(self, name):
        values = self._load()
        if name not in values:
            # URL-safe: passwords end up in transport_url and SQL URLs.
            values[name] = _secrets.token_hex(16)
            os.makedirs(os.path.dirname(self.path), mode=0o700,
                        exist_ok=True)
            files.write_file(self.path, json.dumps(values, indent=1,
                                                   sort_keys=True) + '\n',
                             0o600)
        return values[name]

    def __repr__(self):
        return 'Passwords(%r)' % self.path
