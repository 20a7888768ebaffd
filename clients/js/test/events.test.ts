// Events over the node's PubSub websocket (`--port + 1`): a `logsSubscribe` that mentions
// Sluice sees the `Deposited` event of a deposit, decoded from its `Program data:` line; the
// deposit itself is confirmed by kit's sendAndConfirmTransactionFactory over the same socket.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSolanaRpcSubscriptions } from '@solana/kit';

import {
  depositTokens,
  getDepositInstruction,
  parseSluiceEvents,
  sendInstructions,
  SLUICE_PROGRAM_ADDRESS,
} from '../src';
import { investor, listening, pool, startWorld, type World } from './world';

let world: World;
let pubsub = false;

before(async () => {
  world = await startWorld();
  pubsub = await listening(world.port + 1);
});

after(async () => {
  await world?.stop();
});

test('a logs subscription sees the Deposited event of a deposit', async (t) => {
  if (!pubsub) {
    const why = `nothing listens on ws://127.0.0.1:${world.port + 1} (this localnet has no PubSub yet)`;
    if (process.env.SLUICE_REQUIRE_PUBSUB === '1') assert.fail(why);
    t.skip(why);
    return;
  }
  const rpcSubscriptions = createSolanaRpcSubscriptions(`ws://127.0.0.1:${world.port + 1}`);
  const sender = { ...world.sender, rpcSubscriptions };
  const dave = await investor(world, 20_000_000_000n);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('no Deposited event within 15 s')), 15_000);
  try {
    const notifications = await rpcSubscriptions
      .logsNotifications({ mentions: [SLUICE_PROGRAM_ADDRESS] }, { commitment: 'confirmed' })
      .subscribe({ abortSignal: abort.signal });
    // Iterate from now on: a subscription's iterator yields only what arrives after it starts.
    const received = new Map<string, readonly string[]>();
    let arrived = () => {};
    const collecting = (async () => {
      for await (const { value } of notifications) {
        assert.equal(value.err, null);
        received.set(value.signature, value.logs);
        arrived();
      }
    })();
    const p = await pool(world);
    const amount = 12_345_000_000n;
    const preview = depositTokens(p, 1, amount)!;
    const signature = await sendInstructions(sender, dave.wallet, [
      getDepositInstruction({
        depositor: dave.wallet,
        pool: world.pool,
        baseMint: p.baseMint,
        vault: p.vault,
        trancheMint: p.tranches[1].mint,
        depositorBase: dave.base,
        depositorTranche: dave.tranches[1],
        member: dave.member,
        baseTokenProgram: p.baseTokenProgram,
        tranche: 1,
        amount,
        minTokensOut: preview,
      }),
    ]);
    while (!received.has(signature)) {
      if (abort.signal.aborted) assert.fail(`no logs notification for ${signature} within 15 s`);
      await Promise.race([new Promise<void>((resolve) => (arrived = resolve)), collecting]);
    }
    const logs = received.get(signature)!;
    const deposited = parseSluiceEvents(logs).find((e) => e.name === 'Deposited');
    assert.ok(deposited, `a Deposited event in the logs:\n${logs.join('\n')}`);
    assert.deepEqual(deposited.data, {
      pool: world.pool,
      depositor: dave.wallet.address,
      tranche: 1,
      amount,
      tokens: preview,
    });
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
});
