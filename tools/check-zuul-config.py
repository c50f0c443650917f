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

"""Check zuul.d/ with Zuul's own configuration schemas, offline.

Run in an environment that has the zuul package (tox -e zuul-config).
Every top-level stanza (job, project, project-template, nodeset, secret,
semaphore, queue, pragma) is validated with the voluptuous schema of the
zuul.configloader parser Zuul itself uses when it loads a project's
config, so an unknown or misspelled attribute (``nodset``) or a value of
the wrong type fails here. Cross-references (parents, nodesets, roles,
projects) need a running Zuul and its tenant; the unit tests in
cinder_backup_lab/tests/unit/test_zuul.py check the ones this project
defines itself.

Usage: python tools/check-zuul-config.py [DIR_OR_FILE...]  (default zuul.d)
Exit status 0 when every stanza is valid; 1 with one line per error.
"""

import os
import sys

import voluptuous
import yaml
from zuul import configloader


def _parsers():
    """{stanza name: schema} from Zuul's parsers."""
    return {
        'job': configloader.JobParser.schema,
        'project': configloader.ProjectParser(None).getSchema(),
        'project-template':
            configloader.ProjectTemplateParser(None).getSchema(),
        'nodeset': configloader.NodeSetParser(None).getSchema(False),
        'secret': configloader.SecretParser(None).getSchema(),
        'semaphore': configloader.SemaphoreParser(None).getSchema(),
        'queue': configloader.QueueParser(None).getSchema(),
        'pragma': configloader.PragmaParser.schema,
    }


def _files(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(('.yaml', '.yml')):
                    yield os.path.join(path, name)
        else:
            yield path


def check(paths):
    """Return (stanzas checked, list of error lines)."""
    schemas = _parsers()
    errors = []
    count = 0
    for path in _files(paths):
        with open(path) as f:
            try:
                data = yaml.safe_load(f)
            except yaml.YAMLError as e:
                errors.append('%s: YAML: %s' % (path, e))
                continue
        if not isinstance(data, list):
            errors.append('%s: a Zuul config file is a list of stanzas'
                          % path)
            continue
        for index, item in enumerate(data):
            where = '%s: item %d' % (path, index + 1)
            if not isinstance(item, dict) or len(item) != 1:
                errors.append('%s: each item must be a mapping with one '
                              'key (job, project, ...)' % where)
                continue
            (kind, body), = item.items()
            if kind not in schemas:
                errors.append('%s: unknown stanza %r (one of %s)'
                              % (where, kind, ', '.join(sorted(schemas))))
                continue
            if isinstance(body, dict) and 'name' in body:
                where += ' (%s %s)' % (kind, body['name'])
            try:
                schemas[kind](body)
                count += 1
            except voluptuous.MultipleInvalid as e:
                for err in e.errors:
                    errors.append('%s: %s' % (where, err))
            except voluptuous.Invalid as e:
                errors.append('%s: %s' % (where, e))
    return count, errors


def main(argv):
    paths = argv or ['zuul.d']
    count, errors = check(paths)
    for line in errors:
        print(line)
    print('zuul-config: %d stanzas checked with zuul %s schemas, %d errors'
          % (count, _zuul_version(), len(errors)))
    return 1 if errors or not count else 0


def _zuul_version():
    try:
        from importlib import metadata
        return metadata.version('zuul')
    except Exception:
        return '?'


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
