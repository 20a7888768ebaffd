// The investor's instructions, built with the generated client, each with the preview the
// page shows before signing and the bound the transaction carries (minimum out, deadline).
// Where the pool's NAV is too old for the door (deposits and instant exits need one from
// today and within max_nav_age_secs), the transaction reprices first — `reprice` is
// permissionless — and the minimum still protects the holder from the move.
import type { Address, Instruction, Signature, TransactionSigner } from '@solana/kit';
import { getCreateAssociatedTokenIdempotentInstruction } from '@solana-program/token';
import {
  exchangeInInstruction,
  getCancelRedemptionInstruction,
  getClaimInstruction,
  getDepositInstruction,
  getRedeemInstantInstruction,
  getRepriceInstruction,
  getRequestRedemptionInstruction,
  getSwapInstruction,
  getThawHolderInstruction,
  holderRecordAddress,
  memberAddress,
  navIsFresh,
  sendInstructions,
  sluiceFailureOf,
  type BasketView,
} from '@sluice/client';

import type { Connection } from './cluster';
import { associated, TOKEN_2022, type Market, type PoolDetail, type Position } from './data';

/** `amount` less `slippageBps` of it, rounded down: the least a holder accepts. */
export const withSlippage = (amount: bigint, slippageBps: bigint) => (amount * (10_000n - slippageBps)) / 10_000n;

function repriceIfStale(detail: PoolDetail, now: bigint): Instruction[] {
  const { pool } = detail;
  if (navIsFresh(pool, now)) return [];
  return [getRepriceInstruction({ pool: detail.address, book: pool.book, oracle: pool.oracle, vault: pool.vault })];
}

/** Opens the holder's tranche account and, in a permissioned pool, thaws it (a member may thaw their own). */
async function trancheAccountReady(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
): Promise<Instruction[]> {
  const account = position.tranches[tranche];
  const mint = detail.pool.tranches[tranche].mint;
  const out: Instruction[] = [];
  if (!account.exists) {
    out.push(
      getCreateAssociatedTokenIdempotentInstruction({
        payer: signer,
        ata: account.address,
        owner: signer.address,
        mint,
        tokenProgram: TOKEN_2022,
      }),
    );
  }
  if (detail.pool.params.permissioned && (account.frozen || !account.exists)) {
    out.push(
      getThawHolderInstruction({
        caller: signer,
        pool: detail.address,
        trancheMint: mint,
        holderTokens: account.address,
        member: await memberAddress(detail.address, signer.address),
        tranche,
      }),
    );
  }
  return out;
}

/** Opens the holder's base-token account where a payout needs one (a holder who got tranche tokens by transfer may have none). */
function baseAccountReady(detail: PoolDetail, position: Position, signer: TransactionSigner): Instruction[] {
  if (position.base.exists) return [];
  const { pool } = detail;
  return [
    getCreateAssociatedTokenIdempotentInstruction({
      payer: signer,
      ata: position.base.address,
      owner: signer.address,
      mint: pool.baseMint,
      tokenProgram: pool.baseTokenProgram,
    }),
  ];
}

async function member(detail: PoolDetail, wallet: Address) {
  return detail.pool.params.permissioned ? await memberAddress(detail.address, wallet) : undefined;
}

export async function depositInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
  amount: bigint,
  minTokensOut: bigint,
  now: bigint,
): Promise<Instruction[]> {
  const { pool } = detail;
  return [
    ...(await trancheAccountReady(detail, position, signer, tranche)),
    ...repriceIfStale(detail, now),
    getDepositInstruction({
      depositor: signer,
      pool: detail.address,
      baseMint: pool.baseMint,
      vault: pool.vault,
      trancheMint: pool.tranches[tranche].mint,
      depositorBase: position.base.address,
      depositorTranche: position.tranches[tranche].address,
      member: await member(detail, signer.address),
      reserveVault: pool.reserveVault,
      baseTokenProgram: pool.baseTokenProgram,
      tranche,
      amount,
      minTokensOut,
    }),
  ];
}

