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

"""The errors the lab reports to its operator."""


class LabError(Exception):
    """An error the operator can act on; the message says what and how."""


class CommandError(LabError):
    """A command the lab ran failed; the message quotes its last lines."""

    def __init__(self, argv, returncode, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        tail = (stderr or '').strip().splitlines()[-5:]
        super().__init__('%s failed (exit %s): %s' % (
            ' '.join(argv[:4]), returncode, ' | '.join(tail) or 'no output'))
