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

"""Tempest's view of a deployment: the plugin's options and tempest.conf.

Both fronts use it: the standalone lab writes a whole tempest.conf (and
its openrc files) for its own cloud; DevStack's plugin edits the
[cinder_backup_lab] options into DevStack's tempest.conf through
"tempest-conf". Also the Tempest workspace the lab's runs use.
"""

import os
import subprocess

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import files
from cinder_backup_lab.host import venv
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.openstack import keystone
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import client_files
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import rgw

# Option group of the Tempest plugin (tempest_plugin/config.py).
TEMPEST_GROUP = 'cinder_backup_lab'


def render_tempest_conf(v):
    """tempest.conf for the lab; v is a dict of plain values.

    Only services the lab really runs are marked available: Swift is
    reached by the Swift *backup driver* through RGW, it is not an
    object-storage service Tempest should test.
    """
    sections = [
        ('DEFAULT', [('log_dir', v['log_dir']),
                     ('log_file', 'tempest.log'),
                     ('use_stderr', 'false')]),
        ('auth', [
            ('use_dynamic_credentials', 'true'),
            ('admin_username', v['admin_user']),
            ('admin_password', v['admin_password']),
            ('admin_project_name', v['admin_project']),
            ('admin_domain_name', 'Default'),
            ('default_credentials_domain_name', 'Default'),
            ('create_isolated_networks', 'false'),
        ]),
        ('identity', [
            ('uri_v3', v['auth_url']),
            ('auth_version', 'v3'),
            ('region', v['region']),
            ('v3_endpoint_type', 'public'),
            ('disable_ssl_certificate_validation', 'true'),
        ]),
        ('identity-feature-enabled', [('api_v2', 'false')]),
        ('service_available', [
            ('cinder', 'true'), ('nova', 'false'), ('glance', 'false'),
            ('neutron', 'false'), ('swift', 'false'), ('horizon', 'false'),
            ('heat', 'false'), ('designate', 'false'),
        ]),
        ('volume', [
            ('catalog_type', 'block-storage'),
            ('region', v['region']),
            ('endpoint_type', 'publicURL'),
            ('build_timeout', '300'),
            ('build_interval', '1'),
            ('volume_size', '1'),
            ('backend_names', v['volume_backend']),
            ('volume_type', v['volume_type']),
            ('storage_protocol', 'ceph'),
            ('vendor_name', 'Open Source'),
            ('backup_driver', v['default_backup_driver']),
            ('min_microversion', '3.0'),
            ('max_microversion', v['max_microversion']),
        ]),
        ('volume-feature-enabled', [
            ('backup', 'true'), ('snapshot', 'true'), ('clone', 'true'),
            ('multi_backend', 'false'), ('manage_volume', 'false'),
            ('manage_snapshot', 'false'), ('extend_attached_volume', 'false'),
            ('extend_volume_with_snapshot', 'true'),
            ('volume_revert', 'true'), ('api_extensions', 'all'),
        ]),
        ('validation', [('run_validation', 'false')]),
        (TEMPEST_GROUP, v['backup_lab']),
    ]
    # Secret: it holds the admin password (mode 0600).
    return files.render_ini(sections)


def ceph_probe(conf):
    """(ceph.conf, cephx user, keyring) the plugin's Ceph probes use.

    The lab's own Tempest runs as root next to the lab: client.admin in
    the state dir. Elsewhere (DevStack, Tempest as the stack user): the
    least-privilege probe user exported to client_conf_dir (read/write on
    the volumes pool, read-only on the backup pools: what the probes do).
    """
    if conf.deploy_openstack:
        paths = ceph.CephPaths(conf.state_dir)
        return paths.conf, 'admin', paths.keyring('client.admin')
    return (client_files.conf_path(conf), ceph.PROBE_USER,
            client_files.keyring_path(conf.client_conf_dir,
                                      ceph.PROBE_USER))


