/** qmpsh ps's pure parts: QEMU command lines, /proc text, ss output, name matching. */
import { describe, expect, it } from 'vitest';
import { parseOptionString, parseQemuArgs, qemuProgram } from '../../src/ps/cmdline.js';
import { listVms, parseNetTcp, parseNetUnix, parseSs, type VmInfo } from '../../src/ps/list.js';
import { findVm, matchVms, monitorFor } from '../../src/ps/names.js';
import { argvOf, parseDump, parseStat, type Snapshot } from '../../src/ps/snapshot.js';

const args = (line: string) => line.split(' ');

describe('QEMU command lines', () => {
  it('reads option strings with doubled commas and an implied key', () => {
    expect(parseOptionString('guest=a,,b,process=x', 'guest')).toEqual([['guest', 'a,b'], ['process', 'x']]);
    expect(parseOptionString('web1,debug-threads=on', 'guest')).toEqual([['guest', 'web1'], ['debug-threads', 'on']]);
  });

  it.each([
    ['Ganeti (old syntax)', '-name inst1 -qmp unix:/var/run/ganeti/kvm/inst1.qmp,server,nowait', 'inst1', [{ protocol: 'qmp', transport: 'unix', path: '/var/run/ganeti/kvm/inst1.qmp', server: true, pretty: false }]],
    ['Proxmox (-chardev + -mon)', '-id 100 -name vm100,debug-threads=on -chardev socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off -mon chardev=qmp,mode=control', 'vm100', [{ protocol: 'qmp', transport: 'unix', path: '/var/run/qemu-server/100.qmp', server: true }]],
    ['libvirt (guest=, pretty mon)', '-name guest=web1,debug-threads=on -chardev socket,id=charmonitor,fd=23,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control', 'web1', [{ protocol: 'qmp', transport: 'other' }]],
    ['a TCP monitor', '-qmp tcp:127.0.0.1:4444,server=on,wait=off', undefined, [{ protocol: 'qmp', transport: 'tcp', host: '127.0.0.1', port: 4444, server: true }]],
    ['QEMU as the client', '-qmp unix:/tmp/l.sock', undefined, [{ protocol: 'qmp', transport: 'unix', path: '/tmp/l.sock', server: false }]],
    ['HMP and a pretty QMP', '-monitor unix:/h.sock,server=on,wait=off -chardev socket,id=m,path=/p.sock,server=on,wait=off -mon chardev=m,mode=control,pretty=on -mon chardev=m2', undefined, [{ protocol: 'hmp', path: '/h.sock' }, { protocol: 'qmp', path: '/p.sock', pretty: true }, { protocol: 'hmp', transport: 'other' }]],
    ['two dashes', '--name x --qmp unix:/q,server=on', 'x', [{ protocol: 'qmp', path: '/q', server: true }]],
  ])('%s', (_name, line, name, monitors) => {
    const parsed = parseQemuArgs(args(line));
    expect(parsed.name).toBe(name);
    expect(parsed.monitors).toHaveLength(monitors.length);
    monitors.forEach((m, i) => expect(parsed.monitors[i]).toMatchObject(m));
  });

  it('qemu-storage-daemon: --monitor is QMP', () => {
    const p = parseQemuArgs(args('--chardev socket,id=m,path=/s.sock,server=on,wait=off --monitor chardev=m'), 'qemu-storage-daemon');
    expect(p.monitors).toMatchObject([{ protocol: 'qmp', path: '/s.sock', server: true }]);
  });

  it('-daemonize, and an option value that looks like an option is not read as one', () => {
    expect(parseQemuArgs(args('-daemonize -name a')).daemonize).toBe(true);
    expect(parseQemuArgs(['-append', '-name evil', '-name', 'good']).name).toBe('good');
    expect(parseQemuArgs(['-name', '-qmp', 'x']).monitors).toEqual([]);
  });

  it('names QEMU programs by argv[0] or comm', () => {
    expect(qemuProgram('/usr/bin/qemu-system-x86_64')).toBe('qemu-system-x86_64');
    expect(qemuProgram('qemu-storage-daemon')).toBe('qemu-storage-daemon');
    expect(qemuProgram('/usr/bin/sleep', 'qemu-system-x86')).toBe('qemu-system-x86');
    expect(qemuProgram('/usr/bin/qemu-img')).toBeUndefined();
    expect(qemuProgram('/usr/bin/bash', 'bash')).toBeUndefined();
  });
});

