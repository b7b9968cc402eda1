/**
 * The CLI as a long-running child (--events, --wait, --jobs): its output as it
 * comes, a wait for a line, a signal, its end. Killed by pid when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './run-cli.js';

export interface CliChild {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line of STREAM matching RE (rejects if the child ends first, or after timeoutMs). */
  waitForLine(stream: 'stdout' | 'stderr', re: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Resolves once COUNT of the child's sessions have negotiated (the child
   * must run with -v): from then on QEMU sends them its events. A fixed sleep
   * instead is a race the child loses on a loaded machine.
   */
  negotiated(count?: number, timeoutMs?: number): Promise<void>;
  /** Exit code (or 128 + signal number) when it has ended. */
  done: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnCli(args: string[]): CliChild {
  const proc = spawn(CLI[0], [...CLI.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const done = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  let ended = false;
  void done.then(() => (ended = true));
  return {
    proc,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    done,
    kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    async negotiated(count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      const reply = /<- \{"return":\{\},"id":1\}$/;
      for (;;) {
        if (out.stderr.split('\n').filter((l) => reply.test(l)).length >= count) return;
        if (ended) throw new Error(`qmpsh ended (exit ${proc.exitCode}) before ${count} negotiated session(s):\n${out.stdout}\n${out.stderr}`);
        if (Date.now() > deadline) throw new Error(`not ${count} negotiated session(s) within ${timeoutMs / 1000}s (was -v given?):\n${out.stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async waitForLine(stream, re, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = out[stream].split('\n').find((l) => re.test(l));
        if (line !== undefined) return line;
        if (ended) throw new Error(`qmpsh ended (exit ${proc.exitCode}) before ${re} on ${stream}:\n${out.stdout}\n${out.stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${re} on ${stream} within ${timeoutMs / 1000}s:\n${out[stream]}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