def tempest_plugin_options(conf):
    """[cinder_backup_lab] options of the Tempest plugin for this lab.

    The lab's tempest.conf and "tempest-conf" (DevStack) both use it.
    Includes the probe credentials (a keyring path, the Swift v1 key):
    the files they go into are private.
    """
    zones = {d: az for d, _host, az in cinder_conf.backup_services(conf)}
    ceph_conf, probe_user, probe_keyring = ceph_probe(conf)
    options = [
        ('ceph_backup_enabled', str(config.CEPH in zones).lower()),
        ('swift_backup_enabled', str(config.SWIFT in zones).lower()),
        ('ceph_backup_availability_zone', zones.get(config.CEPH, '')),
        ('swift_backup_availability_zone', zones.get(config.SWIFT, '')),
        ('ceph_backup_pools', ','.join(ceph.backup_pools(conf))),
        ('swift_backup_containers',
         ','.join(config.swift_containers(conf))),
        ('volume_type', conf.cinder.volume_type),
        ('ceph_conf', ceph_conf),
        ('ceph_probe_user', probe_user),
        ('ceph_probe_keyring', probe_keyring),
        ('ceph_volumes_pool', conf.ceph.volumes_pool),
        ('swift_backup_auth', conf.backup_swift.auth),
        # Empty for a fixed Cinder: every known-bug test must then pass.
        ('known_cinder_bugs', ','.join(config.known_cinder_bugs(conf))),
    ]
    if config.SWIFT in zones and conf.backup_swift.auth == 'single_user':
        creds = rgw.load_credentials(conf.state_dir)
        options += [('swift_auth_url', creds.auth_url),
                    ('swift_user', creds.user), ('swift_key', creds.key)]
    # The other drivers as data: driver:AZ:container+container.
    more = [d for d in (config.POSIX, config.S3, config.GLUSTERFS,
                        config.GOOGLE)
            if d in zones]
    options.append(('backup_drivers', ','.join(
        '%s:%s:%s' % (d, zones[d], '+'.join(config.driver_containers(
            conf, d))) for d in more)))
    if config.POSIX in zones:
        options.append(('posix_backup_path', config.posix_path(conf)))
    if config.S3 in zones:
        creds = rgw.load_s3_credentials(conf.state_dir)
        options += [('s3_endpoint_url', creds.endpoint_url),
                    ('s3_access_key', creds.access_key),
                    ('s3_secret_key', creds.secret_key)]
    if config.GLUSTERFS in zones:
        options.append(('glusterfs_backup_path', config.glusterfs_brick(conf)))
    if config.GOOGLE in zones:
        options += [('gcs_endpoint_url', gcs.endpoint(conf)),
                    ('gcs_ca_file', gcs.Paths(conf.state_dir).ca_cert),
                    ('gcs_project_id', conf.backup_google.project_id)]
    return options


def write_workspace(directory):
    """A Tempest workspace in directory: its .stestr.conf; returns the path.

    What "tempest init" would write, without its global registry of
    workspaces (it refuses a second one of the same directory name).
    """
    site = venv.site_packages()
    path = os.path.join(directory, '.stestr.conf')
    files.write_if_changed(path, (
        '[DEFAULT]\ntest_path=%s\ntop_dir=%s\ngroup_regex=([^\\.]*\\.)*\n'
        % (os.path.join(site, 'tempest', 'test_discover'), site)), 0o644)
    return path


# Upstream Tempest's volume backup API tests: the proof that the lab is a
# real Cinder deployment.
UPSTREAM_BACKUP_TESTS = (
    r'^tempest\.api\.volume\.(admin\.)?test_volumes_backup')


class Paths:
    def __init__(self, state_dir):
        self.openrc_admin = os.path.join(state_dir, 'openrc-admin')
        self.openrc_demo = os.path.join(state_dir, 'openrc-demo')
        self.tempest_dir = os.path.join(state_dir, 'tempest')
        self.tempest_conf = os.path.join(self.tempest_dir, 'etc',
                                         'tempest.conf')


def write_lab_outputs(conf, passwords, max_microversion):
    """The standalone lab's openrc files and tempest.conf; their paths."""
    p = Paths(conf.state_dir)
    k = conf.keystone
    auth_url = keystone.public_url(conf)
    files.write_file(p.openrc_admin, keystone.render_openrc(
        auth_url, 'admin', passwords.get('admin'), 'admin', k.region), 0o600)
    files.write_file(p.openrc_demo, keystone.render_openrc(
        auth_url, k.demo_user, passwords.get('demo'), k.demo_project,
        k.region), 0o600)
    values = {
        'log_dir': os.path.join(p.tempest_dir, 'logs'),
        'admin_user': 'admin', 'admin_password': passwords.get('admin'),
        'admin_project': 'admin', 'auth_url': auth_url,
        'region': k.region, 'volume_backend': conf.cinder.volume_backend,
        'volume_type': conf.cinder.volume_type,
        'default_backup_driver': config.backup_drivers(conf)[0],
        'max_microversion': max_microversion,
        'backup_lab': tempest_plugin_options(conf),
    }
    os.makedirs(os.path.join(p.tempest_dir, 'logs'), exist_ok=True)
    files.write_file(p.tempest_conf, render_tempest_conf(values), 0o600)
    write_workspace(p.tempest_dir)
    return {'openrc_admin': p.openrc_admin, 'openrc_demo': p.openrc_demo,
            'tempest_conf': p.tempest_conf}


def run_upstream_tempest(conf, regex=UPSTREAM_BACKUP_TESTS, concurrency=2):
    """Run upstream Tempest tests against the lab; return the exit code.

    The output (one line per test, and the skip reasons) goes to stdout.
    """
    p = Paths(conf.state_dir)
    if not os.path.exists(p.tempest_conf):
        raise errors.LabError('no %s; run "cinder-backup-lab up" first'
                              % p.tempest_conf)
    write_workspace(p.tempest_dir)
    argv = [venv.venv_bin('tempest'), 'run', '--config-file',
            p.tempest_conf, '--regex', regex, '--concurrency',
            str(concurrency)]
    return subprocess.call(argv, cwd=p.tempest_dir,
                           env=dict(os.environ,
                                    TEMPEST_CONFIG_DIR=os.path.dirname(
                                        p.tempest_conf)))
