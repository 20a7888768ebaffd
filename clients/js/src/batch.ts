// Redemption batches, planned as the program plans them: the allocation of the cash that may
// leave the pool (programs/sluice/src/math/allocation.rs), the plan a batch opened now would
// make (`plan_batch` in instructions/process_batch.rs, with the pool's helpers from
// state/pool.rs), and what one queued request receives from it (`expected_fill` in
// app/sdk/src/preview.rs). Integer for integer: every function rounds as the Rust one it
// names, and the direction is stated on each. `fillSchedule` goes beyond the program: an
// estimate of the batches that would pay a request off if nothing else changed.
import { type BatchState, type Pool, type Request, type Tranche, Stage } from './generated';
import { BPS, priceE12, valueOf } from './math';

/** Tranches a pool holds at most (`MAX_TRANCHES`): plans and allocations have this many entries. */
export const MAX_TRANCHES = 3;
/** Seconds in a day: NAV is fresh only on the UTC day it was computed (`SECONDS_PER_DAY`). */
export const SECONDS_PER_DAY = 86_400n;
const U64_MAX = (1n << 64n) - 1n;
/** The default public key: a pool without a buy-back reserve has it as `reserveVault`. */
const DEFAULT_ADDRESS = '11111111111111111111111111111111';

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const saturatingSub = (a: bigint, b: bigint) => (a > b ? a - b : 0n);
/** Rust's `x as u64` on a u128: the low 64 bits. */
const truncateU64 = (x: bigint) => BigInt.asUintN(64, x);
/** Rust's `div_euclid`: rounded toward −∞ for a positive divisor. */
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** One tranche as the batch sees it, at the batch's NAV (`TrancheSide`). */
export type TrancheSide = {
  /** Tokens the queue may redeem this batch (after per-request installment caps). */
  demandTokens: bigint;
  value: bigint;
  supply: bigint;
  /** Share of NAV the tranches below must keep, bps (0 for the junior). */
  minSubordinationBps: number;
};

/** Tokens and value a batch redeems per tranche (`Allocation`): `MAX_TRANCHES` entries each. */
export type Allocation = { tokens: bigint[]; value: bigint[] };

/**
 * Largest token count whose value (`valueOf`, rounded down) stays within `budget`:
 * `((budget + 1)·supply − 1) / value`, rounded down and capped at u64::MAX. A tranche
 * without tokens has nothing to sell (0); a tranche worth nothing sells any count for 0
 * (u64::MAX). `tokens_within` in math/allocation.rs.
 */
export function tokensWithin(budget: bigint, value: bigint, supply: bigint): bigint {
  if (supply === 0n) return 0n;
  if (value === 0n) return U64_MAX;
  return min(((budget + 1n) * supply - 1n) / value, U64_MAX);
}

/**
 * The lexicographically largest feasible allocation of `budget` base units over `sides`
 * (senior first, then mezzanine, then junior): each tranche takes as many of its demanded
 * tokens as fit the budget left and every senior tranche's subordination bound
 * `(BPS·below − s·NAV) / (BPS − s)` (rounded down; 0 when the senior's bound is already
 * broken or `s` ≥ 100 %), priced by `valueOf` (rounded down). A tranche with no demand, no
 * tokens or no value takes nothing. `allocate` in math/allocation.rs.
 */
