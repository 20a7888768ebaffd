// Every address the Sluice program derives, seed for seed as app/sdk/src/pda.rs (and
// docs/accounts.md). The generated `find*Pda` functions cover only the PDAs whose seeds the
// IDL spells out; these cover all of them and return the address alone.
import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU64Encoder,
  type Address,
  type ReadonlyUint8Array,
} from '@solana/kit';

import { SLUICE_PROGRAM_ADDRESS } from './generated';

const utf8 = new TextEncoder();
const addressBytes = getAddressEncoder();
const u64Bytes = getU64Encoder();

type Seed = string | Address | bigint | number;

/** A seed as the program writes it: a literal, a public key, a u64 (LE), or a u8 index. */
function seedBytes(seed: Seed, kind: 'literal' | 'address' | 'u64' | 'u8'): ReadonlyUint8Array {
  switch (kind) {
    case 'literal':
      return utf8.encode(seed as string);
    case 'address':
      return addressBytes.encode(seed as Address);
    case 'u64':
      return u64Bytes.encode(BigInt(seed));
    case 'u8': {
      const n = Number(seed);
      if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`a u8 seed, not ${seed}`);
      return new Uint8Array([n]);
    }
  }
}

async function derive(...seeds: ReadonlyUint8Array[]): Promise<Address> {
  const [address] = await getProgramDerivedAddress({ programAddress: SLUICE_PROGRAM_ADDRESS, seeds });
  return address;
}

const literal = (s: string) => seedBytes(s, 'literal');
const key = (a: Address) => seedBytes(a, 'address');
const u64 = (n: bigint | number) => seedBytes(n, 'u64');
const u8 = (n: number) => seedBytes(n, 'u8');

/** `["pool", creator, pool_id (u64 LE)]` */
export const poolAddress = (creator: Address, poolId: bigint | number) =>
  derive(literal('pool'), key(creator), u64(poolId));

/** `["vault", pool]`: the pool's base-token cash. */
export const vaultAddress = (pool: Address) => derive(literal('vault'), key(pool));

/** `["oracle", pool]` */
export const oracleAddress = (pool: Address) => derive(literal('oracle'), key(pool));

/** `["tranche_mint", pool, index (u8)]` */
export const trancheMintAddress = (pool: Address, tranche: number) =>
  derive(literal('tranche_mint'), key(pool), u8(tranche));

/** `["escrow", pool, tranche (u8)]`: tokens of queued requests and of the reserve. */
export const escrowAddress = (pool: Address, tranche: number) => derive(literal('escrow'), key(pool), u8(tranche));

/** `["reserve", pool]`: the buy-back reserve's base tokens. */
export const reserveAddress = (pool: Address) => derive(literal('reserve'), key(pool));

/** `["receivable", pool, index (u64 LE)]` */
export const receivableAddress = (pool: Address, index: bigint | number) =>
  derive(literal('receivable'), key(pool), u64(index));

/** `["member", pool, wallet]` */
export const memberAddress = (pool: Address, wallet: Address) => derive(literal('member'), key(pool), key(wallet));

/** `["holder", pool, tranche (u8), owner]`: a holder's limits in one tranche (HolderRecord). */
export const holderRecordAddress = (pool: Address, tranche: number, owner: Address) =>
  derive(literal('holder'), key(pool), u8(tranche), key(owner));

/** `["parked", pool, tranche (u8), id (u64 LE)]`: an unclaimed claim moved out of its queue. */
export const parkedClaimAddress = (pool: Address, tranche: number, id: bigint | number) =>
  derive(literal('parked'), key(pool), u8(tranche), u64(id));

/** `["amm", pool, tranche (u8)]`: a tranche's market. */
export const ammAddress = (pool: Address, tranche: number) => derive(literal('amm'), key(pool), u8(tranche));

/** A market's LP mint `["amm_lp", amm]`, tranche vault `["amm_tranche", amm]` and base vault `["amm_base", amm]`. */
export async function ammAccounts(
  amm: Address,
): Promise<{ lpMint: Address; trancheVault: Address; baseVault: Address }> {
  const [lpMint, trancheVault, baseVault] = await Promise.all(
    ['amm_lp', 'amm_tranche', 'amm_base'].map((seed) => derive(literal(seed), key(amm))),
  );
  return { lpMint, trancheVault, baseVault };
}

/** `["basket", creator, basket_id (u64 LE)]` */
export const basketAddress = (creator: Address, basketId: bigint | number) =>
  derive(literal('basket'), key(creator), u64(basketId));

/** `["basket_mint", basket]` */
export const basketMintAddress = (basket: Address) => derive(literal('basket_mint'), key(basket));

/** `["basket_sleeve", basket]`: the basket's base tokens. */
export const basketSleeveAddress = (basket: Address) => derive(literal('basket_sleeve'), key(basket));

/** `["basket_vault", basket, mint]`: the basket's account of a constituent's mint. */
export const basketVaultAddress = (basket: Address, mint: Address) =>
  derive(literal('basket_vault'), key(basket), key(mint));

/** `["basket_market", basket]`: the basket token's market (BasketMarket). */
export const basketMarketAddress = (basket: Address) => derive(literal('basket_market'), key(basket));

/**
 * A basket market's LP mint `["basket_market_lp", market]`, basket-token vault
 * `["basket_market_tokens", market]` and base vault `["basket_market_base", market]`.
 */
export async function basketMarketAccounts(
  market: Address,
): Promise<{ lpMint: Address; tokenVault: Address; baseVault: Address }> {
  const [lpMint, tokenVault, baseVault] = await Promise.all(
    ['basket_market_lp', 'basket_market_tokens', 'basket_market_base'].map((seed) =>
      derive(literal(seed), key(market)),
    ),
  );
  return { lpMint, tokenVault, baseVault };
}

/** The accounts hanging off one pool, derived from its creator and id. */
export type PoolAddresses = {
  pool: Address;
  vault: Address;
  oracle: Address;
  reserve: Address;
  trancheMints: Address[];
  escrows: Address[];
  amms: Address[];
};

/** Every PDA of a pool with `trancheCount` tranches (3 at most). */
export async function poolAddresses(
  creator: Address,
  poolId: bigint | number,
  trancheCount = 3,
): Promise<PoolAddresses> {
  const pool = await poolAddress(creator, poolId);
  const indices = Array.from({ length: trancheCount }, (_, i) => i);
  const [vault, oracle, reserve, trancheMints, escrows, amms] = await Promise.all([
    vaultAddress(pool),
    oracleAddress(pool),
    reserveAddress(pool),
    Promise.all(indices.map((i) => trancheMintAddress(pool, i))),
    Promise.all(indices.map((i) => escrowAddress(pool, i))),
    Promise.all(indices.map((i) => ammAddress(pool, i))),
  ]);
  return { pool, vault, oracle, reserve, trancheMints, escrows, amms };
}
