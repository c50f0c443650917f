# DevStack local.conf for the cinder-backup-lab plugin, profile "swift".
# Rendered by "cinder-backup-lab localconf"; see devstack/README.md.
[[local|localrc]]
# Mirrors. GIT_BASE must come before enable_plugin (end of file):
# DevStack reads this section before it sets its own GIT_BASE.
GIT_BASE=https://mirror.example.org/git
NOVNC_REPO=$GIT_BASE/novnc/novnc.git
SPICE_REPO=$GIT_BASE/spice/spice-html5.git
# Python package index mirror (DevStack writes it to pip.conf).
PYPI_ALTERNATIVE_URL=https://mirror.example.org/pypi/simple
PYPI_OVERRIDE=$PYPI_ALTERNATIVE_URL

# Passwords: unset here, stack.sh asks for them and keeps them in .localrc.password.
#ADMIN_PASSWORD=
#DATABASE_PASSWORD=
#RABBIT_PASSWORD=
#SERVICE_PASSWORD=

HOST_IP=127.0.0.1
SERVICE_HOST=$HOST_IP
REGION_NAME=RegionOne

DEST=/opt/stack
LOGFILE=$DEST/logs/stack.sh.log
LOGDAYS=1
LOG_COLOR=False
VERSION=master
KEYSTONE_BRANCH=$VERSION
CINDER_BRANCH=$VERSION
REQUIREMENTS_BRANCH=$VERSION
# Tempest's venv takes its constraints from the requirements
# checkout (from GIT_BASE); the default downloads them.
TEMPEST_VENV_UPPER_CONSTRAINTS=$DEST/requirements/upper-constraints.txt
# Keystone and Cinder only: no images to download, no Nova to
# share memory pages for, and a small database.
DOWNLOAD_DEFAULT_IMAGES=False
ENABLE_KSM=False
MYSQL_REDUCE_MEMORY=True

# A minimal Cinder cloud: database, messaging, Keystone
# and Cinder with its backup service.
disable_all_services
enable_service mysql rabbit key
enable_service c-api c-vol c-sch c-bak
# Writes the tempest.conf "tox -e tempest" runs with, and
# installs this plugin's tests into DevStack's Tempest venv.
enable_service tempest
TEMPEST_PLUGINS=$DEST/cinder-backup-lab

# cinder-backup-lab (all variables: devstack/README.md)
CINDER_BACKUP_LAB_PROFILE=swift
CINDER_BACKUP_LAB_SWIFT_AUTH_MODE=single_user
# Ceph packages come from the distribution; for a repository mirror:
#CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE=repo
#CINDER_BACKUP_LAB_CEPH_REPO_URL=https://mirror.example.org/ceph/debian-reef
# Last: it needs GIT_BASE above. The branch is this repository's
# (enable_plugin defaults to master).
enable_plugin cinder-backup-lab $GIT_BASE/x/cinder-backup-lab main