export function allocate(budget: bigint, nav: bigint, sides: readonly TrancheSide[]): Allocation {
  const n = Math.min(sides.length, MAX_TRANCHES);
  const out: Allocation = { tokens: Array(MAX_TRANCHES).fill(0n), value: Array(MAX_TRANCHES).fill(0n) };
  const values: bigint[] = Array(MAX_TRANCHES).fill(0n);
  for (let i = 0; i < n; i++) values[i] = sides[i].value;
  let navLeft = nav;
  let left = budget;
  for (let t = 0; t < n; t++) {
    const side = sides[t];
    // A tranche worth nothing has nothing to pay: its holders keep their tokens.
    if (side.demandTokens === 0n || side.supply === 0n || side.value === 0n) continue;
    let bound = left;
    for (let i = 0; i < t; i++) {
      const senior = sides[i];
      const s = BigInt(senior.minSubordinationBps);
      if (s === 0n || senior.supply === 0n) continue;
      let below = 0n;
      for (let j = i + 1; j < n; j++) below += values[j];
      const slack = saturatingSub(BPS * below, s * navLeft);
      bound = min(bound, s >= BPS ? 0n : slack / (BPS - s));
    }
    const tokens = min(side.demandTokens, tokensWithin(min(bound, U64_MAX), side.value, side.supply));
    const paid = valueOf(tokens, side.value, side.supply);
    out.tokens[t] = tokens;
    out.value[t] = paid;
    values[t] -= paid;
    navLeft -= paid;
    left -= paid;
  }
  return out;
}

/**
 * Tokens a request with `allowed` tokens of allowance receives when its tranche redeems
 * `granted` of `demand` tokens: `allowed·granted / demand`, rounded down (so the shares never
 * sum to more than the grant); 0 without demand. `pro_rata` in math/allocation.rs.
 */
export function proRata(allowed: bigint, granted: bigint, demand: bigint): bigint {
  if (demand === 0n) return 0n;
  return truncateU64((allowed * granted) / demand);
}

/**
 * One request's share of a batch, visited while `granted` vault tokens and `reserve`
 * reserve tokens are left for `demand` tokens of allowance still to visit: `proRata` of
 * each (rounded down), the vault's share first, together never more than `allowed`. An
 * allowance below `dust` (the pool's `minRequest`) is paid whole out of the vault's grant
 * while any is left, the rest of it by the reserve. The caller takes the shares and the
 * allowance off what is left before the next request, so the last request takes the
 * remainder and nothing is left unspent by rounding. `fill_shares` in math/allocation.rs.
 */
export function fillShares(
  allowed: bigint,
  granted: bigint,
  reserve: bigint,
  demand: bigint,
  dust: bigint,
): { tokens: bigint; reserveTokens: bigint } {
  if (allowed < dust) {
    const tokens = min(allowed, granted);
    return { tokens, reserveTokens: min(allowed - tokens, reserve) };
  }
  const tokens = min(proRata(allowed, granted, demand), allowed);
  return { tokens, reserveTokens: min(proRata(allowed, reserve, demand), allowed - tokens) };
}

/**
 * What the buy-back reserve pays for tokens worth `value`: `value·(BPS − discount) / BPS`,
 * rounded down. `buyback_price` in instructions/process_batch.rs.
 */
export function buybackPrice(value: bigint, discountBps: number | bigint): bigint {
  return (value * (BPS - BigInt(discountBps))) / BPS;
}

/** The pool's tranches in use (`Pool::active_tranches`). */
export function activeTranches(pool: Pool): Tranche[] {
  return pool.tranches.slice(0, pool.trancheCount);
}

/**
 * The tranches as a redemption allocation sees them, with `demand(i, tranche)` tokens
 * demanded of each; the junior's subordination is 0 (`Pool::redemption_sides`).
 */
export function redemptionSides(pool: Pool, demand: (i: number, t: Tranche) => bigint): TrancheSide[] {
  const n = pool.trancheCount;
  return activeTranches(pool).map((t, i) => ({
    demandTokens: demand(i, t),
    value: t.value,
    supply: t.supply,
    minSubordinationBps: i + 1 < n ? t.minSubordinationBps : 0,
  }));
}

/**
 * Cash above the floor the redemption parameters keep back: `cash − NAV·cashFloorBps / BPS`
 * (the floor rounded down), at least 0 (`Pool::cash_above_floor`).
 */
export function cashAboveFloor(pool: Pool): bigint {
  const floor = (pool.nav * BigInt(pool.params.redemption.cashFloorBps)) / BPS;
  return saturatingSub(pool.cash, floor);
}

