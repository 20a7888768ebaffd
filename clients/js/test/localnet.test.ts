// The generated client and the hand-written layer against a real `sluice localnet` (the
// program natively, the real SPL Token and Token-2022 programs), on the example pool as the
// migration leaves it: deposit, instant and queued redemption, a batch (paying what the
// client's `expectedFill` planned) and its claim, a swap, refusals read by name, events,
// Anchor's own TypeScript client, and exchanges into the spec's basket (minting what the
// client's `planExchangeIn` previewed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Address } from '@solana/kit';

import {
  ammAccounts,
  ammAddress,
  depositTokens,
  escrowAddress,
  expectedFill,
  fillSchedule,
  basketAddress,
  basketMintAddress,
  basketSleeveAddress,
  basketVaultAddress,
  fetchAmm,
  fetchBasket,
  fetchReceivable,
  receivableAddress,
  fetchHolderRecord,
  fetchMember,
  fetchRedemptionQueue,
  findAmmLpPda,
  findVaultPda,
  getDepositInstruction,
  getProcessBatchInstruction,
  getRedeemInstantInstruction,
  getRepriceInstruction,
  getRequestRedemptionInstruction,
  getClaimInstruction,
  getAddLiquidityInstruction,
  getSwapInstruction,
  holderRecordAddress,
  instantRedemption,
  oracleAddress,
  planBatch,
  priceE12,
  reserveAddress,
  sendInstructions,
  sluiceFailureOf,
  swapQuote,
  trancheMintAddress,
  tranchePriceE12,
  vaultAddress,
  SLUICE_ERROR__NAV_STALE,
  SLUICE_ERROR__ZERO_AMOUNT,
  memberAddress,
  Stage,
  basketPricedAccounts,
  exchangeInInstruction,
  getExchangeInInstruction,
  getRebalanceInstruction,
  isBasketRefusal,
  loadBasketView,
  planExchangeIn,
  withRemainingAccounts,
  SLUICE_ERROR__SLIPPAGE_EXCEEDED,
  noFlights,
  type ExchangeInPlan,
  type Pool,
} from '../src';
import {
  advanceClock,
  associated,
  clusterNow,
  DAY,
  investor,
  pool,
  POOL_ID,
  startWorld,
  tokenBalance,
  TOKEN_2022,
  type Investor,
  type World,
} from './world';

let world: World;

before(async () => {
  world = await startWorld();
});

after(async () => {
  await world?.stop();
});

/** JSON.stringify's replacer for bigints. */
const bigints = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** The accounts every deposit into `tranche` names, for `who`. */
function depositAccounts(p: Pool, who: Investor, tranche: number) {
  return {
    depositor: who.wallet,
    pool: world.pool,
    baseMint: p.baseMint,
    vault: p.vault,
    trancheMint: p.tranches[tranche].mint,
    depositorBase: who.base,
    depositorTranche: who.tranches[tranche],
    member: who.member,
    baseTokenProgram: p.baseTokenProgram,
  };
}

