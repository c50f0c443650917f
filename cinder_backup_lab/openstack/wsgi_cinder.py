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
