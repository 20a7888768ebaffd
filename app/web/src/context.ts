// What every page shares: the cluster connection, the connected wallet and its signer.
import { createContext, useContext } from 'react';
import type { TransactionSigner } from '@solana/kit';
import type { WalletAccount } from '@wallet-standard/base';

import type { Connection } from './cluster';
import type { SolanaWallet } from './wallet/wallets';

export type WalletState = { wallet: SolanaWallet; account: WalletAccount; signer: TransactionSigner } | null;

export type AppState = {
  conn: Connection;
  wallet: WalletState;
};

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside <AppContext>');
  return state;
}
