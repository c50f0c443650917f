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

"""The same checks on every Ceph release: one table, release x scenario.

For each release the lab is cleaned (its cluster cannot change release;
the cached roots stay), brought up with an overlay naming the release,
and put through the integration tests, the demo and the Tempest plugin.
The known upstream Cinder bugs are read from the plugin's run: a bug
"holds" when its test ended as an expected failure, is "gone" when it
was an unexpected success. Each stage is the same command the test
command runs; nothing here is timed as a pass/fail criterion.
"""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time

from cinder_backup_lab import config
from cinder_backup_lab.storage import releases

SCENARIOS = ('up', 'integration', 'demo', 'tempest-plugin', 'leftovers')

# The Tempest plugin's test that checks each known bug (its method name).
BUG_TESTS = {
    config.BUG_RESTORE_POOL: 'test_ceph_restore_from_non_default_pool',
    config.BUG_SOURCE_SNAPSHOTS:
        'test_ceph_backup_delete_leaves_no_snapshot_on_source',
    config.BUG_INCREMENTAL_POOL: 'test_ceph_incremental_into_another_pool',
}


@dataclasses.dataclass
class Outcome:
    ok: bool
    summary: str
    seconds: float = 0.0


def parse_totals(text):
    """The last stestr/tempest "Totals" block of a run's output."""
    fields = {'passed': r'^ - Passed: (\d+)', 'failed': r'^ - Failed: (\d+)',
              'skipped': r'^ - Skipped: (\d+)',
              'xfail': r'^ - Expected Fail: (\d+)',
              'xpass': r'^ - Unexpected Success: (\d+)'}
    out = {}
    for key, pattern in fields.items():
        found = re.findall(pattern, text, re.M)
        if found:
            out[key] = int(found[-1])
    return out or None


def totals_outcome(totals, seconds):
    if not totals:
        return Outcome(False, 'no result', seconds)
    bad = totals.get('failed', 0) + totals.get('xpass', 0)
    parts = ['%d passed' % (totals.get('passed', 0)
                            + totals.get('xfail', 0))]
    if totals.get('xfail'):
        parts.append('%d xfail' % totals['xfail'])
    if totals.get('skipped'):
        parts.append('%d skipped' % totals['skipped'])
    if bad:
        parts.append('%d FAILED' % bad)
    return Outcome(not bad, ', '.join(parts), seconds)


def subunit_statuses(path):
    """{test id: subunit status} of a run's stream.

    The run's console shows an expected failure as "ok"; the stream tells
    'xfail' and 'uxsuccess' (unexpected success) apart.
    """
    import subunit
    import testtools
    out = {}
    result = testtools.StreamToDict(
        lambda test: out.__setitem__(test['id'], test['status']))
    with open(path, 'rb') as f:
        result.startTestRun()
        subunit.ByteStreamToStreamResult(f).run(result)
        result.stopTestRun()
    return out


BUG_STATES = {'xfail': 'holds', 'uxsuccess': 'gone',
              # Not listed as known: the test asserted the fixed
              # behaviour, and it held or did not.
              'success': 'gone', 'fail': 'FAILED', 'skip': 'skipped'}


def bug_outcomes(statuses, bug_tests=None):
    """{bug: 'holds' | 'gone' | 'FAILED' | 'skipped' | 'not run'}."""
    bug_tests = bug_tests or BUG_TESTS
    out = {}
    for bug, test in bug_tests.items():
        found = [st for tid, st in statuses.items()
                 if tid.split('[')[0].endswith('.' + test)]
        out[bug] = (BUG_STATES.get(found[-1], found[-1]) if found
                    else 'not run')
    return out


def demo_outcome(text, rc, seconds):
    found = re.findall(r'^summary: (.*)$', text, re.M)
    summary = found[-1] if found else 'no summary (exit %d)' % rc
    return Outcome(rc == 0, summary.replace(' -> OK', ''), seconds)


def render_table(results, scenarios=SCENARIOS):
    """results: {release: {scenario: Outcome, 'bugs': {...}}}."""
    bugs = sorted(BUG_TESTS)
    header = ['release'] + list(scenarios) + bugs
    rows = []
    for name, res in results.items():
        rel = releases.RELEASES[name]
        row = ['%s (%s)' % (name, res.get('version') or rel.version)]
        for sc in scenarios:
            o = res.get(sc)
            row.append('-' if o is None else '%s: %s (%ds)' % (
                'ok' if o.ok else 'FAIL', o.summary, round(o.seconds)))
        for bug in bugs:
            row.append(res.get('bugs', {}).get(bug, 'not run'))
        rows.append(row)
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def overlay_path(report_dir, release):
    return os.path.join(report_dir, 'release-%s.conf' % release)


def write_overlay(report_dir, release):
    path = overlay_path(report_dir, release)
    with open(path, 'w') as f:
        f.write('# written by cinder-backup-lab matrix\n'
                '[ceph]\nrelease = %s\n' % release)
    return path


