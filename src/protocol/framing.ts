/**
 * Bytes -> complete JSON texts. Pure: no I/O, no parsing beyond structure.
 *
 * QMP messages are JSON objects; QEMU ends each with "\r\n", but a `pretty=on`
 * monitor spreads one message over many lines (QMP-NOTES, "Wire format"), and a
 * socket read can hold half a message or many. So a message ends where its
 * braces balance, counting only braces outside strings (and honouring `\"`
 * escapes inside them), never at a newline.
 *
 * Every byte that matters here ({ } [ ] " \) is ASCII, and UTF-8 never uses
 * bytes < 0x80 inside a multi-byte sequence, so scanning bytes is exact.
 */
import { isUtf8 } from 'node:buffer';
import { MessageTooLargeError, ProtocolError } from '../errors.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * QEMU's own parser refuses nesting deeper than 1024 (qobject/json-streamer.c
 * MAX_NESTING); deeper input from a peer is hostile, and would overflow the
 * stack of any recursive consumer (JSON.stringify included).
 */
export const MAX_NESTING = 1024;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;


function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export class JsonFramer {
  readonly maxMessageBytes: number;
  /** Pieces of the message in progress (only the part not yet complete). */
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failed: Error | undefined;

  /**
   * The guest agent's guest-sync-delimited sends 0xFF before its reply: a
   * byte no UTF-8 text holds, meaning "forget any partial message, start
   * afresh" (qemu-ga docs). Honoured only when `agentSync` is set.
   */
  private readonly agentSync: boolean;

  constructor(maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES, options: { agentSync?: boolean } = {}) {
    this.maxMessageBytes = maxMessageBytes;
    this.agentSync = options.agentSync ?? false;
  }

  /** True while a message has started and not yet ended. */
  get midMessage(): boolean {
    return this.depth > 0;
  }

  /**
   * Feeds one chunk; returns the texts of the messages it completed, in order.
   * Throws ProtocolError (or MessageTooLargeError) on input that cannot be a
   * stream of JSON objects; after that the framer stays failed.
   */
  push(chunk: Buffer): string[] {
    if (this.failed) throw this.failed;
    try {
      return this.scan(chunk);
    } catch (err) {
      this.failed = err as Error;
      this.pieces = [];
      throw err;
    }
  }

  private scan(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const byte = chunk[i] as number;
      if (byte === 0xff && this.agentSync) {
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
        this.pieces = [];
        this.pendingBytes = 0;
        start = -1;
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(byte)) continue;
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          throw new ProtocolError(
            `the server sent bytes that are not JSON: ${preview(chunk, i)}`,
          );
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++this.depth > MAX_NESTING) {
          throw new ProtocolError(`the server sent JSON nested deeper than ${MAX_NESTING} levels`);
        }
      }
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const end = i + 1;
          if (this.pendingBytes + (end - start) > this.maxMessageBytes) {
            throw new MessageTooLargeError(this.maxMessageBytes);
          }
          out.push(this.finish(chunk.subarray(start, end)));
          start = -1;
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxMessageBytes) throw new MessageTooLargeError(this.maxMessageBytes);
      // Copy: the caller may reuse its buffer, and a view would also pin the whole chunk.
      this.pieces.push(Buffer.from(rest));
    }
    return out;
  }

  private finish(last: Buffer): string {
    let bytes = last;
    if (this.pieces.length > 0) {
      this.pieces.push(last);
      bytes = Buffer.concat(this.pieces, this.pendingBytes + last.length);
      this.pieces = [];
      this.pendingBytes = 0;
    }
    // QEMU sends ASCII (QMP-NOTES "Wire format"); isUtf8 is a native check, cheaper than a fatal TextDecoder.
    if (!isUtf8(bytes)) throw new ProtocolError('the server sent a message that is not valid UTF-8');
    return bytes.toString('utf8');
  }
}

function preview(chunk: Buffer, at: number): string {
  const text = chunk.subarray(at, at + 40).toString('latin1');
  return JSON.stringify(text) + (chunk.length - at > 40 ? '...' : '');
}
