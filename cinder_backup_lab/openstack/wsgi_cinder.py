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

"""WSGI entry point of the Cinder API for the lab's gunicorn.

cinder.wsgi.api parses sys.argv with oslo.config; under gunicorn that holds
gunicorn's own arguments. Replace them with the lab's cinder.conf, named
by CINDER_BACKUP_LAB_CINDER_CONF in the program's environment, and log to
CINDER_BACKUP_LAB_API_LOG.
"""

import os
import sys

sys.argv = ['cinder-api', '--config-file',
            os.environ['CINDER_BACKUP_LAB_CINDER_CONF'],
            '--log-file', os.environ['CINDER_BACKUP_LAB_API_LOG']]

from cinder.wsgi.api import application  # noqa: E402,F401
