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

"""Cinder and Keystone configured as upstream ships them (issue 8, item 6).

Pure rendering and the role bookkeeping of ensure_catalog, against the
pinned libraries installed in the venv (their option lists and files).
"""

import configparser
from unittest import mock

import testtools

from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.openstack import keystone
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.tests.unit import test_cinder_conf


def parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


class TestCinderConfAsUpstream(testtools.TestCase):

    def test_filters_file_is_rendered(self):
        conf = parse(cinder_conf.render_cinder_conf(
            test_cinder_conf.common()))
        self.assertEqual('/v/etc/cinder/resource_filters.json',
                         conf['DEFAULT']['resource_query_filters_file'])

    def test_the_lab_passes_the_filters_file_explicitly(self):
        conf = mock.MagicMock()
        conf.state_dir = '/s'
        conf.bind_host = '127.0.0.1'
        lab_cinder = cinder.Cinder(conf, mock.MagicMock(), mock.MagicMock(),
                                   mock.MagicMock(), ceph.CephPaths('/s'))
        with mock.patch.object(lab_cinder.source, 'installed',
                               return_value={'version': '29.0.0',
                                             'tree': None}):
            settings = lab_cinder.common_settings()
        # The file the pinned cinder ships (checked to exist and hold the
        # filters by the integration tests, where cinder is installed).
        self.assertEqual(venv.venv_etc('cinder', 'resource_filters.json'),
                         settings.resource_filters_file)
        # A Cinder installed editable from a tree ships it in the tree.
        with mock.patch.object(lab_cinder.source, 'installed',
                               return_value={'version': '29.0.0',
                                             'tree': '/src/cinder'}):
            settings = lab_cinder.common_settings()
        self.assertEqual('/src/cinder/etc/cinder/resource_filters.json',
                         settings.resource_filters_file)
        self.assertEqual('/src/cinder/etc/cinder/api-paste.ini',
                         settings.api_paste_config)

    def test_no_oslo_policy_overrides(self):
        conf = parse(cinder_conf.render_cinder_conf(
            test_cinder_conf.common()))
        self.assertNotIn('oslo_policy', conf.sections())

    def test_keystone_has_no_oslo_policy_overrides(self):
        text = keystone.render_keystone_conf(
            keystone.Paths('/s'), 'mysql+pymysql://k:pw@127.0.0.1/keystone',
            '127.0.0.1:11211')
        self.assertNotIn('oslo_policy', parse(text).sections())


class FakeIdentity:
    """Keystone's identity API as ensure_catalog uses it, in memory."""

    def __init__(self, assignments=None):
        self.roles = {r: {'id': 'id-' + r} for r in keystone.ROLES}
        self.entities = {'domains': {'Default': {'id': 'default'}}}
        self.assignments = assignments or {}

    def find(self, collection, name):
        return self.entities[collection][name]

    def ensure(self, collection, name, body, secret=None):
        if collection == 'roles':
            return self.roles[name], False
        store = self.entities.setdefault(collection, {})
        if name in store:
            return store[name], False
        store[name] = dict(body, id='%s-%s' % (collection, name))
        return store[name], True

    def grant(self, project_id, user_id, role_id):
        self.assignments.setdefault((project_id, user_id), set()).add(
            role_id)

    def revoke(self, project_id, user_id, role_id):
        self.assignments[(project_id, user_id)].discard(role_id)

    def project_role_ids(self, project_id, user_id):
        return sorted(self.assignments.get((project_id, user_id), ()))

    def ensure_service_endpoints(self, *args, **kwargs):
        return False

    def role_names(self, project, user):
        names = {v['id']: k for k, v in self.roles.items()}
        return {names[r] for r in self.assignments.get(
            ('projects-%s' % project, 'users-%s' % user), ())}


class TestServiceUserRoles(testtools.TestCase):

    def ensure_catalog(self, identity, object_store_url=None):
        conf = mock.MagicMock()
        conf.bind_host = '127.0.0.1'
        conf.keystone.port = 5000
        conf.keystone.demo_project = 'demo'
        conf.keystone.demo_user = 'demo'
        conf.keystone.region = 'RegionOne'
        ks = keystone.Keystone.__new__(keystone.Keystone)
        ks.conf = conf
        ks.passwords = mock.MagicMock()
        with mock.patch.object(keystone.clients, 'Identity',
                               return_value=identity), \
                mock.patch.object(keystone.clients, 'password_works',
                                  return_value=True), \
                mock.patch.object(ks, 'admin_session'):
            return ks.ensure_catalog('http://127.0.0.1:8776/v3/x',
                                     object_store_url)

    def test_service_users_get_the_service_role_only(self):
        identity = FakeIdentity()
        self.ensure_catalog(identity, 'http://127.0.0.1:8080/swift/v1/x')
        self.assertEqual({'service'}, identity.role_names('service',
                                                          'cinder'))
        self.assertEqual({'service'}, identity.role_names('service', 'rgw'))
        self.assertEqual({'member', 'reader'},
                         identity.role_names('demo', 'demo'))

    def test_admin_given_by_an_older_lab_is_revoked(self):
        identity = FakeIdentity()
        self.ensure_catalog(identity, 'http://127.0.0.1:8080/swift/v1/x')
        for user in ('cinder', 'rgw'):
            identity.grant('projects-service', 'users-%s' % user,
                           'id-admin')
        made = self.ensure_catalog(identity,
                                   'http://127.0.0.1:8080/swift/v1/x')
        self.assertEqual({'service'}, identity.role_names('service',
                                                          'cinder'))
        self.assertEqual({'service'}, identity.role_names('service', 'rgw'))
        self.assertIn('role admin of cinder revoked', made)
        self.assertIn('role admin of rgw revoked', made)

    def test_demo_roles_are_left_alone(self):
        identity = FakeIdentity()
        self.ensure_catalog(identity)
        identity.grant('projects-demo', 'users-demo', 'id-admin')
        self.ensure_catalog(identity)
        self.assertEqual({'admin', 'member', 'reader'},
                         identity.role_names('demo', 'demo'))
