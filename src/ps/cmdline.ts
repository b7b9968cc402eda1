/**
 * A QEMU command line -> what it says about the VM: its name and its monitors.
 * Pure: no /proc, no I/O (src/ps/proc.ts reads the command lines).
 *
 * Shapes understood (QEMU's qemu-options.hx, and what managers write):
 *   -name NAME | -name guest=NAME,process=...,debug-threads=on   (',,' is a comma)
 *   -qmp unix:PATH,server,nowait         (old syntax: Ganeti)
 *   -qmp unix:PATH,server=on,wait=off    -qmp tcp:HOST:PORT,server=on,wait=off
 *   -qmp-pretty SPEC                     -monitor SPEC (HMP; `stdio`, `unix:...`)
 *   -chardev socket,id=X,path=P,server=on,wait=off  (or host=,port=)
 *     + -mon chardev=X,mode=control[,pretty=on]    (Proxmox, libvirt; mode=readline: HMP)
 *   -daemonize; qemu-storage-daemon's --chardev / --monitor (always QMP)
 * Options may be spelt with one dash or two, and `-opt=value` is not QEMU's
 * syntax: the value is the next word.
 */

export interface MonitorSpec {
  protocol: 'qmp' | 'hmp';
  /** How QEMU's end is reached: a Unix socket, TCP, or something else (stdio, pty, vc, ...). */
  transport: 'unix' | 'tcp' | 'other';
  /** Unix: the socket path as written (maybe relative to QEMU's working directory). */
  path?: string;
  host?: string;
  port?: number;
  /** A socket handed to QEMU already bound (`-chardev socket,fd=N`, libvirt): its fd in QEMU. */
  fd?: number;
  /** QEMU listens (server=on); false: QEMU connects to the path as a client. */
  server: boolean;
  pretty: boolean;
  /** The option and its value, as written: for the user, when nothing else fits. */
  spec: string;
}

export interface QemuCommandLine {
  /** The VM's name (-name), if any. */
  name: string | undefined;
  monitors: MonitorSpec[];
  daemonize: boolean;
}

const PROGRAM = /^(qemu-system-[\w.-]+|qemu-kvm|kvm|qemu-storage-daemon)$/;

/** The program's name if argv[0] (or the kernel's comm) names a QEMU, else undefined. */
export function qemuProgram(argv0: string, comm = ''): string | undefined {
  const base = argv0.split('/').pop() ?? '';
  if (PROGRAM.test(base)) return base;
  // comm is cut at 15 bytes: qemu-system-x86_64 -> qemu-system-x86.
  if (/^qemu-system-/.test(comm) || /^qemu-storage-d/.test(comm) || comm === 'qemu-kvm') return comm;
  return undefined;
}

/** QEMU's option syntax: `a=1,b=x,,y` -> pairs (`,,` is a literal comma). `implied` names a first part without `=`. */
export function parseOptionString(text: string, implied?: string): Array<[string, string | undefined]> {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ',') {
      if (text[i + 1] === ',') {
        current += ',';
        i++;
        continue;
      }
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.map((p, i): [string, string | undefined] => {
    const eq = p.indexOf('=');
    if (eq < 0) return i === 0 && implied ? [implied, p] : [p, undefined];
    return [p.slice(0, eq), p.slice(eq + 1)];
  });
}

const on = (v: string | undefined) => v === undefined || ['on', 'yes', 'true', 'y'].includes(v);

/** `unix:PATH,server,nowait`, `tcp:HOST:PORT,server=on`, `stdio`, ...: the legacy chardev spec of -qmp/-monitor. */
function legacyChardev(value: string): Omit<MonitorSpec, 'protocol' | 'pretty' | 'spec'> {
  const [[head = ''] = [''], ...rest] = parseOptionString(value);
  const flags = new Map(rest);
  const server = flags.has('server') ? on(flags.get('server')) : false;
  if (head.startsWith('unix:')) return { transport: 'unix', path: head.slice(5), server };
  const tcp = /^(?:tcp|telnet):(\[[^\]]*\]|[^:]*):(\d+)$/.exec(head);
  if (tcp) return { transport: 'tcp', host: (tcp[1] as string).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(tcp[2]), server };
  return { transport: 'other', server: false };
}

