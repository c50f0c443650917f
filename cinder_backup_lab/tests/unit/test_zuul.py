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

"""The Zuul configuration: job structure and cross-references.

Zuul's own schemas (zuul.configloader) check every stanza in
"tox -e zuul-config" (tools/check-zuul-config.py, a lint step of
tools/run-tests.sh; ZuulSchemaTest below runs it too when zuul is
importable). These tests check what the schemas cannot: parents that
exist, the plugin name and URL, the Tempest regex against the plugin's
test ids, the profiles, the multinode layout, playbooks and tox envs that
exist, the same local.conf settings and Tempest invocation as
tools/run-devstack.sh, and a project that runs every job in check and
the voting ones in gate.
"""

import ast
import configparser
import copy
import os
import re

import testtools
import yaml

from cinder_backup_lab.fronts import localconf

REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        '..', '..', '..'))
ZUUL_DIR = os.path.join(REPO_DIR, 'zuul.d')

# Jobs and templates from other repositories that ours may name.
UPSTREAM_JOBS = {
    'devstack-tempest': 'openstack/tempest',
    'openstack-tox': 'openstack/openstack-zuul-jobs',
    'openstack-tox-pep8': 'openstack/openstack-zuul-jobs',
    'openstack-tox-bashate': 'openstack/openstack-zuul-jobs',
}
UPSTREAM_TEMPLATES = {'openstack-python3-jobs'}
UPSTREAM_NODESETS = {'devstack-single-node-debian-bookworm',
                     'devstack-two-node-debian-bookworm'}
# Roles the multinode run playbook uses (DevStack's and Tempest's).
UPSTREAM_ROLES = {'run-devstack', 'sync-controller-ceph-conf-and-keys',
                  'setup-tempest-run-dir', 'setup-tempest-data-dir',
                  'acl-devstack-files', 'run-tempest'}
SEED_SERVICES = ('mysql', 'rabbit', 'key', 'c-api', 'c-vol', 'c-sch')
PROFILE_JOBS = {'cinder-backup-lab-ceph': 'ceph',
                'cinder-backup-lab-swift-rgw': 'swift',
                'cinder-backup-lab-both': 'both'}


