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

"""Cinder and Keystone as upstream ships them, against the running lab.

Issue 8, item 6: non-admin filtered lists work (the filters file the
pinned cinder ships is configured), upstream's policy defaults apply (a
user with only the reader role gets what cinder/policies/backups.py says),
and the service users hold the service role only, which is enough for
Cinder and RGW (per_user Swift mode) to validate users' tokens.

Every test creates what it needs (projects and users through Keystone's
API with the admin credentials) and cleans it up: waiter first, delete
second, so teardown deletes then waits; NotFound counts as deleted.
"""

import json
import secrets
import uuid

from keystoneauth1 import exceptions as ks_exc
import testtools

from cinder_backup_lab import config
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import clients
from cinder_backup_lab.openstack import keystone
from cinder_backup_lab.storage import rgw
from cinder_backup_lab.tests.integration import base

TIMEOUT = 300


class TestPinnedLibraries(testtools.TestCase):
    """What the lab's venv (lab-requirements) holds that the config uses."""

    def test_filters_file_is_the_one_the_pinned_cinder_ships(self):
        path = venv.venv_etc('cinder', 'resource_filters.json')
        # pip installs cinder's data_files into <venv>/etc/cinder.
        with open(path) as f:
            filters = json.load(f)
        self.assertIn('status', filters['backup'])
        self.assertIn('name', filters['backup'])
        self.assertIn('status', filters['volume'])
        self.assertIn('name', filters['volume'])

    def test_pinned_oslo_policy_has_no_enforce_scope(self):
        # Why the option is gone rather than set to true: the pinned
        # library no longer has it (scope is always enforced).
        from oslo_policy import opts
        names = [o.name for _g, group in opts.list_opts() for o in group]
        self.assertIn('enforce_new_defaults', names)
        self.assertNotIn('enforce_scope', names)


class UpstreamPolicyTestCase(base.LabTestCase):

    def setUp(self):
        super().setUp()
        self.tag = 'cbl-policy-%s' % uuid.uuid4().hex[:8]
        self.identity = clients.Identity(
            self.lab.openstack.keystone.admin_session())

    # -- Keystone entities --------------------------------------------------
    def _delete_identity(self, collection, entity_id):
        resp = self.identity.api.delete('/%s/%s' % (collection, entity_id),
                                        raise_exc=False)
        if resp.status_code not in (204, 404):
            raise AssertionError('deleting %s %s answered %d' % (
                collection[:-1], entity_id, resp.status_code))

    def project(self, name):
        domain = self.identity.find('domains', keystone.DOMAIN)
        project, _new = self.identity.ensure('projects', name, {
            'domain_id': domain['id'], 'description': 'cinder-backup-lab '
            'integration test'})
        self.addCleanup(self._delete_identity, 'projects', project['id'])
        return project

    def user_with_roles(self, name, project, role_names):
        """A user holding only role_names on project; (user, api)."""
        password = secrets.token_urlsafe(16)
        user, _new = self.identity.ensure('users', name, {
            'domain_id': project['domain_id'],
            'default_project_id': project['id']}, secret=password)
        self.addCleanup(self._delete_identity, 'users', user['id'])
        for role_name in role_names:
            role = self.identity.find('roles', role_name)
            self.identity.grant(project['id'], user['id'], role['id'])
        self.assertEqual(set(role_names),
                         self.role_names(project['id'], user['id']))
        session = clients.session_for(
            keystone.public_url(self.conf), name, password, project['name'])
        return user, clients.BlockStorage(session)

    def role_names(self, project_id, user_id):
        resp = self.identity.api.get('/projects/%s/users/%s/roles'
                                     % (project_id, user_id))
        return {r['name'] for r in resp.json()['roles']}

    def service_user_roles(self, name):
        project = self.identity.find('projects', keystone.SERVICE_PROJECT)
        user = self.identity.find('users', name)
        return self.role_names(project['id'], user['id'])

    # -- Cinder resources ---------------------------------------------------
    def demo_api(self):
        k = self.conf.keystone
        return clients.BlockStorage(clients.session_for(
            keystone.public_url(self.conf), k.demo_user,
            self.lab.openstack.passwords.get('demo'), k.demo_project))

    def _wait_gone(self, api, kind, obj_id):
        obj = api.wait_status(kind, obj_id, ('deleted',), timeout=TIMEOUT,
                              failed=('error_deleting',))
        if obj['status'] != 'deleted':
            raise AssertionError('%s %s is %s, not deleted' % (
                kind, obj_id, obj['status']))

    def volume(self, api, name):
        vol = api.create_volume(name, 1,
                                volume_type=self.conf.cinder.volume_type,
                                az=self.conf.cinder.default_az)
        self.addCleanup(self._wait_gone, api, 'volume', vol['id'])
        self.addCleanup(api.delete_volume, vol['id'])
        vol = api.wait_status('volume', vol['id'], ('available',),
                              timeout=TIMEOUT)
        self.assertEqual('available', vol['status'])
        return vol

    def backup(self, api, volume_id, name):
        # Default AZ: the first backup service of the profile takes it.
        backup = api.create_backup(volume_id, name,
                                   az=self.conf.cinder.default_az)
        self.addCleanup(self._wait_gone, api, 'backup', backup['id'])
        self.addCleanup(api.delete_backup, backup['id'])
        backup = api.wait_status('backup', backup['id'], ('available',),
                                 timeout=TIMEOUT)
        self.assertEqual('available', backup['status'],
                         backup.get('fail_reason'))
        return backup


