// The hand-written layer without a node: event decoding, error tables, and the program's
// integer math on the Rust tests' own vectors and properties.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LangErrorCode, LangErrorMessage } from '@anchor-lang/core';
import { address, getBase64Decoder, SolanaError, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM } from '@solana/kit';

import {
  ANCHOR_ERROR_NAMES,
  deviationBps,
  getDepositedEncoder,
  getInstantRedeemedEncoder,
  isqrt,
  marketPriceE12,
  parseSluiceEvents,
  priceE12,
  programErrorByCode,
  programErrorCode,
  quote,
  SLUICE_ERROR_NAMES,
  SLUICE_EVENTS,
  SLUICE_PROGRAM_ADDRESS,
  sluiceFailureOf,
  swapExactIn,
  valueOf,
  type FeeSchedule,
} from '../src';

const idl = JSON.parse(
  readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../idl/sluice.json'), 'utf8'),
) as {
  events: { name: string; discriminator: number[] }[];
  errors: { code: number; name: string; msg: string }[];
};

const POOL = address('8HfUQk6vfFdfqvawhDiERpyjJVarEvciCTx441dKC95p');
const WALLET = address('Ho1der1c58JuYjV8v3kgxKW3CfkrTgNRrNgcqg9ppyMj');
const base64 = getBase64Decoder();

/** A deterministic stream of 64-bit values for the property checks. */
function* randoms(seed: bigint, count: number): Generator<bigint> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= (x << 13n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffff_ffff_ffff_ffffn;
    yield x;
  }
}

describe('events', () => {
  test('every discriminator is the first 8 bytes of sha256("event:<Name>"), as in the IDL', () => {
    assert.equal(Object.keys(SLUICE_EVENTS).length, idl.events.length);
    for (const event of idl.events) {
      const entry = SLUICE_EVENTS[event.name as keyof typeof SLUICE_EVENTS];
      assert.ok(entry, `event ${event.name} is generated`);
      const sha = createHash('sha256').update(`event:${event.name}`).digest().subarray(0, 8);
      assert.deepEqual([...entry.discriminator], [...sha], event.name);
      assert.deepEqual([...entry.discriminator], event.discriminator, event.name);
    }
  });

  test("Program data lines decode to the events in order; other programs' data is skipped", () => {
    const deposited = { pool: POOL, depositor: WALLET, tranche: 0, amount: 60_000_000_000n, tokens: 59_123_456_789n };
    const line = (bytes: Uint8Array) => `Program data: ${base64.decode(bytes)}`;
    const depositedBytes = new Uint8Array([
      ...SLUICE_EVENTS.Deposited.discriminator,
      ...getDepositedEncoder().encode(deposited),
    ]);
    const instant = { pool: POOL, tranche: 1, holder: WALLET, tokens: 1_000n, value: 990n, fee: 3n };
    const instantBytes = new Uint8Array([
      ...SLUICE_EVENTS.InstantRedeemed.discriminator,
      ...getInstantRedeemedEncoder().encode(instant),
    ]);
    const other = 'Tokenkeg' + 'QfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
    const logs = [
      `Program ${SLUICE_PROGRAM_ADDRESS} invoke [1]`,
      'Program log: Instruction: Deposit',
      `Program ${other} invoke [2]`,
      line(depositedBytes), // written by the token program: not Sluice's
      `Program ${other} success`,
      line(depositedBytes),
      line(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), // no Sluice discriminator
      line(instantBytes),
      `Program ${SLUICE_PROGRAM_ADDRESS} consumed 42000 of 200000 compute units`,
      `Program ${SLUICE_PROGRAM_ADDRESS} success`,
    ];
    const events = parseSluiceEvents(logs);
    assert.deepEqual(
      events.map((e) => e.name),
      ['Deposited', 'InstantRedeemed'],
    );
    assert.deepEqual(events[0].data, deposited);
    assert.deepEqual(events[1].data, instant);
    // Data lines alone (no invocation lines) are still read.
    assert.equal(parseSluiceEvents([line(depositedBytes)]).length, 1);
  });
});

describe('errors', () => {
  test("Sluice's table is the IDL's errors, code for code", () => {
    assert.equal(Object.keys(SLUICE_ERROR_NAMES).length, idl.errors.length);
    for (const e of idl.errors) {
      assert.deepEqual(programErrorByCode(e.code), { code: e.code, name: e.name, message: e.msg, source: 'sluice' });
      assert.equal(programErrorCode(e.name), e.code);
    }
    assert.equal(programErrorCode('ZeroAmount'), 6017);
    assert.equal(programErrorByCode(99_999), null);
  });

  test("Anchor's table matches @anchor-lang/core's LangErrorCode and LangErrorMessage", () => {
    const codes = Object.entries(LangErrorCode as Record<string, number>);
    assert.equal(Object.keys(ANCHOR_ERROR_NAMES).length, codes.length);
    for (const [name, code] of codes) {
      const entry = programErrorByCode(code);
      assert.equal(entry?.source, 'anchor', name);
      assert.equal(entry?.name, name[0].toUpperCase() + name.slice(1));
      assert.equal(entry?.message, LangErrorMessage.get(code));
    }
    assert.equal(programErrorByCode(2006)?.name, 'ConstraintSeeds');
    assert.equal(programErrorByCode(3012)?.name, 'AccountNotInitialized');
  });

  test('a failure is found in a kit error chain and in a raw transaction status', () => {
    const custom = new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, { code: 6017, index: 1 });
    const wrapped = new Error('sending failed', { cause: custom });
    const message = {
      instructions: [
        { programAddress: address('ComputeBudget111111111111111111111111111111') },
        { programAddress: SLUICE_PROGRAM_ADDRESS },
      ],
    };
    const found = sluiceFailureOf(wrapped, message);
    assert.equal(found?.name, 'ZeroAmount');
    assert.equal(found?.instructionIndex, 1);
    assert.equal(found?.programAddress, SLUICE_PROGRAM_ADDRESS);
    // Another program's failure is not Sluice's.
    assert.equal(
      sluiceFailureOf(new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, { code: 6017, index: 0 }), message),
      null,
    );
    assert.equal(sluiceFailureOf({ InstructionError: [0, { Custom: 6034 }] })?.code, 6034);
    assert.equal(sluiceFailureOf(new Error('timeout')), null);
  });
});

