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

"""Render a DevStack local.conf that uses the cinder-backup-lab plugin.

The file reproduces the operator workflow's minimal cloud (mysql, rabbit,
keystone, c-api, c-vol, c-sch, c-bak) with every git repository taken from
a mirror (GIT_BASE), optionally a Python package index mirror and a Ceph
package repository mirror, and the plugin enabled *after* GIT_BASE is set:
DevStack reads the localrc section before it gives GIT_BASE its default,
so an enable_plugin line above GIT_BASE would expand it to nothing.

Rendering is pure (render()); passwords come from the secrets module
(generate_passwords()) and the file is written private (write()).
The samples in devstack/local.conf.sample.* are this module's output with
placeholder mirrors and no passwords (stack.sh then asks for them).
"""

import dataclasses
import ipaddress
import os
import re
import secrets
import sys
import urllib.parse

from cinder_backup_lab import config

PLUGIN_NAME = 'cinder-backup-lab'
# Path of this repository under GIT_BASE.
PLUGIN_REPO_PATH = 'x/cinder-backup-lab'
# This repository's development branch; enable_plugin's default is master.
PLUGIN_BRANCH = 'main'
PASSWORD_VARS = ('ADMIN_PASSWORD', 'DATABASE_PASSWORD', 'RABBIT_PASSWORD',
                 'SERVICE_PASSWORD')
# The operator workflow's services, plus tempest so that DevStack writes the
# tempest.conf that "tox -e tempest" uses.
BASE_SERVICES = ('mysql', 'rabbit', 'key')
CINDER_SERVICES = ('c-api', 'c-vol', 'c-sch', 'c-bak')
# single: one node runs everything; controller and backup-node: the
# separate backup node (c-bak alone on a second node, reaching the
# controller's database, messaging, Keystone, Ceph and RGW).
ROLES = ('single', 'controller', 'backup-node')

# Values are written unquoted into a file bash sources: allow only
# characters that mean nothing to the shell.
_SHELL_SAFE = re.compile(r'^[A-Za-z0-9._~:/@%+=,-]+$')
_BRANCH = re.compile(r'^[A-Za-z0-9._/-]+$')
_GIT_SCHEMES = ('http', 'https', 'git', 'ssh', 'file')
_HTTP_SCHEMES = ('http', 'https', 'file')


@dataclasses.dataclass
class LocalConfOptions:
    """What the rendered local.conf is made of."""

    git_base: str
    profile: str = 'both'
    pip_index: str | None = None
    ceph_repo: str | None = None
    ceph_repo_key: str | None = None
    host_ip: str = '127.0.0.1'
    branch: str = 'master'
    auth_mode: str = 'single_user'
    plugin_branch: str = PLUGIN_BRANCH
    plugin_url: str | None = None
    role: str = 'single'
    # The controller's address, for role backup-node (default host_ip).
    service_host: str | None = None
    tempest: bool = True
    dest: str = '/opt/stack'


def _url_errors(name, value, schemes):
    if not _SHELL_SAFE.match(value or ''):
        return ['%s %r: use a plain URL (letters, digits and ._~:/@%%+=,- '
                'only; no spaces, quotes or shell characters)'
                % (name, value)]
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in schemes:
        return ['%s %r: the URL must start with one of %s'
                % (name, value, ', '.join(s + '://' for s in schemes))]
    if parsed.scheme != 'file' and not parsed.netloc:
        return ['%s %r: the URL has no host' % (name, value)]
    return []


