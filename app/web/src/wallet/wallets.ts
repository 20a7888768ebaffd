// Wallets through the Wallet Standard: every compliant browser wallet (Phantom, Solflare,
// Backpack, …) that can sign Solana transactions, and — on a local cluster — the
// development wallet. A connected account becomes a kit TransactionPartialSigner, so the
// client's own sendInstructions signs through the wallet.
import { getTransactionDecoder, getTransactionEncoder, type Address, type TransactionPartialSigner } from '@solana/kit';
import { SolanaSignTransaction, type SolanaSignTransactionFeature } from '@solana/wallet-standard-features';
import { getWallets } from '@wallet-standard/app';
import type { Wallet, WalletAccount } from '@wallet-standard/base';
import {
  StandardConnect,
  StandardDisconnect,
  type StandardConnectFeature,
  type StandardDisconnectFeature,
} from '@wallet-standard/features';

export type SolanaWallet = Wallet & {
  features: StandardConnectFeature & SolanaSignTransactionFeature & Partial<StandardDisconnectFeature>;
};

export function isSolanaWallet(wallet: Wallet): wallet is SolanaWallet {
  return (
    StandardConnect in wallet.features &&
    SolanaSignTransaction in wallet.features &&
    wallet.chains.some((chain) => chain.startsWith('solana:'))
  );
}

/** Wallets registered now, and a subscription to the ones that register later. */
export function watchWallets(onChange: (wallets: SolanaWallet[]) => void): () => void {
  const api = getWallets();
  const emit = () => onChange(api.get().filter(isSolanaWallet));
  emit();
  const offRegister = api.on('register', emit);
  const offUnregister = api.on('unregister', emit);
  return () => {
    offRegister();
    offUnregister();
  };
}

export async function connectWallet(wallet: SolanaWallet): Promise<WalletAccount> {
  const { accounts } = await wallet.features[StandardConnect].connect();
  const account = accounts.find((a) => a.features.includes(SolanaSignTransaction)) ?? accounts[0];
  if (!account) throw new Error(`${wallet.name} connected no account`);
  return account;
}

export async function disconnectWallet(wallet: SolanaWallet): Promise<void> {
  await wallet.features[StandardDisconnect]?.disconnect();
}

/** The account as a signer: kit hands it each transaction, the wallet returns it signed. */
export function walletSigner(
  wallet: SolanaWallet,
  account: WalletAccount,
  chain: `solana:${string}`,
): TransactionPartialSigner {
  const address = account.address as Address;
  const encoder = getTransactionEncoder();
  const decoder = getTransactionDecoder();
  return {
    address,
    async signTransactions(transactions) {
      const outputs = await wallet.features[SolanaSignTransaction].signTransaction(
        ...transactions.map((t) => ({ account, chain, transaction: new Uint8Array(encoder.encode(t)) })),
      );
      return outputs.map((output) => {
        const signed = decoder.decode(output.signedTransaction);
        const signature = signed.signatures[address];
        if (!signature) throw new Error(`${wallet.name} returned the transaction unsigned`);
        return { [address]: signature };
      });
    },
  };
}