/**
 * Whether the pool's NAV is fresh enough for a batch at `now` (`Pool::nav_is_fresh`): not
 * marked dirty, computed at all, at most `maxNavAgeSecs` old, and on the same UTC day.
 */
export function navIsFresh(pool: Pool, now: bigint): boolean {
  return (
    !pool.navDirty &&
    pool.navTime > 0n &&
    now - pool.navTime <= BigInt(pool.params.maxNavAgeSecs) &&
    floorDiv(now, SECONDS_PER_DAY) === floorDiv(pool.navTime, SECONDS_PER_DAY)
  );
}

/** Tokens per tranche a new batch grants: redeemed by the vault, and bought by the reserve. */
export type BatchPlan = { tokens: bigint[]; reserveTokens: bigint[] };
/** Why `process_batch` would open no batch now, by the IDL's error name. */
export type BatchRefusal = { error: 'NothingToProcess' | 'BatchNotDue' | 'NavStale' };

/**
 * What a batch opened at `now` would grant, per tranche (`MAX_TRANCHES` entries): tokens the
 * vault redeems and tokens the buy-back reserve buys; or the refusal `process_batch` would
 * give, checked in the program's order: nothing queued (`NothingToProcess`), less than
 * `batchIntervalSecs` since the last batch opened (`BatchNotDue`), a stale NAV (`NavStale`),
 * and nothing to grant (`NothingToProcess`). The budget is `cashAboveFloor`, in Crisis no
 * more than `realizedBudget`, shared by `allocate` at the tranches' current value and
 * supply. In Stress and Crisis, with a reserve, the reserve then buys, senior first, what
 * the vault could not pay, spending at most `reserveBatchShareBps` of its balance (rounded
 * down) at `buybackPrice`. The pause (`PoolPaused`), which `process_batch` checks before
 * planning, is not `plan_batch`'s to check and is not checked here. `plan_batch` in
 * instructions/process_batch.rs.
 */
export function planBatch(pool: Pool, now: bigint): BatchPlan | BatchRefusal {
  const p = pool.params.redemption;
  if (!activeTranches(pool).some((t) => t.demandTokens > 0n)) return { error: 'NothingToProcess' };
  if (now < pool.batch.openedAt + BigInt(p.batchIntervalSecs)) return { error: 'BatchNotDue' };
  if (!navIsFresh(pool, now)) return { error: 'NavStale' };
  let budget = cashAboveFloor(pool);
  if (pool.stage === Stage.Crisis) budget = min(budget, pool.realizedBudget);
  const sides = redemptionSides(pool, (_, t) => t.demandTokens);
  const plan = allocate(budget, pool.nav, sides);
  // In Stress and Crisis the reserve buys, senior first, what the vault could not pay.
  const reserveTokens: bigint[] = Array(MAX_TRANCHES).fill(0n);
  if (pool.stage !== Stage.Normal && pool.reserveVault !== DEFAULT_ADDRESS) {
    const discount = BigInt(p.buybackDiscountBps);
    let left = (pool.reserveBalance * BigInt(p.reserveBatchShareBps)) / BPS;
    sides.forEach((s, i) => {
      // The reserve buys nothing a tranche cannot price: no tokens, or worth nothing.
      if (s.supply === 0n || s.value === 0n) return;
      const wanted = s.demandTokens - plan.tokens[i];
      const gross = truncateU64((left * BPS) / (BPS - discount));
      const k = min(wanted, tokensWithin(gross, s.value, s.supply));
      reserveTokens[i] = k;
      left -= min(buybackPrice(valueOf(k, s.value, s.supply), discount), left);
    });
  }
  if (![...plan.tokens, ...reserveTokens].some((k) => k > 0n)) return { error: 'NothingToProcess' };
  return { tokens: plan.tokens, reserveTokens };
}