const FEES: FeeSchedule = { baseFeeBps: 30n, bandFeeBpsPerPct: 10n, bandFeeCapBps: 200n, surchargeBps: 0n };

describe("math, on the Rust tests' vectors", () => {
  test('prices and values round down; an empty tranche is at par', () => {
    assert.equal(priceE12(0n, 0n), 1_000_000_000_000n);
    assert.equal(priceE12(3n, 2n), 1_500_000_000_000n);
    assert.equal(priceE12(2n, 3n), 666_666_666_666n);
    assert.equal(valueOf(1n, 2n, 3n), 0n);
    assert.equal(valueOf(5n, 7n, 0n), 0n);
    assert.equal(marketPriceE12(2n, 3n), 1_500_000_000_000n);
    assert.equal(marketPriceE12(0n, 3n), null);
    assert.equal(deviationBps(1_010_000_000_000n, 1_000_000_000_000n), 100n);
    assert.equal(deviationBps(1_000_000_000_001n, 1_000_000_000_000n), 1n, 'rounded up');
  });

  test('isqrt is the floor root', () => {
    const max = (1n << 128n) - 1n;
    for (const n of [
      0n,
      1n,
      2n,
      3n,
      4n,
      15n,
      16n,
      17n,
      (1n << 64n) - 1n,
      ((1n << 64n) - 1n) ** 2n,
      max,
      ...randoms(7n, 200),
    ]) {
      const r = isqrt(n);
      assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n, `${n}`);
    }
  });

  test('swapExactIn: edge cases, and k never falls', () => {
    assert.equal(swapExactIn(0n, 5n, 5n, 30n), null);
    assert.equal(swapExactIn(5n, 5n, 0n, 30n), null);
    assert.equal(swapExactIn(5n, 5n, 5n, 10_000n), null);
    const r = [...randoms(11n, 300)];
    for (let i = 0; i + 3 < r.length; i += 4) {
      const [x, y, a] = [r[i] % (1n << 48n), r[i + 1] % (1n << 48n), r[i + 2] % (1n << 48n)].map((v) => v + 1n);
      const fee = r[i + 3] % 1_000n;
      const s = swapExactIn(x, y, a, fee)!;
      assert.ok(s.amountOut < y);
      assert.ok((x + a) * (y - s.amountOut) >= x * y);
    }
  });

  test('quote: a sale split into pieces pays, in fees, what it pays in one piece (within 0.05 %)', () => {
    const split = (depth: bigint, total: bigint, pieces: bigint) => {
      const nav = marketPriceE12(depth, depth)!;
      let [x, y, paid] = [depth, depth, 0n];
      for (let i = 0n; i < pieces; i++) {
        const q = quote(x, y, false, total / pieces, nav, FEES)!;
        x += total / pieces;
        y -= q.amountOut;
        paid += q.fee;
      }
      return paid;
    };
    const r = [...randoms(23n, 60)];
    for (let i = 0; i + 2 < r.length; i += 3) {
      const depth = 1_000_000_000n + (r[i] % (1n << 44n));
      const pieces = 2n + (r[i + 2] % 10n);
      const total = (((depth / 10_000n) * (10n + (r[i + 1] % 1_990n))) / pieces) * pieces;
      const whole = split(depth, total, 1n);
      const parts = split(depth, total, pieces);
      assert.ok(parts * 10_000n + total * 5n >= whole * 10_000n, `split ${parts} vs whole ${whole} of ${total}`);
    }
  });

  test('quote: a trade toward NAV pays the base fee, one away from it a band fee too', () => {
    const [x, y] = [1_000_000_000_000n, 1_000_000_000_000n];
    const at = marketPriceE12(x, y)!;
    // The curve 5 % under NAV: buying moves toward NAV, selling away from it.
    const nav = (at * 10_000n) / 9_500n;
    const toward = quote(x, y, true, 1_000_000_000n, nav, FEES)!;
    const away = quote(x, y, false, 1_000_000_000n, nav, FEES)!;
    assert.ok(toward.feeBps >= FEES.baseFeeBps);
    assert.ok(away.feeBps > toward.feeBps, `${away.feeBps} vs ${toward.feeBps}`);
    assert.ok(away.feeBps <= FEES.baseFeeBps + 2n * FEES.bandFeeCapBps);
    assert.equal(quote(0n, y, true, 1n, nav, FEES), null);
  });
});