def validate(opts):
    """Return a list of error messages; empty when opts can be rendered."""
    errors = []
    if opts.profile not in config.PROFILES:
        errors.append('profile %r: use one of %s'
                      % (opts.profile, ', '.join(config.PROFILES)))
    if opts.auth_mode not in config.SWIFT_AUTH_MODES:
        errors.append('auth mode %r: use one of %s'
                      % (opts.auth_mode, ', '.join(config.SWIFT_AUTH_MODES)))
    errors += _url_errors('git mirror', opts.git_base, _GIT_SCHEMES)
    if opts.pip_index is not None:
        errors += _url_errors('pip index', opts.pip_index, _HTTP_SCHEMES)
    if opts.ceph_repo is not None:
        errors += _url_errors('Ceph repository', opts.ceph_repo,
                              _HTTP_SCHEMES)
    if opts.plugin_url is not None:
        errors += _url_errors('plugin URL', opts.plugin_url, _GIT_SCHEMES)
    if opts.ceph_repo_key is not None:
        if opts.ceph_repo is None:
            errors.append('a Ceph repository key needs a Ceph repository '
                          'URL too')
        errors += _url_errors('Ceph repository key', opts.ceph_repo_key,
                              _HTTP_SCHEMES)
    for name, value in (('host IP', opts.host_ip),
                        ('service host', opts.service_host)):
        if value is None:
            continue
        try:
            ipaddress.ip_address(value)
        except ValueError:
            errors.append('%s %r is not an IP address' % (name, value))
    if opts.role not in ROLES:
        errors.append('role %r: use one of %s' % (opts.role, ', '.join(ROLES)))
    elif opts.role != 'single':
        if opts.profile == 'both':
            errors.append('role %s: use profile ceph or swift (one c-bak, '
                          'on the backup node)' % opts.role)
        if opts.profile == 'swift' and opts.auth_mode != 'per_user':
            errors.append('role %s: the backup node needs auth mode '
                          'per_user (in single_user the Swift key stays '
                          'on the controller)' % opts.role)
    if opts.service_host is not None and opts.role != 'backup-node':
        errors.append('a service host is for role backup-node only')
    for name, value in (('branch', opts.branch),
                        ('plugin branch', opts.plugin_branch)):
        if not _BRANCH.match(value or ''):
            errors.append('%s %r: use letters, digits and ._/- only'
                          % (name, value))
    if not opts.dest.startswith('/') or not _SHELL_SAFE.match(opts.dest):
        errors.append('DEST %r must be an absolute path without spaces or '
                      'shell characters' % opts.dest)
    return errors


def generate_passwords():
    """A fresh random password for each DevStack password variable."""
    return {name: secrets.token_hex(16) for name in PASSWORD_VARS}


