// The basket's exchange in without a node: hand-computed vectors for the valuation
// (`constituentValue`, `basketValue`) and the exchange-in amount (`tokensForExchangeIn`,
// `planExchangeIn`: the haircut kept, every rounding down for the holder), each refusal
// `plan_exchange_in` gives in the program's order, the Rust proptest
// `exchange_in_never_dilutes` (math/basket.rs) on a seeded PRNG, and `loadBasketView` /
// `basketPricedAccounts` / `exchangeInInstruction` against a fake RPC serving encoded
// accounts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  AccountRole,
  address,
  createNoopSigner,
  getAddressDecoder,
  getAddressEncoder,
  type Address,
} from '@solana/kit';

import {
  activeConstituents,
  basketPricedAccounts,
  basketValue,
  BasketViewError,
  constituentValue,
  EXCHANGE_IN_REFUSALS,
  exchangeInInstruction,
  getBasketDecoder,
  getBasketEncoder,
  getBasketSize,
  getPoolDecoder,
  getPoolEncoder,
  getPoolSize,
  getRequestEncoder,
  holdingValue,
  isBasketRefusal,
  loadBasketView,
  memberAddress,
  noFlights,
  planExchangeIn,
  QUEUE_CAPACITY,
  REDEMPTION_QUEUE_DISCRIMINATOR,
  SLUICE_PROGRAM_ADDRESS,
  Stage,
  tokensForExchangeIn,
  withRemainingAccounts,
  type Basket,
  type BasketRpc,
  type Constituent,
  type ExchangeInPlan,
  type InFlight,
  type Pool,
} from '../src';

import { prng } from './prng';

const BPS = 10_000n;
const U64_MAX = (1n << 64n) - 1n;
const DAY = 86_400n;
/** Noon (UTC) on some day: a NAV computed this morning is fresh. */
const NOW = 20_000n * DAY + 43_200n;

/** A distinct address per `k` (32 bytes of `k`). */
const addr = (k: number): Address => getAddressDecoder().decode(new Uint8Array(32).fill(k));

// ---------------------------------------------------------------------------------------
// A basket to plan on: every field zero (as a Borsh decode of zeros), then the example of this
// file. Pool A's tranche 0 is worth 2,000,999 over 1,000,000 tokens; pool B's tranche 1 999
// over 7. Constituent 0 (pool A, tranche 0): 1,000 held and an open request with 500 tokens
// and 7 base units uncollected, haircut 2 %, cap 100 %. Constituent 1 (pool B, tranche 1): 10
// held, haircut 5 %, cap 40 %. A sleeve of 1,000 and 5,000 basket tokens out.

const ZERO_POOL: Pool = getPoolDecoder().decode(new Uint8Array(getPoolSize()));
const ZERO_BASKET: Basket = getBasketDecoder().decode(new Uint8Array(getBasketSize()));
const POOL_A = addr(1);
const POOL_B = addr(2);
const QUEUE_A = addr(3);
const BASKET = addr(4);
const BASKET_MINT = addr(5);

function pool(tranche: number, value: bigint, supply: bigint): Pool {
  return {
    ...ZERO_POOL,
    stage: Stage.Normal,
    params: { ...ZERO_POOL.params, maxNavAgeSecs: 3_600 },
    navTime: NOW - 600n,
    trancheCount: 3,
    tranches: ZERO_POOL.tranches.map((t, i) => (i === tranche ? { ...t, value, supply } : { ...t })),
  };
}

function constituent(over: Partial<Constituent>): Constituent {
  return { ...ZERO_BASKET.constituents[0], enabled: true, capBps: 10_000, ...over };
}

