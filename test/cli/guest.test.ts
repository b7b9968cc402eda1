/**
 * Events only a real guest sends: a Linux guest (test/helpers/guest.ts)
 * powers off, reboots and panics on its own, and --events / --wait-event see
 * it. Each guest starts paused (-S) so that qmpsh is listening before the
 * guest can act; `cont` (through a second monitor, or as --wait-event's
 * COMMAND) lets it boot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type CliChild } from '../helpers/cli-child.js';
import { startGuest, type Guest } from '../helpers/guest.js';
import { runCli } from '../helpers/run-cli.js';

const BOOT_MS = 180_000;
let guest: Guest | undefined;
let child: CliChild | undefined;
afterEach(async () => {
  child?.kill();
  await child?.done;
  await guest?.stop();
  guest = undefined;
  child = undefined;
});

const events = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; data?: Record<string, unknown> });

describe('a guest of its own accord', () => {
  it('powers off: --events prints SHUTDOWN (guest-shutdown), then QEMU exits and --events ends with 0', async () => {
    guest = await startGuest({ action: 'poweroff', monitors: ['plain', 'plain'], args: ['-S'] });
    child = spawnCli([guest.sock, '--events', '-v']);
    await child.waitForLine('stderr', /<- \{"return"/); // negotiated
    expect((await runCli([guest.sockets[1] as string, 'cont'])).code).toBe(0);
    const code = await child.done;
    expect(code, child.stderr()).toBe(0);
    const shutdown = events(child.stdout()).find((e) => e.event === 'SHUTDOWN');
    expect(shutdown?.data).toMatchObject({ guest: true, reason: 'guest-shutdown' });
    expect(guest.serial()).toMatch(/qmpsh-guest: poweroff/);
    expect(await guest.exited).toBe(0);
  }, BOOT_MS);

  it('reboots: --wait-event RESET cont returns the guest\'s RESET (guest-reset), and the guest boots again', async () => {
    guest = await startGuest({ action: 'reboot', args: ['-S'] });
    const r = await runCli([guest.sock, '--wait-event', 'RESET', '--match', 'data.guest=true', 'cont', '--timeout', '150'], { killAfterMs: BOOT_MS });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' } });
    // The same kernel comes up a second time (and reboots again: the command line says so).
    const g = guest;
    const boots = () => g.serial().match(/qmpsh-guest: reboot/g)?.length ?? 0;
    for (const deadline = Date.now() + 90_000; boots() < 2; await new Promise((res) => setTimeout(res, 200))) {
      expect(Date.now() < deadline, g.serial()).toBe(true);
    }
  }, BOOT_MS);

  it('panics through pvpanic: --events sees GUEST_PANICKED, with the guest\'s own run state', async () => {
    guest = await startGuest({ action: 'panic', monitors: ['plain', 'plain'], args: ['-S', '-action', 'panic=pause'] });
    child = spawnCli([guest.sock, '--events', '--event', 'GUEST_PANICKED', '--count', '1', '-v']);
    await child.waitForLine('stderr', /<- \{"return"/);
    expect((await runCli([guest.sockets[1] as string, 'cont'])).code).toBe(0);
    expect(await child.done, child.stderr()).toBe(0);
    const [panicked] = events(child.stdout());
    expect(panicked).toMatchObject({ event: 'GUEST_PANICKED', data: { action: 'pause' } });
    expect(guest.serial()).toMatch(/qmpsh-guest: panic \(pvpanic: 1\)/);
    // Paused by the panic action, and QEMU says why.
    const status = JSON.parse((await runCli([guest.sockets[1] as string, 'query-status'])).stdout) as { status: string };
    expect(status.status).toBe('guest-panicked');
  }, BOOT_MS);
});
