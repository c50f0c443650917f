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

"""One HTML page of a run: the subunit streams of the reports dir.

Kept libraries do the work: python-subunit reads the streams (what stestr
and Tempest write, and what "bench" writes), junit2html (pinned) renders
them as a JUnit report. This module only groups the tests by stage,
driver and container, and adds what a JUnit report has no place for
through junit2html's own Jinja2 templates (a template that extends its
report.html): the counts per driver and container with expected failures
(the known Cinder bugs), the bench plots, and links to the logs.
"""

import collections
import glob
import os
import re
import xml.etree.ElementTree as ET

from cinder_backup_lab import config

PASS = 'pass'
FAIL = 'fail'
XFAIL = 'expected failure'
SKIP = 'skip'
UXSUCCESS = 'unexpected success'
# subunit v2 statuses -> the report's outcomes.
OUTCOMES = {'success': PASS, 'fail': FAIL, 'xfail': XFAIL, 'skip': SKIP,
            'uxsuccess': UXSUCCESS}
PAGE = 'report.html'
TEMPLATE = 'cbl-report.html'
THEME_DIR = os.path.join(os.path.dirname(__file__), 'report_templates')

# Tests that run no backup (pure logic, Cinder's own unit tests): no driver.
_NO_LAB = re.compile(r'\.tests\.(unit|cinder_patches)\.|^cinder\.tests\.')
# Test names that cover each container of their driver(s).
_EACH = re.compile(r'each|restore_from_each|parallel|BothDrivers|both_drivers')


def driver_and_container(test_id, tags=()):
    """(driver, container) a test id or its tags name ('-' when none).

    Tags "driver:<d>" and "container:<c>" win (bench writes them); else
    the driver is a word of the id of a test against the lab
    (test_swift_...) and the container "each" when the test walks every
    container of the driver, "default" otherwise. Unit tests name none.
    """
    tag = dict(t.split(':', 1) for t in tags if ':' in t)
    if 'driver' in tag:
        return tag['driver'], tag.get('container', 'default')
    if _NO_LAB.search(test_id):
        return '-', '-'
    words = re.split(r'[._\[\], ]+', test_id.lower())
    if 'more' in words and 'drivers' in words:
        driver = 'posix+s3'
    elif 'both' in words and 'drivers' in words or 'bothdrivers' in words:
        driver = 'ceph+swift'
    else:
        found = [d for d in config.DRIVERS if d in words]
        driver = '+'.join(found) if found else '-'
    if driver == '-':
        return '-', '-'
    container = tag.get('container') or (
        'each' if _EACH.search(test_id) else 'default')
    return driver, container


def write_stream(path, tests):
    """A subunit v2 file of results that are not a test runner's.

    tests: [(test_id, outcome, tags, text)], outcome one of OUTCOMES'
    values; text goes into the test's "details" attachment. The demo and
    bench write theirs with it, so the report shows them like the rest.
    """
    import subunit

    status_of = {v: k for k, v in OUTCOMES.items()}
    with open(path, 'wb') as f:
        out = subunit.StreamResultToBytes(f)
        for test_id, outcome, tags, text in tests:
            out.status(test_id=test_id, test_status='inprogress')
            out.status(test_id=test_id, file_name='details',
                       file_bytes=text.encode(), mime_type='text/plain',
                       test_tags=set(tags))
            out.status(test_id=test_id, test_status=status_of[outcome])
    return path


def read_stream(path):
    """[{id, outcome, tags, details, seconds}] of one subunit v2 file."""
    import subunit
    import testtools

    tests = []

    def on_test(t):
        if t['id'] is None or t['status'] in ('exists', 'inprogress',
                                              None):
            return
        start, end = t['timestamps']
        details = {name: content.as_text()
                   for name, content in t['details'].items()
                   if content.content_type.type == 'text'}
        tests.append({
            'id': t['id'], 'outcome': OUTCOMES.get(t['status'], FAIL),
            'tags': sorted(t['tags']), 'details': details,
            'seconds': (end - start).total_seconds() if start and end
            else 0.0})
    with open(path, 'rb') as f:
        case = subunit.ByteStreamToStreamResult(f, non_subunit_name='stdout')
        result = testtools.StreamToDict(on_test)
        result.startTestRun()
        case.run(result)
        result.stopTestRun()
    return tests