function exampleBasket(): Basket {
  const constituents = ZERO_BASKET.constituents.map((c) => ({ ...c }));
  constituents[0] = constituent({
    pool: POOL_A,
    tranche: 0,
    mint: addr(10),
    vault: addr(11),
    haircutBps: 200,
    capBps: 10_000,
    held: 1_000n,
    requestOpen: true,
    requestId: 10_245n,
    queue: QUEUE_A,
  });
  constituents[1] = constituent({
    pool: POOL_B,
    tranche: 1,
    mint: addr(12),
    vault: addr(13),
    haircutBps: 500,
    capBps: 4_000,
    held: 10n,
  });
  return {
    ...ZERO_BASKET,
    mint: BASKET_MINT,
    sleeveBalance: 1_000n,
    supply: 5_000n,
    constituentCount: 2,
    constituents,
  };
}

const examplePools = () => [pool(0, 2_000_999n, 1_000_000n), pool(1, 999n, 7n)];
function exampleFlights(): InFlight[] {
  const f = noFlights();
  f[0] = { tokens: 500n, cash: 7n };
  return f;
}

function planned(p: ExchangeInPlan | { error: string }): ExchangeInPlan {
  if (isBasketRefusal(p)) assert.fail(`planExchangeIn refused: ${p.error}`);
  return p;
}

// ---------------------------------------------------------------------------------------

describe('valuation (instructions/basket/mod.rs)', () => {
  test('a constituent is worth its held and in-flight tokens together, rounded down once, plus the uncollected cash', () => {
    const [a, b] = examplePools();
    const basket = exampleBasket();
    const [c0, c1] = activeConstituents(basket);
    // (1,000 + 500)·2,000,999 / 1,000,000 = 3,001.4985 → 3,001; + 7 uncollected.
    assert.equal(constituentValue(c0, a, { tokens: 500n, cash: 7n }), 3_008n);
    // Rounded apart the tokens would be worth 2,000 + 1,000: the program floors the sum once.
    assert.equal(holdingValue(1_000n, 2_000_999n, 1_000_000n) + holdingValue(500n, 2_000_999n, 1_000_000n), 3_000n);
    // 10·999 / 7 = 1,427.14 → 1,427.
    assert.equal(constituentValue(c1, b, { tokens: 0n, cash: 0n }), 1_427n);
    // A tranche without tokens is worth nothing.
    assert.equal(constituentValue(c1, pool(1, 999n, 0n), { tokens: 0n, cash: 3n }), 3n);
  });

  test('the basket is worth its sleeve plus every constituent', () => {
    const v = basketValue(exampleBasket(), examplePools(), exampleFlights(), NOW);
    assert.ok(!isBasketRefusal(v));
    assert.equal(v.value, 1_000n + 3_008n + 1_427n);
    assert.deepEqual(v.values, [3_008n, 1_427n, 0n, 0n, 0n, 0n]);
  });

  test('its refusals: pools missing, a stale NAV, overflow, a worthless basket with tokens', () => {
    const basket = exampleBasket();
    const pools = examplePools();
    assert.deepEqual(basketValue(basket, pools.slice(0, 1), exampleFlights(), NOW), {
      error: 'ConstituentPoolsMissing',
    });
    // Any constituent's pool: the second one's NAV is yesterday's.
    const stale = [pools[0], { ...pools[1], navTime: NOW - DAY }];
    assert.deepEqual(basketValue(basket, stale, exampleFlights(), NOW), { error: 'NavStale' });
    assert.deepEqual(basketValue(basket, [pools[0], { ...pools[1], navDirty: true }], exampleFlights(), NOW), {
      error: 'NavStale',
    });
    assert.deepEqual(basketValue({ ...basket, sleeveBalance: U64_MAX - 4_000n }, pools, exampleFlights(), NOW), {
      error: 'MathOverflow',
    });
    const worthless = [pool(0, 0n, 1_000_000n), pool(1, 0n, 7n)];
    assert.deepEqual(basketValue({ ...basket, sleeveBalance: 0n }, worthless, noFlights(), NOW), {
      error: 'BasketWorthless',
    });
    // Without tokens out, a basket may be worth nothing: the first exchange in is at par.
    const empty = { ...basket, sleeveBalance: 0n, supply: 0n };
    assert.deepEqual(basketValue(empty, worthless, noFlights(), NOW), { value: 0n, values: Array(6).fill(0n) });
  });
});