class TestFilteredListsAsDemo(UpstreamPolicyTestCase):
    """The demo user (member) filters volume and backup lists.

    Non-admin filters are checked against resource_query_filters_file:
    without the file every filter answers 400 "Invalid filters".
    """

    def test_status_and_name_filters(self):
        api = self.demo_api()
        vol = self.volume(api, self.tag)
        backup = self.backup(api, vol['id'], self.tag)

        def ids(path, **filters):
            key = path.split('/')[1]
            try:
                return [o['id'] for o in api.get(path, **filters)[key]]
            except ks_exc.BadRequest as exc:
                # Cinder's reason ("Invalid filters ...") is in the body.
                body = (exc.response.text[:300]
                        if exc.response is not None else '')
                raise AssertionError('GET %s %s as the demo user: %s %s' % (
                    path, filters, exc, body))

        self.assertIn(vol['id'], ids('/volumes/detail', status='available'))
        self.assertNotIn(vol['id'], ids('/volumes/detail', status='error'))
        self.assertEqual([vol['id']], ids('/volumes/detail', name=self.tag))
        self.assertEqual([vol['id']], ids('/volumes', name=self.tag))
        self.assertIn(backup['id'], ids('/backups/detail',
                                        status='available'))
        self.assertNotIn(backup['id'], ids('/backups/detail',
                                           status='error'))
        self.assertEqual([backup['id']], ids('/backups/detail',
                                             name=self.tag))
        self.assertEqual([backup['id']], ids('/backups', name=self.tag))
        self.assertEqual([], ids('/backups/detail', name=self.tag + '-x'))
        # The filters are checked, not ignored: one the file does not list
        # for backups is still refused.
        self.assertRaises(ks_exc.BadRequest, api.get, '/backups/detail',
                          size='1')