/** Whether `planBatch` refused. */
export function isBatchRefusal(plan: BatchPlan | BatchRefusal): plan is BatchRefusal {
  return 'error' in plan;
}

/** Tokens a request may have redeemed in the next batch: `min(remaining, installment)` (`Request::allowed`). */
export function allowedTokens(request: Pick<Request, 'remaining' | 'installment'>): bigint {
  return min(request.remaining, request.installment);
}

/**
 * The price an open batch's fill of tranche `i` pays, as value over supply: the batch price,
 * or the tranche's current one where that is lower (compared exactly, by cross
 * multiplication). `ProcessBatch::fill_price` in instructions/process_batch.rs.
 */
export function fillPrice(batch: BatchState, tranche: Tranche, i: number): { value: bigint; supply: bigint } {
  const fallen = tranche.value * batch.priceSupply[i] < batch.priceValue[i] * tranche.supply;
  return fallen
    ? { value: tranche.value, supply: tranche.supply }
    : { value: batch.priceValue[i], supply: batch.priceSupply[i] };
}

/** What a batch does for one request (`FillPreview`). */
export type FillPreview = {
  /** Tokens the vault redeems, and their value (base units, claimable afterwards). */
  redeemed: bigint;
  paid: bigint;
  /** Tokens the reserve buys, and what it pays for them (claimable too). */
  soldToReserve: bigint;
  reservePays: bigint;
};

function shareOf(
  pool: Pool,
  allowed: bigint,
  grant: { granted: bigint; reserve: bigint; demand: bigint },
  price: { value: bigint; supply: bigint },
): FillPreview {
  const p = pool.params.redemption;
  const { tokens, reserveTokens } = fillShares(allowed, grant.granted, grant.reserve, grant.demand, p.minRequest);
  return {
    redeemed: tokens,
    paid: valueOf(tokens, price.value, price.supply),
    soldToReserve: reserveTokens,
    reservePays: buybackPrice(valueOf(reserveTokens, price.value, price.supply), p.buybackDiscountBps),
  };
}

/**
 * The fill the next batch would give `request` of `tranche`, computed with the program's own
 * planning: `fillShares` of the request's allowance (`min(remaining, installment)`), its
 * value by `valueOf` and the reserve's `buybackPrice` (both rounded down). With no batch
 * open, the batch `planBatch(pool, now)` would open, at the tranche's current price; `null`
 * when it refuses (nothing due, stale NAV, nothing to grant) or the tranche does not exist.
 * With a batch open, the request's share of what that batch has left (`granted`,
 * `reserveGranted` and `demand` of the batch), at the price its fills pay (`fillPrice`: the
 * batch price, or today's where lower; the Rust SDK's `expected_fill` takes the batch price
 * alone, which the program pays only while the price has not fallen).
 *
 * Exact, to the unit, for the next request the batch visits (the queue's head for a new
 * batch, the batch cursor for an open one): later requests each take their share of what the
 * earlier ones left, so theirs may differ by the rounding of the shares before them. It does
 * not know whether an open batch has already visited the request, nor whether a tranche's
 * part will lapse (a price fall breaking subordination, cash or reserve short); the pause is
 * not checked. `expected_fill` in app/sdk/src/preview.rs.
 */
export function expectedFill(pool: Pool, tranche: number, request: Request, now: bigint): FillPreview | null {
  const i = tranche;
  if (!Number.isInteger(i) || i < 0 || i >= pool.trancheCount) return null;
  const b = pool.batch;
  const t = pool.tranches[i];
  const allowed = allowedTokens(request);
  if (b.open) {
    const grant = { granted: b.granted[i], reserve: b.reserveGranted[i], demand: b.demand[i] };
    return shareOf(pool, allowed, grant, fillPrice(b, t, i));
  }
  const plan = planBatch(pool, now);
  if (isBatchRefusal(plan)) return null;
  const grant = { granted: plan.tokens[i], reserve: plan.reserveTokens[i], demand: t.demandTokens };
  return shareOf(pool, allowed, grant, t);
}