describe('the exchange-in amount (math/basket.rs)', () => {
  test('tokensForExchangeIn: the haircut comes off the value, then the basket price; both rounded down', () => {
    // ⌊1,554·0.98⌋ = ⌊1,522.92⌋ = 1,522; ⌊1,522·5,000 / 5,435⌋ = ⌊1,400.18⌋ = 1,400.
    assert.equal(tokensForExchangeIn(1_554n, 200, 5_435n, 5_000n), 1_400n);
    // Floored twice, not once: ⌊1,554·0.98·5,000 / 5,435⌋ = ⌊1,401.03⌋ would be 1,401 (the
    // formula in math/basket.rs's comment); the program floors the net value first.
    assert.equal((1_554n * 9_800n * 5_000n) / (BPS * 5_435n), 1_401n);
    // The Rust `edges`: an empty basket mints at par after the haircut; tokens but no value: None.
    assert.equal(tokensForExchangeIn(1_000n, 1_000, 0n, 0n), 900n);
    assert.equal(tokensForExchangeIn(1_000n, 0, 0n, 5n), null);
    // More basket tokens than a u64: None (the program's `try_from`).
    assert.equal(tokensForExchangeIn(U64_MAX, 0, 1n, U64_MAX), null);
    assert.throws(() => tokensForExchangeIn(1n, 10_001, 1n, 1n), RangeError);
  });

  test('planExchangeIn: the example basket, 777 tokens of constituent 0', () => {
    const p = planned(planExchangeIn(exampleBasket(), examplePools(), exampleFlights(), 0, 777n, NOW));
    // 777·2,000,999 / 1,000,000 = 1,554.776 → 1,554; less 2 %: 1,522.92 → 1,522 (32 kept);
    // at 5,435 over 5,000 basket tokens: 1,522·5,000 / 5,435 = 1,400.18 → 1,400.
    assert.equal(p.valueIn, 1_554n);
    assert.equal(p.haircut, 32n);
    assert.equal(p.basketTokens, 1_400n);
    assert.equal(p.basketValue, 5_435n);
    assert.deepEqual(p.values, [3_008n, 1_427n, 0n, 0n, 0n, 0n]);
    // (3,008 + 1,554)·10⁴ / (5,435 + 1,554) = 6,527.40 → 6,527 bps.
    assert.equal(p.shareAfterBps, 6_527n);
  });

  test('planExchangeIn into an empty basket mints the net value at par, one token per base unit', () => {
    const basket = { ...exampleBasket(), sleeveBalance: 0n, supply: 0n };
    basket.constituents = basket.constituents.map((c) => ({ ...c, held: 0n, requestOpen: false, requestId: 0n }));
    const pools = [pool(0, 1_234_567n, 1_000_000n), pool(1, 999n, 7n)];
    // 1,000·1,234,567 / 10⁶ = 1,234.567 → 1,234; less 2 %: 1,209.32 → 1,209.
    const p = planned(planExchangeIn(basket, pools, noFlights(), 0, 1_000n, NOW));
    assert.deepEqual([p.valueIn, p.haircut, p.basketTokens, p.shareAfterBps], [1_234n, 25n, 1_209n, 10_000n]);
    // The first exchange in takes the whole value: only a constituent capped at 100 % may make it.
    assert.deepEqual(planExchangeIn(basket, pools, noFlights(), 1, 1n, NOW), { error: 'ConcentrationCapExceeded' });
  });

  test("rounding is never in the holder's favour: one more base unit of value, one token more or none", () => {
    // 1,400 tokens at 5,435/5,000 are worth 1,521.8; the holder paid 1,522 net. The next tranche
    // token adds 2.000999 of value: 1,556 → 1,524 net → 1,402 tokens.
    const basket = exampleBasket();
    const at = (tokens: bigint) => planned(planExchangeIn(basket, examplePools(), exampleFlights(), 0, tokens, NOW));
    assert.equal(at(778n).basketTokens, 1_402n);
    for (const tokens of [2n, 3n, 777n, 1_001n, 123_456n]) {
      const p = at(tokens);
      // What was minted is worth no more than the net value paid for it, at the basket's price.
      assert.ok(p.basketTokens * p.basketValue <= (p.valueIn - p.haircut) * basket.supply, `${tokens}`);
      assert.ok((p.basketTokens + 1n) * p.basketValue > (p.valueIn - p.haircut) * basket.supply, `${tokens}`);
    }
  });
});

