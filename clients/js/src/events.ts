// Sluice's events from transaction logs. `emit!` writes one `Program data: <base64>` line per
// event: an 8-byte discriminator (the first 8 bytes of sha256("event:<Name>")) followed by
// the Borsh body of the event's type. The codecs and discriminators are generated from the
// IDL (src/generated/events.ts).
import { getBase64Encoder, type Address, type ReadonlyUint8Array } from '@solana/kit';

import { SLUICE_EVENTS, SLUICE_PROGRAM_ADDRESS, type SluiceEventMap, type SluiceEventName } from './generated';

/** One decoded event: its IDL name and its fields (`data`). */
export type SluiceEvent = { [N in SluiceEventName]: { name: N; data: SluiceEventMap[N] } }[SluiceEventName];

const base64 = getBase64Encoder();
const names = Object.keys(SLUICE_EVENTS) as SluiceEventName[];

function sameStart(bytes: ReadonlyUint8Array, prefix: ReadonlyUint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** The event in one `Program data:` payload (bytes), or `null` when no Sluice event starts so. */
export function decodeSluiceEvent(bytes: ReadonlyUint8Array): SluiceEvent | null {
  for (const name of names) {
    const { discriminator, decoder } = SLUICE_EVENTS[name];
    if (sameStart(bytes, discriminator)) {
      const data = decoder().decode(bytes.slice(discriminator.length));
      return { name, data } as SluiceEvent;
    }
  }
  return null;
}

const INVOKE = /^Program (\S+) invoke \[\d+\]$/;
const EXIT = /^Program (\S+) (success|failed: .*)$/;
const DATA = 'Program data: ';

/**
 * Every Sluice event in a transaction's log lines, in order. The invocation lines
 * (`Program <id> invoke [n]` … `Program <id> success`) say which program wrote each data
 * line, so another program's `Program data:` is skipped; data lines outside any invocation
 * (logs cut to the data lines alone) are taken when their discriminator is Sluice's.
 */
export function parseSluiceEvents(
  logs: readonly string[],
  programAddress: Address = SLUICE_PROGRAM_ADDRESS,
): SluiceEvent[] {
  const stack: string[] = [];
  const events: SluiceEvent[] = [];
  for (const line of logs) {
    const invoke = INVOKE.exec(line);
    if (invoke) {
      stack.push(invoke[1]);
      continue;
    }
    if (EXIT.test(line)) {
      stack.pop();
      continue;
    }
    if (!line.startsWith(DATA)) continue;
    const current = stack[stack.length - 1];
    if (current !== undefined && current !== programAddress) continue;
    let bytes: ReadonlyUint8Array;
    try {
      bytes = base64.encode(line.slice(DATA.length).trim());
    } catch {
      continue;
    }
    const event = decodeSluiceEvent(bytes);
    if (event) events.push(event);
  }
  return events;
}
