/** Pieces of QmpClient (session.ts) that need none of its state. */
import type { Address } from './address.js';
import type { ConnectError } from './errors.js';
import { connectTransport, type Transport } from './transport/index.js';
import type { ExecuteOptions, QmpClientOptions } from './session-types.js';

/**
 * Connects; with waitForSocketMs, retries while the socket does not exist
 * yet or refuses connections (a QEMU that is starting). The options are
 * QmpClient's, checked already (timeouts.ts).
 */
export async function connectWithRetry(
  address: Address,
  options: Pick<QmpClientOptions, 'waitForSocketMs' | 'connectTimeoutMs' | 'signal' | 'registerCleanup'>,
): Promise<Transport> {
  const waitMs = options.waitForSocketMs ?? 0;
  const deadline = Date.now() + waitMs;
  const signal = options.signal;
  for (;;) {
    try {
      return await connectTransport(address, {
        // Listening waits for QEMU to start and connect: waitForSocketMs (Infinity: no limit, 0), else a minute.
        timeoutMs: address.kind === 'listen' ? (waitMs === Infinity ? 0 : waitMs || 60_000) : (options.connectTimeoutMs ?? 5000),
        ...(signal ? { signal } : {}),
        ...(options.registerCleanup ? { registerCleanup: options.registerCleanup } : {}),
      });
    } catch (err) {
      const code = (err as ConnectError).syscallCode;
      const retry = code === 'ENOENT' || code === 'ECONNREFUSED';
      if (!retry || Date.now() >= deadline || signal?.aborted) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first NaN or +-Infinity in a request's arguments, with its dotted path. */
export function nonFinitePath(value: unknown, path = ''): { path: string; value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, value };
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, member] of Object.entries(value)) {
    const found = nonFinitePath(member, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/** The options of a command that also apply to the sync sent before it. */
export function pick(options: ExecuteOptions): ExecuteOptions {
  return {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