describe("planExchangeIn's refusals, in the program's order", () => {
  const basket = exampleBasket();
  const pools = examplePools();
  const flights = exampleFlights();
  const refusal = (b: Basket, p: Pool[], index: number, tokens: bigint) =>
    planExchangeIn(b, p, flights, index, tokens, NOW);
  const withConstituent = (i: number, over: Partial<Constituent>): Basket => ({
    ...basket,
    constituents: basket.constituents.map((c, j) => (j === i ? { ...c, ...over } : c)),
  });

  test('the list is exactly the one plan_exchange_in checks', () => {
    assert.deepEqual(
      [...EXCHANGE_IN_REFUSALS],
      [
        'BasketPaused',
        'UnknownConstituent',
        'ConstituentDisabled',
        'ZeroAmount',
        'ConstituentPoolsMissing',
        'NavStale',
        'MathOverflow',
        'BasketWorthless',
        'PoolPaused',
        'WrongStage',
        'ConcentrationCapExceeded',
      ],
    );
  });

  test('BasketPaused, before everything else', () => {
    const paused = { ...withConstituent(0, { enabled: false }), paused: true };
    assert.deepEqual(refusal(paused, pools, 0, 0n), { error: 'BasketPaused' });
    assert.deepEqual(refusal(paused, pools, 9, 1n), { error: 'BasketPaused' });
  });

  test('UnknownConstituent: past the active constituents, or not an index', () => {
    assert.deepEqual(refusal(basket, pools, 2, 1n), { error: 'UnknownConstituent' });
    assert.deepEqual(refusal(basket, pools, -1, 1n), { error: 'UnknownConstituent' });
    assert.deepEqual(refusal(basket, pools, 0.5, 1n), { error: 'UnknownConstituent' });
  });

  test('ConstituentDisabled, before the amount', () => {
    assert.deepEqual(refusal(withConstituent(0, { enabled: false }), pools, 0, 0n), { error: 'ConstituentDisabled' });
  });

  test('ZeroAmount for no tokens, before the valuation', () => {
    assert.deepEqual(refusal(basket, [pools[0]], 0, 0n), { error: 'ZeroAmount' });
  });

  test("the valuation's: ConstituentPoolsMissing, NavStale (any constituent's pool), MathOverflow, BasketWorthless", () => {
    assert.deepEqual(refusal(basket, [pools[0]], 0, 1n), { error: 'ConstituentPoolsMissing' });
    const staleOther = [pools[0], { ...pools[1], navTime: NOW - 3_601n }];
    assert.deepEqual(refusal(basket, staleOther, 0, 1n), { error: 'NavStale' });
    // NavStale comes before the constituent's own pool being paused.
    assert.deepEqual(refusal(basket, [{ ...pools[0], paused: true }, staleOther[1]], 0, 1n), { error: 'NavStale' });
    assert.deepEqual(refusal({ ...basket, sleeveBalance: U64_MAX - 4_000n }, pools, 0, 1n), { error: 'MathOverflow' });
    // Worth nothing with tokens out (nothing in flight either: the uncollected 7 would count).
    const worthless = [pool(0, 0n, 1_000_000n), pool(1, 0n, 7n)];
    assert.deepEqual(planExchangeIn({ ...basket, sleeveBalance: 0n }, worthless, noFlights(), 1, 1n, NOW), {
      error: 'BasketWorthless',
    });
  });

  test('PoolPaused, then WrongStage in Crisis (Stress is fine)', () => {
    const crisis = { ...pools[0], stage: Stage.Crisis };
    assert.deepEqual(refusal(basket, [{ ...crisis, paused: true }, pools[1]], 0, 1n), { error: 'PoolPaused' });
    assert.deepEqual(refusal(basket, [crisis, pools[1]], 0, 1n), { error: 'WrongStage' });
    // (One token would buy no basket token; 777 buy 1,400, as in the example.)
    const stress = planned(refusal(basket, [{ ...pools[0], stage: Stage.Stress }, pools[1]], 0, 777n));
    assert.equal(stress.basketTokens, 1_400n);
    // Only the constituent's own pool: constituent 1's pool in Crisis or paused does not stop constituent 0.
    const other = [pools[0], { ...pools[1], stage: Stage.Crisis, paused: true }];
    assert.equal(planned(refusal(basket, other, 0, 777n)).basketTokens, 1_400n);
  });

  test('BasketWorthless when the price cannot be had: more basket tokens than a u64', () => {
    // A basket worth 1 base unit over 2⁶³ tokens; 10⁶ tranche tokens worth 2,000 in.
    const tiny = {
      ...basket,
      sleeveBalance: 1n,
      supply: 1n << 63n,
      constituents: basket.constituents.map((c) => ({ ...c, held: 0n })),
    };
    assert.deepEqual(planExchangeIn(tiny, pools, noFlights(), 0, 1_000_000n, NOW), { error: 'BasketWorthless' });
  });

  test('ZeroAmount when the tokens are worth nothing, or buy less than one basket token', () => {
    // One token of a tranche worth 999 over 1,000,000 is worth 0.000999 → 0.
    const cheap = [pool(0, 999n, 1_000_000n), pools[1]];
    assert.deepEqual(refusal(basket, cheap, 0, 1n), { error: 'ZeroAmount' });
    // Worth 1 base unit, 0.98 after the haircut → 0 net, 0 tokens.
    assert.deepEqual(refusal(basket, [pool(0, 1_000_000n, 1_000_000n), pools[1]], 0, 1n), { error: 'ZeroAmount' });
    // Worth 2 (1.96 → 1 net), but a basket token costs 1.087: 1·5,000/5,435 → 0.
    assert.deepEqual(refusal(basket, pools, 0, 1n), { error: 'ZeroAmount' });
  });

  test('ConcentrationCapExceeded past the cap; exactly at it is allowed', () => {
    // Constituent 1 (cap 40 %) is worth 1,427 of 5,435: (1,427 + v)·10⁴ ≤ 4,000·(5,435 + v) → v ≤ 1,245.
    // 8 tokens are worth ⌊7,992/7⌋ = 1,141; 9 are worth ⌊8,991/7⌋ = 1,284.
    assert.ok(!isBasketRefusal(refusal(basket, pools, 1, 8n)));
    assert.deepEqual(refusal(basket, pools, 1, 9n), { error: 'ConcentrationCapExceeded' });
    // At par (value = supply) with 1,427 held, v tokens are worth v: equality at v = 1,245,
    // (1,427 + 1,245)·10⁴ = 26,720,000 = 4,000·(5,435 + 1,245), is allowed; one more is not.
    const par = [pools[0], pool(1, 1_000_000n, 1_000_000n)];
    const b = withConstituent(1, { held: 1_427n });
    const at = planned(refusal(b, par, 1, 1_245n));
    assert.deepEqual([at.basketValue, at.values[1], at.valueIn, at.shareAfterBps], [5_435n, 1_427n, 1_245n, 4_000n]);
    assert.deepEqual(refusal(b, par, 1, 1_246n), { error: 'ConcentrationCapExceeded' });
    // A disabled cap check would take it: the same exchange with the cap at 100 % goes through.
    assert.ok(!isBasketRefusal(refusal(withConstituent(1, { held: 1_427n, capBps: 10_000 }), par, 1, 1_246n)));
  });

  test('a u64 amount only', () => {
    assert.throws(() => planExchangeIn(basket, pools, flights, 0, -1n, NOW), RangeError);
    assert.throws(() => planExchangeIn(basket, pools, flights, 0, U64_MAX + 1n, NOW), RangeError);
  });
});

