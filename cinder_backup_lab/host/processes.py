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

"""Processes of this machine, read from /proc, and ending them by PID.

The one place that scans /proc: the lab finds its own daemons (by an
argument or an environment marker), their children and their memory here,
and ends leftovers by PID only, never by name.
"""

import logging
import os
import signal
import time

LOG = logging.getLogger(__name__)


def pid_alive(pid):
    """True while the process runs; a zombie (exited, unreaped) is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _stat_fields(pid)
    return bool(stat) and stat[0] != 'Z'


def _stat_fields(pid):
    """Fields of /proc/<pid>/stat after the command name ([] if gone).

    The name is parenthesised and may hold spaces ("gunicorn: master").
    """
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()
    except OSError:
        return []


def read_pidfile(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def _mount_namespace(pid='self'):
    try:
        return os.readlink('/proc/%s/ns/mnt' % pid)
    except OSError:
        return None


def _root(pid):
    try:
        return os.readlink('/proc/%s/root' % pid)
    except OSError:
        return None


def _other_pids(roots=()):
    """PIDs of every process but this one, in this mount namespace.

    A process in another mount namespace (a container booted next to the
    lab) may name the same paths, which mean other files there; except
    one chrooted into one of `roots` (the lab's Ceph release root, whose
    daemons each get a private mount namespace with the state dir bound
    at the same path).
    """
    own_pid, own_ns = os.getpid(), _mount_namespace()
    roots = set(roots)
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == own_pid:
            continue
        if _mount_namespace(entry) == own_ns or \
                (roots and _root(entry) in roots):
            yield int(entry)


def mount_points(mounts='/proc/self/mounts'):
    """Mount points of this mount namespace (octal escapes decoded)."""
    out = []
    with open(mounts) as f:
        for line in f:
            fields = line.split()
            if len(fields) > 1:
                out.append(fields[1].encode().decode('unicode_escape'))
    return out


def pids_in_root(root):
    """PIDs of the processes chrooted into root (as the host names it)."""
    return [int(e) for e in os.listdir('/proc')
            if e.isdigit() and _root(e) == root]


def _pids_with(proc_file, wanted, roots=()):
    """PIDs whose /proc/<pid>/<proc_file> has `wanted` as one NUL field."""
    wanted = wanted.encode()
    found = []
    for pid in _other_pids(roots):
        try:
            with open('/proc/%d/%s' % (pid, proc_file), 'rb') as f:
                fields = f.read().split(b'\0')
        except OSError:
            continue
        if wanted in fields:
            found.append(pid)
    return found


def pids_with_argument(argument, roots=()):
    """PIDs of processes that have `argument` as one of their arguments.

    roots: also look at processes chrooted into these directories.
    """
    return _pids_with('cmdline', argument, roots)


def pids_with_environment(name, value):
    """PIDs of processes whose environment has name=value."""
    return _pids_with('environ', '%s=%s' % (name, value))


def descendants(pid):
    """All descendant PIDs of pid (gunicorn workers, privsep daemons)."""
    children = {}
    for other in _other_pids():
        stat = _stat_fields(other)
        if len(stat) > 1:
            children.setdefault(int(stat[1]), []).append(other)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


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


def tree_rss(pid):
    """RSS of a process and all its descendants."""
    return sum(rss_bytes(p) or 0 for p in [pid] + descendants(pid))


def stop_pids(pids, timeout=60):
    """SIGTERM each PID, wait for all, SIGKILL what ignored it.

    Returns the PIDs signalled, sorted.
    """
    pids = sorted(set(pids))
    for pid in pids:
        LOG.info('stopping leftover %s (pid %d)', cmdline(pid)[:60], pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for pid in pids:
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(pid):
            LOG.info('pid %d ignored SIGTERM; killing it', pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return pids


def human_bytes(n):
    """1536 -> '1.5 KiB'; None -> '-'."""
    if n is None:
        return '-'
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return ('%d %s' % (n, unit) if unit == 'B'
                    else '%.1f %s' % (n, unit))
        n /= 1024.0