/** One batch of a `fillSchedule`: when it runs and what it pays the request. */
export type ScheduledFill = {
  at: bigint;
  /** Tokens leaving the request: redeemed by the vault plus bought by the reserve. */
  tokens: bigint;
  /** What becomes claimable: the vault's payment plus the reserve's. */
  paid: bigint;
};
export type FillSchedule = { batches: ScheduledFill[]; fullyPaidAt: bigint | null };

/** The waterfall over the active tranches: seniors up to their claim, the junior the rest (`waterfall`). */
function waterfall(nav: bigint, claims: readonly bigint[]): bigint[] {
  const out: bigint[] = claims.map(() => 0n);
  let left = nav;
  for (let i = 0; i + 1 < claims.length; i++) {
    out[i] = min(claims[i], left);
    left -= out[i];
  }
  if (claims.length > 0) out[claims.length - 1] = left;
  return out;
}

/**
 * `Pool::retire_tokens` on the simulated pool: `tokens` of tranche `i` leave for `value`;
 * claim and principal shrink pro rata (rounded down), NAV by the value, the waterfall re-splits.
 */
function retire(pool: Pool, i: number, tokens: bigint, value: bigint): void {
  const t = pool.tranches[i];
  const k = min(tokens, t.supply);
  if (k > 0n) {
    t.claim -= (t.claim * k) / t.supply;
    t.principal -= (t.principal * k) / t.supply;
    t.supply -= k;
  }
  pool.nav = saturatingSub(pool.nav, value);
  const active = activeTranches(pool);
  const claims = active.map((x) => x.claim);
  const values = waterfall(pool.nav, claims);
  active.forEach((x, j) => {
    x.value = values[j];
    x.priceE12 = priceE12(x.value, x.supply);
  });
}

/** A batch's payments per tranche applied to the simulated pool: cash, NAV, supply, the reserve. */
function applyBatch(pool: Pool, paid: { tokens: bigint; value: bigint; cost: bigint }[]): void {
  const vault = paid.reduce((sum, x) => sum + x.value, 0n);
  const reserve = paid.reduce((sum, x) => sum + x.cost, 0n);
  pool.cash = saturatingSub(pool.cash, vault);
  pool.reserveBalance = saturatingSub(pool.reserveBalance, reserve);
  if (pool.stage === Stage.Crisis) pool.realizedBudget = saturatingSub(pool.realizedBudget, vault);
  paid.forEach((x, j) => retire(pool, j, x.tokens, x.value));
}

/**
 * An estimate of when `request` of `tranche` is fully paid if nothing else changes: the
 * batches that would pay it, each with its time and what it pays the request, and the time
 * of the one that pays its last token (`fullyPaidAt`). Every batch is computed with the
 * program's own planning (`planBatch`, `fillShares`, the program's rounding); what changes
 * between batches is the estimate's model:
 *
 * - **When.** A batch still open is finished at `now` (the request's share of what it has
 *   left, as `expectedFill`); the next one opens at `max(now, batch.openedAt +
 *   batchIntervalSecs)`, and then one every `batchIntervalSecs`, each cranked as soon as due.
 * - **NAV freshness is assumed, not checked.** Before every batch the keeper reprices, and the
 *   reprice leaves NAV where it is (no coupon accrual, write-downs or repayments). So the
 *   first batch, when due at `now` on a fresh NAV, is exactly what `expectedFill(pool,
 *   tranche, request, now)` gives; on a stale NAV `planBatch(pool, now)` refuses with
 *   `NavStale` and `expectedFill` is `null`, but the schedule still shows the batch the
 *   keeper's reprice-then-crank would run at `now`. The pause is not considered either.
 * - **Everyone else.** The other queued demand (the rest of this tranche's and every other
 *   tranche's `demandTokens`) stays as it is, batch after batch (capped at the tranche's
 *   supply); this request's allowance is `min(remaining, installment)` each time. Each batch
 *   pays its whole plan, so cash falls by what the vault pays (all requests, all tranches),
 *   NAV by the same, each tranche's supply by the tokens it redeems (claims shrink pro rata
 *   and the waterfall re-splits, as `retire_tokens`), the reserve's balance by what it pays;
 *   in Crisis the realized budget by the vault's payments. The stage never changes.
 *
 * `fullyPaidAt` is `null` when no batch could pay the rest: a batch refuses (no cash above
 * the floor and no reserve to buy, or, in Crisis, no realized budget: `NothingToProcess`),
 * or `maxBatches` batches (the open one counts) leave tokens unpaid. `batches` lists only
 * the batches that pay the request something. A request with nothing remaining is fully
 * paid at `now`; a tranche that does not exist gives no batches and `null`.
 */
