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

"""cinder-backup-lab: bring the lab up, down, clean it, show its status."""

import argparse
import json
import logging
import os
import sys

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg

from cinder_backup_lab.checks import bench
from cinder_backup_lab.checks import demo
from cinder_backup_lab.checks import doctor
from cinder_backup_lab.checks import leftovers
from cinder_backup_lab.checks import matrix
from cinder_backup_lab.checks import report
from cinder_backup_lab import config
from cinder_backup_lab import errors
from cinder_backup_lab.fronts import devstack
from cinder_backup_lab.fronts import lab
from cinder_backup_lab.fronts import localconf
from cinder_backup_lab.fronts import tempest_conf
from cinder_backup_lab.host import processes
from cinder_backup_lab.openstack import cinder
from cinder_backup_lab.openstack import cinder_source
from cinder_backup_lab.storage import ceph as ceph_cluster
from cinder_backup_lab.storage import releases

LOG = logging.getLogger('cinder_backup_lab')


def _setup_logging(conf, verbose):
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(logging.Formatter('%(message)s'))
    root.addHandler(console)
    log_dir = os.path.join(conf.state_dir, 'log')
    if os.path.isdir(conf.state_dir):
        os.makedirs(log_dir, exist_ok=True)
        handler = logging.FileHandler(os.path.join(log_dir, 'lab.log'))
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter(
            '%(asctime)s %(levelname)s %(name)s: %(message)s'))
        root.addHandler(handler)


def print_status(status):
    print('state dir:   %s' % status['state_dir'])
    sup = status['supervisord']
    print('supervisord: %s' % ('running (pid %s)' % sup['pid']
                               if sup['running'] else 'not running'))
    print('')
    # Columns as wide as their longest value: service and host names grow
    # with the drivers (cinder-backup-glusterfs).
    width = max(len(svc['name']) for svc in
                [{'name': 'service'}] + status['services'])
    fmt = '%-' + str(width) + 's %-9s %8s %10s  %-12s %s'
    print(fmt % ('service', 'state', 'pid', 'rss', 'az', 'driver'))
    for svc in status['services']:
        print((fmt % (
            svc['name'], svc['state'], svc['pid'] or '-',
            processes.human_bytes(svc['rss_bytes']), svc.get('az') or '',
            svc.get('driver') or '')).rstrip())
    print((fmt % ('total', '', '', processes.human_bytes(
        status['rss_total_bytes']), '', '')).rstrip())
    print('(rss includes child processes: gunicorn workers, privsep '
          'daemons; glusterd its brick, the glusterfs c-bak its FUSE '
          'client)')
    ceph = status['ceph']
    print('')
    if ceph:
        print('ceph:        %s%s' % (ceph.get('health'),
                                     ' (%s)' % ', '.join(ceph['checks'])
                                     if ceph.get('checks') else ''))
        if ceph.get('muted'):
            print('muted:       %s (known for this release: README, '
                  '"Ceph releases")' % ', '.join(ceph['muted']))
        if 'pgs_total' in ceph:
            print('pgs:         %d/%d active+clean' % (
                ceph['pgs_active_clean'], ceph['pgs_total']))
            print('osds:        %s up, %s in' % (ceph['osds_up'],
                                                 ceph['osds_in']))
    else:
        print('ceph:        not running')
    rel = status.get('release')
    if rel:
        running = ', '.join('%s x%d' % (v, n) for v, n in
                            sorted(rel['running'].items())) or 'nothing'
        print('release:     %s (Ceph %s%s); running: %s' % (
            rel['name'], rel['version'],
            ', root %s' % rel['root'] if rel['root'] else ', the host\'s',
            running))
    for pool, state in status['pools'].items():
        print('pool %-18s %s' % (pool, state))
    cap = status.get('capacity')
    if cap:
        print('space:       %s (%s of %s used, %s free; nearly full at '
              '%d%%, full at %d%%)' % (
                  cap['state'].upper() if cap['state'] != 'ok' else 'ok',
                  processes.human_bytes(cap['used_bytes']),
                  processes.human_bytes(cap['total_bytes']),
                  processes.human_bytes(cap['avail_bytes']),
                  round(cap['nearfull_ratio'] * 100),
                  round(cap['full_ratio'] * 100)))
        print('stored:      %s' % ceph_cluster.pool_usage(cap))
        if cap.get('rgw_gc') is not None:
            print('rgw gc:      %d deleted objects (%d RADOS objects) '
                  'waiting to be freed' % (cap['rgw_gc']['entries'],
                                           cap['rgw_gc']['chunks']))
        elif status.get('rgw') is not None:
            print('rgw gc:      unknown (radosgw-admin cannot run while '
                  'the cluster is full)' if cap['state'] == 'full'
                  else 'rgw gc:      unknown (see the log)')
    rgw = status['rgw']
    if rgw is None:
        print('rgw:         not deployed (profile %s)' % status['profile'])
    else:
        print('rgw:         %s (%s)' % (
            rgw['endpoint'], 'answering' if rgw['answering'] else 'DOWN'))
        if rgw['swift_auth_v1'] is not None:
            print('swift:       v1 auth %s  auth %s  user %s  storage %s' % (
                'ok' if rgw['swift_auth_v1'] else 'FAILING',
                rgw['auth_url'], rgw['swift_user'], rgw['storage_url']))
        if rgw.get('s3_auth') is not None:
            print('s3:          keys %s  user %s  endpoint %s' % (
                'ok' if rgw['s3_auth'] else 'FAILING', rgw['s3_user'],
                rgw['endpoint']))
    gl = status.get('gluster')
    if gl:
        print('glusterfs:   volume %s (share %s, netns %s) brick %s  '
              'mounts: %s' % (
                  gl['volume'], gl['share'], gl['netns'],
                  {True: 'online', False: 'OFFLINE', None: 'stopped'}[
                      gl['brick_online']], ', '.join(gl['mounts']) or 'none'))
    gcs_ = status.get('gcs')
    if gcs_ is not None:
        print('gcs:         %s (%s)  buckets %s' % (
            gcs_['url'], 'answering' if gcs_['answering'] else 'DOWN',
            ', '.join('%s %s' % kv for kv in gcs_['buckets'].items())
            or '-'))
    os_ = status.get('openstack', {})
    if os_:
        print('keystone:    %s (%s)' % (os_['keystone_url'], 'answering'
                                        if os_['keystone'] else 'DOWN'))
        print('cinder api:  %s (%s)' % (os_['cinder_url'], 'answering'
                                        if os_['cinder_api'] else 'DOWN'))
        print('cinder:      %s (source = %s)' % (
            cinder_source.describe(os_.get('cinder_installed')),
            os_.get('cinder_source')))
        services = os_['cinder_services']
        widths = [max([0] + [len(s[key] or '') for s in services])
                  for key in ('binary', 'host', 'zone')]
        for s in services:
            print('  %s %s az %s %s/%s' % (
                s['binary'].ljust(widths[0]), s['host'].ljust(widths[1]),
                (s['zone'] or '').ljust(widths[2]), s['status'],
                s['state']))
        if os_.get('error'):
            print('  error: %s' % os_['error'])
    print('')
    for name, path in status['files'].items():
        print('%-18s %s' % (name, path))


