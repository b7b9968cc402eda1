/**
 * A cpio archive in the kernel's "newc" format (the only one an initramfs
 * takes; Linux's Documentation/driver-api/early-userspace/buffer-format.rst),
 * written in memory: no cpio binary, and device nodes (/dev/console) without
 * mknod rights.
 */
export type CpioEntry =
  | { path: string; kind: 'dir'; mode?: number }
  | { path: string; kind: 'file'; data: Buffer | string; mode?: number }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'char'; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  // Header + name padded to 4 bytes, then the data padded to 4 bytes.
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    const ino = i + 1;
    if (e.kind === 'dir') parts.push(...record(ino, name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0)));
    else if (e.kind === 'file') parts.push(...record(ino, name, S_IFREG | (e.mode ?? 0o644), Buffer.from(e.data)));
    else if (e.kind === 'symlink') parts.push(...record(ino, name, S_IFLNK | 0o777, Buffer.from(e.target)));
    else parts.push(...record(ino, name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor]));
  });
  parts.push(...record(0, 'TRAILER!!!', 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
