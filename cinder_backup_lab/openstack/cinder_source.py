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

"""Which Cinder the lab runs: the pinned release, a local tree, a git ref,
or the pinned release with this repository's patches applied.

The lab's Cinder lives in the lab's own venv (its programs are the venv's
cinder-* scripts). A tree is installed editable (`pip install -e`), so an
edit in it takes effect at the next restart of the Cinder services
(`cinder-backup-lab reload-cinder`); going back to `release` reinstalls
the pinned wheel. Parsing and validation are pure; `CinderSource` does the
installing.
"""

import glob
import hashlib
import importlib
import importlib.metadata
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import venv

REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..',
                                        '..'))
CONSTRAINTS = os.path.join(REPO_DIR, 'constraints', 'upper-constraints.txt')
PATCHES_DIR = os.path.join(REPO_DIR, 'patches', 'cinder')


def pinned_version(constraints=CONSTRAINTS):
    """The version of cinder pinned in the constraints file."""
    try:
        with open(constraints) as f:
            for line in f:
                m = re.match(r'^cinder===?([^\s;#]+)', line.strip())
                if m:
                    return m.group(1)
    except OSError as exc:
        raise errors.LabError('cannot read the pins in %s: %s'
                              % (constraints, exc))
    raise errors.LabError('%s pins no cinder version' % constraints)


def patch_files(patches_dir=PATCHES_DIR):
    """The repository's Cinder patches, in the order they apply."""
    return sorted(glob.glob(os.path.join(patches_dir, '*.patch')))


def patches_digest(paths):
    """A short digest of the patches' names and contents."""
    h = hashlib.sha256()
    for path in paths:
        h.update(os.path.basename(path).encode() + b'\0')
        with open(path, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def editable_tree(direct_url):
    """The tree of an editable install from its direct_url.json text."""
    try:
        data = json.loads(direct_url or '')
    except ValueError:
        return None
    if not data.get('dir_info', {}).get('editable'):
        return None
    url = urllib.parse.urlparse(data.get('url', ''))
    if url.scheme != 'file':
        return None
    return os.path.normpath(urllib.parse.unquote(url.path))


def describe(installed):
    """One line for `status`: which Cinder runs."""
    if not installed:
        return 'not installed'
    text = 'cinder %s' % installed['version']
    if installed.get('tree'):
        text += ' from %s (editable)' % installed['tree']
        if installed.get('commit'):
            text += ', git %s' % installed['commit'][:12]
        if installed.get('dirty'):
            text += ' + uncommitted changes'
    else:
        text += ' (release wheel)'
    if installed.get('patches'):
        text += ', patches: %s' % ', '.join(installed['patches'])
    return text


def unsafe_members(members):
    """Names of tar members that could write outside the target.

    Only regular files and directories with relative paths that stay
    inside are safe: no absolute path, no "..", no link, no device.
    """
    bad = []
    for m in members:
        parts = m.name.replace('\\', '/').split('/')
        if (m.name.startswith('/') or '..' in parts
                or not (m.isfile() or m.isdir())):
            bad.append(m.name)
    return bad


def extract_sdist(sdist, dest):
    """Extract an sdist into dest, refusing members that leave it.

    tarfile's "data" filter does this where the Python has it (3.11.4+);
    Debian 12's python3 is 3.11.2, so the members are checked here first
    and the archive is refused as a whole if one is unsafe.
    """
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, 'data_filter'):
            tar.extractall(dest, filter='data')
            return
        bad = unsafe_members(tar.getmembers())
        if bad:
            raise errors.LabError(
                '%s holds members that would be written outside %s or are '
                'not plain files (%s); not extracting it'
                % (sdist, dest, ', '.join(bad[:5])))
        tar.extractall(dest)  # noqa: S202 - every member checked above


