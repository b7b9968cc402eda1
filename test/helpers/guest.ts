/**
 * A real Linux guest for tests where the guest matters: Debian's cloud kernel
 * (package linux-image-cloud-amd64, in /boot) and an initramfs built here from
 * busybox-static, whose /init does what the kernel command line says
 * (`qmpsh.do=`):
 *
 *   poweroff  power off (ACPI): QEMU sends SHUTDOWN (reason guest-shutdown)
 *   reboot    reboot: RESET (guest-reset), then the same kernel boots again, and reboots again
 *   panic     load the pvpanic driver and panic: GUEST_PANICKED (with -device pvpanic)
 *   dirty     rewrite `qmpsh.dirty=` MiB of tmpfs without end (a migration that cannot converge)
 *   idle      nothing
 *
 * It says `qmpsh-guest: <action>` on the serial console (a file) before doing it.
 * Missing packages are an error, never a skip (scripts/install-deps.sh installs them).
 */
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpioNewc, type CpioEntry } from './cpio.js';
import { startQemu, type Qemu, type QemuOptions } from './qemu.js';

export type GuestAction = 'poweroff' | 'reboot' | 'panic' | 'dirty' | 'idle';

const BUSYBOX = '/usr/bin/busybox';

const INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm
mount -t tmpfs -o size=90% shm /dev/shm
arg() { sed -n "s/.*qmpsh\\.$1=\\([a-z0-9]*\\).*/\\1/p" /proc/cmdline; }
say() { echo "qmpsh-guest: $*" > /dev/ttyS0; }
action=$(arg do)
case "$action" in
  poweroff) say poweroff; poweroff -f ;;
  reboot) say reboot; reboot -f ;;
  panic)
    insmod /lib/pvpanic.ko && insmod /lib/pvpanic-mmio.ko
    say "panic (pvpanic: $(ls /sys/bus/platform/drivers/pvpanic-mmio 2>/dev/null | grep -c QEMU0001))"
    echo c > /proc/sysrq-trigger ;;
  dirty)
    mb=$(arg dirty); mb=\${mb:-32}
    dd if=/dev/urandom of=/dev/shm/a bs=1M count=$mb 2>/dev/null
    say "dirty $mb MiB"
    while :; do dd if=/dev/shm/a of=/dev/shm/b bs=1M conv=notrunc 2>/dev/null; done ;;
  *) say idle ;;
esac
while :; do sleep 3600; done
`;

export interface GuestKernel {
  kernel: string;
  /** The pvpanic modules (pvpanic.ko, pvpanic-mmio.ko) of that kernel. */
  modules: string[];
}

/** The newest /boot/vmlinuz-*-cloud-amd64 (or $QMPSH_TEST_KERNEL) and its pvpanic modules. */
export function requireGuestKernel(): GuestKernel {
  const fail = (what: string): never => {
    throw new Error(`${what}: this test boots a Linux guest; install linux-image-cloud-amd64 and busybox-static (scripts/install-deps.sh does)`);
  };
  if (!existsSync(BUSYBOX)) fail(`${BUSYBOX} is missing`);
  const kernel =
    process.env.QMPSH_TEST_KERNEL ??
    readdirSync('/boot')
      .filter((f) => /^vmlinuz-.*-amd64$/.test(f))
      .sort()
      .map((f) => join('/boot', f))
      .at(-1) ??
    fail('no kernel in /boot');
  const release = /vmlinuz-(.+)$/.exec(kernel)?.[1] ?? '';
  const dir = `/lib/modules/${release}/kernel/drivers/misc/pvpanic`;
  const modules = ['pvpanic.ko', 'pvpanic-mmio.ko'].map((m) => join(dir, m));
  for (const m of modules) if (!existsSync(m)) fail(`${m} is missing`);
  try {
    accessSync(kernel, constants.R_OK);
  } catch {
    fail(`${kernel} is not readable`);
  }
  return { kernel, modules };
}

/** Writes the initramfs (newc cpio, uncompressed) to PATH. */
export function writeInitramfs(path: string, k: GuestKernel): void {
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'lib', 'tmp'].map((d) => ({ path: d, kind: 'dir' as const })),
    // The kernel opens /dev/console for /init before anything is mounted.
    { path: 'dev/console', kind: 'char', major: 5, minor: 1 },
    { path: 'bin/busybox', kind: 'file', data: readFileSync(BUSYBOX), mode: 0o755 },
    { path: 'bin/sh', kind: 'symlink', target: 'busybox' },
    { path: 'init', kind: 'file', data: INIT, mode: 0o755 },
    ...k.modules.map((m) => ({ path: `lib/${m.split('/').at(-1)}`, kind: 'file' as const, data: readFileSync(m) })),
  ];
  writeFileSync(path, cpioNewc(entries));
}

/**
 * TCG unless $QMPSH_TEST_ACCEL says otherwise: a /dev/kvm that opens is no
 * proof that KVM runs a guest (nested here, it boots nothing and says nothing).
 */
export const accel = (): string => process.env.QMPSH_TEST_ACCEL ?? 'tcg';

export interface GuestOptions extends Omit<QemuOptions, 'machine'> {
  action: GuestAction;
  /** For `dirty`: how many MiB the guest rewrites, over and over (default 32). */
  dirtyMiB?: number;
  memMiB?: number;
  /** `-incoming` (e.g. 'defer'): a migration destination, which does not boot. */
  incoming?: string;
}

export interface Guest extends Qemu {
  serialPath: string;
  serial(): string;
  /** Waits for a line matching RE on the serial console. */
  waitForSerial(re: RegExp, timeoutMs?: number): Promise<string>;
}

export async function startGuest(options: GuestOptions): Promise<Guest> {
  const k = requireGuestKernel();
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-guest-'));
  const initrd = join(dir, 'initrd.cpio');
  writeInitramfs(initrd, k);
  const serialPath = join(dir, 'serial.log');
  const append = `console=ttyS0 quiet panic=0 qmpsh.do=${options.action} qmpsh.dirty=${options.dirtyMiB ?? 32}`;
  let qemu: Qemu;
  try {
    qemu = await startQemu({
      ...options,
      machine: ['-M', 'pc', '-accel', accel(), '-m', String(options.memMiB ?? 256)],
      args: [
        '-kernel', k.kernel, '-initrd', initrd, '-append', append,
        '-serial', `file:${serialPath}`, '-device', 'pvpanic',
        ...(options.incoming ? ['-incoming', options.incoming] : []),
        ...(options.args ?? []),
      ],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, 'utf8') : '');
  return {
    ...qemu,
    serialPath,
    serial,
    async waitForSerial(re, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = serial();
        const m = text.split('\n').find((l) => re.test(l));
        if (m !== undefined) return m;
        if (qemu.proc.exitCode !== null || qemu.proc.signalCode !== null) throw new Error(`QEMU exited before ${re}:\n${text}\n${qemu.stderr()}`);
        if (Date.now() > deadline) throw new Error(`no ${re} on the guest's serial console within ${timeoutMs / 1000}s:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await qemu.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