describe('exchanging in never dilutes (the Rust proptest exchange_in_never_dilutes)', () => {
  test('value per basket token does not fall, whatever the haircut: 5,000 seeded cases', () => {
    const rng = prng(0x5eed_ba5e_7_2027n);
    const below50 = () => rng.below(1n << 50n);
    for (let k = 0; k < 5_000; k++) {
      const value = 1n + rng.below((1n << 50n) - 1n);
      const supply = 1n + rng.below((1n << 50n) - 1n);
      const valueIn = below50();
      const haircut = rng.int(5_001);
      const minted = tokensForExchangeIn(valueIn, haircut, value, supply);
      assert.ok(minted !== null, `case ${k}`);
      // (value + valueIn) / (supply + minted) ≥ value / supply
      assert.ok(
        (value + valueIn) * supply >= value * (supply + minted),
        `case ${k}: value ${value}, supply ${supply}, in ${valueIn}, haircut ${haircut} → ${minted}`,
      );
    }
  });

  test('the property has teeth: rounding the mint up instead would dilute', () => {
    const rng = prng(7n);
    let diluted = 0;
    for (let k = 0; k < 1_000; k++) {
      const value = 1n + rng.below(1n << 40n);
      const supply = 1n + rng.below(1n << 40n);
      const net = rng.below(1n << 40n);
      const roundedUp = (net * supply + value - 1n) / value;
      if ((value + net) * supply < value * (supply + roundedUp)) diluted++;
    }
    assert.ok(diluted > 0, 'a ceiling would give away value');
  });

  test('through planExchangeIn: the basket revalued after the exchange is worth no less per token', () => {
    const rng = prng(0xbadc0ffeen);
    let checked = 0;
    for (let k = 0; k < 2_000; k++) {
      const basket = exampleBasket();
      basket.sleeveBalance = rng.below(1n << 45n);
      basket.supply = rng.below(4n) === 0n ? 0n : 1n + rng.below(1n << 48n);
      basket.constituents = basket.constituents.map((c, j) =>
        j < 2 ? { ...c, held: rng.below(1n << 40n), haircutBps: rng.int(5_001), capBps: 10_000 } : c,
      );
      const pools = [0, 1].map((t) => pool(t, rng.below(1n << 45n), 1n + rng.below(1n << 45n)));
      const flights = noFlights();
      flights[0] = { tokens: rng.below(1n << 40n), cash: rng.below(1n << 30n) };
      const index = rng.int(2);
      const tokens = 1n + rng.below(1n << 40n);
      const plan = planExchangeIn(basket, pools, flights, index, tokens, NOW);
      if (isBasketRefusal(plan)) {
        assert.ok(['ZeroAmount', 'BasketWorthless'].includes(plan.error), `case ${k}: ${plan.error}`);
        continue;
      }
      // What exchange_in then books: the tokens held, the basket tokens out.
      const after: Basket = {
        ...basket,
        supply: basket.supply + plan.basketTokens,
        constituents: basket.constituents.map((c, j) => (j === index ? { ...c, held: c.held + tokens } : c)),
      };
      const v = basketValue(after, pools, flights, NOW);
      assert.ok(!isBasketRefusal(v), `case ${k}`);
      // The new value holds at least the value paid in (each term floored once, on more tokens).
      assert.ok(v.value >= plan.basketValue + plan.valueIn, `case ${k}`);
      if (basket.supply > 0n) {
        assert.ok(v.value * basket.supply >= plan.basketValue * after.supply, `case ${k}: diluted`);
      }
      checked++;
    }
    assert.ok(checked > 1_000, `${checked} exchanges planned`);
  });
});

