// The value-anchored basket's exchange in, planned as the program plans it, so a wallet can
// preview "tranche tokens in → basket tokens out" before signing: the conversions of
// programs/sluice/src/math/basket.rs, the valuation of instructions/basket/mod.rs
// (`constituent_value`, `basket_value`) and `plan_exchange_in` of
// instructions/basket/exchange.rs, integer for integer; every function rounds as the Rust
// one it names (in the basket's favour), and the direction is stated on each. Then what the
// Rust SDK's `BasketView` reads (app/sdk/src/client.rs: the basket, its constituents' pools,
// what its open requests still hold) and the remaining accounts of every priced basket
// instruction (`BasketView::priced_accounts`), so `getExchangeInInstruction` can be sent
// with them.
import {
  AccountRole,
  fetchEncodedAccount,
  fetchEncodedAccounts,
  getAddressDecoder,
  getBase64Encoder,
  getU64Decoder,
  type AccountMeta,
  type Address,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type Instruction,
  type Rpc,
  type TransactionSigner,
} from '@solana/kit';

import {
  BASKET_DISCRIMINATOR,
  decodeBasket,
  decodePool,
  getExchangeInInstruction,
  getRequestDecoder,
  POOL_DISCRIMINATOR,
  REDEMPTION_QUEUE_DISCRIMINATOR,
  SLUICE_PROGRAM_ADDRESS,
  Stage,
  type Basket,
  type Constituent,
  type Pool,
} from './generated';
import { navIsFresh } from './batch';
import { BPS } from './math';
import { memberAddress } from './pda';

/** Constituents one basket holds at most (`MAX_CONSTITUENTS`): per-constituent arrays have this many entries. */
export const MAX_CONSTITUENTS = 6;
/** Requests one redemption queue holds (`QUEUE_CAPACITY`): a request lives in slot `id mod` this. */
export const QUEUE_CAPACITY = 10_240n;
/** Bytes before a queue's first request: discriminator, pool, tranche, padding. */
const QUEUE_HEADER = 48;
const REQUEST_SIZE = getRequestDecoder().fixedSize;
/** `RedemptionQueue::SPACE`: the smallest account the program reads as a queue. */
const QUEUE_SPACE = BigInt(QUEUE_HEADER) + QUEUE_CAPACITY * BigInt(REQUEST_SIZE);
const U64_MAX = (1n << 64n) - 1n;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
/** Rust's `x as u64` on a u128: the low 64 bits. */
const truncateU64 = (x: bigint) => BigInt.asUintN(64, x);
/** Rust's `u64::saturating_add`. */
const saturatingAdd = (a: bigint, b: bigint) => min(a + b, U64_MAX);

/**
 * What the basket's open request in one constituent's queue still holds (`InFlight`): tranche
 * tokens not yet redeemed (`Request.remaining`) and base units paid but not yet collected into
 * the sleeve (`Request.claimable`).
 */
export type InFlight = { tokens: bigint; cash: bigint };

/** `[InFlight::default(); MAX_CONSTITUENTS]`: a basket with nothing in flight. */
export function noFlights(): InFlight[] {
  return Array.from({ length: MAX_CONSTITUENTS }, () => ({ tokens: 0n, cash: 0n }));
}

/** The basket's constituents in use (`Basket::active`). */
export function activeConstituents(basket: Basket): Constituent[] {
  return basket.constituents.slice(0, basket.constituentCount);
}

/** The basket's open requests as (index, constituent), in constituent order (`open_requests`). */
export function openRequests(basket: Basket): { index: number; constituent: Constituent }[] {
  return activeConstituents(basket)
    .map((constituent, index) => ({ index, constituent }))
    .filter(({ constituent }) => constituent.requestOpen);
}

/** Why the program would refuse, by the IDL's error name. */
export type BasketRefusal<Name extends string = string> = { error: Name };

/** Whether a basket plan refused. */
export function isBasketRefusal<T extends object>(x: T | BasketRefusal): x is BasketRefusal {
  return 'error' in x;
}

// ---------------------------------------------------------------------------------------
// math/basket.rs

/**
 * Value of `tokens` of a tranche worth `value` over `supply` tokens: `tokens·value / supply`,
 * rounded down, the low 64 bits as the program keeps them (`as u64`); 0 for a tranche without
 * tokens. `holding_value` in math/basket.rs (`value_of` in math/allocation.rs).
 */
export function holdingValue(tokens: bigint, value: bigint, supply: bigint): bigint {
  if (supply === 0n) return 0n;
  return truncateU64((tokens * value) / supply);
}