def _merge(base, override):
    """Zuul-like deep merge of job variables."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load():
    items = []
    for name in sorted(os.listdir(ZUUL_DIR)):
        if name.endswith('.yaml'):
            with open(os.path.join(ZUUL_DIR, name)) as f:
                items += yaml.safe_load(f) or []
    return items


def _settings_variables():
    text = ''
    for name in ('settings', 'override-defaults'):
        with open(os.path.join(REPO_DIR, 'devstack', name)) as f:
            text += f.read()
    return set(re.findall(r'^\s*(CINDER_BACKUP_LAB_\w+)=', text, re.M))


def _plugin_tests():
    """Test ids of the Tempest plugin's tests.

    Found with ast, so no Tempest is needed.
    """
    ids = []
    tests_dir = os.path.join(REPO_DIR, 'tempest_plugin', 'tests')
    for dirpath, _, files in os.walk(tests_dir):
        for name in files:
            if not (name.startswith('test_') and name.endswith('.py')):
                continue
            path = os.path.join(dirpath, name)
            module = os.path.relpath(path, REPO_DIR)[:-3].replace(os.sep, '.')
            with open(path) as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if (isinstance(item, ast.FunctionDef)
                                and item.name.startswith('test_')):
                            ids.append('%s.%s.%s' % (module, node.name,
                                                     item.name))
    return ids


class ZuulConfigTest(testtools.TestCase):

    def setUp(self):
        super(ZuulConfigTest, self).setUp()
        self.items = _load()
        self.jobs = {}
        self.templates = {}
        self.projects = []
        for item in self.items:
            self.assertEqual(1, len(item), item)
            kind, body = list(item.items())[0]
            self.assertIn(kind, ('job', 'project', 'project-template'))
            if kind == 'job':
                self.assertNotIn(body['name'], self.jobs, 'duplicate job')
                self.jobs[body['name']] = body
            elif kind == 'project-template':
                self.templates[body['name']] = body
            else:
                self.projects.append(body)

    def _chain(self, name):
        chain = []
        while name in self.jobs:
            self.assertNotIn(name, [j['name'] for j in chain], 'cycle')
            chain.append(self.jobs[name])
            name = self.jobs[name].get('parent')
        return chain, name

    def _resolved(self, name):
        """The job's variables and group-vars merged along its parents."""
        chain, _ = self._chain(name)
        job_vars, group_vars = {}, {}
        for job in reversed(chain):
            job_vars = _merge(job_vars, job.get('vars', {}))
            group_vars = _merge(group_vars, job.get('group-vars', {}))
        return job_vars, group_vars

    def _devstack_jobs(self):
        return [n for n, j in self.jobs.items()
                if not j.get('abstract')
                and self._chain(n)[1] == 'devstack-tempest']

    def test_parents_exist(self):
        for name, job in self.jobs.items():
            parent = job.get('parent')
            self.assertTrue(parent in self.jobs or parent in UPSTREAM_JOBS,
                            '%s: unknown parent %s' % (name, parent))
            _, root = self._chain(name)
            self.assertIn(root, UPSTREAM_JOBS)

    def test_job_names_and_descriptions(self):
        for name, job in self.jobs.items():
            self.assertTrue(name.startswith('cinder-backup-lab-'), name)
            self.assertTrue(job.get('description'), name)

    def test_the_jobs_issue_5_asks_for(self):
        for name in list(PROFILE_JOBS) + ['cinder-backup-lab-multinode',
                                          'cinder-backup-lab-integration']:
            self.assertIn(name, self.jobs)
        self.assertEqual(set(PROFILE_JOBS) | {
            'cinder-backup-lab-swift-rgw-keystone',
            'cinder-backup-lab-multinode'}, set(self._devstack_jobs()))

    def test_profiles(self):
        settings = _settings_variables()
        for name in self._devstack_jobs():
            job_vars, group_vars = self._resolved(name)
            localrc = job_vars['devstack_localrc']
            expected = PROFILE_JOBS.get(name)
            if expected:
                self.assertEqual(expected,
                                 localrc['CINDER_BACKUP_LAB_PROFILE'], name)
            self.assertIn(localrc['CINDER_BACKUP_LAB_PROFILE'],
                          ('ceph', 'swift', 'both'))
            # Every variable a job sets is one the plugin knows.
            sub = group_vars.get('subnode', {}).get('devstack_localrc', {})
            for var in list(localrc) + list(sub):
                if var.startswith('CINDER_BACKUP_LAB_'):
                    self.assertIn(var, settings, '%s: %s' % (name, var))
        keystone = self._resolved('cinder-backup-lab-swift-rgw-keystone')[0]
        self.assertEqual('per_user', keystone['devstack_localrc'][
            'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE'])

    def test_plugin_name_and_url(self):
        with open(os.path.join(REPO_DIR, 'devstack', 'settings')) as f:
            defined = re.search(r'^define_plugin (\S+)$', f.read(),
                                re.M).group(1)
        self.assertEqual(localconf.PLUGIN_NAME, defined)
        for name in self._devstack_jobs():
            job_vars, _ = self._resolved(name)
            plugins = job_vars['devstack_plugins']
            self.assertEqual([defined], list(plugins), name)
            url = plugins[defined]
            self.assertTrue(url.endswith('/' + localconf.PLUGIN_REPO_PATH),
                            url)
            # No host name written into the repository.
            self.assertRegex(url, r'^https://\{\{ zuul\.[\w.]+ \}\}/')
            self.assertIn(defined, job_vars['tempest_plugins'])
            chain, _ = self._chain(name)
            required = [p for j in chain
                        for p in j.get('required-projects', [])]
            self.assertIn(localconf.PLUGIN_REPO_PATH, required)

    def test_seed_services(self):
        for name in self._devstack_jobs():
            job_vars, group_vars = self._resolved(name)
            services = job_vars['devstack_services']
            self.assertIs(False, services['base'], name)
            for service in SEED_SERVICES + ('tempest',):
                self.assertIs(True, services.get(service),
                              '%s: %s' % (name, service))
            sub = group_vars.get('subnode', {}).get('devstack_services', {})
            c_bak = [services.get('c-bak'), sub.get('c-bak')]
            self.assertIn(True, c_bak, '%s runs no c-bak' % name)

    def test_tempest_regex_selects_the_plugin_tests_only(self):
        examples = [
            'tempest_plugin.tests.scenario.test_backup_containers.'
            'CinderBackupLabMultiContainerTest.test_each_container',
            'tempest_plugin.tests.api.test_backup.'
            'CinderBackupLabBackupApiTest.test_show']
        unrelated = ['tempest.api.volume.test_volumes_get.'
                     'VolumesGetTest.test_volume_create_get_update_delete']
        found = _plugin_tests()
        for name in self._devstack_jobs():
            regex = re.compile(self._resolved(name)[0]['tempest_test_regex'])
            for test_id in examples + found:
                self.assertTrue(regex.search(test_id), '%s: %s not selected'
                                % (name, test_id))
            for test_id in unrelated:
                self.assertFalse(regex.search(test_id), test_id)

    def test_tox_tempest_uses_the_same_regex(self):
        tox = configparser.ConfigParser(interpolation=None)
        tox.read(os.path.join(REPO_DIR, 'tox.ini'))
        commands = tox['testenv:tempest']['commands']
        # tox delegates to the script that also serves the lab.
        self.assertIn('tools/run-tempest.sh', commands)
        with open(os.path.join(REPO_DIR, 'tools', 'run-tempest.sh')) as f:
            script = f.read()
        for name in self._devstack_jobs():
            regex = self._resolved(name)[0]['tempest_test_regex']
            self.assertIn('REGEX=${TEMPEST_REGEX:-%s}' % regex, script)

    def test_irrelevant_files(self):
        plugin_files = ['devstack/plugin.sh', 'devstack/settings',
                        'devstack/lib/cinder-backup-lab',
                        'cinder_backup_lab/ceph.py',
                        'tempest_plugin/plugin.py',
                        'setup.cfg', 'requirements.txt']
        for name, job in self.jobs.items():
            if job.get('abstract'):
                continue
            chain, _ = self._chain(name)
            patterns = next(j['irrelevant-files'] for j in chain
                            if 'irrelevant-files' in j)
            regexes = [re.compile(p) for p in patterns]
            self.assertTrue(any(r.search('README.md') for r in regexes))
            if name in self._devstack_jobs():
                for path in plugin_files:
                    self.assertFalse(any(r.search(path) for r in regexes),
                                     '%s skips %s' % (name, path))

    def test_multinode_layout(self):
        job = self.jobs['cinder-backup-lab-multinode']
        self.assertEqual('devstack-two-node-debian-bookworm', job['nodeset'])
        job_vars, group_vars = self._resolved('cinder-backup-lab-multinode')
        self.assertIs(False, job_vars['devstack_services']['c-bak'])
        self.assertIs(True, job_vars['devstack_localrc'][
            'CINDER_BACKUP_LAB_BACKUP_ON_SUBNODE'])
        self.assertIn('private_ipv4', job_vars['devstack_localrc'][
            'CINDER_BACKUP_LAB_BIND_HOST'])
        sub = group_vars['subnode']
        self.assertIs(True, sub['devstack_services']['c-bak'])
        self.assertIs(True, sub['devstack_localrc'][
            'CINDER_BACKUP_LAB_REMOTE_CEPH'])
        # No Swift credentials to copy around: Keystone mode on both nodes.
        self.assertEqual('per_user', sub['devstack_localrc'][
            'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE'])
        self.assertEqual('per_user', job_vars['devstack_localrc'][
            'CINDER_BACKUP_LAB_SWIFT_AUTH_MODE'])

    def test_playbooks_exist_and_use_known_roles(self):
        for name, job in self.jobs.items():
            for key in ('pre-run', 'run', 'post-run'):
                paths = job.get(key, [])
                for path in [paths] if isinstance(paths, str) else paths:
                    full = os.path.join(REPO_DIR, path)
                    self.assertTrue(os.path.isfile(full), '%s: %s'
                                    % (name, path))
                    with open(full) as f:
                        plays = yaml.safe_load(f)
                    self.assertIsInstance(plays, list)
                    for play in plays:
                        self.assertIn('hosts', play)
                        roles = [r if isinstance(r, str) else r['role']
                                 for r in play.get('roles', [])]
                        roles += [t['include_role']['name']
                                  for t in play.get('tasks', [])
                                  if 'include_role' in t]
                        for role in roles:
                            self.assertIn(role, UPSTREAM_ROLES, path)
        with open(os.path.join(REPO_DIR, self.jobs[
                'cinder-backup-lab-multinode']['run'])) as f:
            text = f.read()
        order = [text.index('name: %s' % r) for r in (
            'run-devstack', 'sync-controller-ceph-conf-and-keys',
            'run-tempest')]
        self.assertEqual(sorted(order), order)

    def test_tox_envs_exist(self):
        tox = configparser.ConfigParser(interpolation=None)
        tox.read(os.path.join(REPO_DIR, 'tox.ini'))
        for name, job in self.jobs.items():
            env = job.get('vars', {}).get('tox_envlist')
            root = self._chain(name)[1]
            if env and env != 'all' and root == 'openstack-tox':
                self.assertIn('testenv:%s' % env, tox.sections(), name)

    def test_project_runs_every_job(self):
        self.assertEqual(1, len(self.projects))
        project = self.projects[0]
        for template in project.get('templates', []):
            self.assertTrue(template in self.templates
                            or template in UPSTREAM_TEMPLATES, template)
        pipelines = {'check': set(), 'gate': set()}
        voting = set()
        for source in [project] + [self.templates[t] for t in
                                   project.get('templates', [])
                                   if t in self.templates]:
            for pipeline in pipelines:
                for entry in source.get(pipeline, {}).get('jobs', []):
                    if isinstance(entry, dict):
                        (job, attrs), = entry.items()
                    else:
                        job, attrs = entry, {}
                    self.assertTrue(job in self.jobs or job in UPSTREAM_JOBS,
                                    'unknown job %s' % job)
                    pipelines[pipeline].add(job)
                    if pipeline == 'check' and attrs.get('voting', True):
                        voting.add(job)
        concrete = {n for n, j in self.jobs.items() if not j.get('abstract')}
        self.assertEqual(concrete, concrete & pipelines['check'])
        self.assertEqual(voting & concrete, pipelines['gate'] & concrete)
        self.assertEqual(set(), pipelines['gate'] - pipelines['check'])
        for lint in ('openstack-tox-pep8', 'openstack-tox-bashate',
                     'cinder-backup-lab-tox-shellcheck'):
            self.assertIn(lint, pipelines['gate'])

    def test_nodesets_are_known(self):
        for name, job in self.jobs.items():
            if 'nodeset' in job:
                self.assertIn(job['nodeset'], UPSTREAM_NODESETS, name)

    # The DevStack jobs run what tools/run-devstack.sh runs.
    def _script(self):
        with open(os.path.join(REPO_DIR, 'tools', 'run-devstack.sh')) as f:
            return f.read()

    def test_localrc_settings_of_the_renderer(self):
        rendered = localconf.render(localconf.LocalConfOptions(
            git_base='https://mirror.example.org/git'))
        for var in ('DOWNLOAD_DEFAULT_IMAGES', 'ENABLE_KSM',
                    'MYSQL_REDUCE_MEMORY'):
            value = re.search(r'(?m)^%s=(\w+)$' % var, rendered).group(1)
            for name in self._devstack_jobs():
                localrc = self._resolved(name)[0]['devstack_localrc']
                self.assertEqual(value, str(localrc.get(var)),
                                 '%s: %s' % (name, var))

    def test_same_tempest_invocation(self):
        script = self._script()
        # run-tempest: "tox -e <tox_envlist> -- <regex> --concurrency=N"
        # as the tempest user.
        self.assertIn("tox -e all -- '$regex' --concurrency=$CONCURRENCY",
                      script)
        self.assertIn('as_user "$node" tempest', script)
        self.assertIn('tempest controller CinderBackupLab', script)
        self.assertIn('CONCURRENCY=${CINDER_BACKUP_LAB_DEVSTACK_CONCURRENCY'
                      ':-2}', script)
        for name in self._devstack_jobs():
            job_vars = self._resolved(name)[0]
            self.assertEqual('all', job_vars['tox_envlist'], name)
            self.assertEqual('CinderBackupLab',
                             job_vars['tempest_test_regex'], name)
            self.assertEqual(2, job_vars['tempest_concurrency'], name)

    def test_lab_logs_are_collected(self):
        for name in self._devstack_jobs():
            copy_output = self._resolved(name)[0]['zuul_copy_output']
            self.assertEqual(
                'logs', copy_output.get(
                    '{{ devstack_base_dir }}/data/cinder-backup-lab/log'),
                name)
        # The plugin's state dir default is $DATA_DIR/cinder-backup-lab
        # and the core logs to <state_dir>/log.
        with open(os.path.join(REPO_DIR, 'devstack', 'settings')) as f:
            self.assertIn('CINDER_BACKUP_LAB_STATE_DIR=${CINDER_BACKUP_LAB_'
                          'STATE_DIR:-${DATA_DIR:-/opt/stack/data}/'
                          'cinder-backup-lab}', f.read())

    def test_the_parser_runs_in_check_and_gate(self):
        self.assertEqual('zuul-config', self.jobs[
            'cinder-backup-lab-tox-zuul-config']['vars']['tox_envlist'])
        with open(os.path.join(REPO_DIR, 'tools', 'run-tests.sh')) as f:
            self.assertIn('lint zuul-config tox -e zuul-config', f.read())