/** `-chardev socket,id=X,path=P,server=on` -> its id and endpoint. */
function chardev(value: string): { id: string; endpoint: Omit<MonitorSpec, 'protocol' | 'pretty' | 'spec'> } | undefined {
  const opts = parseOptionString(value, 'backend');
  const get = (k: string) => opts.find(([key]) => key === k)?.[1];
  const has = (k: string) => opts.some(([key]) => key === k);
  const id = get('id');
  if (!id) return undefined;
  const backend = get('backend');
  const server = has('server') ? on(get('server')) : false;
  if (backend === 'socket' && get('path') !== undefined) return { id, endpoint: { transport: 'unix', path: get('path') as string, server } };
  if (backend === 'socket' && get('port') !== undefined) {
    return { id, endpoint: { transport: 'tcp', host: get('host') || '0.0.0.0', port: Number(get('port')), server } };
  }
  const fd = get('fd');
  if (backend === 'socket' && fd !== undefined && /^\d+$/.test(fd)) return { id, endpoint: { transport: 'other', fd: Number(fd), server } };
  return { id, endpoint: { transport: 'other', server: false } };
}

/** The command line's words (argv[1...]) -> name, monitors, -daemonize. */
export function parseQemuArgs(args: readonly string[], program = 'qemu-system-x86_64'): QemuCommandLine {
  const storageDaemon = program.startsWith('qemu-storage-d');
  let name: string | undefined;
  let daemonize = false;
  const chardevs = new Map<string, ReturnType<typeof chardev> & object>();
  const mons: Array<{ chardev: string; protocol: 'qmp' | 'hmp'; pretty: boolean; spec: string }> = [];
  const monitors: MonitorSpec[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (!word.startsWith('-')) continue;
    const opt = word.replace(/^--?/, '');
    const value = args[i + 1];
    const spec = `${word} ${value ?? ''}`.trim();
    switch (opt) {
      case 'daemonize':
        daemonize = true;
        continue;
      case 'name':
        if (value === undefined) continue;
        name = parseOptionString(value, 'guest').find(([k]) => k === 'guest')?.[1] ?? name;
        break;
      case 'qmp':
      case 'qmp-pretty':
      case 'monitor':
        if (value === undefined) continue;
        if (storageDaemon && opt === 'monitor') {
          const o = parseOptionString(value, 'chardev');
          const cd = o.find(([k]) => k === 'chardev')?.[1];
          if (cd) mons.push({ chardev: cd, protocol: 'qmp', pretty: on(o.find(([k]) => k === 'pretty')?.[1] ?? 'off'), spec });
        } else {
          monitors.push({
            protocol: opt === 'monitor' ? 'hmp' : 'qmp',
            pretty: opt === 'qmp-pretty',
            spec,
            ...legacyChardev(value),
          });
        }
        break;
      case 'chardev': {
        if (value === undefined) continue;
        const c = chardev(value);
        if (c) chardevs.set(c.id, c);
        break;
      }
      case 'mon': {
        if (value === undefined) continue;
        const o = parseOptionString(value, 'chardev');
        const get = (k: string) => o.find(([key]) => key === k)?.[1];
        const cd = get('chardev');
        if (cd) mons.push({ chardev: cd, protocol: get('mode') === 'control' ? 'qmp' : 'hmp', pretty: on(get('pretty') ?? 'off'), spec });
        break;
      }
      default:
        continue;
    }
    i++; // the value was this option's
  }
  for (const m of mons) {
    const c = chardevs.get(m.chardev);
    monitors.push({ protocol: m.protocol, pretty: m.pretty, spec: m.spec, ...(c ? c.endpoint : { transport: 'other', server: false }) });
  }
  return { name, monitors, daemonize };
}
