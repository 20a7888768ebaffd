// The program's integer arithmetic, ported to bigint for quotes before signing: tranche
// prices and deposits (programs/sluice/src/math/tokens.rs), values of tokens
// (math/allocation.rs), the instant-redemption payout (instructions/redeem_instant.rs) and
// the market's exact-input quote (math/amm.rs). Every function rounds as the program does,
// in the pool's favour; the direction is stated on each.
import { type Amm, type Pool, Stage } from './generated';

/** Scale of `Tranche.priceE12` and of every price here: base units per token × 10^12. */
export const PRICE_SCALE = 1_000_000_000_000n;
/** Basis points in one. */
export const BPS = 10_000n;
const U64_MAX = (1n << 64n) - 1n;
const MICRO = 1_000_000n;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const absDiff = (a: bigint, b: bigint) => (a > b ? a - b : b - a);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const saturatingSub = (a: bigint, b: bigint) => (a > b ? a - b : 0n);
const asU64 = (n: bigint) => (n > U64_MAX ? null : n);

function activeTranche(pool: Pool, tranche: number) {
  if (!Number.isInteger(tranche) || tranche < 0 || tranche >= pool.trancheCount) {
    throw new RangeError(`the pool has ${pool.trancheCount} tranches; no tranche ${tranche}`);
  }
  return pool.tranches[tranche];
}

/**
 * Value of one token × 10^12 from a tranche's value and supply: `value · 10^12 / supply`,
 * rounded down; par (10^12) for a tranche without tokens. `price_e12` in math/tokens.rs.
 */
export function priceE12(value: bigint, supply: bigint): bigint {
  if (supply === 0n) return PRICE_SCALE;
  return min((value * PRICE_SCALE) / supply, U64_MAX);
}

/**
 * A tranche's token price × 10^12 at the pool's last NAV, rounded down: what `reprice`
 * stores in `Tranche.priceE12` (the two agree after a reprice; deposits and redemptions in
 * between move value and supply together and keep it within a unit).
 */
export function tranchePriceE12(pool: Pool, tranche: number): bigint {
  const t = activeTranche(pool, tranche);
  return priceE12(t.value, t.supply);
}

/** `tokens` of a tranche worth `value` with `supply` tokens out, in base units, rounded down. */
export function valueOf(tokens: bigint, value: bigint, supply: bigint): bigint {
  if (supply === 0n) return 0n;
  return (tokens * value) / supply;
}

/**
 * Tranche tokens a deposit of `amount` base units mints at the pool's stored NAV:
 * `amount · supply / value`, rounded down (an empty tranche mints 1:1). `null` where the
 * program refuses: a tranche with tokens but no value.
 */
export function depositTokens(pool: Pool, tranche: number, amount: bigint): bigint | null {
  const t = activeTranche(pool, tranche);
  if (t.supply === 0n) return amount;
  if (t.value === 0n) return null;
  return asU64((amount * t.supply) / t.value);
}

/**
 * An instant redemption of `tokens` of `tranche` at the stored NAV, as `instant_payout`
 * computes it: the value rounded down, the fee (`instantFeeBps` of it) rounded up; the
 * holder receives `value − fee`. The door's limits (stage, fresh NAV, threshold, window
 * cap, cash floor, subordination) are the program's to check.
 */
export function instantRedemption(
  pool: Pool,
  tranche: number,
  tokens: bigint,
): { value: bigint; fee: bigint; payout: bigint } {
  const t = activeTranche(pool, tranche);
  const value = valueOf(tokens, t.value, t.supply);
  const fee = ceilDiv(value * BigInt(pool.params.redemption.instantFeeBps), BPS);
  return { value, fee, payout: value - fee };
}

// ---------------------------------------------------------------------------------------
// The tranche market: math/amm.rs, integer for integer.

/** Fee schedule of one swap: the market's parameters and, outside Normal, its surcharge. */
export type FeeSchedule = {
  baseFeeBps: bigint;
  bandFeeBpsPerPct: bigint;
  bandFeeCapBps: bigint;
  surchargeBps: bigint;
};

/** `AmmParams::fees(stage)`: the surcharge applies in Stress and Crisis only. */
export function marketFees(amm: Amm, stage: Stage): FeeSchedule {
  const p = amm.params;
  return {
    baseFeeBps: BigInt(p.baseFeeBps),
    bandFeeBpsPerPct: BigInt(p.bandFeeBpsPerPct),
    bandFeeCapBps: BigInt(p.bandFeeCapBps),
    surchargeBps: stage === Stage.Normal ? 0n : BigInt(p.stageSurchargeBps),
  };
}

/**
 * The reserves the curve trades on: the vault balances less the fees set aside for the
 * reserve and the protocol (`Amm::reserves`); `null` where a vault holds less (the program
 * reports `InvariantViolated`).
 */
export function marketReserves(
  amm: Amm,
  trancheVault: bigint,
  baseVault: bigint,
): { tranche: bigint; base: bigint } | null {
  const tranche = trancheVault - amm.reserveFeesTranche - amm.protocolFeesTranche;
  const base = baseVault - amm.reserveFeesBase - amm.protocolFeesBase;
  return tranche < 0n || base < 0n ? null : { tranche, base };
}

/** Integer square root, rounded down. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('square root of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Exact-input swap against x·y = k: the fee (rounded up) comes off the input, the output is rounded down. */
export function swapExactIn(
  reserveIn: bigint,
  reserveOut: bigint,
  amountIn: bigint,
  feeBps: bigint,
): { amountOut: bigint; fee: bigint } | null {
  if (reserveIn === 0n || reserveOut === 0n || amountIn === 0n || feeBps >= BPS) return null;
  const fee = ceilDiv(amountIn * feeBps, BPS);
  const net = amountIn - fee;
  return { amountOut: (reserveOut * net) / (reserveIn + net), fee };
}