describe('/proc text', () => {
  it('stat with a comm holding spaces and parentheses', () => {
    const stat = '123 (qemu (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20';
    expect(parseStat(stat)).toEqual({ comm: 'qemu (x) y', state: 'S', startTicks: 4242 });
    expect(argvOf('a\0b c\0\0')).toEqual(['a', 'b c', '']);
  });

  const unix = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '0000000000000000: 00000002 00000000 00010000 0001 01 100 /run/a b.qmp',
    '0000000000000000: 00000003 00000000 00000000 0001 03 101 /run/a b.qmp',
    '0000000000000000: 00000003 00000000 00000000 0001 03 102',
    '0000000000000000: 00000002 00000000 00010000 0001 01 200 /run/free.qmp',
  ].join('\n');
  const ss = [
    'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
    'u_str ESTAB 0 0 /run/a b.qmp 101 * 102 users:(("qemu-system-x86",pid=10,fd=12))',
    'u_str ESTAB 0 0 * 102 * 101 users:(("libvirtd",pid=7,fd=30),("libvirtd",pid=7,fd=31))',
  ].join('\n');

  it('/proc/net/unix and ss -xpn', () => {
    expect(parseNetUnix(unix)).toMatchObject([
      { inode: '100', listening: true, path: '/run/a b.qmp' },
      { inode: '101', listening: false, connected: true, path: '/run/a b.qmp' },
      { inode: '200', listening: true, path: '/run/free.qmp' },
    ]);
    expect(parseSs(ss)).toEqual([
      { path: '/run/a b.qmp', inode: '101', peer: '102', users: [{ program: 'qemu-system-x86', pid: 10 }] },
      { path: '*', inode: '102', peer: '101', users: [{ program: 'libvirtd', pid: 7 }, { program: 'libvirtd', pid: 7 }] },
    ]);
  });

  it('/proc/net/tcp: a TCP monitor listening, and held (a connection QEMU accepted on its port)', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:115D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
      '   2: 0100007F:115D 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
    ].join('\n');
    expect(parseNetTcp(tcp)).toEqual([
      { port: 4444, listening: true, established: false },
      { port: 4445, listening: true, established: false },
      { port: 4445, listening: false, established: true },
    ]);
    const vms = listVms({
      processes: [4444, 4445, 4446].map((port, i) => ({
        pid: i + 1, argv: ['qemu-system-x86_64', '-qmp', `tcp:127.0.0.1:${port},server=on,wait=off`], program: 'qemu-system-x86_64', state: 'S', startTicks: 0,
      })),
      unix: '', tcp, uptimeSeconds: 1, clockTicks: 100, sockets: () => undefined,
    });
    expect(vms.map((v) => v.monitors[0]?.state)).toEqual(['free', 'held', 'absent']);
  });

  const snapshot = (sockets = ss): Snapshot => ({
    processes: [
      { pid: 10, argv: ['qemu-system-x86_64', '-name', 'web1', '-qmp', 'unix:/run/a b.qmp,server=on,wait=off'], program: 'qemu-system-x86_64', state: 'S', startTicks: 1000, cwd: '/' },
      { pid: 11, argv: ['qemu-system-x86_64', '-name', 'web2', '-qmp', 'unix:free.qmp,server=on,wait=off'], program: 'qemu-system-x86_64', state: 'T', startTicks: 2000, cwd: '/run' },
      { pid: 12, argv: ['qemu-system-x86_64', '-name', 'db', '-monitor', 'stdio'], program: 'qemu-system-x86_64', state: 'S', startTicks: 0 },
      { pid: 13, argv: ['qemu-system-x86_64', '-name', 'web1'], program: 'qemu-system-x86_64', state: 'S', startTicks: 0 },
    ],
    unix,
    tcp: '',
    uptimeSeconds: 100,
    clockTicks: 100,
    sockets: () => sockets,
  });

  it('lists VMs: free, held by whom, stopped, uptime, relative paths', () => {
    const vms = listVms(snapshot());
    expect(vms[0]).toMatchObject({ pid: 10, name: 'web1', uptimeSeconds: 90, process: 'running', monitors: [{ state: 'held', holder: { pid: 7, program: 'libvirtd' } }] });
    expect(vms[1]).toMatchObject({ pid: 11, process: 'stopped', uptimeSeconds: 80, monitors: [{ state: 'free', target: '/run/free.qmp' }] });
    expect(listVms(snapshot('')).at(0)?.monitors[0]).toMatchObject({ state: 'held', holder: undefined });
  });

  it('@names: exact, glob, pid; unknown and ambiguous are usage errors; held and HMP-only say what to do', () => {
    const vms: VmInfo[] = listVms(snapshot());
    expect(matchVms(vms, 'web*').map((v) => v.pid)).toEqual([10, 11, 13]);
    expect(matchVms(vms, '12').map((v) => v.pid)).toEqual([12]);
    expect(() => findVm(vms, 'web1', 'on this host')).toThrow(/names 2 VMs on this host \(pid 10, pid 13\): name one by its pid \(@10, @13\)/);
    expect(() => findVm(vms, 'wbe2', 'on this host')).toThrow(/no VM named 'wbe2' on this host: did you mean @web2/);
    expect(() => monitorFor(vms[0] as VmInfo)).toThrow(/held by libvirtd \(pid 7\).*virsh qemu-monitor-command web1/);
    expect(() => monitorFor(vms[2] as VmInfo)).toThrow(/has no QMP monitor.*-qmp unix:/);
    expect(monitorFor(vms[1] as VmInfo).target).toBe('/run/free.qmp');
  });

  it('a remote dump (head -v of every /proc file) reads as the same snapshot', () => {
    const dump = [
      '@@qmpsh:uptime', '100.5 50.0',
      '@@qmpsh:clktck', '100',
      '@@qmpsh:unix', unix,
      '@@qmpsh:tcp', '',
      '@@qmpsh:ss', ss,
      '@@qmpsh:fds', 'pid 10', 'cwd /srv', 'lrwx------ 1 root root 64 Nov 25 12:00 7 -> socket:[100]', 'lr-x------ 1 root root 64 Nov 25 12:00 8 -> /dev/null',
      '@@qmpsh:stat',
      '==> /proc/10/stat <==', '10 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 1000 20', '',
      '==> /proc/99/stat <==', '99 (bash) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 1000 20',
      '@@qmpsh:cmdline',
      '==> /proc/10/cmdline <==',
      'qemu-system-x86_64\0-name\0web\n1\0-qmp\0unix:/run/a b.qmp,server=on,wait=off\0-chardev\0socket,id=m,fd=7,server=on,wait=off\0-mon\0chardev=m,mode=control\0-qmp\0unix:rel.qmp,server=on,wait=off\0',
      '==> /proc/99/cmdline <==',
      'bash\0',
    ].join('\n');
    const vms = listVms(parseDump(Buffer.from(dump).toString('latin1')));
    expect(vms).toHaveLength(1);
    expect(vms[0]).toMatchObject({ pid: 10, name: 'web\n1', uptimeSeconds: 91 });
    expect(vms[0]?.monitors[0]).toMatchObject({ state: 'held', holder: { program: 'libvirtd' } });
    // A relative path is QEMU's working directory's; the fd handed to QEMU is the socket bound at /run/a b.qmp.
    expect(vms[0]?.monitors[1]).toMatchObject({ path: '/srv/rel.qmp', state: 'absent' });
    expect(vms[0]?.monitors[2]).toMatchObject({ transport: 'unix', path: '/run/a b.qmp', fd: 7, state: 'held' });
  });
});
