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
