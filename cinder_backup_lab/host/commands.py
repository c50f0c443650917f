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

"""Running commands, waiting for conditions, probing ports."""

import errno
import json
import logging
import socket
import subprocess
import time

from cinder_backup_lab import errors

LOG = logging.getLogger(__name__)


def run(argv, input_text=None, check=True, secret_output=False,
        timeout=300, env=None, cwd=None):
    """Run a command and return its stdout.

    The command line is logged, never its input (it may carry a key).
    With secret_output the output is not logged either, and an error
    message does not quote it.
    """
    LOG.debug('run: %s', ' '.join(argv))
    try:
        proc = subprocess.run(
            argv, input=input_text, capture_output=True, text=True,
            timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        # subprocess.run has killed it; a hung Ceph tool usually means a
        # cluster that does not answer or blocks writes (full).
        raise errors.CommandError(argv, 'timeout', 'no answer in %d s'
                                  % timeout)
    if not secret_output:
        if proc.stdout.strip():
            LOG.debug('stdout: %s', proc.stdout.strip()[:2000])
        if proc.stderr.strip():
            LOG.debug('stderr: %s', proc.stderr.strip()[:2000])
    if check and proc.returncode != 0:
        raise errors.CommandError(argv, proc.returncode,
                                  '(output withheld)' if secret_output
                                  else proc.stderr or proc.stdout)
    return proc.stdout


def run_json(argv, **kwargs):
    out = run(argv, **kwargs)
    return json.loads(out) if out.strip() else None


def wait_for(predicate, timeout, interval=1.0, what='condition'):
    """Poll predicate() until it returns a truthy value or time runs out."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: B902 - reported on timeout
            last_error = exc
        if time.monotonic() >= deadline:
            detail = ' (last error: %s)' % last_error if last_error else ''
            raise errors.LabError('timed out after %ss waiting for %s%s'
                                  % (timeout, what, detail))
        time.sleep(interval)


def port_is_free(host, port):
    """True when nothing listens on host:port and we may bind it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        return True
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return False
        raise
    finally:
        sock.close()