// ---------------------------------------------------------------------------------------
// loadBasketView against a fake RPC: accounts as the node would serve them (base64, dataSlice).

type FakeAccount = { owner: Address; data: Uint8Array };

function fakeRpc(accounts: Map<Address, FakeAccount>) {
  const sliced: { address: Address; length: number }[] = [];
  const ui = (a: Address, config?: { dataSlice?: { offset: number; length: number } }) => {
    const account = accounts.get(a);
    if (!account) return null;
    const s = config?.dataSlice;
    const data = s ? account.data.slice(s.offset, s.offset + s.length) : account.data;
    sliced.push({ address: a, length: data.length });
    return {
      data: [Buffer.from(data).toString('base64'), 'base64'],
      executable: false,
      lamports: 1_000_000n,
      owner: account.owner,
      space: BigInt(account.data.length),
      rentEpoch: 0n,
    };
  };
  const rpc = {
    getAccountInfo: (a: Address, config?: { dataSlice?: { offset: number; length: number } }) => ({
      send: async () => ({ context: { slot: 1n }, value: ui(a, config) }),
    }),
    getMultipleAccounts: (as: Address[], config?: { dataSlice?: { offset: number; length: number } }) => ({
      send: async () => ({ context: { slot: 1n }, value: as.map((a) => ui(a, config)) }),
    }),
  };
  return { rpc: rpc as unknown as BasketRpc, sliced };
}

