/**
 * A device driver's own properties, asked of the live QEMU
 * (`device-list-properties typename=DRIVER`), for completion and --describe.
 * Peer data: entries without a string name and type are dropped; a default
 * is kept only when it is a plain value. The typing of device_add's
 * arguments asks for itself (core/schema-access.ts) and refuses there.
 */
import type { DeviceProperty } from '../../schema/device-props.js';
import { isObject } from '../../protocol/messages.js';
import type { QmpClient } from '../../session.js';
import { internal } from './internal.js';

/** The driver's properties; CommandError when QEMU has no such driver. */
export async function fetchDeviceProperties(client: QmpClient, driver: string): Promise<DeviceProperty[]> {
  const reply = await internal(client, 'device-list-properties', { typename: driver }, { internal: true });
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((p) => {
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.type !== 'string' || p.name === '') return [];
    const d = p['default-value'];
    return [
      {
        name: p.name,
        type: p.type,
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        ...(typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' ? { default: d } : {}),
      },
    ];
  });
}