def _names(text):
    """The names of a comma-separated option value."""
    return [n.strip() for n in text.split(',') if n.strip()]


def _bench(args, conf, the_lab):
    if args.size_mib < 1:
        raise errors.LabError('--size-mib must be at least 1, not %d'
                              % args.size_mib)
    status = the_lab.status()
    if not the_lab.healthy(status):
        raise errors.LabError('the lab is not healthy: a benchmark of it '
                              'would measure the fault; see '
                              '"cinder-backup-lab status" and "doctor"')
    kinds = (bench.DATA_KINDS if args.data == 'both' else (args.data,))
    run = bench.Bench(conf, the_lab, args.size_mib, args.variants, kinds,
                      _names(args.drivers) or None)
    the_lab.storage.check_room(run.space_needed(), 'the benchmark')
    meta = run.run()
    os.makedirs(args.output_dir, exist_ok=True)
    out = os.path.join(args.output_dir, 'bench')
    text = bench.table(run.rows)
    with open(out + '.json', 'w') as f:
        f.write(bench.to_json(run.rows, meta) + '\n')
    with open(out + '.txt', 'w') as f:
        f.write(text + '\n')
    plots = bench.plot(run.rows, args.output_dir)
    bench.write_subunit(run.rows, out + '.subunit')
    print(text)
    print('')
    if run.not_measured:
        print('not measured (no raw copy for their backend yet): %s'
              % ', '.join(run.not_measured))
    for driver, ratios in bench.summary(run.rows).items():
        print('ratio to the raw copy, %s (default options): %s' % (
            driver, ', '.join('%s %.2f' % kv for kv in sorted(
                ratios.items()))))
    print('measured in %.0f s (5-min load average %s at the start, %s at '
          'the end, %d cores); %s.json, %s.txt, %s' % (
              meta['seconds'], meta['loadavg_5min'][0],
              meta['loadavg_5min'][1], meta['cpus'], out, out,
              ', '.join(plots)))
    cinder_logs = the_lab.openstack.cinder.paths
    page = report.write(
        args.output_dir, known_bugs=config.known_cinder_bugs(conf),
        outside_logs=[cinder_logs.log(cinder.BACKUP_PROGRAM % d)
                      for d, _h, _az in run.services])
    print('report: %s' % page)
    return 0 if all(r.ok for r in run.rows) else 1


