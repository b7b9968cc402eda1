/**
 * What replaced a QMP command QEMU deprecated or removed, from QEMU's own
 * records (docs/about/deprecated.rst and removed-features.rst). The schema
 * marks a command `deprecated` but does not say what to use instead; an
 * operator whose script names a command one QEMU still has and another no
 * longer does needs that word.
 */
export const REPLACEMENTS: Readonly<Record<string, string>> = {
  // Deprecated in 7.2 and 10.0 (feature "deprecated" in query-qmp-schema).
  'drive-backup': 'blockdev-backup (with blockdev-add)',
  'nbd-server-add': 'block-export-add',
  'nbd-server-remove': 'block-export-del',
  // Removed (QEMU 6.0 and later).
  'query-cpus': 'query-cpus-fast',
  'query-events': 'query-qmp-schema',
  change: 'blockdev-change-medium, or change-vnc-password',
  'cpu-add': 'device_add',
  migrate_set_speed: 'migrate-set-parameters max-bandwidth=...',
  migrate_set_downtime: 'migrate-set-parameters downtime-limit=...',
  'migrate-set-cache-size': 'migrate-set-parameters xbzrle-cache-size=...',
  'query-migrate-cache-size': 'query-migrate-parameters',
};

/** The replacement's own command name (its first word). */
export function replacementCommand(name: string): string | undefined {
  return REPLACEMENTS[name]?.split(/[\s,(]/)[0];
}

const MIRROR_NBD = 'blockdev-mirror to an NBD export on the destination (QEMU 9.1 removed block migration)';
const MULTIFD_COMPRESSION = 'the multifd capability with multifd-compression (QEMU 9.1 removed the older compression)';

/**
 * What replaced an argument, or one value of it, that one QEMU takes and a
 * later one deprecated or removed (QEMU's docs/about/deprecated.rst and
 * removed-features.rst, 7.2 to 10.0): `COMMAND PATH` or `COMMAND PATH=VALUE`,
 * a list index written N. The schema says only that a member is deprecated,
 * and a removed one is simply absent: a script written for the older QEMU
 * needs the word.
 */
export const ARGUMENT_REPLACEMENTS: Readonly<Record<string, string>> = {
  'migrate blk': MIRROR_NBD,
  'migrate inc': MIRROR_NBD,
  'migrate-set-parameters block-incremental': MIRROR_NBD,
  'migrate-set-capabilities capabilities.N.capability=block': MIRROR_NBD,
  'migrate-set-capabilities capabilities.N.capability=compress': MULTIFD_COMPRESSION,
  'migrate-set-parameters compress-level': 'multifd-compression with multifd-zlib-level or multifd-zstd-level (QEMU 9.1 removed the older compression)',
  'migrate-set-parameters compress-threads': MULTIFD_COMPRESSION,
  'migrate-set-parameters compress-wait-thread': MULTIFD_COMPRESSION,
  'migrate-set-parameters decompress-threads': MULTIFD_COMPRESSION,
  'chardev-add backend.data.reconnect': 'backend.data.reconnect-ms (milliseconds)',
  'chardev-change backend.data.reconnect': 'backend.data.reconnect-ms (milliseconds)',
  'chardev-add backend.type=memory': 'backend.type=ringbuf',
  'chardev-change backend.type=memory': 'backend.type=ringbuf',
  'block-commit base': 'base-node',
  'block-commit top': 'top-node',
  'eject device': 'id',
  'blockdev-open-tray device': 'id',
  'blockdev-close-tray device': 'id',
  'blockdev-change-medium device': 'id',
  'block_set_io_throttle device': 'id',
};

/** The replacement of COMMAND's argument at PATH (dotted, indexes as numbers), or of its VALUE there. */
export function argumentReplacement(command: string, path: string, value?: string): string | undefined {
  const key = `${command} ${path.replace(/(^|\.)\d+(?=\.|$)/g, '$1N')}${value === undefined ? '' : `=${value}`}`;
  return Object.hasOwn(ARGUMENT_REPLACEMENTS, key) ? ARGUMENT_REPLACEMENTS[key] : undefined;
}

/**
 * What a request QEMU refused used that a later QEMU removed, with its
 * replacement: for arguments given as JSON (a whole request, --args), which
 * are sent as given and so refused by QEMU rather than before sending. Only
 * what QEMU's error names (the argument's or the value's own name in quotes,
 * as its messages put it) is told, so an unrelated refusal gets no advice.
 */
export function replacementsIn(command: string, args: unknown, errorText: string): string[] {
  const out: string[] = [];
  const named = (word: string) => errorText.includes(`'${word}'`) || errorText.includes(`"${word}"`);
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, path ? `${path}.${i}` : String(i)));
    else if (value !== null && typeof value === 'object') {
      for (const [key, member] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        const instead = argumentReplacement(command, at);
        if (instead && named(key)) out.push(`'${at}': QEMU removed it; use ${instead}`);
        walk(member, at);
      }
    } else if (typeof value === 'string' && path) {
      const instead = argumentReplacement(command, path, value);
      if (instead && named(value)) out.push(`'${path}' ${JSON.stringify(value)}: QEMU removed it; use ${instead}`);
    }
  };
  walk(args, '');
  return out;
}