def render(opts, passwords=None):
    """The local.conf text for opts.

    passwords maps each of PASSWORD_VARS to its value; None leaves them
    unset (commented), and stack.sh asks for them on its first run.
    """
    errors = validate(opts)
    if errors:
        raise ValueError('; '.join(errors))
    if passwords is not None:
        missing = [n for n in PASSWORD_VARS if not passwords.get(n)]
        bad = [n for n in PASSWORD_VARS
               if n not in missing and not _SHELL_SAFE.match(passwords[n])]
        if missing or bad:
            raise ValueError('passwords missing or unusable: %s'
                             % ', '.join(missing + bad))
    git_base = opts.git_base.rstrip('/')
    out = [
        '# DevStack local.conf for the cinder-backup-lab plugin, profile '
        '"%s".' % opts.profile,
        '# Rendered by "cinder-backup-lab localconf"; see devstack/README.md.',
    ]
    if passwords is not None:
        out.append('# It holds passwords: keep it private (mode 0600).')
    out += [
        '[[local|localrc]]',
        '# Mirrors. GIT_BASE must come before enable_plugin (end of file):',
        '# DevStack reads this section before it sets its own GIT_BASE.',
        'GIT_BASE=%s' % git_base,
        'NOVNC_REPO=$GIT_BASE/novnc/novnc.git',
        'SPICE_REPO=$GIT_BASE/spice/spice-html5.git',
    ]
    if opts.pip_index is not None:
        out += [
            '# Python package index mirror (DevStack writes it to pip.conf).',
            'PYPI_ALTERNATIVE_URL=%s' % opts.pip_index,
            'PYPI_OVERRIDE=$PYPI_ALTERNATIVE_URL',
        ]
    else:
        out += [
            '# Python package index mirror, if you have one:',
            '#PYPI_ALTERNATIVE_URL=https://mirror.example.org/pypi/simple',
            '#PYPI_OVERRIDE=$PYPI_ALTERNATIVE_URL',
        ]
    out.append('')
    if passwords is not None:
        out += ['%s=%s' % (n, passwords[n]) for n in PASSWORD_VARS]
    else:
        out.append('# Passwords: unset here, stack.sh asks for them and keeps '
                   'them in .localrc.password.')
        out += ['#%s=' % n for n in PASSWORD_VARS]
    out += ['', 'HOST_IP=%s' % opts.host_ip]
    if opts.role == 'backup-node':
        out += [
            '# The controller runs the database, messaging, Keystone,',
            '# c-api, c-sch, c-vol, Ceph and RGW.',
            'SERVICE_HOST=%s' % (opts.service_host or opts.host_ip),
            '# No database here: DevStack needs its type to write the',
            '# connection URL (Zuul\'s multinode jobs set it too).',
            'DATABASE_TYPE=mysql',
            'DATABASE_HOST=$SERVICE_HOST',
            'RABBIT_HOST=$SERVICE_HOST',
        ]
    else:
        out.append('SERVICE_HOST=$HOST_IP')
    out += [
        'REGION_NAME=RegionOne',
        '',
        'DEST=%s' % opts.dest,
        'LOGFILE=$DEST/logs/stack.sh.log',
        'LOGDAYS=1',
        'LOG_COLOR=False',
        'VERSION=%s' % opts.branch,
        'KEYSTONE_BRANCH=$VERSION',
        'CINDER_BRANCH=$VERSION',
        'REQUIREMENTS_BRANCH=$VERSION',
        '# Tempest\'s venv takes its constraints from the requirements',
        '# checkout (from GIT_BASE); the default downloads them.',
        'TEMPEST_VENV_UPPER_CONSTRAINTS=$DEST/requirements/'
        'upper-constraints.txt',
        '# Keystone and Cinder only: no images to download, no Nova to',
        '# share memory pages for, and a small database.',
        'DOWNLOAD_DEFAULT_IMAGES=False',
        'ENABLE_KSM=False',
        'MYSQL_REDUCE_MEMORY=True',
        '',
    ]
    if opts.role == 'backup-node':
        out += [
            '# The separate backup node: c-bak only.',
            'disable_all_services',
            'enable_service c-bak',
        ]
    elif opts.role == 'controller':
        out += [
            '# A minimal Cinder cloud without c-bak, which runs on the',
            '# backup node.',
            'disable_all_services',
            'enable_service %s' % ' '.join(BASE_SERVICES),
            'enable_service %s' % ' '.join(
                s for s in CINDER_SERVICES if s != 'c-bak'),
        ]
    else:
        out += [
            '# A minimal Cinder cloud: database, messaging, Keystone',
            '# and Cinder with its backup service.',
            'disable_all_services',
            'enable_service %s' % ' '.join(BASE_SERVICES),
            'enable_service %s' % ' '.join(CINDER_SERVICES),
        ]
    if opts.tempest and opts.role != 'backup-node':
        out += [
            '# Writes the tempest.conf "tox -e tempest" runs with, and',
            '# installs this plugin\'s tests into DevStack\'s Tempest venv.',
            'enable_service tempest',
            'TEMPEST_PLUGINS=$DEST/%s' % PLUGIN_NAME,
        ]
    out += ['', '# cinder-backup-lab (all variables: devstack/README.md)',
            'CINDER_BACKUP_LAB_PROFILE=%s' % opts.profile]
    if opts.profile != 'ceph':
        out.append('CINDER_BACKUP_LAB_SWIFT_AUTH_MODE=%s' % opts.auth_mode)
    if opts.role == 'controller':
        out += [
            '# Ceph and RGW listen where the backup node reaches them; '
            'Tempest',
            '# is told backups are available (c-bak is on the backup node).',
            'CINDER_BACKUP_LAB_BIND_HOST=%s' % opts.host_ip,
            'CINDER_BACKUP_LAB_BACKUP_ON_SUBNODE=True',
        ]
    elif opts.role == 'backup-node':
        out += [
            '# The controller\'s cluster: its /etc/ceph (ceph.conf and '
            'keyrings)',
            '# must be copied here before stack.sh.',
            'CINDER_BACKUP_LAB_REMOTE_CEPH=True',
            'CINDER_BACKUP_LAB_RGW_HOST=$SERVICE_HOST',
        ]
    if opts.ceph_repo is not None:
        out += [
            '# Ceph packages from a repository mirror instead of the '
            'distribution.',
            'CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE=repo',
            'CINDER_BACKUP_LAB_CEPH_REPO_URL=%s' % opts.ceph_repo,
        ]
        if opts.ceph_repo_key is not None:
            out.append('CINDER_BACKUP_LAB_CEPH_REPO_KEY_URL=%s'
                       % opts.ceph_repo_key)
    else:
        out += [
            '# Ceph packages come from the distribution; for a repository '
            'mirror:',
            '#CINDER_BACKUP_LAB_CEPH_INSTALL_SOURCE=repo',
            '#CINDER_BACKUP_LAB_CEPH_REPO_URL='
            'https://mirror.example.org/ceph/debian-reef',
        ]
    url = opts.plugin_url or '$GIT_BASE/%s' % PLUGIN_REPO_PATH
    enable = 'enable_plugin %s %s %s' % (PLUGIN_NAME, url, opts.plugin_branch)
    out += ['# Last: it needs GIT_BASE above. The branch is this '
            'repository\'s', '# (enable_plugin defaults to master).',
            enable]
    return '\n'.join(out) + '\n'


