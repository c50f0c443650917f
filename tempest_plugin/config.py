"""Options of the cinder-backup-lab Tempest plugin."""

from oslo_config import cfg

backup_lab_group = cfg.OptGroup(
    name='cinder_backup_lab',
    title='cinder-backup-lab backup scenarios')

BackupLabGroup = [
    cfg.ListOpt('ceph_backup_pools', default=['backups', 'volumebackups'],
                help='Ceph pools to use as backup containers with the Ceph '
                     'backup driver.'),
    cfg.ListOpt('swift_backup_containers',
                default=['volumebackups', 'backups'],
                help='Swift containers to use as backup containers with the '
                     'Swift backup driver on RGW.'),
]


def list_opts():
    return [(backup_lab_group, BackupLabGroup)]