class ZuulSchemaTest(testtools.TestCase):
    """tools/check-zuul-config.py with Zuul's schemas, if zuul is here."""

    def setUp(self):
        super(ZuulSchemaTest, self).setUp()
        try:
            import zuul.configloader  # noqa: F401
        except ImportError:
            self.skipTest('zuul is not installed in this venv; '
                          '"tox -e zuul-config" (a lint step of '
                          'tools/run-tests.sh) runs this check')
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            'check_zuul_config',
            os.path.join(REPO_DIR, 'tools', 'check-zuul-config.py'))
        self.checker = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.checker)

    def test_zuul_d_is_valid(self):
        count, errors = self.checker.check([ZUUL_DIR])
        self.assertEqual([], errors)
        self.assertEqual(len(_load()), count)

    def test_a_typo_fails(self):
        import tempfile
        with open(os.path.join(ZUUL_DIR, 'jobs.yaml')) as f:
            text = f.read()
        self.assertIn('    nodeset: ', text)
        with tempfile.NamedTemporaryFile('w', suffix='.yaml') as bad:
            bad.write(text.replace('    nodeset: ', '    nodset: ', 1))
            bad.flush()
            _, errors = self.checker.check([bad.name])
        self.assertEqual(1, len(errors), errors)
        self.assertIn("extra keys not allowed @ data['nodset']", errors[0])


