// What the page reads from a cluster: every Sluice pool (getProgramAccounts on the Pool
// discriminator), one pool in full (book, oracle, markets, queues, reserve, basket), its
// history (the pool's signatures → transactions → Sluice events in their logs) and one
// wallet's position. Reads only; nothing here signs.
import {
  fetchEncodedAccount,
  fetchEncodedAccounts,
  getBase58Decoder,
  getBase64Encoder,
  getU64Decoder,
  type Address,
  type Base58EncodedBytes,
  type Signature,
} from '@solana/kit';
import { findAssociatedTokenPda } from '@solana-program/token';
import {
  ammAddress,
  basketAddress,
  fetchMaybeAmm,
  fetchMaybeBasket,
  fetchMaybeMember,
  fetchBook,
  fetchRateOracle,
  getPoolDecoder,
  getRequestDecoder,
  marketPriceE12,
  marketReserves,
  memberAddress,
  parseSluiceEvents,
  POOL_DISCRIMINATOR,
  SLUICE_PROGRAM_ADDRESS,
  type Amm,
  type Basket,
  type Book,
  type Pool,
  type RateOracle,
  type Request,
  type SluiceEvent,
} from '@sluice/client';

import type { Connection } from './cluster';
import { shareBps } from './format';

export const TOKEN_2022 = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb' as Address;
const u64 = getU64Decoder();

/** A token account's balance and whether it is frozen (SPL layout: amount at 64, state at 108). */
export type TokenAccount = { address: Address; exists: boolean; amount: bigint; frozen: boolean };

export function decodeTokenAccount(address: Address, data: Uint8Array | null): TokenAccount {
  if (!data || data.length < 165) return { address, exists: false, amount: 0n, frozen: false };
  return { address, exists: true, amount: u64.decode(data.slice(64, 72)), frozen: data[108] === 2 };
}

/** Name and symbol from a Token-2022 mint's TokenMetadata extension (TLV type 19), if it has one. */
export function mintMetadata(data: Uint8Array): { name: string; symbol: string; decimals: number } {
  const decimals = data[44] ?? 0;
  const none = { name: '', symbol: '', decimals };
  if (data.length <= 166 || data[165] !== 1) return none;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = (at: number): [string, number] => {
    const length = view.getUint32(at, true);
    return [new TextDecoder().decode(data.slice(at + 4, at + 4 + length)), at + 4 + length];
  };
  for (let at = 166; at + 4 <= data.length;) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (type === 19) {
      const [name, next] = text(at + 4 + 64);
      const [symbol] = text(next);
      return { name, symbol, decimals };
    }
    if (type === 0) break;
    at += 4 + length;
  }
  return none;
}

export type TrancheInfo = { index: number; label: string; name: string; symbol: string };

const LABELS = ['Senior', 'Mezzanine', 'Junior'];

export function trancheLabel(index: number, count: number): string {
  if (count === 1) return 'Single';
  if (index === count - 1) return 'Junior';
  return LABELS[index] ?? `Tranche ${index}`;
}

/**
 * The pool's display name: its tranche tokens' names without their last word (the
 * tranche's, "Senior"), the most common one (the longest of a tie); else its id.
 */
function poolName(pool: Pool, tranches: TrancheInfo[]): string {
  const stems = tranches.map((t) => t.name.trim().replace(/\s+\S+$/, '')).filter(Boolean);
  if (stems.length === 0) return `Pool ${pool.poolId}`;
  const count = (n: string) => stems.filter((s) => s === n).length;
  return [...stems].sort((a, b) => count(b) - count(a) || b.length - a.length)[0];
}

export type Market = {
  tranche: number;
  address: Address;
  amm: Amm;
  trancheVault: bigint;
  baseVault: bigint;
  /** Spot price × 10^12 of the curve's reserves; null while the market is empty. */
  priceE12: bigint | null;
  /** (NAV price − market price) / NAV price, bps; positive below NAV. */
  discountBps: bigint | null;
};

export type PoolSummary = {
  address: Address;
  pool: Pool;
  name: string;
  decimals: number;
  baseSymbol: string;
  tranches: TrancheInfo[];
  markets: Market[];
  /** Cash in NAV, bps. */
  cashCoverageBps: bigint;
  /** The reserve's target (`Pool::reserve_target`: NAV × reserve_target_bps, rounded down). */
  reserveTarget: bigint;
  /** Reserve balance against its target, bps (10,000 = at target). */
  reserveLevelBps: bigint;
};

