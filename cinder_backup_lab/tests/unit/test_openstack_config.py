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

"""Validation of the OpenStack half's lab options (no services)."""

import testtools

from cinder_backup_lab import config


def load(**groups):
    conf = config.load()
    for group, values in groups.items():
        for key, value in values.items():
            conf.set_override(key, value, group=group)
    return conf


class TestOpenStackValidation(testtools.TestCase):

    def test_defaults_are_valid(self):
        self.assertEqual([], config.validate(load()))

    def test_object_size_not_multiple_of_block_size_is_refused(self):
        conf = load(backup_swift={'object_size': 52428800,
                                  'block_size': 30000})
        errors = config.validate(conf)
        self.assertEqual(1, len(errors), errors)
        self.assertIn('object_size 52428800 is not a multiple of '
                      'block_size 30000', errors[0])
        # The message proposes a value that is a multiple.
        self.assertIn('object_size = 52410000', errors[0])

    def test_object_size_multiple_of_block_size_is_accepted(self):
        conf = load(backup_swift={'object_size': 65536 * 10,
                                  'block_size': 65536})
        self.assertEqual([], config.validate(conf))

    def test_same_az_for_both_drivers_is_refused(self):
        conf = load(cinder={'default_az': 'nova', 'swift_az': 'nova'})
        errors = config.validate(conf)
        self.assertTrue(any(e.startswith('[cinder] default_az, swift_az, ')
                            and 'must all differ' in e for e in errors),
                        errors)

    def test_same_az_for_posix_and_s3_is_refused(self):
        conf = load(cinder={'posix_az': 'az-x', 's3_az': 'az-x'})
        errors = config.validate(conf)
        self.assertTrue(any('must all differ' in e for e in errors), errors)

    def test_s3_buckets_must_not_be_swift_containers(self):
        conf = load(backup_s3={'buckets': ['volumebackups', 's3-b']})
        errors = config.validate(conf)
        self.assertTrue(any('also Swift containers' in e and
                            'volumebackups' in e for e in errors), errors)

    def test_s3_bucket_names_are_checked(self):
        conf = load(backup_s3={'buckets': ['Bad_Bucket']})
        self.assertTrue(any("'Bad_Bucket' is not a usable name" in e
                            for e in config.validate(conf)))

    def test_s3_uid_differs_from_the_swift_uid(self):
        conf = load(rgw={'s3_uid': 'cinder-backup'})
        self.assertTrue(any('s3_uid and uid' in e
                            for e in config.validate(conf)))

    def test_posix_sizes_must_fit(self):
        conf = load(backup_posix={'file_size': 1000, 'sha_block_size': 3})
        self.assertTrue(any('[backup_posix] file_size 1000' in e
                            for e in config.validate(conf)))

    def test_hosts_must_differ(self):
        conf = load(backup_ceph={'host': 'same'},
                    backup_swift={'host': 'same'})
        self.assertTrue(any('must all differ' in e
                            for e in config.validate(conf)))

    def test_port_collision_with_storage_half_is_refused(self):
        conf = load(keystone={'port': 8080})
        errors = config.validate(conf)
        self.assertTrue(any('[rgw] port and [keystone] port' in e
                            for e in errors), errors)

    def test_bad_az_name(self):
        conf = load(cinder={'swift_az': 'az swift'})
        self.assertTrue(any("swift_az 'az swift'" in e
                            for e in config.validate(conf)))

    def test_every_option_has_help(self):
        for group, opts in config.list_opts():
            for opt in opts:
                self.assertTrue(opt.help, '%s.%s has no help'
                                % (group, opt.name))

    def test_lab_ports_cover_openstack_services(self):
        ports = config.lab_ports(load())
        for name in ('mariadb', 'rabbitmq', 'epmd', 'memcached',
                     'keystone', 'cinder-api'):
            self.assertIn(name, ports)
