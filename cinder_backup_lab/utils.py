"""Small helpers shared by the lab's modules: commands, waits, files."""

import errno
import json
import logging
import os
import socket
import subprocess
import time

LOG = logging.getLogger(__name__)


class LabError(Exception):
    """An error the operator can act on; the message says what and how."""


class CommandError(LabError):
    def __init__(self, argv, returncode, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        tail = (stderr or '').strip().splitlines()[-5:]
        super().__init__('%s failed (exit %s): %s' % (
            ' '.join(argv[:4]), returncode, ' | '.join(tail) or 'no output'))


def run(argv, input_text=None, check=True, secret_output=False,
        timeout=300, env=None):
    """Run a command and return its stdout.

    The command line is logged, never its input (it may carry a key).
    With secret_output the output is not logged either, and an error
    message does not quote it.
    """
    LOG.debug('run: %s', ' '.join(argv))
    proc = subprocess.run(
        argv, input=input_text, capture_output=True, text=True,
        timeout=timeout, env=env)
    if not secret_output:
        if proc.stdout.strip():
            LOG.debug('stdout: %s', proc.stdout.strip()[:2000])
        if proc.stderr.strip():
            LOG.debug('stderr: %s', proc.stderr.strip()[:2000])
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode,
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
            raise LabError('timed out after %ss waiting for %s%s'
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


def write_file(path, content, mode=0o644, owner=None):
    """Write a file atomically with the given mode from the first byte.

    owner: optional (uid, gid) given to the file before it takes the
    place of the old one.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = '%s.tmp.%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(content)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            os.chown(tmp, *owner)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def pid_alive(pid):
    """True while the process runs; a zombie (exited, unreaped) is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid) as f:
            # The state follows the parenthesised name, which may hold
            # spaces ("gunicorn: master").
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def read_pidfile(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def process_cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def _pids_with(proc_file, wanted):
    """PIDs whose /proc/<pid>/<proc_file> has `wanted` as one NUL field."""
    wanted = wanted.encode()
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/%s' % (entry, proc_file), 'rb') as f:
                fields = f.read().split(b'\0')
        except OSError:
            continue
        if wanted in fields:
            found.append(int(entry))
    return found


def pids_with_argument(argument):
    """PIDs of processes that have `argument` as one of their arguments."""
    return _pids_with('cmdline', argument)


def pids_with_environment(name, value):
    """PIDs of processes whose environment has name=value."""
    return _pids_with('environ', '%s=%s' % (name, value))


def rss_bytes(pid):
    """Resident set size of one process, or None if it is gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def human_bytes(n):
    if n is None:
        return '-'
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return ('%d %s' % (n, unit) if unit == 'B'
                    else '%.1f %s' % (n, unit))
        n /= 1024.0


def write_if_changed(path, content, mode=0o644):
    """write_file() only when the content differs; True when written."""
    try:
        with open(path) as f:
            if f.read() == content:
                os.chmod(path, mode)
                return False
    except OSError:
        pass
    write_file(path, content, mode)
    return True