async function loadMarkets(conn: Connection, poolAddress: Address, pool: Pool): Promise<Market[]> {
  const addresses = await Promise.all(Array.from({ length: pool.trancheCount }, (_, i) => ammAddress(poolAddress, i)));
  const amms = await Promise.all(addresses.map((a) => fetchMaybeAmm(conn.rpc, a)));
  const markets: Market[] = [];
  for (const amm of amms) {
    if (!amm.exists) continue;
    const vaults = await fetchEncodedAccounts(conn.rpc, [amm.data.trancheVault, amm.data.baseVault]);
    const [t, b] = vaults.map((v) => (v.exists ? u64.decode(v.data.slice(64, 72)) : 0n));
    const reserves = marketReserves(amm.data, t, b);
    const spot =
      reserves && reserves.tranche > 0n && reserves.base > 0n ? marketPriceE12(reserves.tranche, reserves.base) : null;
    const nav = pool.tranches[amm.data.tranche].priceE12;
    markets.push({
      tranche: amm.data.tranche,
      address: amm.address,
      amm: amm.data,
      trancheVault: t,
      baseVault: b,
      priceE12: spot,
      discountBps: spot !== null && nav > 0n ? ((nav - spot) * 10_000n) / nav : null,
    });
  }
  return markets;
}

async function summarize(conn: Connection, address: Address, pool: Pool): Promise<PoolSummary> {
  const mints = await fetchEncodedAccounts(conn.rpc, [
    pool.baseMint,
    ...pool.tranches.slice(0, pool.trancheCount).map((t) => t.mint),
  ]);
  const [base, ...trancheMints] = mints.map((m) => (m.exists ? mintMetadata(new Uint8Array(m.data)) : null));
  const tranches = trancheMints.map((m, index) => ({
    index,
    label: trancheLabel(index, pool.trancheCount),
    name: m?.name ?? '',
    symbol: m?.symbol ?? '',
  }));
  const target = (pool.nav * BigInt(pool.params.redemption.reserveTargetBps)) / 10_000n;
  return {
    address,
    pool,
    name: poolName(pool, tranches),
    decimals: base?.decimals ?? 6,
    baseSymbol: base?.symbol || 'base',
    tranches,
    markets: await loadMarkets(conn, address, pool),
    cashCoverageBps: shareBps(pool.cash, pool.nav),
    reserveTarget: target,
    reserveLevelBps: shareBps(pool.reserveBalance, target),
  };
}

/** Every Sluice pool on the cluster. */
export async function loadPools(conn: Connection): Promise<PoolSummary[]> {
  const discriminator = getBase58Decoder().decode(POOL_DISCRIMINATOR) as Base58EncodedBytes;
  const accounts = await conn.rpc
    .getProgramAccounts(SLUICE_PROGRAM_ADDRESS, {
      encoding: 'base64',
      filters: [{ memcmp: { offset: 0n, bytes: discriminator, encoding: 'base58' } }],
    })
    .send();
  const decoder = getPoolDecoder();
  const pools = accounts.map((a) => ({
    address: a.pubkey,
    pool: decoder.decode(new Uint8Array(getBase64Encoder().encode(a.account.data[0]))),
  }));
  pools.sort((a, b) => (a.pool.poolId < b.pool.poolId ? -1 : 1));
  return Promise.all(pools.map((p) => summarize(conn, p.address, p.pool)));
}

export async function loadPoolSummary(conn: Connection, address: Address): Promise<PoolSummary> {
  const account = await fetchEncodedAccount(conn.rpc, address);
  if (!account.exists) throw new Error(`no pool at ${address}`);
  return summarize(conn, address, getPoolDecoder().decode(account.data));
}

/** Live requests of a tranche's queue: ids head..tail, read with a data slice of just those slots. */
export type QueuedRequest = Request & { id: bigint; tranche: number };

const QUEUE_HEADER = 48;
const REQUEST_SIZE = 80;
const QUEUE_CAPACITY = 10_240n;

export async function loadQueue(conn: Connection, pool: Pool, tranche: number, limit = 512n): Promise<QueuedRequest[]> {
  const t = pool.tranches[tranche];
  const head = t.queueHead;
  const tail = t.queueTail < head + limit ? t.queueTail : head + limit;
  if (tail <= head) return [];
  const decoder = getRequestDecoder();
  const out: QueuedRequest[] = [];
  // The live window may wrap past the end of the ring: read it in at most two slices.
  for (let id = head; id < tail;) {
    const slot = id % QUEUE_CAPACITY;
    const count = tail - id < QUEUE_CAPACITY - slot ? tail - id : QUEUE_CAPACITY - slot;
    const info = await conn.rpc
      .getAccountInfo(t.queue, {
        encoding: 'base64',
        dataSlice: { offset: QUEUE_HEADER + Number(slot) * REQUEST_SIZE, length: Number(count) * REQUEST_SIZE },
      })
      .send();
    if (!info.value) return out;
    const bytes = new Uint8Array(getBase64Encoder().encode(info.value.data[0]));
    for (let k = 0n; k < count; k++) {
      const at = Number(k) * REQUEST_SIZE;
      out.push({ ...decoder.decode(bytes.slice(at, at + REQUEST_SIZE)), id: id + k, tranche });
    }
    id += count;
  }
  return out;
}

export type PoolDetail = PoolSummary & {
  book: Book;
  oracle: RateOracle;
  queues: QueuedRequest[][];
  basket: { address: Address; basket: Basket } | null;
};