describe('the example pool on a localnet', () => {
  test('every address the pool account records is the PDA the client derives', async () => {
    const p = await pool(world);
    assert.equal(p.creator, world.issuer.address);
    assert.equal(p.trancheCount, 3);
    assert.equal(p.vault, await vaultAddress(world.pool));
    assert.equal(p.vault, (await findVaultPda({ pool: world.pool }))[0]);
    assert.equal(p.oracle, await oracleAddress(world.pool));
    assert.equal(p.reserveVault, await reserveAddress(world.pool));
    for (let i = 0; i < 3; i++) {
      assert.equal(p.tranches[i].mint, await trancheMintAddress(world.pool, i), `tranche ${i} mint`);
      assert.equal(p.tranches[i].escrow, await escrowAddress(world.pool, i), `tranche ${i} escrow`);
    }
    // The senior market (the spec's [[markets]]) and its accounts.
    const amm = await fetchAmm(world.rpc, await ammAddress(world.pool, 0));
    const derived = await ammAccounts(amm.address);
    assert.equal(amm.data.pool, world.pool);
    assert.equal(amm.data.lpMint, derived.lpMint);
    assert.equal(amm.data.lpMint, (await findAmmLpPda({ amm: amm.address }))[0]);
    assert.equal(amm.data.trancheVault, derived.trancheVault);
    assert.equal(amm.data.baseVault, derived.baseVault);
    // The receivables of the CSV, by index.
    for (const index of [0n, BigInt(p.receivableCount) - 1n]) {
      const receivable = await fetchReceivable(world.rpc, await receivableAddress(world.pool, index));
      assert.equal(receivable.data.pool, world.pool);
      assert.equal(receivable.data.index, index);
    }
    // The spec's basket (id 2027001, the issuer's) and its accounts.
    const basket = await fetchBasket(world.rpc, await basketAddress(world.issuer.address, POOL_ID));
    assert.equal(basket.data.mint, await basketMintAddress(basket.address));
    assert.equal(basket.data.sleeve, await basketSleeveAddress(basket.address));
    assert.equal(basket.data.constituentCount, 2);
    for (const c of basket.data.constituents.slice(0, basket.data.constituentCount)) {
      assert.equal(c.vault, await basketVaultAddress(basket.address, c.mint));
    }
    // The basket is admitted as a member of the permissioned pool.
    assert.equal(
      (await fetchMember(world.rpc, await memberAddress(world.pool, basket.address))).data.wallet,
      basket.address,
    );
  });

  let alice: Investor;
  let minted = 0n;

  test('a deposit mints the tokens the preview promised, at the tranche price the pool shows', async () => {
    alice = await investor(world, 100_000_000_000n);
    const member = await fetchMember(world.rpc, alice.member);
    assert.equal(member.data.wallet, alice.wallet.address);
    assert.equal(alice.member, await memberAddress(world.pool, alice.wallet.address));

    const p = await pool(world);
    const senior = p.tranches[0];
    assert.equal(tranchePriceE12(p, 0), priceE12(senior.value, senior.supply));
    assert.ok(senior.supply > 0n && senior.priceE12 > 0n, 'the migration seeded the senior tranche');
    const amount = 60_000_000_000n;
    const preview = depositTokens(p, 0, amount);
    assert.ok(preview !== null && preview > 0n);
    await sendInstructions(world.sender, alice.wallet, [
      getDepositInstruction({ ...depositAccounts(p, alice, 0), tranche: 0, amount, minTokensOut: preview }),
    ]);
    minted = await tokenBalance(world, alice.tranches[0]);
    assert.equal(minted, preview);
    assert.equal(await tokenBalance(world, alice.base), 40_000_000_000n);
    const after = await pool(world);
    assert.equal(after.tranches[0].supply, senior.supply + preview);
  });

  let paidInstantly = 0n;

  test('an instant redemption pays value − fee, as instantRedemption previews it', async () => {
    const p = await pool(world);
    // An amount whose fee is not a whole number of base units: the rounding shows.
    const tokens = 1_234_567_891n;
    const { value, fee, payout } = instantRedemption(p, 0, tokens);
    assert.ok(fee > 0n && payout === value - fee);
    assert.notEqual((value * BigInt(p.params.redemption.instantFeeBps)) % 10_000n, 0n);
    const holderRecord = await holderRecordAddress(world.pool, 0, alice.wallet.address);
    const before = await tokenBalance(world, alice.base);
    await sendInstructions(world.sender, alice.wallet, [
      getRedeemInstantInstruction({
        holder: alice.wallet,
        pool: world.pool,
        baseMint: p.baseMint,
        vault: p.vault,
        trancheMint: p.tranches[0].mint,
        holderTokens: alice.tranches[0],
        holderBase: alice.base,
        reserveVault: p.reserveVault,
        holderRecord,
        baseTokenProgram: p.baseTokenProgram,
        tranche: 0,
        tokens,
        minOut: payout,
      }),
    ]);
    paidInstantly = (await tokenBalance(world, alice.base)) - before;
    assert.equal(paidInstantly, payout);
    assert.equal(await tokenBalance(world, alice.tranches[0]), minted - tokens);
    const record = await fetchHolderRecord(world.rpc, holderRecord);
    assert.equal(record.data.owner, alice.wallet.address);
    assert.equal(record.data.instantWindowValue, value);
  });

  test('a queued redemption is paid in installments by the next batch, and claimed', async () => {
    const p = await pool(world);
    const senior = p.tranches[0];
    const tokens = await tokenBalance(world, alice.tranches[0]);
    const id = senior.queueTail;
    await sendInstructions(world.sender, alice.wallet, [
      getRequestRedemptionInstruction({
        owner: alice.wallet,
        pool: world.pool,
        queue: senior.queue,
        escrow: senior.escrow,
        trancheMint: senior.mint,
        ownerTokens: alice.tranches[0],
        holder: await holderRecordAddress(world.pool, 0, alice.wallet.address),
        tranche: 0,
        tokens,
      }),
    ]);
    assert.equal(await tokenBalance(world, alice.tranches[0]), 0n);
    const queued = await pool(world);
    assert.equal(queued.tranches[0].queueTail, id + 1n);
    assert.equal(queued.tranches[0].queuedTokens, senior.queuedTokens + tokens);

    // A day later the keeper's cranks: reprice (the batch needs a fresh NAV), then the batch.
    await advanceClock(world, DAY + 60n);
    const keeper = await investor(world, 0n);
    await sendInstructions(world.sender, keeper.wallet, [
      getRepriceInstruction({ pool: world.pool, book: p.book, oracle: p.oracle, vault: p.vault }),
    ]);
    // What the client's port of plan_batch expects the batch to do for alice, from the repriced
    // pool at the cluster's time (the clock is stopped: the batch runs at this very second).
    const repriced = await pool(world);
    const now = await clusterNow(world);
    const waiting = (await fetchRedemptionQueue(world.rpc, senior.queue)).data.requests;
    const request = waiting[Number(id % BigInt(waiting.length))];
    assert.equal(request.owner, alice.wallet.address);
    assert.ok(!repriced.batch.open, 'the batch opens with this crank');
    assert.equal(repriced.tranches[0].queueHead, id, "alice's request is the first the batch visits");
    assert.equal(repriced.stage, Stage.Normal, 'in Normal the reserve buys nothing');
    const expected = expectedFill(repriced, 0, request, now);
    assert.ok(expected, `a batch is due now: ${JSON.stringify(planBatch(repriced, now), bigints)}`);
    assert.ok(expected.redeemed > 0n && expected.redeemed < request.remaining, 'an installment, not the whole');
    assert.equal(expected.soldToReserve, 0n);
    // The schedule's first batch is this one.
    const schedule = fillSchedule(repriced, 0, request, now);
    assert.deepEqual(schedule.batches[0], { at: now, tokens: expected.redeemed, paid: expected.paid });
    await sendInstructions(world.sender, keeper.wallet, [
      getProcessBatchInstruction({
        cranker: keeper.wallet,
        crankerBase: keeper.base,
        pool: world.pool,
        queue: senior.queue,
        escrow: senior.escrow,
        trancheMint: senior.mint,
        baseMint: p.baseMint,
        vault: p.vault,
        reserveVault: p.reserveVault,
        baseTokenProgram: p.baseTokenProgram,
        tranche: 0,
        maxRequests: 16,
      }),
    ]);
    const queue = await fetchRedemptionQueue(world.rpc, senior.queue);
    const slot = queue.data.requests.find((r) => r.owner === alice.wallet.address);
    assert.ok(slot, 'the request is in the queue');
    assert.ok(slot.claimable > 0n, 'the batch paid an installment');
    assert.ok(slot.remaining > 0n, 'a large request is paid over several batches');
    // Integer for integer what expectedFill said.
    assert.equal(slot.claimable, expected.paid, 'paid');
    assert.equal(slot.original - slot.remaining, expected.redeemed, 'redeemed');

    const before = await tokenBalance(world, alice.base);
    await sendInstructions(world.sender, alice.wallet, [
      getClaimInstruction({
        caller: alice.wallet,
        pool: world.pool,
        queue: senior.queue,
        baseMint: p.baseMint,
        vault: p.vault,
        destination: alice.base,
        baseTokenProgram: p.baseTokenProgram,
        tranche: 0,
        id,
      }),
    ]);
    assert.equal((await tokenBalance(world, alice.base)) - before, slot.claimable);
  });

  test('a swap on the senior market pays exactly the quote the client computes', async () => {
    const p = await pool(world);
    const amm = await fetchAmm(world.rpc, await ammAddress(world.pool, 0));
    const issuer = world.issuer.address;
    const issuerSenior = await associated(issuer, p.tranches[0].mint, TOKEN_2022);
    const issuerBase = await associated(issuer, p.baseMint, p.baseTokenProgram);
    const issuerLp = await associated(issuer, amm.data.lpMint, TOKEN_2022);
    const market = {
      pool: world.pool,
      amm: amm.address,
      baseMint: p.baseMint,
      trancheMint: p.tranches[0].mint,
      lpMint: amm.data.lpMint,
      trancheVault: amm.data.trancheVault,
      baseVault: amm.data.baseVault,
      baseTokenProgram: p.baseTokenProgram,
    };
    // The issuer seeds the empty market at about NAV from its own senior tokens.
    const { getCreateAssociatedTokenIdempotentInstruction } = await import('@solana-program/token');
    await sendInstructions(world.sender, world.issuer, [
      getCreateAssociatedTokenIdempotentInstruction({
        payer: world.issuer,
        ata: issuerLp,
        owner: issuer,
        mint: amm.data.lpMint,
        tokenProgram: TOKEN_2022,
      }),
      getAddLiquidityInstruction({
        ...market,
        user: world.issuer,
        userTranche: issuerSenior,
        userBase: issuerBase,
        userLp: issuerLp,
        member: await memberAddress(world.pool, issuer),
        lp: 1n,
        maxTranche: 200_000_000_000n,
        maxBase: 200_000_000_000n,
      }),
    ]);
    const bob = await investor(world, 10_000_000_000n);
    const seeded = await fetchAmm(world.rpc, amm.address);
    const vaults = {
      tranche: await tokenBalance(world, market.trancheVault),
      base: await tokenBalance(world, market.baseVault),
    };
    assert.ok(vaults.tranche > 0n && vaults.base > 0n, 'the market has liquidity');
    const amountIn = 1_000_000_000n;
    const q = swapQuote(await pool(world), seeded.data, vaults, true, amountIn);
    assert.ok(q && q.amountOut > 0n && q.fee > 0n);
    const now = await clusterNow(world);
    await sendInstructions(world.sender, bob.wallet, [
      getSwapInstruction({
        ...market,
        user: bob.wallet,
        userTranche: bob.tranches[0],
        userBase: bob.base,
        member: bob.member,
        buyTranche: true,
        amountIn,
        minOut: q.amountOut,
        deadline: now + 60n,
      }),
    ]);
    assert.equal(await tokenBalance(world, bob.tranches[0]), q.amountOut);
    assert.equal(await tokenBalance(world, bob.base), 10_000_000_000n - amountIn);
    // And back: selling half, the quote again to the unit.
    const sell = q.amountOut / 2n;
    const again = swapQuote(
      await pool(world),
      (await fetchAmm(world.rpc, amm.address)).data,
      { tranche: await tokenBalance(world, market.trancheVault), base: await tokenBalance(world, market.baseVault) },
      false,
      sell,
    );
    assert.ok(again && again.amountOut > 0n);
    await sendInstructions(world.sender, bob.wallet, [
      getSwapInstruction({
        ...market,
        user: bob.wallet,
        userTranche: bob.tranches[0],
        userBase: bob.base,
        member: bob.member,
        buyTranche: false,
        amountIn: sell,
        minOut: again.amountOut,
        deadline: now + 60n,
      }),
    ]);
    assert.equal(await tokenBalance(world, bob.base), 10_000_000_000n - amountIn + again.amountOut);
  });

  test('refusals are read by name: a deposit of 0 is ZeroAmount, one on a stale NAV is NavStale', async () => {
    const p = await pool(world);
    const carol = await investor(world, 5_000_000_000n);
    const zero = getDepositInstruction({ ...depositAccounts(p, carol, 0), tranche: 0, amount: 0n, minTokensOut: 0n });
    const refused = await sendInstructions(world.sender, carol.wallet, [zero]).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(refused, 'a deposit of 0 is refused');
    const failure = sluiceFailureOf(refused, { instructions: [zero] });
    assert.ok(failure, `a program error in ${String(refused)}`);
    assert.equal(failure.name, 'ZeroAmount');
    assert.equal(failure.code, SLUICE_ERROR__ZERO_AMOUNT);
    assert.equal(failure.source, 'sluice');
    assert.equal(failure.instructionIndex, 0);
    const hex = `custom program error: 0x${SLUICE_ERROR__ZERO_AMOUNT.toString(16)}`;
    assert.ok(
      failure.logs?.some((l) => l.includes(hex)),
      `the preflight logs carry ${hex}: ${failure.logs}`,
    );
    assert.ok(
      failure.logs?.some((l) => l.startsWith('Program log: AnchorError') && l.includes('ZeroAmount')),
      `the preflight logs name the error: ${failure.logs}`,
    );

    // Two hours on, the hour-old NAV limit (max_nav_age_secs = 3600) stops deposits.
    await advanceClock(world, 7_200n);
    const stale = getDepositInstruction({
      ...depositAccounts(p, carol, 0),
      tranche: 0,
      amount: 1_000_000n,
      minTokensOut: 0n,
    });
    const error = await sendInstructions(world.sender, carol.wallet, [stale]).then(
      () => null,
      (e: unknown) => e,
    );
    const staleFailure = sluiceFailureOf(error, { instructions: [stale] });
    assert.equal(staleFailure?.name, 'NavStale');
    assert.equal(staleFailure?.code, SLUICE_ERROR__NAV_STALE);
  });

  test("Anchor's TypeScript client reprices with the committed IDL", async () => {
    const { repriceWithAnchor } = await import('./anchor');
    const before = await pool(world);
    const now = await clusterNow(world);
    assert.ok(before.navTime < now - 3_600n, 'the NAV is stale before');
    await repriceWithAnchor(world);
    const after = await pool(world);
    assert.equal(after.navTime, now);
    assert.equal(after.navDirty, false);
  });

  let dave: Investor;
  let holderBasket: Address;

  test('an exchange into the basket mints exactly what planExchangeIn previews; one more is SlippageExceeded', async () => {
    // The Anchor test just repriced: the pool (both constituents') has a fresh NAV.
    const p = await pool(world);
    const basket = await basketAddress(world.issuer.address, POOL_ID);
    dave = await investor(world, 25_000_000_000n);
    for (const tranche of [0, 1]) {
      const amount = 10_000_000_000n;
      const minTokensOut = depositTokens(p, tranche, amount);
      assert.ok(minTokensOut !== null && minTokensOut > 0n);
      await sendInstructions(world.sender, dave.wallet, [
        getDepositInstruction({ ...depositAccounts(p, dave, tranche), tranche, amount, minTokensOut }),
      ]);
    }
    const senior = await tokenBalance(world, dave.tranches[0]);
    const mezzanine = await tokenBalance(world, dave.tranches[1]);
    assert.ok(senior > 0n && mezzanine > 0n);

    const view = await loadBasketView(world.rpc, basket);
    const [seniorC, mezzanineC] = view.basket.constituents;
    assert.deepEqual(
      [seniorC.pool, seniorC.tranche, mezzanineC.pool, mezzanineC.tranche],
      [world.pool, 0, world.pool, 1],
      'the constituents are the senior and mezzanine tranches',
    );
    // Two tranches of one pool: the pool twice, then one queue per open request.
    const queues = view.basket.constituents
      .slice(0, view.basket.constituentCount)
      .filter((c) => c.requestOpen)
      .map((c) => c.queue);
    assert.deepEqual(basketPricedAccounts(view), [world.pool, world.pool, ...queues]);
    holderBasket = await associated(dave.wallet.address, view.basket.mint, TOKEN_2022);
    const { getCreateAssociatedTokenIdempotentInstruction } = await import('@solana-program/token');
    await sendInstructions(world.sender, dave.wallet, [
      getCreateAssociatedTokenIdempotentInstruction({
        payer: dave.wallet,
        ata: holderBasket,
        owner: dave.wallet.address,
        mint: view.basket.mint,
        tokenProgram: TOKEN_2022,
      }),
    ]);

    const now = await clusterNow(world);
    const tokens = senior / 2n;
    const preview = planExchangeIn(view.basket, view.pools, view.flights, 0, tokens, now);
    assert.ok(!isBasketRefusal(preview), `planExchangeIn refused: ${JSON.stringify(preview, bigints)}`);
    assert.ok(preview.basketTokens > 0n && preview.haircut > 0n);
    // Built by hand: the generated instruction, then the priced accounts as remaining accounts.
    const exchange = (minOut: bigint) =>
      withRemainingAccounts(
        getExchangeInInstruction({
          holder: dave.wallet,
          basket,
          mint: view.basket.mint,
          trancheMint: seniorC.mint,
          vault: seniorC.vault,
          holderTranche: dave.tranches[0],
          holderBasket,
          member: dave.member,
          index: 0,
          tokens,
          minOut,
        }),
        basketPricedAccounts(view),
      );
    const greedy = exchange(preview.basketTokens + 1n);
    const refused = await sendInstructions(world.sender, dave.wallet, [greedy]).then(
      () => null,
      (e: unknown) => e,
    );
    const failure = sluiceFailureOf(refused, { instructions: [greedy] });
    assert.equal(failure?.name, 'SlippageExceeded', `refused with ${String(refused)}`);
    assert.equal(failure?.code, SLUICE_ERROR__SLIPPAGE_EXCEEDED);
    assert.equal(await tokenBalance(world, holderBasket), 0n, 'nothing minted');

    const supplyBefore = view.basket.supply;
    await sendInstructions(world.sender, dave.wallet, [exchange(preview.basketTokens)]);
    assert.equal(await tokenBalance(world, holderBasket), preview.basketTokens, 'the preview, to the unit');
    assert.equal(await tokenBalance(world, dave.tranches[0]), senior - tokens);
    const booked = (await fetchBasket(world.rpc, basket)).data;
    assert.equal(booked.supply, supplyBefore + preview.basketTokens);
    assert.equal(booked.constituents[0].held, seniorC.held + tokens);

    // Again, into a basket that now has tokens out (priced, not at par), with the convenience
    // builder: the rest of the senior tokens, then mezzanine within and beyond its 40 % cap.
    const sendExchange = async (index: number, amount: bigint, expected: ExchangeInPlan) => {
      const v = await loadBasketView(world.rpc, basket);
      const ix = await exchangeInInstruction({
        view: v,
        holder: dave.wallet,
        holderTranche: dave.tranches[index],
        holderBasket,
        index,
        tokens: amount,
        minOut: expected.basketTokens,
      });
      const before = await tokenBalance(world, holderBasket);
      await sendInstructions(world.sender, dave.wallet, [ix]);
      assert.equal((await tokenBalance(world, holderBasket)) - before, expected.basketTokens, `constituent ${index}`);
    };
    const plan = async (index: number, amount: bigint) => {
      const v = await loadBasketView(world.rpc, basket);
      return planExchangeIn(v.basket, v.pools, v.flights, index, amount, await clusterNow(world));
    };
    const rest = await plan(0, senior - tokens);
    assert.ok(
      !isBasketRefusal(rest) && rest.basketValue > 0n && (await loadBasketView(world.rpc, basket)).basket.supply > 0n,
    );
    await sendExchange(0, senior - tokens, rest);

    const all = await plan(1, mezzanine);
    assert.deepEqual(all, { error: 'ConcentrationCapExceeded' }, 'all the mezzanine would pass its cap');
    const v = await loadBasketView(world.rpc, basket);
    const tooMuch = await exchangeInInstruction({
      view: v,
      holder: dave.wallet,
      holderTranche: dave.tranches[1],
      holderBasket,
      index: 1,
      tokens: mezzanine,
      minOut: 0n,
    });
    const capped = await sendInstructions(world.sender, dave.wallet, [tooMuch]).then(
      () => null,
      (e: unknown) => e,
    );
    assert.equal(sluiceFailureOf(capped, { instructions: [tooMuch] })?.name, 'ConcentrationCapExceeded');
    const some = await plan(1, mezzanine / 4n);
    assert.ok(!isBasketRefusal(some), `a quarter fits the cap: ${JSON.stringify(some, bigints)}`);
    assert.ok(some.shareAfterBps <= 4_000n);
    await sendExchange(1, mezzanine / 4n, some);
  });

  test("with the basket's own request in flight, the view reads it from the queue and the preview still holds", async () => {
    const p = await pool(world);
    const basket = await basketAddress(world.issuer.address, POOL_ID);
    const before = await loadBasketView(world.rpc, basket);
    assert.ok(!before.basket.constituents[0].requestOpen, 'no request yet');
    // The sleeve is empty, under its 10 % target: the keeper's rebalance queues senior tokens
    // (the constituent furthest above its target weight) to refill it.
    const keeper = await investor(world, 0n);
    const senior = p.tranches[0];
    const c = before.basket.constituents[0];
    const rebalance = withRemainingAccounts(
      getRebalanceInstruction({
        cranker: keeper.wallet,
        basket,
        sleeve: before.basket.sleeve,
        baseMint: before.basket.baseMint,
        pool: world.pool,
        poolVault: p.vault,
        queue: senior.queue,
        escrow: senior.escrow,
        trancheMint: c.mint,
        vault: c.vault,
        holderRecord: await holderRecordAddress(world.pool, 0, basket),
        member: await memberAddress(world.pool, basket),
        reserveVault: p.reserveVault,
        baseTokenProgram: p.baseTokenProgram,
        index: 0,
        collectOnly: false,
      }),
      basketPricedAccounts(before),
    );
    await sendInstructions(world.sender, keeper.wallet, [rebalance]);

    const view = await loadBasketView(world.rpc, basket);
    const open = view.basket.constituents[0];
    assert.ok(open.requestOpen, 'the basket has a request in the senior queue');
    assert.equal(open.queue, senior.queue);
    const queued = (await fetchRedemptionQueue(world.rpc, senior.queue)).data.requests;
    const request = queued[Number(open.requestId % BigInt(queued.length))];
    assert.equal(request.owner, basket);
    assert.deepEqual(view.flights[0], { tokens: request.remaining, cash: request.claimable });
    assert.ok(view.flights[0].tokens > 0n);
    assert.equal(open.held + view.flights[0].tokens, c.held, 'the queued tokens left the vault, not the basket');
    assert.deepEqual(basketPricedAccounts(view), [world.pool, world.pool, senior.queue]);

    const now = await clusterNow(world);
    const tokens = (await tokenBalance(world, dave.tranches[1])) / 3n;
    const preview = planExchangeIn(view.basket, view.pools, view.flights, 1, tokens, now);
    assert.ok(!isBasketRefusal(preview), `planExchangeIn refused: ${JSON.stringify(preview, bigints)}`);
    // The in-flight tokens still count: without them the basket would look poorer and mint more.
    const blind = planExchangeIn(view.basket, view.pools, noFlights(), 1, tokens, now);
    assert.ok(!isBasketRefusal(blind) && blind.basketTokens > preview.basketTokens);
    const ix = await exchangeInInstruction({
      view,
      holder: dave.wallet,
      holderTranche: dave.tranches[1],
      holderBasket,
      index: 1,
      tokens,
      minOut: preview.basketTokens,
    });
    const minted = await tokenBalance(world, holderBasket);
    await sendInstructions(world.sender, dave.wallet, [ix]);
    assert.equal((await tokenBalance(world, holderBasket)) - minted, preview.basketTokens);
  });
});