/**
 * Basket tokens minted for tranche tokens worth `valueIn`, after a haircut of `haircutBps`,
 * into a basket worth `basketValue` over `supply` tokens: the net value
 * `valueIn·(BPS − haircut) / BPS` rounded down, then `net·supply / basketValue` rounded down
 * (both in the basket's favour: the haircut and the remainders stay with the holders already
 * in). An empty basket (`supply` 0) mints one token per base unit of net value. `null` where
 * the program has `None`: a basket with tokens but no value, or more than u64::MAX tokens.
 * `tokens_for_exchange_in` in math/basket.rs.
 */
export function tokensForExchangeIn(
  valueIn: bigint,
  haircutBps: number | bigint,
  basketValue: bigint,
  supply: bigint,
): bigint | null {
  const haircut = BigInt(haircutBps);
  if (haircut < 0n || haircut > BPS) throw new RangeError(`a haircut of 0..=${BPS} bps, not ${haircutBps}`);
  const net = (valueIn * (BPS - haircut)) / BPS;
  if (supply === 0n) return net > U64_MAX ? null : net;
  if (basketValue === 0n) return null;
  const out = (net * supply) / basketValue;
  return out > U64_MAX ? null : out;
}

// ---------------------------------------------------------------------------------------
// instructions/basket/mod.rs

/**
 * Value of one constituent: its vault's tokens (`held`) and its open request's (`flight.tokens`)
 * at the tranche's last NAV, `holdingValue` of their sum (rounded down; the sum saturating at
 * u64::MAX as the program's `saturating_add`), plus what the request has been paid and not
 * yet collected (`flight.cash`, saturating). `constituent_value` in instructions/basket/mod.rs.
 */
export function constituentValue(c: Constituent, pool: Pool, flight: InFlight): bigint {
  const t = pool.tranches[c.tranche];
  if (!t) throw new RangeError(`the pool has no tranche ${c.tranche}`);
  return saturatingAdd(holdingValue(saturatingAdd(c.held, flight.tokens), t.value, t.supply), flight.cash);
}

/** The basket's value and each constituent's (`MAX_CONSTITUENTS` entries, 0 past the active ones). */
export type BasketValue = { value: bigint; values: bigint[] };
export type BasketValueRefusal = BasketRefusal<
  'ConstituentPoolsMissing' | 'NavStale' | 'MathOverflow' | 'BasketWorthless'
>;

/**
 * The basket's value at `now`: the sleeve plus every constituent's `constituentValue` (each
 * rounded down on its own, then summed exactly), with `pools` the constituents' pools in the
 * basket's order and `flights` its in-flight state per constituent. Refused, in the program's
 * order: not one pool per constituent (`ConstituentPoolsMissing`), a pool whose NAV is not
 * fresh at `now` (`NavStale`, checked constituent by constituent; see `navIsFresh`), a total
 * beyond u64 (`MathOverflow`), a basket with tokens but no value (`BasketWorthless`).
 * `basket_value` in instructions/basket/mod.rs.
 */
export function basketValue(
  basket: Basket,
  pools: readonly Pool[],
  flights: readonly InFlight[],
  now: bigint,
): BasketValue | BasketValueRefusal {
  const active = activeConstituents(basket);
  if (pools.length !== active.length) return { error: 'ConstituentPoolsMissing' };
  const values: bigint[] = Array(MAX_CONSTITUENTS).fill(0n);
  let total = basket.sleeveBalance;
  for (let j = 0; j < active.length; j++) {
    if (!navIsFresh(pools[j], now)) return { error: 'NavStale' };
    values[j] = constituentValue(active[j], pools[j], flights[j] ?? { tokens: 0n, cash: 0n });
    total += values[j];
  }
  if (total > U64_MAX) return { error: 'MathOverflow' };
  if (basket.supply !== 0n && total === 0n) return { error: 'BasketWorthless' };
  return { value: total, values };
}

/**
 * Value of one basket token × 10^12 (`value·10^12 / supply`, rounded down); `null` before the
 * first exchange in. What the CLI's `basket show` prints as the price; not a program rule.
 */
export function basketPriceE12(value: bigint, supply: bigint): bigint | null {
  return supply === 0n ? null : (value * 1_000_000_000_000n) / supply;
}

// ---------------------------------------------------------------------------------------
// instructions/basket/exchange.rs