def _size_gb(text):
    """--size-gb: a whole number of GiB, 1 or more (Cinder's minimum)."""
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(
            '%r is not a size in GiB (a whole number, 1 or more)' % text)
    return size


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='cinder-backup-lab', description=__doc__)
    parser.add_argument(
        '--config-file', action='append', default=None,
        help='lab config file (oslo.config INI), repeatable (later files '
        'override earlier ones); default $%s (files separated by ":"), '
        'else %s if it exists' % (config.CONFIG_ENV,
                                  config.DEFAULT_CONFIG_FILE))
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='show debug messages (never secrets)')
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('up', help='install, bootstrap and start the lab; '
                   'a no-op when it is already up')
    sub.add_parser('down', help='stop every service; data is kept')
    cl = sub.add_parser('clean', help='stop and remove everything the lab '
                        'made')
    cl.add_argument('--release-roots', action='store_true',
                    help='also remove the cached Debian roots of Ceph '
                    'releases ([ceph] release_root_dir); refused while a '
                    'process (of any lab) runs in one')
    mx = sub.add_parser('matrix', help='the same checks on each Ceph '
                        'release (clean, up, integration tests, demo, the '
                        'Tempest plugin, leftovers), then one table release '
                        'x scenario; run from a checkout; cleans the lab '
                        'between releases (the cached roots stay)')
    mx.add_argument('--releases', default=','.join(releases.RELEASES),
                    help='comma-separated releases (default: all)')
    mx.add_argument('--scenarios', default=','.join(matrix.SCENARIOS),
                    help='comma-separated scenarios among %s (up always '
                    'runs)' % ', '.join(matrix.SCENARIOS))
    mx.add_argument('--report-dir', default='lab-reports/matrix',
                    help='logs, overlays, matrix.json')
    mx.add_argument('--keep', action='store_true',
                    help='leave the last release\'s lab up')
    st = sub.add_parser('status', help='per-service state, health, RSS; '
                        'exit 0 only when all is healthy')
    st.add_argument('--json', action='store_true')
    sub.add_parser('check-config', help='validate the config and exit')
    rc = sub.add_parser(
        'reload-cinder', help='restart only the Cinder services (c-api, '
        'c-sch, c-vol, every c-bak) after an edit of the tree of [cinder] '
        'source, installing that source first if another Cinder is in the '
        'venv; prints how long each phase took')
    rc.add_argument('services', nargs='*', metavar='SERVICE',
                    help='restart only these (names as in "status", e.g. '
                    'cinder-backup-ceph after an edit of the Ceph backup '
                    'driver) and cinder-scheduler; ignored when a new '
                    'Cinder is installed')
    localconf.add_parser(sub)
    cc = sub.add_parser(
        'configure-cinder', help='edit a cinder.conf in place (DevStack): '
        'the backup options of a c-bak, its AZ and host, the RBD options '
        'of a volume backend; other content, owner and mode are kept')
    cc.add_argument('--cinder-conf', required=True, metavar='PATH',
                    help='cinder.conf to edit (may be empty)')
    cc.add_argument('--driver', choices=config.DRIVERS,
                    help='write the backup options of this driver')
    cc.add_argument('--availability-zone', metavar='AZ',
                    help='storage_availability_zone of this c-bak')
    cc.add_argument('--backup-host', metavar='HOST',
                    help='"host" of this c-bak')
    cc.add_argument('--volume-backend', metavar='SECTION',
                    help='RBD volume backend section to point at '
                    'client_conf_dir\'s ceph.conf and volume user')
    tc = sub.add_parser(
        'tempest-conf', help='edit a tempest.conf in place: the '
        '[cinder_backup_lab] options of the Tempest plugin')
    tc.add_argument('--tempest-conf', required=True, metavar='PATH',
                    help='tempest.conf to edit')
    sub.add_parser('doctor', help='name what is wrong (missing pools, '
                   'services down, backups that failed on a missing pool) '
                   'and how to fix it; exit 1 when anything is')
    demo = sub.add_parser('demo', help='the operator workflow '
                          '(doc/operator-workflow.md): back a '
                          'volume up into two containers per driver, list, '
                          'restore and compare checksums, delete, check the '
                          'backends; exit 1 on any unexpected result')
    demo.add_argument('--size-gb', type=_size_gb, default=1,
                      help='size of the demo volume')
    demo.add_argument('--keep', action='store_true',
                      help='keep the volumes and backups for inspection')
    demo.add_argument('--drivers', default='',
                      help='comma-separated drivers (default: every deployed '
                      'one)')
    demo.add_argument('--subunit', metavar='FILE',
                      help='also write the rows as a subunit stream (for '
                      'the HTML report: "cinder-backup-lab report")')
    bn = sub.add_parser('bench', help='backup and restore throughput per '
                        'driver, data kind and option variant, next to the '
                        'raw backend measured in the same run; writes JSON, '
                        'a table, PNG plots and the HTML report')
    bn.add_argument('--size-mib', type=int, default=2048,
                    help='bytes of data per volume, in MiB (the volume is '
                    'this rounded up to whole GiB)')
    bn.add_argument('--variants', default='all',
                    help='"all", "default", or comma-separated variant '
                    'names (e.g. compression-zstd,object-10MiB)')
    bn.add_argument('--data', choices=('both',) + bench.DATA_KINDS,
                    default='both', help='random and/or compressible data')
    bn.add_argument('--drivers', default='',
                    help='comma-separated drivers (default: every deployed '
                    'one)')
    bn.add_argument('--output-dir', default='lab-reports',
                    help='where bench.json, bench.txt, the plots, '
                    'bench.subunit and report.html go')
    rp = sub.add_parser('report', help='one HTML page of a run from the '
                        'subunit streams of a reports dir: pass, fail and '
                        'expected failure per driver and container, the '
                        'known bugs, the bench plots, links to the logs')
    rp.add_argument('--dir', default='lab-reports',
                    help='the reports dir (its *.subunit and */*.subunit)')
    sub.add_parser('leftovers', help='list volumes and backups made by '
                   'tests, and RBD images, snapshots and Swift objects of '
                   'volumes or backups Cinder no longer has; exit 1 if any')
    tp = sub.add_parser('tempest-upstream', help='run upstream Tempest\'s '
                        'volume backup API tests against the lab with its '
                        'generated tempest.conf')
    tp.add_argument('--regex', default=None,
                    help='test regex (default: the upstream backup tests)')
    tp.add_argument('--concurrency', type=int, default=2)
    tw = sub.add_parser('tempest-workspace', help='make DIR a Tempest '
                        'workspace for this venv\'s Tempest (what '
                        '"tempest init" writes, without its registry)')
    tw.add_argument('directory', metavar='DIR')
    args = parser.parse_args(argv)
    if args.command == 'localconf':
        # Needs no lab config: it renders a file for another machine.
        return localconf.command(args)
    if args.command == 'tempest-workspace':
        print(tempest_conf.write_workspace(args.directory))
        return 0

    files = args.config_file or config.default_config_files()
    try:
        conf = config.load(config_files=files)
    except (config.ConfigError, cfg.Error) as exc:
        print('error: cannot use the lab config: %s' % exc,
              file=sys.stderr)
        return 2
    _setup_logging(conf, args.verbose)
    try:
        return run_command(args, conf)
    except errors.LabError as exc:
        LOG.error('error: %s', exc)
        return 1
    except ks_exc.ClientException as exc:
        LOG.error('error: an OpenStack API call failed: %s; see the '
                  'service logs in %s', exc,
                  os.path.join(conf.state_dir, 'log'))
        return 1