class NoHostNamesTest(testtools.TestCase):
    """Nothing this plugin adds names a real registry or git host."""

    def test_only_placeholder_hosts(self):
        paths = []
        for top in ('cinder_backup_lab', 'tempest_plugin', 'devstack',
                    'zuul.d', 'playbooks', 'tools', 'doc', 'etc'):
            for dirpath, _, files in os.walk(os.path.join(REPO_DIR, top)):
                paths += [os.path.join(dirpath, n) for n in files
                          # Binaries (the README's bench plots) name none.
                          if not n.endswith(('.pyc', '.png'))
                          # Test data uses hosts that need no resolving.
                          and '/tests/' not in dirpath + '/']
        paths.append(os.path.join(REPO_DIR, 'README.md'))
        # The license header's URL is the one real host allowed; and
        # Google's API names that the google backup driver's libraries
        # fix (the lab maps them to its GCS emulator, never reaches them).
        allowed = re.compile(r'^(mirror\.example\.org|127\.0\.0\.1|'
                             r'\$\w+|\{\{.*|%s|\{|<|www\.apache\.org$|'
                             r'(storage|oauth2|www)\.googleapis\.com$)')
        for path in paths:
            with open(path) as f:
                text = f.read()
            for host in re.findall(r'(?:https?|git|ssh)://([^/\s"\'`]+)',
                                   text):
                self.assertRegex(host, allowed, path)
