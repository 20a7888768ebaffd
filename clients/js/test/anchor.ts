// Anchor's own TypeScript client (@anchor-lang/core) on the committed IDL: the same program,
// read and called the way an Anchor project would, next to the kit client.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import anchor from '@anchor-lang/core';
import { Connection, Keypair, PublicKey, Transaction, type Signer, type ConfirmOptions } from '@solana/web3.js';

import { listening, type World } from './world';

const idlPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../idl/sluice.json');

/**
 * An AnchorProvider that confirms by polling getSignatureStatuses. The stock provider
 * confirms through a signature subscription on the node's websocket (`port + 1`), which a
 * localnet without PubSub does not serve; with PubSub the stock provider is used.
 */
class PollingProvider extends anchor.AnchorProvider {
  override async sendAndConfirm(tx: Transaction, signers?: Signer[], opts?: ConfirmOptions): Promise<string> {
    const { blockhash } = await this.connection.getLatestBlockhash('confirmed');
    tx.feePayer ??= this.wallet.publicKey;
    tx.recentBlockhash = blockhash;
    for (const signer of signers ?? []) tx.partialSign(signer);
    const signed = await this.wallet.signTransaction(tx);
    const signature = await this.connection.sendRawTransaction(signed.serialize(), opts);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const { value } = await this.connection.getSignatureStatuses([signature]);
      if (value[0]?.err) throw new Error(`${signature} failed: ${JSON.stringify(value[0].err)}`);
      if (value[0]?.confirmationStatus === 'confirmed' || value[0]?.confirmationStatus === 'finalized')
        return signature;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${signature} not confirmed in 30 s`);
  }
}

/** `program.methods.reprice().accounts({ pool }).rpc()`: Anchor resolves book, oracle and vault from the pool. */
export async function repriceWithAnchor(world: World): Promise<string> {
  const idl = JSON.parse(readFileSync(idlPath, 'utf8'));
  const signer = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(world.issuerFile, 'utf8'))));
  const connection = new Connection(world.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
  const wallet = new anchor.Wallet(signer);
  const options: ConfirmOptions = { commitment: 'confirmed' };
  const provider = (await listening(world.port + 1))
    ? new anchor.AnchorProvider(connection, wallet, options)
    : new PollingProvider(connection, wallet, options);
  const program = new anchor.Program(idl, provider);
  try {
    return await program.methods
      .reprice()
      .accounts({ pool: new PublicKey(world.pool) })
      .rpc();
  } finally {
    // web3.js keeps its signature-subscription socket open for a moment after confirming and
    // reconnects forever once the node is gone; close it with the node still up.
    (connection as unknown as { _rpcWebSocket?: { close(): void } })._rpcWebSocket?.close();
  }
}
