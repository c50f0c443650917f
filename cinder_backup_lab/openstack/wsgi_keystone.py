"""WSGI entry point of Keystone for the lab's gunicorn.

keystone.wsgi.api parses sys.argv with oslo.config; under gunicorn that
holds gunicorn's own arguments. Reset it and name the config file through
OS_KEYSTONE_CONFIG_FILES (set by the lab in the program's environment).
"""

import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402,F401