/** What `exchange_in` would do (`plan_exchange_in`'s `(out, values)`, with the figures it used). */
export type ExchangeInPlan = {
  /** Basket tokens minted to the holder. */
  basketTokens: bigint;
  /** The tranche tokens' value at the tranche's last NAV (`holdingValue`, rounded down). */
  valueIn: bigint;
  /** Of `valueIn`, what the haircut keeps in the basket (`valueIn − ⌊valueIn·(1 − h)⌋`). */
  haircut: bigint;
  /** The basket's value and each constituent's before the exchange (`basketValue`). */
  basketValue: bigint;
  values: bigint[];
  /** Constituent `index`'s share of the basket's value after the exchange, bps (rounded down). */
  shareAfterBps: bigint;
};

/** The refusals `plan_exchange_in` can give, in the order it checks them. */
export const EXCHANGE_IN_REFUSALS = [
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
] as const;
export type ExchangeInRefusal = BasketRefusal<(typeof EXCHANGE_IN_REFUSALS)[number]>;

/**
 * Basket tokens `exchange_in` of `tokens` tranche tokens of constituent `index` would mint at
 * `now`: the tokens' value at the tranche's last NAV (`holdingValue`, rounded down), less the
 * constituent's haircut (`tokensForExchangeIn`: the net value rounded down, then over the
 * basket price rounded down; the haircut stays in the basket), par into an empty basket.
 * `pools` are the constituents' pools in the basket's order, `flights` what its open requests
 * hold (`loadBasketView` reads both). Or the refusal, checked in the program's order:
 * the basket paused (`BasketPaused`); no constituent `index` (`UnknownConstituent`); the
 * constituent disabled (`ConstituentDisabled`); no tokens (`ZeroAmount`); the valuation's
 * refusals (`basketValue`: `ConstituentPoolsMissing`, `NavStale` for any constituent's pool,
 * `MathOverflow`, `BasketWorthless`); the constituent's pool paused (`PoolPaused`) or in
 * Crisis (`WrongStage`); no price (`BasketWorthless`: a basket with tokens but no value, or
 * more basket tokens than a u64); nothing of value in or nothing out (`ZeroAmount`); the
 * constituent's share of the value after the exchange above its cap
 * (`(values[index] + valueIn)·BPS > capBps·(value + valueIn)`, exact:
 * `ConcentrationCapExceeded`).
 *
 * On chain the accounts are checked before the plan runs: an `index` the basket does not have
 * fails the `trancheMint` constraint (`UnknownConstituent`) even in a paused basket, where the
 * plan, like the Rust one, says `BasketPaused`. What the instruction checks beyond the plan
 * is not checked here: the mint's supply above the basket's (`InvariantViolated`;
 * `loadBasketView` takes the lower of the two, as the program does), the remaining accounts
 * (`ConstituentPoolsMissing`; `basketPricedAccounts` gives the right ones), membership where
 * the pool is permissioned (`NotMember`, `MembershipExpired`), a frozen tranche account
 * (`TrancheAccountFrozen`) and `minOut` (`SlippageExceeded`: pass the plan's `basketTokens`,
 * or less). The program prices at its own clock: a preview at `now` holds while the NAVs stay
 * fresh and nothing else moves.
 * `plan_exchange_in` in instructions/basket/exchange.rs.
 */
export function planExchangeIn(
  basket: Basket,
  pools: readonly Pool[],
  flights: readonly InFlight[],
  index: number,
  tokens: bigint,
  now: bigint,
): ExchangeInPlan | ExchangeInRefusal {
  if (tokens < 0n || tokens > U64_MAX) throw new RangeError(`a u64 amount of tokens, not ${tokens}`);
  if (basket.paused) return { error: 'BasketPaused' };
  const active = activeConstituents(basket);
  if (!Number.isInteger(index) || index < 0 || index >= active.length) return { error: 'UnknownConstituent' };
  const c = active[index];
  if (!c.enabled) return { error: 'ConstituentDisabled' };
  if (tokens === 0n) return { error: 'ZeroAmount' };
  const valued = basketValue(basket, pools, flights, now);
  if (isBasketRefusal(valued)) return valued;
  const { value, values } = valued;
  const pool = pools[index];
  if (pool.paused) return { error: 'PoolPaused' };
  if (pool.stage === Stage.Crisis) return { error: 'WrongStage' };
  const t = pool.tranches[c.tranche];
  const valueIn = holdingValue(tokens, t.value, t.supply);
  const out = tokensForExchangeIn(valueIn, c.haircutBps, value, basket.supply);
  if (out === null) return { error: 'BasketWorthless' };
  if (valueIn === 0n || out === 0n) return { error: 'ZeroAmount' };
  const valueAfter = value + valueIn;
  const shareAfter = (values[index] + valueIn) * BPS;
  if (shareAfter > BigInt(c.capBps) * valueAfter) return { error: 'ConcentrationCapExceeded' };
  return {
    basketTokens: out,
    valueIn,
    haircut: valueIn - (valueIn * (BPS - BigInt(c.haircutBps))) / BPS,
    basketValue: value,
    values,
    shareAfterBps: shareAfter / valueAfter,
  };
}