export function fillSchedule(
  pool: Pool,
  tranche: number,
  request: Request,
  now: bigint,
  maxBatches = 60,
): FillSchedule {
  const i = tranche;
  const batches: ScheduledFill[] = [];
  if (!Number.isInteger(i) || i < 0 || i >= pool.trancheCount) return { batches, fullyPaidAt: null };
  if (request.remaining === 0n) return { batches, fullyPaidAt: now };
  const p = pool.params.redemption;
  const interval = BigInt(p.batchIntervalSecs);
  const sim: Pool = {
    ...pool,
    tranches: pool.tranches.map((t) => ({ ...t })),
    batch: { ...pool.batch },
  };
  let remaining = request.remaining;
  const others = saturatingSub(pool.tranches[i].demandTokens, allowedTokens(request));
  const record = (at: bigint, fill: FillPreview) => {
    const tokens = fill.redeemed + fill.soldToReserve;
    if (tokens > 0n) batches.push({ at, tokens, paid: fill.paid + fill.reservePays });
    remaining -= tokens;
  };
  let count = 0;

  if (sim.batch.open) {
    const b = sim.batch;
    record(now, expectedFill(sim, i, request, now)!);
    count++;
    // The rest of the open batch is paid out at its fill price.
    applyBatch(
      sim,
      activeTranches(sim).map((t, j) => {
        const price = fillPrice(b, t, j);
        const value = valueOf(b.granted[j], price.value, price.supply);
        const cost = buybackPrice(valueOf(b.reserveGranted[j], price.value, price.supply), p.buybackDiscountBps);
        return { tokens: b.granted[j], value, cost };
      }),
    );
    sim.batch.open = false;
    if (remaining === 0n) return { batches, fullyPaidAt: now };
  }

  for (let at = max(now, sim.batch.openedAt + interval); count < maxBatches; at += interval, count++) {
    const allowed = min(remaining, request.installment);
    activeTranches(sim).forEach((t, j) => {
      t.demandTokens =
        j === i ? min(others, saturatingSub(t.supply, allowed)) + allowed : min(t.demandTokens, t.supply);
    });
    // The keeper's reprice just before the batch, at the NAV the pool already has.
    sim.navTime = at;
    sim.navDirty = false;
    const plan = planBatch(sim, at);
    if (isBatchRefusal(plan)) break;
    const t = sim.tranches[i];
    record(
      at,
      shareOf(sim, allowed, { granted: plan.tokens[i], reserve: plan.reserveTokens[i], demand: t.demandTokens }, t),
    );
    if (remaining === 0n) return { batches, fullyPaidAt: at };
    applyBatch(
      sim,
      activeTranches(sim).map((x, j) => ({
        tokens: plan.tokens[j],
        value: valueOf(plan.tokens[j], x.value, x.supply),
        cost: buybackPrice(valueOf(plan.reserveTokens[j], x.value, x.supply), p.buybackDiscountBps),
      })),
    );
    sim.batch.openedAt = at;
  }
  return { batches, fullyPaidAt: null };
}