def _matrix(args):
    names = _names(args.releases)
    scenarios = _names(args.scenarios)
    bad = ([r for r in names if r not in releases.RELEASES]
           + [s for s in scenarios if s not in matrix.SCENARIOS])
    if bad or not names:
        print('error: unknown release or scenario: %s (releases: %s; '
              'scenarios: %s)' % (', '.join(bad) or '(none given)',
                                  ', '.join(releases.RELEASES),
                                  ', '.join(matrix.SCENARIOS)),
              file=sys.stderr)
        return 2
    files = args.config_file or config.default_config_files()
    runner = matrix.Runner(
        repo_dir=os.getcwd(), base_config=os.pathsep.join(files),
        report_dir=os.path.abspath(args.report_dir),
        venv_bin=os.path.dirname(os.path.abspath(sys.argv[0])),
        scenarios=scenarios)
    results = runner.run(names, clean_after=not args.keep)
    print('')
    print(matrix.render_table(results, scenarios))
    return 0 if matrix.all_ok(results) else 1


def run_command(args, conf):
    """Run one subcommand with a loaded config; its exit code."""
    if args.command == 'check-config':
        problems = config.validate(conf)
        for problem in problems:
            print('error: %s' % problem, file=sys.stderr)
        if not problems:
            print('config OK')
        return 1 if problems else 0
    if args.command == 'configure-cinder':
        return _print_changes(args.cinder_conf, devstack.configure_cinder(
            conf, args.cinder_conf, driver=args.driver,
            availability_zone=args.availability_zone,
            backup_host=args.backup_host,
            volume_backend=args.volume_backend))
    if args.command == 'tempest-conf':
        return _print_changes(args.tempest_conf, devstack.edit_tempest_conf(
            conf, args.tempest_conf))
    if args.command == 'tempest-upstream':
        kwargs = {'concurrency': args.concurrency}
        if args.regex:
            kwargs['regex'] = args.regex
        return tempest_conf.run_upstream_tempest(conf, **kwargs)

    if args.command == 'matrix':
        return _matrix(args)

    the_lab = lab.Lab(conf)
    if args.command == 'up':
        timer = the_lab.up()
        print(timer.table())
        if not conf.ceph.deploy:
            print('\nexisting Ceph cluster reachable; pools present')
            return 0
        status = the_lab.status()
        print('')
        print_status(status)
        if not the_lab.changed:
            print('\nlab was already up: nothing changed')
        return 0 if the_lab.healthy(status) else 1
    if args.command == 'reload-cinder':
        timer, installed, restarted = the_lab.reload_cinder(args.services)
        if installed:
            print('installed: %s' % cinder_source.describe(installed))
        print(timer.table())
        print('%s restarted and ready in %.1f s' % (
            ', '.join(restarted), timer.total))
        return 0
    if args.command == 'down':
        print('lab stopped' if the_lab.down() else 'lab was not running')
        return 0
    if args.command == 'clean':
        print('lab removed' if the_lab.clean() else 'nothing to clean')
        if args.release_roots:
            for path, size in the_lab.remove_release_roots():
                print('removed %s (%s)' % (path, processes.human_bytes(size)))
        return 0
    if args.command == 'status':
        status = the_lab.status()
        if args.json:
            print(json.dumps(status, indent=2, sort_keys=True))
        else:
            print_status(status)
        return 0 if the_lab.healthy(status) else 1
    if args.command == 'doctor':
        found = doctor.problems(conf, the_lab.status(),
                                the_lab.openstack.admin_api(),
                                the_lab.storage.cluster.pools)
        for problem in found:
            print('problem: %s' % problem)
        if not found:
            print('no problems found')
        return 1 if found else 0
    if args.command == 'demo':
        workflow = demo.Demo(conf, the_lab.openstack, size_gb=args.size_gb,
                             keep=args.keep, drivers=_names(args.drivers))
        the_lab.storage.check_room(workflow.space_needed(), 'the demo')
        result = workflow.run()
        print(result.table())
        if args.subunit:
            demo.write_subunit(result, args.subunit)
        return 0 if result.ok else 1
    if args.command == 'bench':
        return _bench(args, conf, the_lab)
    if args.command == 'report':
        if not os.path.isdir(args.dir):
            raise errors.LabError('no reports dir %s' % args.dir)
        print('report: %s' % report.write(
            args.dir, known_bugs=config.known_cinder_bugs(conf)))
        return 0
    if args.command == 'leftovers':
        found = leftovers.find(conf, the_lab.openstack.admin_api())
        for item in found:
            print('leftover: %s' % item)
        print('%d leftovers' % len(found))
        if config.uses_rgw(conf):
            # Not leftovers: space RGW frees on its own, soon.
            gc = the_lab.storage.capacity()['rgw_gc']
            if gc is None:
                print('rgw gc: unknown (see "status")')
            else:
                print('rgw gc: %d deleted objects (%d RADOS objects) not '
                      'freed yet; RGW frees them within about %d s'
                      % (gc['entries'], gc['chunks'], conf.rgw.gc_min_wait
                         + max(conf.rgw.gc_min_wait, 30)))
        return 1 if found else 0
    return 2


def _print_changes(path, changed):
    # Names only: values may be secrets.
    print('%s: %s' % (path, ', '.join('[%s] %s' % c for c in changed)
                      or 'already up to date'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
