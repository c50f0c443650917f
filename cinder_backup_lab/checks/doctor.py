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

"""doctor: what is wrong with a running lab, and how to fix it."""

import os

from cinder_backup_lab import config
from cinder_backup_lab.openstack import cinder_conf
from cinder_backup_lab.storage import ceph


def problems(conf, status, admin_api, existing_pools):
    """Problems a person can act on, one sentence each.

    status: the lab's status; admin_api: a BlockStorage client as admin;
    existing_pools: a callable listing the cluster's pools.
    """
    found = []
    for pool, state in status['pools'].items():
        if state != 'present':
            found.append('Ceph pool "%s" is missing; run "cinder-backup-lab '
                         'up" to create it' % pool)
    for svc in status['services']:
        if svc['state'] != 'RUNNING':
            found.append('%s is %s; see %s' % (
                svc['name'], svc['state'], os.path.join(
                    conf.state_dir, 'log', '%s.out' % svc['name'])))
    found += capacity_problems(conf, status.get('capacity'))
    os_ = status.get('openstack', {})
    for s in os_.get('cinder_services', []):
        if s['state'] != 'up':
            found.append('%s on %s (AZ %s) is down' % (
                s['binary'], s['host'], s['zone']))
    if os_.get('keystone') and os_.get('cinder_api') and \
            status['ceph'].get('health') not in (None, 'UNREACHABLE'):
        found += failed_backup_problems(conf, admin_api, existing_pools())
    return found


def capacity_problems(conf, capacity):
    """A full or nearly full cluster, what holds its space, what to do."""
    if not capacity or capacity['state'] == 'ok':
        return []
    used = capacity['used_bytes'] / float(capacity['total_bytes'])
    gc = capacity.get('rgw_gc')
    if capacity['state'] == 'full':
        what = ('the Ceph cluster is FULL (%d%% used, full at %d%%): Ceph '
                'stops every write, so backups, restores and volume '
                'writes hang without an error until space returns'
                % (round(used * 100), round(capacity['full_ratio'] * 100)))
    else:
        what = ('the Ceph cluster is nearly full (%d%% used, warns at '
                '%d%%, stops writes at %d%%)'
                % (round(used * 100), round(capacity['nearfull_ratio'] * 100),
                   round(capacity['full_ratio'] * 100)))
    return ['%s; space is held by: %s%s. Delete backups or volumes, wait '
            'for RGW to free deleted Swift data, or make the OSD larger '
            '([ceph] osd_size_gb, then clean and up); "ceph osd '
            'set-full-ratio" lets stalled writes finish meanwhile' % (
                what, ceph.pool_usage(capacity),
                ', and %d deleted Swift objects RGW has not freed yet'
                % gc['entries'] if gc and gc['entries'] else '')]


def failed_backup_problems(conf, admin_api, existing_pools):
    """Backups in error whose Ceph container is not an existing pool."""
    out = []
    ceph_azs = {az for d, _h, az in cinder_conf.backup_services(conf)
                if d == config.CEPH}
    backups = admin_api.get('/backups/detail', all_tenants=1,
                            status='error')['backups']
    for b in backups:
        container = b.get('container')
        if container and container not in existing_pools and \
                b.get('availability_zone') in ceph_azs:
            out.append(
                'backup %s failed because Ceph pool "%s" does not exist '
                '(fail_reason: %s); create the pool and add it to [ceph] '
                'backup_pools, or back up into one of: %s'
                % (b['id'], container, b.get('fail_reason'),
                   ', '.join(conf.ceph.backup_pools)))
    return out
