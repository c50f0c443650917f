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

"""The virtualenv the lab runs from: its programs, data and Ceph bindings.

The lab's Python programs (gunicorn, cinder-*, keystone-manage,
privsep-helper, supervisord) are those of the interpreter running the
lab; the venv is built from the system python3 so that the
distribution's rados/rbd bindings load in it.
"""

import glob
import os
import sys
import sysconfig

from cinder_backup_lab import errors
from cinder_backup_lab.host import files

# The distribution's Python bindings of librados/librbd, made importable in
# the lab's virtualenv.
BINDINGS = ('rados', 'rbd')


def bin_dir():
    """The running venv's bin/ (where this interpreter is)."""
    return os.path.dirname(sys.executable)


def venv_bin(name):
    """Path of a program of the running venv."""
    return os.path.join(bin_dir(), name)


def venv_etc(*parts):
    """Path under the venv's etc/ (data files of cinder and os-brick)."""
    return os.path.join(os.path.dirname(os.path.dirname(sys.executable)),
                        'etc', *parts)


def site_packages():
    return sysconfig.get_paths()['purelib']


def distro_binding_files(dist_dir='/usr/lib/python3/dist-packages'):
    tag = sysconfig.get_config_var('EXT_SUFFIX') or '.so'
    found = {}
    for name in BINDINGS:
        matches = glob.glob(os.path.join(dist_dir, name + tag))
        if matches:
            found[name] = matches[0]
    return found


def link_distro_bindings():
    """Make the distro's rados/rbd modules importable in this venv.

    They are built for the system's CPython; the venv is made from that
    same interpreter, so a directory of links plus a .pth file is enough,
    without exposing the rest of dist-packages. Returns True if changed.
    """
    if sys.prefix == sys.base_prefix:
        return False    # not in a venv: the system path already has them
    found = distro_binding_files()
    if set(found) != set(BINDINGS):
        raise errors.LabError(
            'python3-rados/python3-rbd modules for %s not found under '
            '/usr/lib/python3/dist-packages; the lab\'s venv must be built '
            'from the system python3 (see tools/bootstrap.sh)'
            % sysconfig.get_config_var('EXT_SUFFIX'))
    link_dir = os.path.join(sys.prefix, 'lib', 'distro-ceph-bindings')
    os.makedirs(link_dir, exist_ok=True)
    changed = False
    for path in found.values():
        link = os.path.join(link_dir, os.path.basename(path))
        if os.path.realpath(link) != path:
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(path, link)
            changed = True
    pth = os.path.join(site_packages(),
                       'cinder_backup_lab_ceph_bindings.pth')
    if not os.path.exists(pth):
        files.write_file(pth, link_dir + '\n', 0o644)
        changed = True
    return changed
