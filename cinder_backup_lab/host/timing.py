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

"""Wall time per phase of a multi-step operation."""

import contextlib
import logging
import time

LOG = logging.getLogger(__name__)


class PhaseTimer:
    """Per-phase wall times: what `up` and `reload-cinder` print."""

    def __init__(self):
        self.phases = []

    @contextlib.contextmanager
    def phase(self, name):
        LOG.info('%s ...', name)
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases.append((name, time.monotonic() - start))

    @property
    def total(self):
        return sum(t for _, t in self.phases)

    def table(self):
        lines = ['%-18s %8s' % ('phase', 'seconds')]
        lines += ['%-18s %8.1f' % (name, t) for name, t in self.phases]
        lines.append('%-18s %8.1f' % ('total', self.total))
        return '\n'.join(lines)