function mintBytes(supply: bigint): Uint8Array {
  const data = new Uint8Array(82);
  new DataView(data.buffer).setBigUint64(36, supply, true);
  return data;
}

function queueBytes(
  poolAddress: Address,
  tranche: number,
  id: bigint,
  owner: Address,
  remaining: bigint,
  claimable: bigint,
) {
  const data = new Uint8Array(48 + Number(QUEUE_CAPACITY) * 80);
  data.set(REDEMPTION_QUEUE_DISCRIMINATOR, 0);
  data.set(getAddressEncoder().encode(poolAddress), 8);
  data[40] = tranche;
  const request = getRequestEncoder().encode({
    owner,
    original: remaining + 100n,
    remaining,
    claimable,
    installment: 10n,
    requestedAt: NOW - DAY,
    pullOnly: 1,
    pad: new Uint8Array(7),
  });
  data.set(request, 48 + Number(id % QUEUE_CAPACITY) * 80);
  return data;
}

function world(over: { queueOwner?: Address; queueTranche?: number } = {}) {
  const basket = exampleBasket();
  const pools = examplePools();
  pools[0] = { ...pools[0], params: { ...pools[0].params, permissioned: true } };
  const accounts = new Map<Address, FakeAccount>([
    [BASKET, { owner: SLUICE_PROGRAM_ADDRESS, data: new Uint8Array(getBasketEncoder().encode(basket)) }],
    [BASKET_MINT, { owner: address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb'), data: mintBytes(4_990n) }],
    [POOL_A, { owner: SLUICE_PROGRAM_ADDRESS, data: new Uint8Array(getPoolEncoder().encode(pools[0])) }],
    [POOL_B, { owner: SLUICE_PROGRAM_ADDRESS, data: new Uint8Array(getPoolEncoder().encode(pools[1])) }],
    [
      QUEUE_A,
      {
        owner: SLUICE_PROGRAM_ADDRESS,
        data: queueBytes(POOL_A, over.queueTranche ?? 0, 10_245n, over.queueOwner ?? BASKET, 500n, 7n),
      },
    ],
  ]);
  return { accounts, ...fakeRpc(accounts) };
}

describe('loadBasketView and the priced accounts (BasketView in app/sdk/src/client.rs)', () => {
  test('the basket, its supply as the mint has it, its pools in order, and its open request from the queue slot', async () => {
    const { rpc, sliced } = world();
    const view = await loadBasketView(rpc, BASKET);
    assert.equal(view.address, BASKET);
    // A holder burned 10 basket tokens directly: the program prices with the mint's 4,990.
    assert.equal(view.basket.supply, 4_990n);
    assert.equal(view.pools.length, 2);
    assert.deepEqual(
      view.pools.map((p) => [p.tranches[0].value, p.tranches[1].value]),
      [
        [2_000_999n, 0n],
        [0n, 999n],
      ],
    );
    // Request 10,245 lives in slot 5: 500 tokens left, 7 paid and not collected.
    assert.deepEqual(view.flights, exampleFlights());
    // The queue was read in two slices: its 48-byte header and its one 80-byte request.
    assert.deepEqual(
      sliced.filter((s) => s.address === QUEUE_A).map((s) => s.length),
      [48, 80],
    );
    const p = planned(planExchangeIn(view.basket, view.pools, view.flights, 0, 777n, NOW));
    // 1,522·4,990 / 5,435 = 1,397.37 → 1,397.
    assert.equal(p.basketTokens, 1_397n);
  });

  test("priced accounts: every constituent pool in order, then the open requests' queues", async () => {
    const { rpc } = world();
    const view = await loadBasketView(rpc, BASKET);
    assert.deepEqual(basketPricedAccounts(view), [POOL_A, POOL_B, QUEUE_A]);
    // Two tranches of one pool: the pool twice; no open request: no queue.
    const same = {
      ...view.basket,
      constituents: view.basket.constituents.map((c) => ({ ...c, pool: POOL_A, requestOpen: false })),
    };
    assert.deepEqual(basketPricedAccounts({ basket: same }), [POOL_A, POOL_A]);
  });

  test("a queue slot that is not the basket's own request, or a queue of another tranche, is refused as the program would", async () => {
    await assert.rejects(loadBasketView(world({ queueOwner: addr(99) }).rpc, BASKET), (e: unknown) => {
      assert.ok(e instanceof BasketViewError);
      assert.equal(e.programError, 'InvariantViolated');
      return true;
    });
    await assert.rejects(
      loadBasketView(world({ queueTranche: 2 }).rpc, BASKET),
      (e: unknown) => e instanceof BasketViewError && e.programError === 'InvariantViolated',
    );
    const { accounts, rpc } = world();
    accounts.set(POOL_B, { ...accounts.get(POOL_B)!, owner: addr(98) });
    await assert.rejects(
      loadBasketView(rpc, BASKET),
      (e: unknown) => e instanceof BasketViewError && e.programError === 'ConstituentPoolsMissing',
    );
    await assert.rejects(loadBasketView(rpc, POOL_A), (e: unknown) => e instanceof BasketViewError);
  });

  test("exchangeInInstruction: the constituent's accounts, the member where permissioned, the priced accounts read-only at the end", async () => {
    const { rpc } = world();
    const view = await loadBasketView(rpc, BASKET);
    const holder = createNoopSigner(addr(50));
    const ix = await exchangeInInstruction({
      view,
      holder,
      holderTranche: addr(51),
      holderBasket: addr(52),
      index: 0,
      tokens: 777n,
      minOut: 1_397n,
    });
    const accounts = ix.accounts!.map((a) => a.address);
    assert.deepEqual(accounts.slice(0, 9), [
      addr(50),
      BASKET,
      BASKET_MINT,
      addr(10),
      addr(11),
      addr(51),
      addr(52),
      await memberAddress(POOL_A, addr(50)),
      address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb'),
    ]);
    assert.deepEqual(
      ix.accounts!.slice(9).map((a) => [a.address, a.role]),
      [POOL_A, POOL_B, QUEUE_A].map((a) => [a, AccountRole.READONLY]),
    );
    // Pool B is not permissioned: no member record (the program's address stands in for None).
    const other = await exchangeInInstruction({
      view,
      holder,
      holderTranche: addr(51),
      holderBasket: addr(52),
      index: 1,
      tokens: 1n,
      minOut: 0n,
    });
    assert.equal(other.accounts![7].address, SLUICE_PROGRAM_ADDRESS);
    await assert.rejects(
      exchangeInInstruction({
        view,
        holder,
        holderTranche: addr(51),
        holderBasket: addr(52),
        index: 2,
        tokens: 1n,
        minOut: 0n,
      }),
      RangeError,
    );
    const plain = withRemainingAccounts({ programAddress: SLUICE_PROGRAM_ADDRESS }, [POOL_B]);
    assert.deepEqual(plain.accounts, [{ address: POOL_B, role: AccountRole.READONLY }]);
  });
});