export async function redeemInstantInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
  tokens: bigint,
  minOut: bigint,
  now: bigint,
): Promise<Instruction[]> {
  const { pool } = detail;
  return [
    ...baseAccountReady(detail, position, signer),
    ...repriceIfStale(detail, now),
    getRedeemInstantInstruction({
      holder: signer,
      pool: detail.address,
      baseMint: pool.baseMint,
      vault: pool.vault,
      trancheMint: pool.tranches[tranche].mint,
      holderTokens: position.tranches[tranche].address,
      holderBase: position.base.address,
      reserveVault: pool.reserveVault,
      holderRecord: await holderRecordAddress(detail.address, tranche, signer.address),
      baseTokenProgram: pool.baseTokenProgram,
      tranche,
      tokens,
      minOut,
    }),
  ];
}

/** The accounts `request_redemption` and `cancel_redemption` both name: the queue, its escrow, the holder's record. */
async function queueAccounts(detail: PoolDetail, position: Position, signer: TransactionSigner, tranche: number) {
  const t = detail.pool.tranches[tranche];
  return {
    owner: signer,
    pool: detail.address,
    queue: t.queue,
    escrow: t.escrow,
    trancheMint: t.mint,
    ownerTokens: position.tranches[tranche].address,
    holder: await holderRecordAddress(detail.address, tranche, signer.address),
    tranche,
  };
}

export async function requestRedemptionInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
  tokens: bigint,
): Promise<Instruction[]> {
  return [getRequestRedemptionInstruction({ ...(await queueAccounts(detail, position, signer, tranche)), tokens })];
}

export async function cancelInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
  id: bigint,
): Promise<Instruction[]> {
  return [getCancelRedemptionInstruction({ ...(await queueAccounts(detail, position, signer, tranche)), id })];
}

export function claimInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  tranche: number,
  id: bigint,
): Instruction[] {
  const { pool } = detail;
  return [
    ...baseAccountReady(detail, position, signer),
    getClaimInstruction({
      caller: signer,
      pool: detail.address,
      queue: pool.tranches[tranche].queue,
      baseMint: pool.baseMint,
      vault: pool.vault,
      destination: position.base.address,
      baseTokenProgram: pool.baseTokenProgram,
      tranche,
      id,
    }),
  ];
}

export async function swapInstructions(
  detail: PoolDetail,
  position: Position,
  signer: TransactionSigner,
  market: Market,
  buyTranche: boolean,
  amountIn: bigint,
  minOut: bigint,
  deadline: bigint,
): Promise<Instruction[]> {
  const { pool } = detail;
  const tranche = market.tranche;
  return [
    ...(buyTranche
      ? await trancheAccountReady(detail, position, signer, tranche)
      : baseAccountReady(detail, position, signer)),
    getSwapInstruction({
      user: signer,
      pool: detail.address,
      amm: market.address,
      baseMint: pool.baseMint,
      trancheMint: pool.tranches[tranche].mint,
      lpMint: market.amm.lpMint,
      trancheVault: market.amm.trancheVault,
      baseVault: market.amm.baseVault,
      userTranche: position.tranches[tranche].address,
      userBase: position.base.address,
      member: await member(detail, signer.address),
      baseTokenProgram: pool.baseTokenProgram,
      buyTranche,
      amountIn,
      minOut,
      deadline,
    }),
  ];
}

