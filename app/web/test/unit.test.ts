// The page's pure parts: amounts shown and typed (bigint, no floating point), and the
// tranche-price history rebuilt from events.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Address, Signature } from '@solana/kit';
import type { Pool, SluiceEvent } from '@sluice/client';

import { clusterOf } from '../src/cluster';
import { priceHistory, type HistoryEntry } from '../src/data';
import { bps, parseUnits, shareBps, units } from '../src/format';

/** A seeded xorshift: the same cases on every run. */
function rng(seed: bigint) {
  let x = seed;
  return (bits: bigint) => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return x & ((1n << bits) - 1n);
  };
}

test('units cuts, never rounds up, and groups thousands', () => {
  assert.equal(units(1_234_567_891n, 6), '1,234.56');
  assert.equal(units(999_999n, 6, 2), '0.99');
  assert.equal(units(5n, 0), '5');
  assert.equal(units(-1_500_000n, 6, 1), '−1.5');
  assert.equal(bps(750), '7.50 %');
  assert.equal(bps(-12n, 1), '−0.1 %');
  assert.equal(shareBps(1n, 3n), 3333n);
  assert.equal(shareBps(1n, 0n), 0n);
});

test('parseUnits reads back every amount units prints with all its decimals', () => {
  const next = rng(0x5eed_1234n);
  for (let i = 0; i < 2000; i++) {
    const decimals = Number(next(4n) % 10n);
    const amount = next(63n);
    const printed = units(amount, decimals, decimals);
    assert.equal(parseUnits(printed, decimals), amount, `${amount} at ${decimals} decimals printed ${printed}`);
  }
});

test('parseUnits refuses what is not an amount of the mint', () => {
  for (const bad of ['', '.', 'abc', '1.2.3', '-5', '1e6', '0x10']) assert.equal(parseUnits(bad, 6), null, bad);
  assert.equal(parseUnits('1.1234567', 6), null, 'more decimals than the mint has');
  assert.equal(parseUnits('1.5', 0), null);
  assert.equal(parseUnits(' 1,000.5 ', 6), 1_000_500_000n);
  assert.equal(parseUnits('.5', 6), 500_000n);
  assert.equal(parseUnits('7.', 2), 700n);
});

const POOL = 'So11111111111111111111111111111111111111112' as Address;

function pool(supplies: bigint[]): Pool {
  return {
    trancheCount: supplies.length,
    tranches: supplies.map((supply) => ({ supply })),
  } as unknown as Pool;
}

const entry = (events: SluiceEvent[], n: number): HistoryEntry => ({
  signature: `sig${n}` as Signature,
  time: BigInt(n),
  events,
  failed: false,
});

const repriced = (timestamp: bigint, values: bigint[]): SluiceEvent => ({
  name: 'Repriced',
  data: {
    pool: POOL,
    nav: values.reduce((a, b) => a + b, 0n),
    cash: 0n,
    bookValue: 0n,
    impairedValue: 0n,
    trancheValues: values,
    timestamp,
  },
});

test("priceHistory prices each reprice at that moment's supply, undoing later mints and burns", () => {
  // Oldest → newest: reprice at 100 (supply 1,000), a deposit minting 500, reprice at 200,
  // an instant exit burning 100 and a batch burning 50 (supply now 1,350), reprice at 300.
  const history = [
    entry([repriced(300n, [1_485n])], 5),
    entry(
      [
        { name: 'InstantRedeemed', data: { pool: POOL, tranche: 0, holder: POOL, tokens: 100n, value: 110n, fee: 1n } },
        { name: 'BatchProcessed', data: { tokensRedeemed: 50n, tranche: 0 } } as unknown as SluiceEvent,
      ],
      4,
    ),
    entry([repriced(200n, [1_650n])], 3),
    entry([{ name: 'Deposited', data: { pool: POOL, depositor: POOL, tranche: 0, amount: 500n, tokens: 500n } }], 2),
    entry([repriced(100n, [1_000n])], 1),
  ];
  const points = priceHistory(history, pool([1_350n]));
  assert.deepEqual(
    points.map((p) => [p.time, p.pricesE12[0]]),
    [
      [100n, 1_000_000_000_000n], // 1,000 / 1,000
      [200n, 1_100_000_000_000n], // 1,650 / 1,500
      [300n, 1_100_000_000_000n], // 1,485 / 1,350
    ],
  );
});

test('priceHistory has no price for a tranche without tokens', () => {
  const points = priceHistory([entry([repriced(1n, [0n, 10n])], 1)], pool([0n, 10n]));
  assert.equal(points[0].pricesE12[0], null);
  assert.equal(points[0].pricesE12[1], 1_000_000_000_000n);
});

test('a custom URL signs for the cluster it serves, and links an explorer only for public ones', () => {
  const local = clusterOf('custom', 'http://127.0.0.1:18899/');
  assert.equal(local.url, 'http://127.0.0.1:18899');
  assert.equal(local.chain, 'solana:localnet');
  assert.equal(local.explorer, null);
  assert.equal(clusterOf('custom', 'http://localhost:8899').chain, 'solana:localnet');
  const main = clusterOf('custom', 'https://rpc.example-provider.com/key');
  assert.equal(main.chain, 'solana:mainnet');
  assert.equal(main.explorer!('SIG'), 'https://explorer.solana.com/tx/SIG');
  const dev = clusterOf('custom', 'https://devnet.example-provider.com');
  assert.equal(dev.chain, 'solana:devnet');
  assert.equal(dev.explorer!('SIG'), 'https://explorer.solana.com/tx/SIG?cluster=devnet');
  assert.equal(clusterOf('devnet').explorer!('SIG'), 'https://explorer.solana.com/tx/SIG?cluster=devnet');
  assert.equal(clusterOf('localnet').explorer, null);
});
