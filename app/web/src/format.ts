// Display of the program's integers. Amounts are base units of a mint with `decimals`;
// prices are base units per token × 10^12 (`PRICE_SCALE`); rates are basis points.
// Everything is formatted from bigint without floating point, so a displayed figure is
// the figure on chain, cut (never rounded up) to the digits shown.
import { PRICE_SCALE } from '@sluice/client';

export function units(amount: bigint, decimals: number, digits = 2): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = (abs / scale).toLocaleString('en-US');
  const shown = Math.min(digits, decimals);
  const fraction = (abs % scale).toString().padStart(decimals, '0').slice(0, shown);
  return `${negative ? '−' : ''}${whole}${shown > 0 ? `.${fraction}` : ''}`;
}

/** A decimal string the user typed, as base units; `null` when it is not a number or has too many decimals. */
export function parseUnits(text: string, decimals: number): bigint | null {
  const t = text.trim().replace(/[,_\s]/g, '');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) return null;
  return BigInt(m[1] || '0') * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** A price × 10^12 as a decimal with `digits` places (base tokens per tranche token). */
export function price(priceE12: bigint, digits = 4): string {
  return units(priceE12, 12, digits);
}

export function bps(value: bigint | number, digits = 2): string {
  const v = BigInt(value);
  const sign = v < 0n ? '−' : '';
  const abs = v < 0n ? -v : v;
  const scaled = (abs * 10n ** BigInt(digits)) / 100n;
  return `${sign}${units(scaled, digits, digits)} %`;
}

/** `part / whole` in basis points, rounded down; 0 for an empty whole. */
export function shareBps(part: bigint, whole: bigint): bigint {
  return whole === 0n ? 0n : (part * 10_000n) / whole;
}

export function priceNumber(priceE12: bigint): number {
  return Number(priceE12) / Number(PRICE_SCALE);
}

export function date(unix: bigint | number): string {
  const ms = Number(unix) * 1000;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function duration(seconds: bigint | number): string {
  const s = Number(seconds);
  if (s <= 0) return 'now';
  if (s < 3600) return `${Math.ceil(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.ceil(s / 3600)} h`;
  return `${Math.ceil(s / 86_400)} days`;
}

export const short = (address: string) => `${address.slice(0, 4)}…${address.slice(-4)}`;

export const STAGES = ['Normal', 'Stress', 'Crisis'] as const;