class Runner:
    def __init__(self, repo_dir, base_config, report_dir, venv_bin,
                 scenarios=SCENARIOS, out=sys.stdout):
        self.repo_dir = repo_dir
        self.base_config = base_config
        self.report_dir = report_dir
        self.bin = venv_bin
        self.scenarios = scenarios
        self.out = out

    def _say(self, text):
        self.out.write(text + '\n')
        self.out.flush()

    def _run(self, release, name, argv, env_extra=None, timeout=3600):
        """Run one stage, its output to <report_dir>/<release>-<name>.log."""
        env = dict(os.environ, CINDER_BACKUP_LAB_CONFIG=self.config_of(
            release), PATH=self.bin + os.pathsep + os.environ['PATH'],
            **(env_extra or {}))
        log = os.path.join(self.report_dir, '%s-%s.log' % (release, name))
        self._say('=== %s: %s %s'
                  % (release, name, time.strftime('%H:%M:%S')))
        start = time.monotonic()
        with open(log, 'w') as f:
            try:
                rc = subprocess.run(argv, cwd=self.repo_dir, env=env,
                                    stdout=f, stderr=subprocess.STDOUT,
                                    timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        with open(log) as f:
            text = f.read()
        return rc, text, time.monotonic() - start

    def config_of(self, release):
        overlay = overlay_path(self.report_dir, release)
        return '%s:%s' % (self.base_config, overlay) if self.base_config \
            else overlay

    def lab(self, *args):
        return [os.path.join(self.bin, 'cinder-backup-lab')] + list(args)

    def keep_logs(self, release):
        """Copy the lab's logs into the report dir before a clean."""
        conf = config.load(config_files=self.config_of(release).split(
            os.pathsep))
        logs = os.path.join(conf.state_dir, 'log')
        if os.path.isdir(logs):
            dest = os.path.join(self.report_dir, '%s-log' % release)
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(logs, dest)

    def run_release(self, release):
        write_overlay(self.report_dir, release)
        res = {'bugs': {}}
        # The cluster's release is fixed once created: start clean (the
        # cached roots stay).
        self._run(release, 'clean-before', self.lab('clean'))
        rc, text, secs = self._run(release, 'up', self.lab('up'))
        res['up'] = Outcome(rc == 0, 'healthy' if rc == 0 else
                            'not healthy (exit %d)' % rc, secs)
        if rc != 0:
            return res
        rc, text, _ = self._run(release, 'status', self.lab('status',
                                                            '--json'))
        try:
            running = json.loads(text[text.index('{'):])['release'][
                'running']
            res['version'] = ', '.join(sorted(running))
        except (ValueError, KeyError):
            pass
        if 'integration' in self.scenarios:
            rc, text, secs = self._run(release, 'integration', [
                os.path.join(self.bin, 'stestr'), '--test-path',
                'cinder_backup_lab/tests/integration', '--top-dir', '.',
                'run', '--concurrency', '1'])
            res['integration'] = totals_outcome(parse_totals(text), secs)
        if 'demo' in self.scenarios:
            rc, text, secs = self._run(release, 'demo', self.lab('demo'))
            res['demo'] = demo_outcome(text, rc, secs)
        if 'tempest-plugin' in self.scenarios:
            rc, text, secs = self._run(
                release, 'tempest-plugin',
                ['bash', 'tools/run-tempest.sh'],
                {'TEMPEST_CONCURRENCY': '2', 'TEMPEST_REPORT_DIR':
                 os.path.join(self.report_dir, 'tempest-%s' % release)})
            res['tempest-plugin'] = totals_outcome(parse_totals(text), secs)
            stream = os.path.join(self.report_dir, 'tempest-%s' % release,
                                  'tempest.subunit')
            try:
                res['bugs'] = bug_outcomes(subunit_statuses(stream))
            except (OSError, ValueError) as exc:
                self._say('no per-test results in %s: %s' % (stream, exc))
        if 'leftovers' in self.scenarios:
            rc, text, secs = self._run(release, 'leftovers',
                                       self.lab('leftovers'))
            res['leftovers'] = Outcome(rc == 0, 'none' if rc == 0 else
                                       'LEFT BEHIND', secs)
        return res

    def run(self, release_names, clean_after=True):
        os.makedirs(self.report_dir, exist_ok=True)
        results = {}
        for name in release_names:
            try:
                results[name] = self.run_release(name)
            finally:
                self.keep_logs(name)
            self._say(render_table({name: results[name]}, self.scenarios))
            with open(os.path.join(self.report_dir, 'matrix.json'),
                      'w') as f:
                json.dump({r: {k: (dataclasses.asdict(v)
                                   if isinstance(v, Outcome) else v)
                               for k, v in res.items()}
                           for r, res in results.items()}, f, indent=1)
        if clean_after:
            self._run(release_names[-1], 'clean-after', self.lab('clean'))
        return results


def all_ok(results):
    return all(isinstance(o, Outcome) and o.ok or not isinstance(o, Outcome)
               for res in results.values() for o in res.values()) and \
        all('up' in res for res in results.values())