export async function loadPoolDetail(conn: Connection, address: Address): Promise<PoolDetail> {
  const summary = await loadPoolSummary(conn, address);
  const { pool } = summary;
  const [book, oracle, queues, basket] = await Promise.all([
    fetchBook(conn.rpc, pool.book),
    fetchRateOracle(conn.rpc, pool.oracle),
    Promise.all(Array.from({ length: pool.trancheCount }, (_, i) => loadQueue(conn, pool, i))),
    // A basket of this pool's tranches, where its issuer made one with the pool's id.
    basketAddress(pool.creator, pool.poolId).then((a) => fetchMaybeBasket(conn.rpc, a)),
  ]);
  return {
    ...summary,
    book: book.data,
    oracle: oracle.data,
    queues,
    basket: basket.exists ? { address: basket.address, basket: basket.data } : null,
  };
}

// ---------------------------------------------------------------------------------------
// History: the pool's transactions and the events in their logs.

export type HistoryEntry = { signature: Signature; time: bigint | null; events: SluiceEvent[]; failed: boolean };

export async function loadHistory(conn: Connection, poolAddress: Address, limit = 200): Promise<HistoryEntry[]> {
  const signatures = await conn.rpc.getSignaturesForAddress(poolAddress, { limit }).send();
  const entries: HistoryEntry[] = [];
  for (let i = 0; i < signatures.length; i += 16) {
    const chunk = signatures.slice(i, i + 16);
    const transactions = await Promise.all(
      chunk.map((s) =>
        conn.rpc
          .getTransaction(s.signature, { maxSupportedTransactionVersion: 0, encoding: 'json' })
          .send()
          .catch(() => null),
      ),
    );
    chunk.forEach((s, k) => {
      const logs = transactions[k]?.meta?.logMessages ?? [];
      entries.push({
        signature: s.signature,
        time: s.blockTime ?? transactions[k]?.blockTime ?? null,
        events: s.err ? [] : parseSluiceEvents(logs),
        failed: s.err !== null,
      });
    });
  }
  return entries; // newest first, as getSignaturesForAddress answers
}

export type PricePoint = { time: bigint; nav: bigint; trancheValues: bigint[]; pricesE12: (bigint | null)[] };

/**
 * NAV and tranche prices at every reprice in `history` (newest first). Repriced carries
 * each tranche's value; its token supply then is today's supply with the mints and burns
 * of every later event undone (Deposited mints; InstantRedeemed and BatchProcessed burn;
 * the reserve's and the basket's purchases move tokens without burning them).
 */
export function priceHistory(history: HistoryEntry[], pool: Pool): PricePoint[] {
  const supply = pool.tranches.slice(0, pool.trancheCount).map((t) => t.supply);
  const points: PricePoint[] = [];
  for (const entry of history) {
    // Within a transaction, events apply in log order; undo them last to first.
    for (const event of [...entry.events].reverse()) {
      if (event.name === 'Repriced') {
        const values = event.data.trancheValues.slice(0, pool.trancheCount);
        points.push({
          time: event.data.timestamp,
          nav: event.data.nav,
          trancheValues: values,
          pricesE12: values.map((v, i) => (supply[i] > 0n ? (v * 1_000_000_000_000n) / supply[i] : null)),
        });
      } else if (event.name === 'Deposited') {
        supply[event.data.tranche] -= event.data.tokens;
      } else if (event.name === 'InstantRedeemed') {
        supply[event.data.tranche] += event.data.tokens;
      } else if (event.name === 'BatchProcessed') {
        supply[event.data.tranche] += event.data.tokensRedeemed;
      }
    }
  }
  return points.reverse();
}

// ---------------------------------------------------------------------------------------
// A wallet's position in one pool.

export type Position = {
  wallet: Address;
  sol: bigint;
  base: TokenAccount;
  tranches: TokenAccount[];
  member: { expiresAt: bigint } | null;
  requests: QueuedRequest[];
};

export async function associated(owner: Address, mint: Address, tokenProgram: Address): Promise<Address> {
  const [ata] = await findAssociatedTokenPda({ owner, mint, tokenProgram });
  return ata;
}

export async function loadPosition(conn: Connection, detail: PoolDetail, wallet: Address): Promise<Position> {
  const { pool } = detail;
  const baseAddress = await associated(wallet, pool.baseMint, pool.baseTokenProgram);
  const trancheAddresses = await Promise.all(
    pool.tranches.slice(0, pool.trancheCount).map((t) => associated(wallet, t.mint, TOKEN_2022)),
  );
  const [accounts, member, balance] = await Promise.all([
    fetchEncodedAccounts(conn.rpc, [baseAddress, ...trancheAddresses]),
    memberAddress(detail.address, wallet).then((a) => fetchMaybeMember(conn.rpc, a)),
    conn.rpc.getBalance(wallet).send(),
  ]);
  const [base, ...tranches] = accounts.map((a, i) =>
    decodeTokenAccount([baseAddress, ...trancheAddresses][i], a.exists ? new Uint8Array(a.data) : null),
  );
  return {
    wallet,
    sol: balance.value,
    base,
    tranches,
    member: member.exists ? { expiresAt: member.data.expiresAt } : null,
    requests: detail.queues.flat().filter((r) => r.owner === wallet),
  };
}