class CinderSource:
    """Installs the configured Cinder into the lab's venv."""

    def __init__(self, conf):
        self.conf = conf
        self.root = os.path.join(conf.state_dir, 'cinder-src')

    @property
    def source(self):
        # Parsed when used: preflight reports a bad value by name first.
        return config.parse_cinder_source(self.conf.cinder.source)

    # -- where -----------------------------------------------------------
    def tree(self):
        """The tree the configured source installs editable, or None."""
        s = self.source
        if s.kind == config.CINDER_TREE:
            return s.path
        if s.kind == config.CINDER_GIT:
            return os.path.join(self.root, 'git')
        if s.kind == config.CINDER_PATCHED:
            return os.path.join(self.root, 'cinder-%s-patched-%s' % (
                pinned_version(), patches_digest(patch_files())))
        return None

    def etc(self, *parts):
        """A data file of the running Cinder (api-paste.ini, rootwrap.d).

        An editable install does not copy Cinder's data files into the
        venv; they are read from the tree.
        """
        tree = (self.installed() or {}).get('tree')
        if tree:
            return os.path.join(tree, 'etc', 'cinder', *parts)
        return venv.venv_etc('cinder', *parts)

    # -- what is installed -----------------------------------------------
    def installed(self):
        """version, tree, commit of the cinder in the venv, or None."""
        importlib.invalidate_caches()
        try:
            dist = importlib.metadata.distribution('cinder')
        except importlib.metadata.PackageNotFoundError:
            return None
        found = {'version': dist.version,
                 'tree': editable_tree(dist.read_text('direct_url.json'))}
        tree = found['tree']
        if tree and os.path.isdir(os.path.join(tree, '.git')):
            git = ['git', '-c', 'safe.directory=%s' % tree, '-C', tree]
            try:
                found['commit'] = commands.run(
                    git + ['rev-parse', 'HEAD'], timeout=30).strip()
                found['dirty'] = bool(commands.run(
                    git + ['status', '--porcelain', '--untracked-files=no'],
                    timeout=30).strip())
            except errors.LabError:
                pass
        if tree:
            applied = os.path.join(tree, '.cinder-backup-lab-patches')
            try:
                with open(applied) as f:
                    found['patches'] = f.read().split()
            except OSError:
                pass
        return found

    # -- installing ------------------------------------------------------
    def _pip(self, *args, timeout=600):
        return commands.run([venv.venv_bin('python'), '-m', 'pip', 'install',
                             '-q', '--no-deps'] + list(args),
                            timeout=timeout)

    def ensure(self):
        """Install the configured Cinder if another one is there.

        True when something was installed (the services must restart).
        """
        installed = self.installed()
        if self.source.kind == config.CINDER_RELEASE:
            pin = pinned_version()
            if installed and not installed['tree'] and \
                    installed['version'] == pin:
                return False
            # --force-reinstall: an editable install of the same version
            # counts as "already satisfied" otherwise.
            self._pip('--force-reinstall', 'cinder==%s' % pin)
            return True
        tree = self.tree()
        changed = False
        if self.source.kind == config.CINDER_GIT:
            changed = self._checkout(tree)
        elif self.source.kind == config.CINDER_PATCHED:
            changed = self._build_patched(tree)
        if installed and installed['tree'] == tree and not changed:
            return False
        self._pip('-e', tree)
        return True

    def _checkout(self, tree):
        """Clone the git source (once) and check its ref out; changed?"""
        s = self.source
        git = ['git', '-c', 'safe.directory=%s' % tree, '-C', tree]
        if not os.path.isdir(os.path.join(tree, '.git')):
            os.makedirs(self.root, mode=0o755, exist_ok=True)
            shutil.rmtree(tree, ignore_errors=True)
            commands.run(['git', 'clone', '-q', '--no-checkout', s.url,
                          tree], timeout=900)
        else:
            commands.run(git + ['remote', 'set-url', 'origin', s.url])
        before = commands.run(git + ['rev-parse', '-q', '--verify',
                                     'HEAD'], check=False).strip()
        try:
            commands.run(git + ['fetch', '-q', 'origin', s.ref],
                         timeout=900)
            target = 'FETCH_HEAD'
        except errors.LabError:
            target = s.ref     # a commit the server will not serve by name
        try:
            commands.run(git + ['checkout', '-q', '--detach', target])
        except errors.LabError as exc:
            raise errors.LabError('[cinder] source: cannot check out %s of '
                                  '%s: %s' % (s.ref, s.url, exc))
        return commands.run(git + ['rev-parse', 'HEAD']).strip() != before

    def _sdist(self, version):
        """The pinned release's sdist, downloaded once into the state dir."""
        dl = os.path.join(self.root, 'sdist')
        found = glob.glob(os.path.join(dl, 'cinder-%s.tar.gz' % version))
        if found:
            return found[0]
        os.makedirs(dl, mode=0o755, exist_ok=True)
        commands.run([venv.venv_bin('python'), '-m', 'pip', 'download',
                      '-q', '--no-deps', '--no-binary', ':all:', '-d', dl,
                      'cinder==%s' % version], timeout=600)
        found = glob.glob(os.path.join(dl, 'cinder-%s.tar.gz' % version))
        if not found:
            raise errors.LabError('pip download left no cinder-%s.tar.gz in '
                                  '%s' % (version, dl))
        return found[0]

    def _build_patched(self, tree):
        """The pinned sdist with patches/cinder/*.patch applied; new?"""
        if os.path.isdir(tree):
            return False
        version = pinned_version()
        patches = patch_files()
        if not patches:
            raise errors.LabError('[cinder] source = patched, but %s holds '
                                  'no *.patch file' % PATCHES_DIR)
        sdist = self._sdist(version)
        work = tempfile.mkdtemp(prefix='.build-', dir=self.root)
        try:
            extract_sdist(sdist, work)
            top = os.path.join(work, 'cinder-%s' % version)
            # git apply outside any repository works like patch -p1; the
            # ceiling keeps git from finding a repository above the tree.
            env = dict(os.environ, GIT_CEILING_DIRECTORIES=work)
            for patch in patches:
                try:
                    commands.run(['git', 'apply', '--check', patch],
                                 env=env, cwd=top)
                    commands.run(['git', 'apply', patch], env=env, cwd=top)
                except errors.LabError as exc:
                    raise errors.LabError(
                        '%s does not apply to cinder %s: %s'
                        % (os.path.basename(patch), version, exc))
            with open(os.path.join(top, '.cinder-backup-lab-patches'),
                      'w') as f:
                f.write('\n'.join(os.path.basename(p) for p in patches)
                        + '\n')
            os.rename(top, tree)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # Trees of older patch sets are no longer used.
        for old in glob.glob(os.path.join(
                self.root, 'cinder-*-patched-*')):
            if old != tree:
                shutil.rmtree(old, ignore_errors=True)
        return True