class TestReaderRole(UpstreamPolicyTestCase):
    """A reader-only user under Cinder's default backup policies.

    cinder/policies/backups.py of the pinned cinder: backup:get_all and
    backup:get are "admin or project reader" (allowed); backup:create,
    backup:delete and backup:restore are "admin or project member" (403
    for a reader).

    Steps: a project with a member user and a reader-only user; the member
    makes a volume and a backup; the reader lists and shows the backup,
    then tries to create, delete and restore and is refused with 403;
    nothing changed.
    """

    def assertForbidden(self, what, call, undo=None):
        try:
            result = call()
        except ks_exc.Forbidden:
            return
        if undo:
            undo(result)
        self.fail('%s by a reader-only user was allowed; Cinder\'s default '
                  'policy allows it to project members and admins only '
                  '(legacy policy defaults in use?)' % what)

    def test_reader_gets_what_the_default_backup_policies_say(self):
        project = self.project(self.tag)
        _member, member_api = self.user_with_roles(
            self.tag + '-member', project, ['member'])
        _reader, reader_api = self.user_with_roles(
            self.tag + '-reader', project, ['reader'])
        vol = self.volume(member_api, self.tag)
        backup = self.backup(member_api, vol['id'], self.tag)

        # backup:get_all, backup:get: allowed.
        listed = reader_api.get('/backups/detail')['backups']
        self.assertEqual([backup['id']], [b['id'] for b in listed])
        self.assertEqual([backup['id']], [
            b['id'] for b in reader_api.get('/backups')['backups']])
        shown = reader_api.backup(backup['id'])
        self.assertEqual(('available', vol['id']),
                         (shown['status'], shown['volume_id']))

        # backup:create, backup:delete, backup:restore: 403.
        def undo_create(made):
            self.addCleanup(self._wait_gone, member_api, 'backup',
                            made['id'])
            self.addCleanup(member_api.delete_backup, made['id'])
            member_api.wait_status('backup', made['id'], ('available',),
                                   timeout=TIMEOUT)

        self.assertForbidden(
            'backup create', lambda: reader_api.create_backup(
                vol['id'], self.tag + '-by-reader',
                az=self.conf.cinder.default_az), undo_create)
        self.assertForbidden(
            'backup delete', lambda: reader_api.api.delete(
                '/backups/%s' % backup['id']))

        def undo_restore(_made):
            member_api.wait_status('backup', backup['id'], ('available',),
                                   timeout=TIMEOUT)
            member_api.wait_status('volume', vol['id'], ('available',),
                                   timeout=TIMEOUT)

        self.assertForbidden(
            'backup restore', lambda: reader_api.restore(backup['id'],
                                                         vol['id']),
            undo_restore)

        # Nothing changed: still one backup, available, its volume too.
        after = member_api.get('/backups/detail')['backups']
        self.assertEqual([(backup['id'], 'available')],
                         [(b['id'], b['status']) for b in after])
        self.assertEqual('available', member_api.volume(vol['id'])['status'])


class TestServiceUsers(UpstreamPolicyTestCase):
    """The service users hold the service role only, and it is enough."""

    def test_cinder_validates_tokens_with_the_service_role_only(self):
        self.assertEqual({keystone.SERVICE_ROLE},
                         self.service_user_roles(
                             keystone.CINDER_SERVICE_USER))
        # Cinder's keystonemiddleware validates the demo's token with
        # those credentials on every request.
        self.assertIsInstance(self.demo_api().get('/volumes')['volumes'],
                              list)

    def test_rgw_validates_tokens_with_the_service_role_only(self):
        if self.conf.backup_swift.auth != 'per_user' or \
                self.conf.profile == config.CEPH:
            self.skipTest('RGW validates Keystone tokens only with '
                          '[backup_swift] auth = per_user and a Swift '
                          'profile (this lab: %s, %s)' % (
                              self.conf.backup_swift.auth,
                              self.conf.profile))
        self.assertEqual({keystone.SERVICE_ROLE},
                         self.service_user_roles(keystone.RGW_SERVICE_USER))
        import swiftclient
        k = self.conf.keystone
        session = clients.session_for(
            keystone.public_url(self.conf), k.demo_user,
            self.lab.openstack.passwords.get('demo'), k.demo_project)
        url = '%s/AUTH_%s' % (rgw.storage_url(self.conf),
                              session.get_project_id())
        # RGW asks Keystone about the token with the rgw user's
        # credentials: a real token is accepted...
        conn = swiftclient.Connection(preauthurl=url, retries=0,
                                      preauthtoken=session.get_token())
        headers = conn.head_account()
        self.assertIn('x-account-container-count', headers)
        # ... and a made-up one is not (so it is validated, not trusted).
        bogus = swiftclient.Connection(preauthurl=url, retries=0,
                                       preauthtoken='gAAAA' + 'x' * 180)
        exc = self.assertRaises(swiftclient.ClientException,
                                bogus.head_account)
        self.assertEqual(401, exc.http_status)