/** Price of one tranche token in base units × 10^12 from the two reserves, rounded down. */
export function marketPriceE12(trancheReserve: bigint, baseReserve: bigint): bigint | null {
  if (trancheReserve === 0n) return null;
  return asU64((baseReserve * PRICE_SCALE) / trancheReserve);
}

/** Distance of `price` from `navPrice` in bps of the NAV price, rounded up. */
export function deviationBps(price: bigint, navPrice: bigint): bigint | null {
  if (navPrice === 0n) return null;
  return asU64(ceilDiv(absDiff(price, navPrice) * BPS, navPrice));
}

function bandRateBps(deviation: bigint, fees: FeeSchedule): bigint {
  return min((deviation * fees.bandFeeBpsPerPct) / 100n, fees.bandFeeCapBps);
}

function bandRateMicroBps(p: bigint, nav: bigint, fees: FeeSchedule): bigint {
  if (nav === 0n) return 0n;
  const rate = (absDiff(p, nav) * fees.bandFeeBpsPerPct * 100_000_000n) / nav;
  return min(rate, fees.bandFeeCapBps * MICRO);
}

/** The band fee (bps of the input) of a trade moving the price from `pre` to `post` around `nav`. */
function bandFeeBps(
  reserveIn: bigint,
  amountIn: bigint,
  k: bigint,
  pre: bigint,
  post: bigint,
  nav: bigint,
  buyTranche: boolean,
  fees: FeeSchedule,
): bigint {
  const dev = (p: bigint) => deviationBps(p, nav) ?? 0n;
  const beyond = (p: bigint) => (buyTranche ? p > nav : p < nav);
  const away = beyond(post) && (buyTranche ? post > pre : post < pre);
  if (!away || amountIn === 0n || nav === 0n) return bandRateBps(dev(post), fees);
  const rootK = isqrt(k);
  const rootNav = max(isqrt(nav * PRICE_SCALE), 1n);
  const atNav = buyTranche ? (rootK * rootNav) / PRICE_SCALE : (rootK * PRICE_SCALE) / rootNav;
  const g = (reserve: bigint, p: bigint) =>
    beyond(p) ? saturatingSub(reserve, atNav) * bandRateMicroBps(p, nav, fees) : 0n;
  const before = g(reserveIn, pre);
  const after = g(reserveIn + amountIn, post);
  const fee = ceilDiv(saturatingSub(after, before), amountIn * MICRO);
  return min(fee, 2n * fees.bandFeeCapBps);
}

/** A priced swap: what leaves the market, the fee, and where the price lands. */
export type SwapQuote = {
  amountOut: bigint;
  /** In the input token, rounded up. */
  fee: bigint;
  feeBps: bigint;
  /** The market price after the trade × 10^12. */
  priceE12: bigint;
  /** Post-trade distance from the NAV price, bps. */
  deviationBps: bigint;
};

/**
 * The program's quote for an exact-input swap against reserves (tranche `x`, base `y`):
 * the band fee is set by the path from the current price to where the base fee alone would
 * leave it, then the full fee (base + band + surcharge) is charged. `null` where the program
 * reports `EmptyAmm`. `quote` in math/amm.rs.
 */
export function quote(
  x: bigint,
  y: bigint,
  buyTranche: boolean,
  amountIn: bigint,
  navPriceE12: bigint,
  fees: FeeSchedule,
): SwapQuote | null {
  const [reserveIn, reserveOut] = buyTranche ? [y, x] : [x, y];
  const land = (out: bigint) => {
    if (buyTranche) {
      const added = asU64(y + amountIn);
      return out > x || added === null ? null : marketPriceE12(x - out, added);
    }
    const added = asU64(x + amountIn);
    return out > y || added === null ? null : marketPriceE12(added, y - out);
  };
  const probe = swapExactIn(reserveIn, reserveOut, amountIn, fees.baseFeeBps);
  if (!probe) return null;
  const pre = marketPriceE12(x, y);
  const post = land(probe.amountOut);
  if (pre === null || post === null) return null;
  const band = bandFeeBps(reserveIn, amountIn, x * y, pre, post, navPriceE12, buyTranche, fees);
  const feeBps = fees.baseFeeBps + band + fees.surchargeBps;
  const s = swapExactIn(reserveIn, reserveOut, amountIn, feeBps);
  if (!s) return null;
  const price = land(s.amountOut);
  if (price === null) return null;
  return {
    amountOut: s.amountOut,
    fee: s.fee,
    feeBps,
    priceE12: price,
    deviationBps: deviationBps(price, navPriceE12) ?? 0n,
  };
}

/**
 * The quote `swap` would give now on a tranche's market, from the pool, the market account
 * and its two vault balances (what `preview::swap_quote` in the Rust SDK computes).
 */
export function swapQuote(
  pool: Pool,
  amm: Amm,
  vaults: { tranche: bigint; base: bigint },
  buyTranche: boolean,
  amountIn: bigint,
): SwapQuote | null {
  const reserves = marketReserves(amm, vaults.tranche, vaults.base);
  if (!reserves || amm.tranche >= pool.trancheCount) return null;
  const navPrice = pool.tranches[amm.tranche].priceE12;
  return quote(reserves.tranche, reserves.base, buyTranche, amountIn, navPrice, marketFees(amm, pool.stage));
}