// ---------------------------------------------------------------------------------------
// Reading a basket as the Rust SDK's `BasketView` does (app/sdk/src/client.rs).

/** A basket with everything its price reads (`BasketView`). */
export type BasketView = {
  address: Address;
  /** The basket account, its `supply` the lower of its own and its mint's (as the program takes it). */
  basket: Basket;
  /** One per constituent, in the basket's order. */
  pools: Pool[];
  /** `MAX_CONSTITUENTS` entries: what each constituent's open request still holds (0 without one). */
  flights: InFlight[];
};

export type BasketRpc = Rpc<GetAccountInfoApi & GetMultipleAccountsApi>;

/** A basket view that cannot be read: what the program would say of the same accounts. */
export class BasketViewError extends Error {
  constructor(
    message: string,
    /** The program's error for the same accounts, where it has one. */
    readonly programError?: 'ConstituentPoolsMissing' | 'InvariantViolated' | 'WrongAccount',
  ) {
    super(message);
    this.name = 'BasketViewError';
  }
}

const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>, n = b.length) => {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};
const base64Bytes = getBase64Encoder();
const addressOf = (bytes: Uint8Array) => getAddressDecoder().decode(bytes);

/**
 * Reads basket `address` as `basket_view` in the Rust SDK does: the basket account, its
 * supply lowered to the mint's where a holder burned tokens directly (the program's
 * `sync_supply`; it refuses a mint above the basket's, which the program itself never
 * mints), every constituent's pool in order (fetched together), and for each open request
 * the request in its queue's slot `requestId mod QUEUE_CAPACITY` (`RedemptionQueue::slot`):
 * `{ tokens: remaining, cash: claimable }`. A queue is read in two small slices (its header
 * and the one request), not as its ~820 kB whole. Beyond the Rust view, the accounts are
 * checked as the program's `read_priced` checks them, so a view that would not price on chain
 * throws a `BasketViewError` (naming the program's error) instead of previewing: each pool
 * and queue owned by the program with its discriminator, a queue of the constituent's pool and
 * tranche whose request is the basket's own and pull-only.
 */
export async function loadBasketView(rpc: BasketRpc, address: Address): Promise<BasketView> {
  const account = await fetchEncodedAccount(rpc, address);
  if (
    !account.exists ||
    account.programAddress !== SLUICE_PROGRAM_ADDRESS ||
    !sameBytes(account.data, BASKET_DISCRIMINATOR)
  ) {
    throw new BasketViewError(`no Sluice basket at ${address}`, 'WrongAccount');
  }
  const basket = { ...decodeBasket(account).data };
  const mint = await fetchEncodedAccount(rpc, basket.mint);
  if (!mint.exists || mint.data.length < 44)
    throw new BasketViewError(`no basket mint at ${basket.mint}`, 'WrongAccount');
  // A mint's supply follows its optional authority (4 + 32 bytes), in both token programs.
  basket.supply = min(basket.supply, getU64Decoder().decode(mint.data.slice(36, 44)));

  const active = activeConstituents(basket);
  // Each pool once (a basket of two tranches of one pool names it twice), in the basket's order.
  const unique = [...new Set(active.map((c) => c.pool))];
  const fetched = unique.length === 0 ? [] : await fetchEncodedAccounts(rpc, unique);
  const poolAccounts = active.map((c) => fetched[unique.indexOf(c.pool)]);
  const pools = poolAccounts.map((a, j) => {
    if (!a.exists || a.programAddress !== SLUICE_PROGRAM_ADDRESS || !sameBytes(a.data, POOL_DISCRIMINATOR)) {
      throw new BasketViewError(`constituent ${j}: no Sluice pool at ${active[j].pool}`, 'ConstituentPoolsMissing');
    }
    return decodePool(a).data;
  });

  const flights = noFlights();
  const open = openRequests(basket);
  if (open.length > 0) {
    const queues = open.map(({ constituent }) => constituent.queue);
    const headers = await rpc
      .getMultipleAccounts(queues, { encoding: 'base64', dataSlice: { offset: 0, length: QUEUE_HEADER } })
      .send();
    const slots = await Promise.all(
      open.map(({ constituent }) =>
        rpc
          .getAccountInfo(constituent.queue, {
            encoding: 'base64',
            dataSlice: {
              offset: QUEUE_HEADER + Number(constituent.requestId % QUEUE_CAPACITY) * REQUEST_SIZE,
              length: REQUEST_SIZE,
            },
          })
          .send(),
      ),
    );
    open.forEach(({ index, constituent: c }, k) => {
      const header = headers.value[k];
      const slot = slots[k].value;
      const what = `constituent ${index}: the queue ${c.queue} of its open request ${c.requestId}`;
      if (!header || !slot || header.owner !== SLUICE_PROGRAM_ADDRESS || header.space < QUEUE_SPACE) {
        throw new BasketViewError(`${what} is not a Sluice queue`, 'ConstituentPoolsMissing');
      }
      const head = base64Bytes.encode(header.data[0]) as Uint8Array;
      if (!sameBytes(head, REDEMPTION_QUEUE_DISCRIMINATOR)) {
        throw new BasketViewError(`${what} is not a Sluice queue`, 'ConstituentPoolsMissing');
      }
      const request = getRequestDecoder().decode(base64Bytes.encode(slot.data[0]));
      if (addressOf(head.slice(8, 40)) !== c.pool || head[40] !== c.tranche) {
        throw new BasketViewError(`${what} is another tranche's`, 'InvariantViolated');
      }
      if (request.owner !== address || request.pullOnly !== 1) {
        throw new BasketViewError(`${what}: the slot holds another owner's request`, 'InvariantViolated');
      }
      flights[index] = { tokens: request.remaining, cash: request.claimable };
    });
  }
  return { address, basket, pools, flights };
}

