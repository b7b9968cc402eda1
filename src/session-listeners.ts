/**
 * The listener side of a QmpClient: on/off/once with the names of
 * ClientEvents, shaped so that node's `events.on(client, 'event')` and
 * `events.once(client, 'close')` work (they call on/once/removeListener and
 * listen for 'error').
 *
 * Not an EventEmitter: a listener that throws stops neither the others nor
 * the session (see emit), and 'error' is emitted only when someone listens
 * for it (an EventEmitter would throw an unheard 'error').
 */
import type { QmpError } from './errors.js';
import type { ClientEvents } from './session-types.js';

type Registry = { [K in keyof ClientEvents]: Set<ClientEvents[K]> };

export abstract class ClientListeners {
  private readonly listeners: Registry = {
    event: new Set(),
    wire: new Set(),
    warning: new Set(),
    close: new Set(),
    error: new Set(),
  };

  protected abstract onListenerError: ((error: unknown, name: keyof ClientEvents, payload: unknown) => void) | undefined;

  on<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): this {
    this.registry(name).add(listener);
    return this;
  }

  /** Calls `listener` for the next `name` only. */
  once<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): this {
    const wrapper = ((...args: unknown[]) => {
      this.off(name, wrapper);
      (listener as (...a: unknown[]) => void)(...args);
    }) as ClientEvents[K];
    onceOf.set(wrapper, listener);
    return this.on(name, wrapper);
  }

  off<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): this {
    const set = this.registry(name);
    if (set.delete(listener)) return this;
    for (const l of set) {
      if (onceOf.get(l) === listener) {
        set.delete(l);
        break;
      }
    }
    return this;
  }

  addListener<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): this {
    return this.on(name, listener);
  }

  removeListener<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): this {
    return this.off(name, listener);
  }

  listenerCount(name: keyof ClientEvents): number {
    return this.registry(name).size;
  }

  private registry<K extends keyof ClientEvents>(name: K): Set<ClientEvents[K]> {
    const set = Object.hasOwn(this.listeners, name) ? this.listeners[name] : undefined;
    if (!set) throw new TypeError(`a QmpClient has no '${String(name)}' event (it has ${Object.keys(this.listeners).join(', ')})`);
    return set;
  }

  /**
   * Calls every listener. A listener that throws stops neither the others
   * nor the session (the rest of the data it was reading is still handled):
   * its error goes to onListenerError, by default thrown again on the next
   * tick, where it surfaces as an uncaught exception as it would from an
   * EventEmitter.
   */
  protected emit<K extends keyof ClientEvents>(name: K, ...args: Parameters<ClientEvents[K]>): void {
    for (const listener of [...this.listeners[name]]) {
      try {
        (listener as (...a: Parameters<ClientEvents[K]>) => void)(...args);
      } catch (err) {
        this.listenerFailed(err, name, args[0]);
      }
    }
  }

  /** The session failed: 'error' for those who listen (node's events.on/once reject with it). */
  protected emitError(error: QmpError): void {
    if (this.listeners.error.size > 0) this.emit('error', error);
  }

  private listenerFailed(error: unknown, name: keyof ClientEvents, payload: unknown): void {
    const report = this.onListenerError;
    if (report) {
      try {
        report(error, name, payload);
        return;
      } catch (err) {
        error = err;
      }
    }
    process.nextTick(() => {
      throw error;
    });
  }
}

/** once() wrappers -> the listener they wrap, so off(name, listener) finds them. */
const onceOf = new WeakMap<object, unknown>();
