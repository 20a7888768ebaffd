// Building, signing, sending and confirming a transaction of kit instructions. With
// `rpcSubscriptions` (a node with a PubSub websocket) confirmation is kit's own
// `sendAndConfirmTransactionFactory`; without, the signature's status is polled with
// `getSignatureStatuses` until it reaches the commitment or the blockhash expires.
import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  getSolanaErrorFromTransactionError,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Commitment,
  type GetEpochInfoApi,
  type GetLatestBlockhashApi,
  type GetSignatureStatusesApi,
  type Instruction,
  type Rpc,
  type RpcSubscriptions,
  type SendTransactionApi,
  type Signature,
  type SignatureNotificationsApi,
  type SlotNotificationsApi,
  type TransactionSigner,
} from '@solana/kit';

export type SendingRpc = Rpc<GetLatestBlockhashApi & GetSignatureStatusesApi & SendTransactionApi & GetEpochInfoApi>;

export type Sender = {
  rpc: SendingRpc;
  /** A PubSub connection to the same node: confirmation by subscription instead of polling. */
  rpcSubscriptions?: RpcSubscriptions<SignatureNotificationsApi & SlotNotificationsApi>;
  commitment?: Commitment;
  /** Polling only: how long to wait for a status, in milliseconds (default 30 s). */
  timeoutMs?: number;
};

const ORDER: Commitment[] = ['processed', 'confirmed', 'finalized'];
const reached = (status: Commitment | null | undefined, wanted: Commitment) =>
  status != null && ORDER.indexOf(status) >= ORDER.indexOf(wanted);

/**
 * Signs `instructions` with their signers (the fee payer first), sends them in one
 * transaction and waits for `commitment` (default `confirmed`). A refused transaction
 * throws kit's `SolanaError`, whose cause chain carries the program error
 * (`sluiceFailureOf` reads it by name).
 */
export async function sendInstructions(
  sender: Sender,
  feePayer: TransactionSigner,
  instructions: readonly Instruction[],
): Promise<Signature> {
  const commitment = sender.commitment ?? 'confirmed';
  const { value: latestBlockhash } = await sender.rpc.getLatestBlockhash({ commitment }).send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const transaction = await signTransactionMessageWithSigners(message);
  const signature = getSignatureFromTransaction(transaction);
  if (sender.rpcSubscriptions) {
    const sendAndConfirm = sendAndConfirmTransactionFactory({
      rpc: sender.rpc as Parameters<typeof sendAndConfirmTransactionFactory>[0]['rpc'],
      rpcSubscriptions: sender.rpcSubscriptions as Parameters<
        typeof sendAndConfirmTransactionFactory
      >[0]['rpcSubscriptions'],
    });
    await sendAndConfirm(transaction as Parameters<typeof sendAndConfirm>[0], { commitment });
    return signature;
  }
  await sender.rpc
    .sendTransaction(getBase64EncodedWireTransaction(transaction), {
      encoding: 'base64',
      preflightCommitment: commitment,
    })
    .send();
  await confirmByPolling(sender, signature, commitment);
  return signature;
}

/** Waits until `signature` reaches `commitment`; throws its transaction error if it failed. */
export async function confirmByPolling(
  sender: Pick<Sender, 'rpc' | 'timeoutMs'>,
  signature: Signature,
  commitment: Commitment = 'confirmed',
): Promise<void> {
  const deadline = Date.now() + (sender.timeoutMs ?? 30_000);
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    const { value } = await sender.rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status?.err) throw getSolanaErrorFromTransactionError(status.err);
    if (status && reached(status.confirmationStatus, commitment)) return;
    if (Date.now() > deadline)
      throw new Error(`transaction ${signature} not ${commitment} after ${sender.timeoutMs ?? 30_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