/** What to do about the refusals an investor meets, by the program's error name. */
const HINTS: Record<string, string> = {
  NavStale: 'The pool’s NAV is out of date. A keeper reprices it; try again after the next reprice.',
  OracleStale: 'The rate oracle has not published recently enough to reprice. Wait for the next publication.',
  NotMember: 'This pool is permissioned: the issuer must admit your wallet as a member first.',
  MembershipExpired: 'Your membership has expired. Ask the issuer to renew it.',
  PoolPaused: 'The pool is paused by its guardian. Deposits, instant exits and the queue wait until it resumes.',
  PoolCapExceeded: 'The deposit would lift the pool above its cap. Deposit less.',
  SlippageExceeded: 'The price moved beyond your slippage bound. Review the new preview and sign again.',
  PayoutBelowMinimum: 'The payout would be below your minimum. Review the new preview and sign again.',
  InstantTooLarge: 'Above the instant threshold: request a redemption from the queue instead.',
  InstantCapReached: 'Today’s instant-exit capacity is used up. Queue the request, or try tomorrow.',
  CashFloorReached: 'The pool’s cash is at its floor. Queue the request: batches pay it as cash comes in.',
  WrongStage: 'Instant exits are open in the Normal stage only. Queue the request.',
  BelowMinimumRequest: 'The request is below the pool’s minimum. Ask for more tokens, or your whole balance.',
  CancelLocked: 'A request can be cancelled only after it has waited one batch interval.',
  NothingToClaim: 'Nothing has been paid to this request yet: a batch pays it.',
  SubordinationBreached:
    'The exit would leave the senior tranches without their required cushion. Try a smaller amount.',
  DeadlinePassed: 'The swap’s deadline passed before it landed. Sign again.',
  CrisisBandExceeded: 'In Crisis the market trades only near NAV. Trade a smaller amount.',
  EmptyAmm: 'The market has no liquidity yet.',
  TrancheAccountFrozen: 'Your tranche account is frozen: only members’ accounts are thawed.',
  TrancheImpaired: 'This tranche has lost its value; it takes no deposits.',
  JuniorNotFunded: 'The junior tranche must hold value before other tranches take deposits.',
  ZeroAmount: 'Enter an amount above zero.',
  QueueFull: 'The queue is full. Try again after the next batch.',
};

export type Refusal = { name: string; message: string; hint: string };

/** The program's refusal inside a failed send, by name with what to do; or the error's own words. */
export function refusalOf(error: unknown): Refusal {
  const failure = sluiceFailureOf(error);
  if (failure) return { name: failure.name, message: failure.message, hint: HINTS[failure.name] ?? '' };
  const text = error instanceof Error ? error.message : String(error);
  if (/insufficient (funds|lamports)|custom program error: 0x1\b/i.test(text)) {
    return {
      name: 'InsufficientFunds',
      message: text,
      hint: 'The wallet holds too little for this amount and the fee.',
    };
  }
  if (/reject|denied|cancel/i.test(text)) return { name: 'Rejected', message: text, hint: 'The wallet did not sign.' };
  return { name: 'Failed', message: text, hint: '' };
}

export async function send(
  conn: Connection,
  signer: TransactionSigner,
  instructions: Instruction[],
): Promise<Signature> {
  return sendInstructions(conn.sender, signer, instructions);
}

/**
 * Tranche tokens into the pool's basket at the pools' DCF price less the constituent's
 * haircut (`exchange_in`): opens the holder's basket-token account, reprices a constituent
 * pool whose NAV is too old (the basket prices only at a fresh NAV), then exchanges with a
 * minimum out.
 */
export async function exchangeInInstructions(
  view: BasketView,
  signer: TransactionSigner,
  index: number,
  tokens: bigint,
  minOut: bigint,
  now: bigint,
): Promise<Instruction[]> {
  const c = view.basket.constituents[index];
  const holderBasket = await associated(signer.address, view.basket.mint, TOKEN_2022);
  const holderTranche = await associated(signer.address, c.mint, TOKEN_2022);
  const stale = new Map<string, Instruction>();
  view.basket.constituents.slice(0, view.basket.constituentCount).forEach((k, i) => {
    const pool = view.pools[i];
    if (!navIsFresh(pool, now) && !stale.has(k.pool)) {
      stale.set(
        k.pool,
        getRepriceInstruction({ pool: k.pool, book: pool.book, oracle: pool.oracle, vault: pool.vault }),
      );
    }
  });
  return [
    getCreateAssociatedTokenIdempotentInstruction({
      payer: signer,
      ata: holderBasket,
      owner: signer.address,
      mint: view.basket.mint,
      tokenProgram: TOKEN_2022,
    }),
    ...stale.values(),
    await exchangeInInstruction({ view, holder: signer, holderTranche, holderBasket, index, tokens, minOut }),
  ];
}
