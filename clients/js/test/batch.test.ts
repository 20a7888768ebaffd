// Batch planning without a node: the port of math/allocation.rs checked against exhaustive
// search and the Rust tests' own properties and vectors, `planBatch`'s refusals in the
// program's order and its plans on a hand-computed pool, and the request-level previews
// (`expectedFill`, `fillSchedule`) built on them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { address } from '@solana/kit';

import {
  allocate,
  buybackPrice,
  cashAboveFloor,
  expectedFill,
  fillSchedule,
  fillShares,
  getPoolDecoder,
  getPoolSize,
  isBatchRefusal,
  navIsFresh,
  planBatch,
  proRata,
  Stage,
  tokensWithin,
  valueOf,
  type BatchPlan,
  type Pool,
  type Request,
  type TrancheSide,
} from '../src';

import { prng } from './prng';

const BPS = 10_000n;
const U64_MAX = (1n << 64n) - 1n;
const DAY = 86_400n;
/** One whole base token (6 decimals), the unit the example pool is written in. */
const UNIT = 1_000_000n;
/** Noon (UTC) on some day: a NAV computed this morning is fresh. */
const NOW = 20_000n * DAY + 43_200n;

// ---------------------------------------------------------------------------------------
// A pool to plan on: every field zero (as the Rust tests' `Pool::default()`), then the example
// of this file. NAV 1,000,000 (×10^6 base units): senior 700,000 over 690,000 tokens (min.
// subordination 20 %), mezzanine 200,000 over 200,000 (5 %), junior 100,000 over 95,000; cash
// 100,000, so 80,000 above the 2 % floor. A NAV repriced ten minutes ago, the last batch a day
// ago, a reserve of 15,000. Nothing queued: tests set `demandTokens`.

const ZERO_POOL: Pool = getPoolDecoder().decode(new Uint8Array(getPoolSize()));

function examplePool(): Pool {
  const tranche = (i: number, value: bigint, supply: bigint, minSubordinationBps: number) => ({
    ...ZERO_POOL.tranches[i],
    minSubordinationBps,
    principal: value,
    claim: value,
    value,
    supply,
  });
  return {
    ...ZERO_POOL,
    stage: Stage.Normal,
    params: {
      ...ZERO_POOL.params,
      maxNavAgeSecs: 3_600,
      redemption: {
        ...ZERO_POOL.params.redemption,
        cashFloorBps: 200,
        installments: 7,
        batchIntervalSecs: 86_400,
        minRequest: 1_000_000n,
        buybackDiscountBps: 200,
        reserveBatchShareBps: 2_500,
      },
    },
    cash: 100_000n * UNIT,
    nav: 1_000_000n * UNIT,
    navTime: NOW - 600n,
    trancheCount: 3,
    tranches: [
      tranche(0, 700_000n * UNIT, 690_000n * UNIT, 2_000),
      tranche(1, 200_000n * UNIT, 200_000n * UNIT, 500),
      tranche(2, 100_000n * UNIT, 95_000n * UNIT, 0),
    ],
    batch: { ...ZERO_POOL.batch, id: 4n, openedAt: NOW - DAY },
    reserveVault: address('Reserve111111111111111111111111111111111111'),
    reserveBalance: 15_000n * UNIT,
  };
}

/** `pool` with tranche `i`'s queued demand set to `tokens` (and the rest as they are). */
function withDemand(pool: Pool, demand: Record<number, bigint>): Pool {
  return { ...pool, tranches: pool.tranches.map((t, i) => ({ ...t, demandTokens: demand[i] ?? t.demandTokens })) };
}

function request(remaining: bigint, installment: bigint): Request {
  return {
    owner: address('11111111111111111111111111111111'),
    original: remaining,
    remaining,
    claimable: 0n,
    installment,
    requestedAt: NOW - 2n * DAY,
    pullOnly: 0,
    pad: new Uint8Array(7),
  };
}

function plan(pool: Pool, now = NOW): BatchPlan {
  const p = planBatch(pool, now);
  if (isBatchRefusal(p)) assert.fail(`planBatch refused: ${p.error}`);
  return p;
}

// ---------------------------------------------------------------------------------------

