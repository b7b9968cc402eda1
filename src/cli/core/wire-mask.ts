/**
 * What -v and --log show of the wire: every message masked by the secrets
 * table (src/secrets.ts), and a reply masked whole when its request, matched
 * by id, reads a secret (qom-get of a secret object's data, also through
 * HMP): a reply does not say what it answers. One per session; unless
 * --show-secrets.
 */
import { stringifyJson, type JsonValue } from '../../protocol/json.js';
import { maskReply, maskSecrets, replyIsSecret } from '../../secrets.js';
import type { WireMessage } from '../../session.js';

/** Requests whose reply is still to come; past this many (replies that never came), the oldest are forgotten. */
const MAX_PENDING = 1024;

export interface WireMasker {
  /** Sees every wire message before anyone shows it (the session's first 'wire' listener). */
  observe(m: WireMessage): void;
  /** The message as -v and --log may show it. */
  shown(m: WireMessage): WireMessage;
}

export function wireMasker(showSecrets: boolean): WireMasker {
  if (showSecrets) return { observe: () => {}, shown: (m) => m };
  /** Ids (as JSON) of requests sent whose reply is a secret. */
  const secretIds = new Set<string>();
  /** Replies to them: every listener of the one message object masks it alike. */
  const secretReplies = new WeakSet<WireMessage>();
  const idOf = (value: JsonValue) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'id' in value ? stringifyJson(value.id as JsonValue) : undefined;
  return {
    observe(m) {
      const id = idOf(m.value);
      if (id === undefined) return;
      if (m.direction === 'out') {
        if (!replyIsSecret(m.value)) return;
        secretIds.add(id);
        if (secretIds.size > MAX_PENDING) secretIds.delete(secretIds.values().next().value as string);
      } else if (secretIds.delete(id)) {
        secretReplies.add(m);
      }
    },
    shown(m) {
      if (!m || typeof m !== 'object') return m;
      return { ...m, value: secretReplies.has(m) ? maskReply(m.value) : maskSecrets(m.value) };
    },
  };
}