/**
 * The queues of the basket's open requests, in constituent order (`BasketView::open_queues`):
 * the remaining accounts of `exchange_out`, after its per-constituent triples.
 */
export function basketOpenQueues(view: Pick<BasketView, 'basket'>): Address[] {
  return openRequests(view.basket).map(({ constituent }) => constituent.queue);
}

/**
 * The remaining accounts of every priced basket instruction (`exchange_in`, `redeem_basket`,
 * `rebalance`, the market's): every constituent's pool in the basket's order, then the queue
 * of each open request in constituent order (`BasketView::priced_accounts`; the program's
 * `read_priced` wants exactly these, `ConstituentPoolsMissing` otherwise). A pool appears
 * once per constituent, twice for a basket of two of its tranches.
 */
export function basketPricedAccounts(view: Pick<BasketView, 'basket'>): Address[] {
  return [...activeConstituents(view.basket).map((c) => c.pool), ...basketOpenQueues(view)];
}

/** `instruction` with `accounts` appended as read-only, non-signing remaining accounts. */
export function withRemainingAccounts<T extends Instruction>(
  instruction: T,
  accounts: readonly Address[],
): T & { accounts: readonly AccountMeta[] } {
  const extra: AccountMeta[] = accounts.map((address) => ({ address, role: AccountRole.READONLY }));
  return { ...instruction, accounts: [...(instruction.accounts ?? []), ...extra] };
}

/**
 * `exchange_in` of `tokens` tranche tokens of constituent `index` of the basket `view`, from
 * the holder's tranche account `holderTranche` to its basket-token account `holderBasket`
 * (Token-2022; both must exist, the tranche account thawed in a permissioned pool), refused
 * below `minOut` basket tokens (`SlippageExceeded`): `getExchangeInInstruction` with the
 * constituent's mint and vault, the holder's member record where the constituent's pool is
 * permissioned, and `basketPricedAccounts(view)` as the remaining accounts (`ix::exchange_in`
 * in the Rust SDK). Throws a RangeError for an index the basket does not have.
 */
export async function exchangeInInstruction(input: {
  view: BasketView;
  holder: TransactionSigner;
  holderTranche: Address;
  holderBasket: Address;
  index: number;
  tokens: bigint;
  minOut: bigint;
}): Promise<Instruction> {
  const { view, holder, index } = input;
  const active = activeConstituents(view.basket);
  const c = active[index];
  if (!Number.isInteger(index) || !c) throw new RangeError(`the basket has ${active.length} constituents; no ${index}`);
  const member = view.pools[index].params.permissioned ? await memberAddress(c.pool, holder.address) : undefined;
  const ix = getExchangeInInstruction({
    holder,
    basket: view.address,
    mint: view.basket.mint,
    trancheMint: c.mint,
    vault: c.vault,
    holderTranche: input.holderTranche,
    holderBasket: input.holderBasket,
    member,
    index,
    tokens: input.tokens,
    minOut: input.minOut,
  });
  return withRemainingAccounts(ix, basketPricedAccounts(view));
}