def streams(report_dir):
    """{stage: path} of the subunit files of a reports dir (one level)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(report_dir, '*.subunit'))
                       + glob.glob(os.path.join(report_dir, '*',
                                                '*.subunit'))):
        rel = os.path.relpath(path, report_dir)
        stage = rel[:-len('.subunit')].replace(os.sep, '/')
        # run-tempest.sh writes <dir>/tempest.subunit: the stage is <dir>.
        if stage.endswith('/tempest'):
            stage = stage[:-len('/tempest')]
        found[stage] = path
    return found


def group(stage_tests):
    """{(stage, driver, container): [test]} in a stable order."""
    out = collections.OrderedDict()
    for stage, tests in stage_tests.items():
        for t in tests:
            driver, container = driver_and_container(t['id'], t['tags'])
            out.setdefault((stage, driver, container), []).append(t)
    return out


def counts(tests):
    c = collections.Counter(t['outcome'] for t in tests)
    return {k: c.get(k, 0) for k in (PASS, FAIL, XFAIL, SKIP, UXSUCCESS)}


def junit_xml(groups):
    """JUnit XML: a testsuite per (stage, driver, container).

    A JUnit report has no expected failure: it is a passed testcase with
    the property "expected failure" (its reason names the bug); an
    unexpected success is a failure.
    """
    root = ET.Element('testsuites')
    for (stage, driver, container), tests in groups.items():
        c = counts(tests)
        suite = ET.SubElement(root, 'testsuite', {
            'name': '%s: %s / %s' % (stage, driver, container),
            'tests': str(len(tests)),
            'failures': str(c[FAIL] + c[UXSUCCESS]),
            'skipped': str(c[SKIP]),
            'time': '%.3f' % sum(t['seconds'] for t in tests)})
        props = ET.SubElement(suite, 'properties')
        for key, value in (('stage', stage), ('driver', driver),
                           ('container', container),
                           ('expected failures', str(c[XFAIL]))):
            ET.SubElement(props, 'property', name=key, value=value)
        for t in tests:
            classname, _dot, name = t['id'].rpartition('.')
            case = ET.SubElement(suite, 'testcase', {
                'classname': classname or stage, 'name': name,
                'time': '%.3f' % t['seconds']})
            text = '\n'.join('%s: %s' % kv for kv in
                             sorted(t['details'].items()))
            if t['outcome'] in (FAIL, UXSUCCESS):
                fail = ET.SubElement(case, 'failure', message=t['outcome'])
                fail.text = text
            elif t['outcome'] == SKIP:
                skip = ET.SubElement(case, 'skipped', message=(
                    t['details'].get('reason') or 'skipped')[:500])
                skip.text = text
            elif text:
                ET.SubElement(case, 'system-out').text = text
            if t['outcome'] == XFAIL:
                cprops = ET.SubElement(case, 'properties')
                ET.SubElement(cprops, 'property', name='expected failure',
                              value=_xfail_reason(t))
    return ET.tostring(root, encoding='unicode')


def _xfail_reason(test):
    d = test['details']
    return (d.get('reason') or d.get('details') or d.get('traceback')
            or '').strip()[-500:] \
        or 'expected failure'


def logs(report_dir):
    """Relative paths of the logs and text reports under report_dir."""
    found = []
    for pattern in ('*.log', '*.txt', '*/*.log', '*/*.txt', '*.json'):
        found += glob.glob(os.path.join(report_dir, pattern))
    return sorted(os.path.relpath(p, report_dir) for p in found)


def write(report_dir, known_bugs=(), title='cinder-backup-lab run',
          outside_logs=()):
    """Render report_dir's subunit streams into report_dir/report.html.

    outside_logs: absolute paths of more logs to link (the lab's service
    logs while it runs).
    """
    import jinja2
    from junit2htmlreport import parser
    from junit2htmlreport import render

    stage_tests = {stage: read_stream(path)
                   for stage, path in streams(report_dir).items()}
    groups = group(stage_tests)
    junit = parser.Junit(xmlstring=junit_xml(groups))
    doc = render.HTMLReport(show_toc=True)
    doc.load(junit, title=title)
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(THEME_DIR),
            jinja2.PackageLoader('junit2htmlreport',
                                 os.path.join('templates', 'default'))]),
        autoescape=jinja2.select_autoescape(['html']))
    rows = [{'stage': s, 'driver': d, 'container': c, 'counts': counts(ts)}
            for (s, d, c), ts in groups.items()]
    xfails = [{'id': t['id'], 'stage': s, 'reason': _xfail_reason(t)}
              for s, ts in stage_tests.items() for t in ts
              if t['outcome'] == XFAIL]
    plots = sorted(os.path.relpath(p, report_dir) for p in glob.glob(
        os.path.join(report_dir, '*.png')))
    total = counts([t for ts in stage_tests.values() for t in ts])
    page = env.get_template(TEMPLATE).render(
        report=doc, title=title, show_toc=True, show_time_usage=True,
        rows=rows, total=total, known_bugs=list(known_bugs),
        xfails=xfails, plots=plots,
        logs=logs(report_dir) + ['file://' + p for p in outside_logs
                                 if os.path.exists(p)])
    path = os.path.join(report_dir, PAGE)
    with open(path, 'w') as f:
        f.write(page)
    return path