/** Every constraint an allocation must satisfy, checked independently (the Rust test's `feasible`). */
function feasible(budget: bigint, nav: bigint, sides: TrancheSide[], tokens: bigint[]): boolean {
  const paid = sides.map((s, i) => valueOf(tokens[i], s.value, s.supply));
  const total = paid.reduce((a, b) => a + b, 0n);
  if (total > budget) return false;
  const navAfter = nav - total;
  return sides.every((s, i) => {
    if (tokens[i] > s.demandTokens) return false;
    if (s.minSubordinationBps === 0 || s.supply === 0n) return true;
    let below = 0n;
    for (let j = i + 1; j < sides.length; j++) below += sides[j].value - paid[j];
    return below * BPS >= BigInt(s.minSubordinationBps) * navAfter;
  });
}

/** Lexicographic order on token vectors (senior first). */
function lexGreater(a: bigint[], b: bigint[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

describe('allocation.rs, ported', () => {
  test('tokensWithin: the Rust vectors and the edges', () => {
    assert.equal(tokensWithin(1_000n, 5_000n, 0n), 0n, 'a tranche without tokens sells nothing');
    assert.equal(tokensWithin(0n, 0n, 0n), 0n);
    assert.equal(tokensWithin(0n, 0n, 5n), U64_MAX, 'a tranche worth nothing: any count for 0');
    assert.equal(tokensWithin(0n, 3n, 2n), 0n);
    assert.equal(tokensWithin(U64_MAX, 1n, U64_MAX), U64_MAX, 'capped at u64::MAX');
    assert.equal(valueOf(7n, 1_000_003n, 7n), 1_000_003n, 'the whole supply gets the whole value');
    assert.equal(valueOf(3n, 10n, 7n), 4n);
  });

  test('tokensWithin is the largest k with valueOf(k) ≤ budget (exhaustive on small inputs)', () => {
    const r = prng(0x5eed_0001n);
    for (let n = 0; n < 3_000; n++) {
      const [budget, value, supply] = [r.below(200n), 1n + r.below(60n), 1n + r.below(60n)];
      let largest = 0n;
      while (valueOf(largest + 1n, value, supply) <= budget) largest++;
      assert.equal(tokensWithin(budget, value, supply), largest, `budget ${budget}, value ${value}, supply ${supply}`);
    }
    // And on large ones, by the definition at k and k + 1.
    for (let n = 0; n < 2_000; n++) {
      const [budget, value, supply] = [r.below(1n << 50n), 1n + r.below(1n << 50n), 1n + r.below(1n << 50n)];
      const k = tokensWithin(budget, value, supply);
      assert.ok(valueOf(k, value, supply) <= budget && valueOf(k + 1n, value, supply) > budget);
    }
  });

  test('allocate is the lexicographic optimum of exhaustive search (allocation_matches_brute_force)', () => {
    const r = prng(0x5eed_0002n);
    let checked = 0;
    for (let n = 0; n < 2_000; n++) {
      const count = 1 + r.int(3);
      const sides: TrancheSide[] = Array.from({ length: count }, () => {
        const supply = 1n + r.below(11n);
        return {
          demandTokens: min(r.below(8n), supply),
          value: 1n + r.below(39n),
          supply,
          minSubordinationBps: r.int(6_000),
        };
      });
      sides[count - 1].minSubordinationBps = 0;
      const budget = r.below(120n);
      const nav = sides.reduce((a, s) => a + s.value, 0n);
      // Only a state that satisfies subordination owes anything.
      if (
        !feasible(
          budget,
          nav,
          sides,
          sides.map(() => 0n),
        )
      )
        continue;
      checked++;
      const got = allocate(budget, nav, sides);
      assert.equal(got.tokens.length, 3);
      const tokens = got.tokens.slice(0, count);
      assert.ok(feasible(budget, nav, sides, tokens), `feasible: ${tokens} for ${JSON.stringify(sides, big)}`);
      assert.ok(got.value.reduce((a, b) => a + b, 0n) <= budget, 'never more than the budget');
      let best = sides.map(() => 0n);
      const walk = (i: number, k: bigint[]) => {
        if (i === count) {
          if (feasible(budget, nav, sides, k) && lexGreater(k, best)) best = [...k];
          return;
        }
        for (let x = 0n; x <= sides[i].demandTokens; x++) walk(i + 1, [...k, x]);
      };
      walk(0, []);
      assert.deepEqual(tokens, best, `budget ${budget}, sides ${JSON.stringify(sides, big)}`);
    }
    assert.ok(checked > 1_000, `${checked} cases checked`);
  });

  test('allocate on large numbers: within budget and demand, every bound kept, each tranche maximal', () => {
    const r = prng(0x5eed_0003n);
    for (let n = 0; n < 1_000; n++) {
      const sides: TrancheSide[] = [0, 1, 2].map((i) => {
        const supply = 1n + r.below(1n << 40n);
        return {
          demandTokens: r.below(supply + 1n),
          value: r.below(1n << 40n),
          supply,
          minSubordinationBps: i < 2 ? r.int(5_000) : 0,
        };
      });
      const nav = sides.reduce((a, s) => a + s.value, 0n);
      const budget = r.below(nav / 2n + 1n);
      if (!feasible(budget, nav, sides, [0n, 0n, 0n])) continue;
      const got = allocate(budget, nav, sides);
      assert.ok(feasible(budget, nav, sides, got.tokens));
      got.tokens.forEach((k, t) => {
        assert.equal(got.value[t], valueOf(k, sides[t].value, sides[t].supply));
        // Senior first: given the tranches above, one more token of this one (the ones below
        // paid nothing, the most room it could have) is infeasible or not demanded.
        const more = got.tokens.map((x, j) => (j < t ? x : j === t ? x + 1n : 0n));
        assert.ok(k === sides[t].demandTokens || !feasible(budget, nav, sides, more), `tranche ${t} maximal`);
      });
    }
  });

  test('allocate pays senior first, and a senior tranche bounds what the ones below may take', () => {
    const p = examplePool();
    const sides = (demand: bigint[]) =>
      p.tranches.map((t, i) => ({
        demandTokens: demand[i],
        value: t.value,
        supply: t.supply,
        minSubordinationBps: i < 2 ? t.minSubordinationBps : 0,
      }));
    // The senior wants more than the 80,000 budget: it takes it all, the junior nothing.
    const seniorFirst = allocate(80_000n * UNIT, p.nav, sides([100_000n * UNIT, 0n, 10_000n * UNIT]));
    assert.deepEqual(seniorFirst.tokens, [78_857_142_858n, 0n, 0n]);
    assert.deepEqual(seniorFirst.value, [80_000n * UNIT, 0n, 0n]);
    // The junior alone: the mezzanine's 5 % bounds it at (BPS·100,000 − 500·NAV) / 9,500
    // = 52,631.578947 of value, i.e. exactly 50,000 tokens; one more token would break it.
    const bounded = allocate(80_000n * UNIT, p.nav, sides([0n, 0n, 95_000n * UNIT]));
    assert.deepEqual(bounded.tokens, [0n, 0n, 50_000n * UNIT]);
    assert.deepEqual(bounded.value, [0n, 0n, 52_631_578_947n]);
    const s = sides([0n, 0n, 95_000n * UNIT]);
    assert.ok(feasible(80_000n * UNIT, p.nav, s, bounded.tokens));
    assert.ok(!feasible(80_000n * UNIT, p.nav, s, [0n, 0n, 50_000n * UNIT + 1n]));
    // At a 10 % mezzanine bound the junior's 10 % of NAV is all there is: it takes nothing.
    const tight = s.map((x, i) => (i === 1 ? { ...x, minSubordinationBps: 1_000 } : x));
    assert.deepEqual(allocate(80_000n * UNIT, p.nav, tight).tokens, [0n, 0n, 0n]);
  });

  test('proRata never over-grants and loses less than a token per request (pro_rata_never_over_grants)', () => {
    const r = prng(0x5eed_0004n);
    for (let n = 0; n < 300; n++) {
      const allowed = Array.from({ length: 1 + r.int(49) }, () => r.below(1_000_000n));
      const demand = allowed.reduce((a, b) => a + b, 0n);
      const granted = (demand / 100n) * r.below(101n);
      const total = allowed.reduce((a, x) => a + proRata(x, granted, demand), 0n);
      assert.ok(total <= granted && granted - total < BigInt(allowed.length) + 1n);
    }
    assert.equal(proRata(5n, 5n, 0n), 0n, 'no demand: nothing');
  });

  test('fillShares over a queue spends exactly the grant (sequential_shares_spend_the_whole_grant)', () => {
    const r = prng(0x5eed_0005n);
    for (let n = 0; n < 500; n++) {
      const dust = n % 2 === 0 ? 0n : r.below(20_000n);
      const allowed = Array.from({ length: 1 + r.int(59) }, () => r.below(1_000_000n));
      const demand = allowed.reduce((a, b) => a + b, 0n);
      const granted = (demand * r.below(101n)) / 100n;
      const reserve = ((demand - granted) * r.below(101n)) / 100n;
      let [gl, rl, dl, sum, reserveSum] = [granted, reserve, demand, 0n, 0n];
      for (const a of allowed) {
        const { tokens, reserveTokens } = fillShares(a, gl, rl, dl, dust);
        assert.ok(tokens + reserveTokens <= a, 'within the allowance');
        [gl, rl, dl] = [gl - tokens, rl - reserveTokens, dl - a];
        sum += tokens;
        reserveSum += reserveTokens;
      }
      assert.equal(sum, granted, 'the vault grant is spent to the unit');
      assert.ok(reserve - reserveSum <= BigInt(allowed.length));
    }
  });

  test('fillShares pays dust whole while the grant lasts (dust_is_paid_whole_while_cash_is_scarce)', () => {
    assert.deepEqual(fillShares(1n, 100_000n, 0n, 1_000_001n, 0n), { tokens: 0n, reserveTokens: 0n });
    assert.deepEqual(fillShares(1n, 100_000n, 0n, 1_000_001n, 1_000n), { tokens: 1n, reserveTokens: 0n });
    assert.deepEqual(fillShares(999n, 5n, 0n, 1_000_000n, 1_000n), { tokens: 5n, reserveTokens: 0n });
    assert.deepEqual(fillShares(999n, 5n, 10_000n, 1_000_000n, 1_000n), { tokens: 5n, reserveTokens: 994n });
  });

  test('buybackPrice takes the discount and rounds down', () => {
    assert.equal(buybackPrice(999n, 200), 979n);
    assert.equal(buybackPrice(1_000n, 0), 1_000n);
    assert.equal(buybackPrice(1n, 1), 0n);
  });
});

describe('planBatch', () => {
  test("refuses as process_batch's require!s do, in their order", () => {
    // Nothing queued, not due and stale all at once: NothingToProcess comes first.
    const idle: Pool = { ...examplePool(), navDirty: true, batch: { ...examplePool().batch, openedAt: NOW } };
    assert.deepEqual(planBatch(idle, NOW), { error: 'NothingToProcess' });
    // Queued, still not due and stale: BatchNotDue.
    const queued = withDemand(idle, { 0: 10_000n * UNIT });
    assert.deepEqual(planBatch(queued, NOW), { error: 'BatchNotDue' });
    assert.deepEqual(planBatch(queued, NOW + DAY - 1n), { error: 'BatchNotDue' }, 'one second early');
    // Due (one interval after the last batch opened), still stale: NavStale.
    assert.deepEqual(planBatch(queued, NOW + DAY), { error: 'NavStale' });
    // Fresh: a plan.
    const due = withDemand(examplePool(), { 0: 10_000n * UNIT });
    assert.deepEqual(plan(due).tokens, [10_000n * UNIT, 0n, 0n]);
  });

  test('a NAV is stale when dirty, never computed, too old, or from before the last UTC midnight', () => {
    const due = withDemand(examplePool(), { 0: 10_000n * UNIT });
    assert.ok(navIsFresh(due, NOW));
    assert.ok(navIsFresh(due, due.navTime + 3_600n) && !navIsFresh(due, due.navTime + 3_601n), 'maxNavAgeSecs');
    for (const stale of [{ navDirty: true }, { navTime: 0n }, { navTime: NOW - 3_601n }]) {
      assert.deepEqual(planBatch({ ...due, ...stale }, NOW), { error: 'NavStale' }, JSON.stringify(stale, big));
    }
    // Ten minutes old but from yesterday: stale at 00:05.
    const midnight = NOW - 43_200n + DAY;
    assert.ok(!navIsFresh({ ...due, navTime: midnight - 300n }, midnight + 300n));
    assert.ok(navIsFresh({ ...due, navTime: midnight + 1n }, midnight + 300n));
  });

  test('nothing to grant is NothingToProcess: no cash above the floor in Normal, no realized budget in Crisis', () => {
    const due = withDemand(examplePool(), { 0: 10_000n * UNIT });
    const atFloor = { ...due, cash: 20_000n * UNIT };
    assert.equal(cashAboveFloor(atFloor), 0n);
    assert.deepEqual(planBatch(atFloor, NOW), { error: 'NothingToProcess' });
    // In Stress the reserve buys what the vault cannot pay; without a reserve, nothing.
    assert.ok(!isBatchRefusal(planBatch({ ...atFloor, stage: Stage.Stress }, NOW)));
    const noReserve = { ...atFloor, stage: Stage.Stress, reserveVault: ZERO_POOL.reserveVault };
    assert.deepEqual(planBatch(noReserve, NOW), { error: 'NothingToProcess' });
    // Crisis: the budget is the realized repayments, whatever the cash.
    const crisis = { ...due, stage: Stage.Crisis, reserveBalance: 0n };
    assert.deepEqual(planBatch({ ...crisis, realizedBudget: 0n }, NOW), { error: 'NothingToProcess' });
    const paid = plan({ ...crisis, realizedBudget: 1_000n * UNIT });
    assert.deepEqual(paid.tokens, [tokensWithin(1_000n * UNIT, 700_000n * UNIT, 690_000n * UNIT), 0n, 0n]);
  });

  test('Stress: the reserve buys, senior first, what the vault cannot, within its batch share', () => {
    // Cash at the floor: the vault pays nothing; the reserve may spend 25 % of 15,000.
    const p: Pool = { ...withDemand(examplePool(), { 0: 2_000n * UNIT, 1: 5_000n * UNIT }), stage: Stage.Stress };
    const stressed = { ...p, cash: 20_000n * UNIT };
    const got = plan(stressed);
    assert.deepEqual(got.tokens, [0n, 0n, 0n]);
    // The senior's 2,000 tokens whole (1,988.405796 paid at a 2 % discount), the mezzanine
    // what the remaining 1,761.594204 buys at 98 %: 1,797.545106 tokens.
    assert.deepEqual(got.reserveTokens, [2_000n * UNIT, 1_797_545_106n, 0n]);
    const cost = got.reserveTokens.reduce(
      (a, k, i) => a + buybackPrice(valueOf(k, p.tranches[i].value, p.tranches[i].supply), 200),
      0n,
    );
    assert.equal(cost, 3_749_999_999n);
    assert.ok(cost <= (p.reserveBalance * 2_500n) / BPS);
    // With cash, the vault pays first and the reserve buys only the rest; in Normal never.
    const both = plan(p);
    assert.deepEqual(both.tokens, [2_000n * UNIT, 5_000n * UNIT, 0n]);
    assert.deepEqual(both.reserveTokens, [0n, 0n, 0n]);
    assert.deepEqual(plan({ ...stressed, stage: Stage.Normal, cash: 20_001n * UNIT }).reserveTokens, [0n, 0n, 0n]);
  });

  test('does not change the pool it plans on', () => {
    const p = withDemand(examplePool(), { 0: 100_000n * UNIT, 2: 10_000n * UNIT });
    const before = JSON.stringify(p, big);
    plan(p);
    assert.equal(JSON.stringify(p, big), before);
  });
});

describe('expectedFill', () => {
  test("a new batch: the head request's share of the plan, and the queue's shares sum to the plan", () => {
    // Three requests: 30,000 + 50,000 (installments of 10,000 and 25,000) and a dust one.
    const queue = [
      request(30_000n * UNIT, 10_000n * UNIT),
      request(50_000n * UNIT, 25_000n * UNIT),
      request(500_000n, 1n << 60n),
    ];
    const demand = queue.reduce((a, q) => a + min(q.remaining, q.installment), 0n);
    // Cash for about half of it.
    const p = { ...withDemand(examplePool(), { 0: demand }), cash: 38_000n * UNIT };
    const planned = plan(p);
    assert.ok(planned.tokens[0] > 0n && planned.tokens[0] < demand);
    const head = expectedFill(p, 0, queue[0], NOW)!;
    const { tokens } = fillShares(10_000n * UNIT, planned.tokens[0], 0n, demand, 1_000_000n);
    assert.deepEqual(head, {
      redeemed: tokens,
      paid: valueOf(tokens, 700_000n * UNIT, 690_000n * UNIT),
      soldToReserve: 0n,
      reservePays: 0n,
    });
    // Visiting the queue as the program does hands out the whole grant.
    let [left, d, sum] = [planned.tokens[0], demand, 0n];
    for (const q of queue) {
      const a = min(q.remaining, q.installment);
      const share = fillShares(a, left, 0n, d, p.params.redemption.minRequest);
      [left, d, sum] = [left - share.tokens, d - a, sum + share.tokens];
    }
    assert.equal(sum, planned.tokens[0]);
    assert.equal(expectedFill(p, 0, queue[2], NOW)!.redeemed, 500_000n, 'dust is paid whole');
    // No batch now: null.
    assert.equal(expectedFill(p, 0, queue[0], NOW - 601n), null, 'BatchNotDue');
    assert.equal(expectedFill({ ...p, navDirty: true }, 0, queue[0], NOW), null, 'NavStale');
    assert.equal(expectedFill(p, 3, queue[0], NOW), null, 'no such tranche');
  });

  test('an open batch: the share of what it has left, at the lower of the batch and the current price', () => {
    const base = withDemand(examplePool(), { 0: 20_000n * UNIT });
    const open: Pool = {
      ...base,
      batch: {
        ...base.batch,
        open: true,
        openedAt: NOW - 3_600n,
        priceValue: [700_000n * UNIT, 200_000n * UNIT, 100_000n * UNIT],
        priceSupply: [690_000n * UNIT, 200_000n * UNIT, 95_000n * UNIT],
        demand: [20_000n * UNIT, 0n, 0n],
        granted: [8_000n * UNIT, 0n, 0n],
        reserveGranted: [2_000n * UNIT, 0n, 0n],
      },
    };
    const r = request(10_000n * UNIT, 10_000n * UNIT);
    const fill = expectedFill(open, 0, r, NOW)!;
    assert.equal(fill.redeemed, 4_000n * UNIT);
    assert.equal(fill.paid, valueOf(4_000n * UNIT, 700_000n * UNIT, 690_000n * UNIT));
    assert.equal(fill.soldToReserve, 1_000n * UNIT);
    assert.equal(fill.reservePays, buybackPrice(valueOf(1_000n * UNIT, 700_000n * UNIT, 690_000n * UNIT), 200));
    // Whether a batch is due or the NAV fresh does not matter to an open batch's share.
    assert.deepEqual(expectedFill({ ...open, navDirty: true }, 0, r, NOW), fill);
    // The senior has fallen to 600,000 since: the fill pays today's price, not the batch's.
    const fallen = { ...open, tranches: open.tranches.map((t, i) => (i === 0 ? { ...t, value: 600_000n * UNIT } : t)) };
    assert.equal(expectedFill(fallen, 0, r, NOW)!.paid, valueOf(4_000n * UNIT, 600_000n * UNIT, 690_000n * UNIT));
    // A rise is not passed on.
    const risen = { ...open, tranches: open.tranches.map((t, i) => (i === 0 ? { ...t, value: 800_000n * UNIT } : t)) };
    assert.equal(expectedFill(risen, 0, r, NOW)!.paid, fill.paid);
  });
});

describe('fillSchedule', () => {
  const total = (s: { batches: { tokens: bigint; paid: bigint }[] }) =>
    s.batches.reduce((a, b) => ({ tokens: a.tokens + b.tokens, paid: a.paid + b.paid }), { tokens: 0n, paid: 0n });

  test('with the cash for it, a request is paid one installment a batch, a batch interval apart', () => {
    const r = request(70_000n * UNIT, 10_000n * UNIT);
    const p = withDemand(examplePool(), { 0: 10_000n * UNIT });
    const s = fillSchedule(p, 0, r, NOW);
    assert.deepEqual(
      s.batches.map((b) => [b.at, b.tokens]),
      Array.from({ length: 7 }, (_, k) => [NOW + BigInt(k) * DAY, 10_000n * UNIT]),
    );
    assert.equal(s.fullyPaidAt, NOW + 6n * DAY);
    // The first batch is the one expectedFill shows now.
    assert.equal(s.batches[0].paid, expectedFill(p, 0, r, NOW)!.paid);
    // Redeeming at NAV leaves the senior price where it was: within a unit per batch.
    const whole = valueOf(70_000n * UNIT, 700_000n * UNIT, 690_000n * UNIT);
    assert.ok(whole - total(s).paid <= 7n, `${total(s).paid} vs ${whole}`);
    // Not due yet: from one interval after the last batch.
    const later = fillSchedule({ ...p, batch: { ...p.batch, openedAt: NOW - 600n } }, 0, r, NOW);
    assert.equal(later.batches[0].at, NOW - 600n + DAY);
    assert.equal(later.fullyPaidAt, NOW - 600n + 7n * DAY);
    // The cap on batches.
    assert.deepEqual(fillSchedule(p, 0, r, NOW, 3), { batches: s.batches.slice(0, 3), fullyPaidAt: null });
  });

  test('a stale NAV now: expectedFill is null, the schedule assumes the keeper reprices first', () => {
    const r = request(20_000n * UNIT, 10_000n * UNIT);
    const p = { ...withDemand(examplePool(), { 0: 10_000n * UNIT }), navDirty: true };
    assert.equal(expectedFill(p, 0, r, NOW), null);
    const s = fillSchedule(p, 0, r, NOW);
    assert.deepEqual(
      s.batches.map((b) => b.at),
      [NOW, NOW + DAY],
    );
    assert.deepEqual(s, fillSchedule({ ...p, navDirty: false }, 0, r, NOW));
  });

  test('no cash above the floor: nothing is paid, fullyPaidAt is null', () => {
    const p = { ...withDemand(examplePool(), { 0: 10_000n * UNIT }), cash: 20_000n * UNIT };
    assert.deepEqual(fillSchedule(p, 0, request(30_000n * UNIT, 10_000n * UNIT), NOW), {
      batches: [],
      fullyPaidAt: null,
    });
    assert.deepEqual(fillSchedule(p, 0, request(0n, 1n), NOW), { batches: [], fullyPaidAt: NOW }, 'nothing left');
  });

  test('when the others keep queueing, cash runs out and the rest is never paid', () => {
    // Ours is 10,000 of 100,000 tokens of senior demand each batch; 80,000 above the floor.
    const r = request(50_000n * UNIT, 10_000n * UNIT);
    const p = withDemand(examplePool(), { 0: 100_000n * UNIT });
    const s = fillSchedule(p, 0, r, NOW);
    assert.equal(s.fullyPaidAt, null);
    assert.ok(s.batches.length >= 2 && s.batches.length < 60, `${s.batches.length} batches`);
    // The first batch pays ours a tenth of the 80,000: the cash above the floor, shared.
    assert.deepEqual(s.batches[0].tokens, expectedFill(p, 0, r, NOW)!.redeemed);
    assert.ok(s.batches[0].tokens < 10_000n * UNIT);
    // Each batch pays out what is above the floor, which then is only the floor's share of it.
    for (let k = 1; k < s.batches.length; k++) assert.ok(s.batches[k].tokens * 40n < s.batches[k - 1].tokens);
    assert.ok(total(s).tokens < 50_000n * UNIT);
  });

  test('an open batch is finished first, at now; the next one opens an interval after it', () => {
    const base = withDemand(examplePool(), { 0: 10_000n * UNIT });
    const open: Pool = {
      ...base,
      batch: {
        ...base.batch,
        open: true,
        openedAt: NOW - 3_600n,
        priceValue: [700_000n * UNIT, 200_000n * UNIT, 100_000n * UNIT],
        priceSupply: [690_000n * UNIT, 200_000n * UNIT, 95_000n * UNIT],
        demand: [10_000n * UNIT, 0n, 0n],
        granted: [5_000n * UNIT, 0n, 0n],
      },
    };
    const r = request(15_000n * UNIT, 10_000n * UNIT);
    const s = fillSchedule(open, 0, r, NOW);
    assert.deepEqual(
      s.batches.map((b) => [b.at, b.tokens]),
      [
        [NOW, 5_000n * UNIT],
        [NOW - 3_600n + DAY, 10_000n * UNIT],
      ],
    );
    assert.equal(s.batches[0].paid, expectedFill(open, 0, r, NOW)!.paid);
    assert.equal(s.fullyPaidAt, NOW - 3_600n + DAY);
    // All that is left granted to the one request: paid off by the open batch, now.
    const whole = { ...open, batch: { ...open.batch, granted: [10_000n * UNIT, 0n, 0n] } };
    assert.deepEqual(fillSchedule(whole, 0, request(10_000n * UNIT, 10_000n * UNIT), NOW), {
      batches: [{ at: NOW, tokens: 10_000n * UNIT, paid: valueOf(10_000n * UNIT, 700_000n * UNIT, 690_000n * UNIT) }],
      fullyPaidAt: NOW,
    });
  });
});

function min(a: bigint, b: bigint) {
  return a < b ? a : b;
}

/** JSON.stringify's replacer for bigints. */
function big(_: string, v: unknown) {
  return typeof v === 'bigint' ? v.toString() : v;
}
