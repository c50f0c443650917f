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

"""The Tempest plugin's backend probes, pointed at the standalone lab.

The demo, the leftovers check and the integration tests look below Cinder
with the same probes the Tempest plugin uses (tempest_plugin.common), so
the names of backup images, snapshots and objects, the test data and the
checksums are defined once.
"""

from cinder_backup_lab import config
from cinder_backup_lab.storage import ceph
from cinder_backup_lab.storage import gcs
from cinder_backup_lab.storage import rgw
from tempest_plugin.common import ceph_probe
from tempest_plugin.common import gcs_probe
from tempest_plugin.common import glusterfs_probe
from tempest_plugin.common import posix_probe
from tempest_plugin.common import s3_probe
from tempest_plugin.common import swift_probe


def ceph_for(conf, user='admin'):
    """A CephProbe of the lab's cluster as client.<user>."""
    paths = ceph.CephPaths(conf.state_dir)
    return ceph_probe.CephProbe(paths.conf, user,
                                paths.keyring('client.%s' % user),
                                conf.ceph.volumes_pool)


def swift_for(conf):
    """A SwiftProbe with the RGW user's Swift v1 credentials."""
    creds = rgw.load_credentials(conf.state_dir)
    return swift_probe.SwiftProbe(creds.auth_url, creds.user, creds.key)


def gateway_for(conf):
    """RGW's admin view (radosgw-admin as client.admin): every account."""
    return rgw.Gateway(conf, ceph.Cluster(conf))


def swift_for_token(storage_url, token):
    """A SwiftProbe as a Keystone user (per_user mode).

    RGW checks the token; the account is the token's project.
    """
    return swift_probe.SwiftProbe(storage_url=storage_url, token=token)


def s3_for(conf):
    """An S3Probe with the S3 driver's RGW user's keys."""
    creds = rgw.load_s3_credentials(conf.state_dir)
    return s3_probe.S3Probe(creds.endpoint_url, creds.access_key,
                            creds.secret_key)


def posix_for(conf):
    """A PosixProbe of the posix driver's directory."""
    return posix_probe.PosixProbe(config.posix_path(conf))


def gcs_for(conf):
    """A GcsProbe of the lab's GCS emulator (the google driver's backend)."""
    return gcs_probe.GcsProbe(gcs.endpoint(conf),
                              gcs.Paths(conf.state_dir).ca_cert,
                              conf.backup_google.project_id)


def glusterfs_for(conf):
    """A GlusterfsProbe of the gluster volume's brick."""
    return glusterfs_probe.GlusterfsProbe(config.glusterfs_brick(conf))
