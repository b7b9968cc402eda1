/**
 * `qmpsh ps [ssh://HOST ...]`: no mode (it lists processes, and talks to
 * QEMU only for --status), so it takes only the options marked `ps` in the
 * option table; any other is refused (exit 2), never ignored.
 */
import { parseAddress } from '../../address.js';
import { UsageError } from '../../errors.js';
import { OPTIONS, type OptionSpec } from './table.js';

/** `qmpsh ps [@NAME ...] [ssh://HOST ...]`: the QEMUs of this host (or those), from /proc. */
export interface PsRequest {
  /** ssh://[user@]host[:port]/ each; none: this host. */
  hosts: string[];
  /** @NAME / @GLOB words: only the VMs they name (none: every VM). */
  names: string[];
  /** --status: ask free monitors for their run state. */
  status: boolean;
  /** Table on a terminal (or --table), NDJSON otherwise (or --json). */
  output: 'table' | 'json' | 'auto';
}

export function decidePs(given: ReadonlyMap<string, unknown>, words: string[]): PsRequest {
  for (const name of given.keys()) {
    const spec = OPTIONS.find((o) => o.long === name) as OptionSpec;
    if (!spec.ps) {
      const ok = OPTIONS.filter((o) => o.ps).map((o) => `--${o.long}`);
      throw new UsageError(`--${spec.long} does not apply to qmpsh ps (it takes: ${ok.join(', ')})`);
    }
  }
  if (given.has('json') && given.has('table')) throw new UsageError('give either --json or --table, not both');
  const names = words.filter((w) => w.startsWith('@')).map((w) => w.slice(1));
  if (names.some((n) => n === '')) throw new UsageError("'@' alone names no VM: give @NAME or a glob such as '@web*'");
  const hosts = words.filter((w) => !w.startsWith('@')).map((w) => {
    const host = /^ssh:\/\/[^/]+$/.test(w) ? `${w}/` : w;
    if (!/^ssh:\/\/[^/]+\/$/.test(host)) {
      throw new UsageError(`qmpsh ps lists this host, or others given as ssh://[user@]host[:port], the VMs named by @NAME or '@GLOB'; not '${w}'`);
    }
    parseAddress(host); // refuses hosts ssh would read as options
    return host;
  });
  return { hosts, names, status: given.has('status'), output: given.has('json') ? 'json' : given.has('table') ? 'table' : 'auto' };
}