def read_passwords(path):
    """The password variables set in an existing local.conf.

    A backup node must use the controller's passwords.
    """
    found = {}
    with open(path) as f:
        for line in f:
            name, sep, value = line.strip().partition('=')
            if sep and name in PASSWORD_VARS and value:
                found[name] = value
    missing = [n for n in PASSWORD_VARS if n not in found]
    if missing:
        raise ValueError('%s does not set %s' % (path, ', '.join(missing)))
    return found


def write(path, text, force=False):
    """Write text to path with mode 0600; an existing file only if force."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def add_parser(subparsers):
    """The "localconf" subcommand's arguments."""
    p = subparsers.add_parser(
        'localconf', help='render a DevStack local.conf using this plugin')
    p.add_argument('--git-base', required=True, metavar='URL',
                   help='git mirror used as GIT_BASE (e.g. '
                        'https://mirror.example.org/git)')
    p.add_argument('--profile', default='both', choices=config.PROFILES,
                   help='backup drivers to deploy (default: both)')
    p.add_argument('--auth-mode', default='single_user',
                   choices=config.SWIFT_AUTH_MODES,
                   help='how the Swift driver authenticates to RGW')
    p.add_argument('--pip-index', metavar='URL',
                   help='Python package index mirror')
    p.add_argument('--ceph-repo', metavar='URL',
                   help='Ceph package repository mirror (default: the '
                        'distribution\'s packages)')
    p.add_argument('--ceph-repo-key', metavar='URL',
                   help='signing key of the Ceph repository mirror')
    p.add_argument('--host-ip', default='127.0.0.1',
                   help='HOST_IP (default 127.0.0.1)')
    p.add_argument('--branch', default='master',
                   help='branch of the OpenStack projects (default master)')
    p.add_argument('--plugin-branch', default=PLUGIN_BRANCH,
                   help='branch of this plugin (default %s)' % PLUGIN_BRANCH)
    p.add_argument('--plugin-url', metavar='URL',
                   help='git URL of this plugin (default: '
                        '$GIT_BASE/%s)' % PLUGIN_REPO_PATH)
    p.add_argument('--no-tempest', action='store_true',
                   help='do not enable tempest')
    p.add_argument('--role', default='single', choices=ROLES,
                   help='single (default): one node; controller or '
                        'backup-node: c-bak alone on a second node')
    p.add_argument('--service-host', metavar='IP',
                   help='backup-node: the controller\'s address '
                        '(default: --host-ip)')
    pw = p.add_mutually_exclusive_group()
    pw.add_argument('--no-passwords', action='store_true',
                    help='leave passwords unset (stack.sh asks for them); '
                         'by default random ones are generated')
    pw.add_argument('--passwords-from', metavar='LOCAL_CONF',
                    help='take the passwords from this local.conf (the '
                         'controller\'s, for a backup node)')
    out = p.add_mutually_exclusive_group()
    out.add_argument('-o', '--output', default='local.conf', metavar='PATH',
                     help='file to write, mode 0600 (default local.conf)')
    out.add_argument('--stdout', action='store_true',
                     help='print the file instead of writing it')
    p.add_argument('--force', action='store_true',
                   help='overwrite an existing output file')
    return p


def command(args):
    """Run the "localconf" subcommand; returns the exit code."""
    opts = LocalConfOptions(
        git_base=args.git_base, profile=args.profile,
        pip_index=args.pip_index, ceph_repo=args.ceph_repo,
        ceph_repo_key=args.ceph_repo_key, host_ip=args.host_ip,
        branch=args.branch, auth_mode=args.auth_mode,
        plugin_branch=args.plugin_branch, plugin_url=args.plugin_url,
        role=args.role, service_host=args.service_host,
        tempest=not args.no_tempest)
    errors = validate(opts)
    for err in errors:
        print('error: %s' % err, file=sys.stderr)
    if errors:
        return 2
    if args.passwords_from:
        try:
            passwords = read_passwords(args.passwords_from)
        except (OSError, ValueError) as e:
            print('error: %s' % e, file=sys.stderr)
            return 2
    elif args.no_passwords:
        passwords = None
    else:
        passwords = generate_passwords()
    text = render(opts, passwords)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    try:
        write(args.output, text, force=args.force)
    except FileExistsError:
        print('error: %s exists; use --force to overwrite it' % args.output,
              file=sys.stderr)
        return 1
    print('wrote %s (mode 0600), profile %s%s' % (
        args.output, opts.profile,
        '' if passwords is None else
        ', passwords from %s' % args.passwords_from if args.passwords_from
        else ', passwords generated'),
        file=sys.stderr)
    return 0
