#!/bin/bash
# cinder-backup-lab DevStack plugin: phase dispatch only.
# The functions are in lib/cinder-backup-lab; the work is done by the
# cinder-backup-lab CLI (the lab's Python core).

# shellcheck source=devstack/lib/cinder-backup-lab
source "$CINDER_BACKUP_LAB_PLUGIN_DIR/lib/cinder-backup-lab"

case "$1" in
    stack)
        case "$2" in
            pre-install)
                echo_summary "cinder-backup-lab: checking settings"
                check_cinder_backup_lab
                ;;
            install)
                echo_summary "cinder-backup-lab: installing the core, deploying Ceph and RGW"
                install_cinder_backup_lab
                configure_cinder_backup_lab
                init_cinder_backup_lab
                ;;
            post-config)
                echo_summary "cinder-backup-lab: configuring Cinder backup"
                create_cinder_backup_lab_accounts
                configure_cinder_for_backup_lab
                ;;
            extra)
                echo_summary "cinder-backup-lab: starting the second c-bak"
                start_cinder_backup_lab
                ;;
            test-config)
                echo_summary "cinder-backup-lab: configuring Tempest"
                configure_tempest_for_backup_lab
                ;;
        esac
        ;;
    unstack)
        stop_cinder_backup_lab
        ;;
    clean)
        cleanup_cinder_backup_lab
        ;;
esac
