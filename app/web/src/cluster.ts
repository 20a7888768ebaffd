// Which cluster the page talks to: the localnet (`sluice localnet`, JSON-RPC on 8899 and
// PubSub on 8900), devnet, or a custom URL. The choice is kept in localStorage; a `?rpc=`
// query parameter names a custom URL for one visit (how the browser tests point the page
// at the localnet they started).
import { createSolanaRpc, createSolanaRpcSubscriptions, type Rpc, type SolanaRpcApi } from '@solana/kit';
import type { Sender } from '@sluice/client';

export type ClusterKind = 'localnet' | 'devnet' | 'custom';

export type Cluster = {
  kind: ClusterKind;
  url: string;
  /** Wallet Standard chain id: what a wallet must support to sign for this cluster. */
  chain: 'solana:localnet' | 'solana:devnet' | 'solana:testnet' | 'solana:mainnet';
  /** An explorer link for a signature, on public clusters only. */
  explorer: ((signature: string) => string) | null;
};

export const LOCALNET_URL = 'http://127.0.0.1:8899';
export const DEVNET_URL = 'https://api.devnet.solana.com';
const STORAGE_KEY = 'sluice.cluster';

const isLocal = (url: string) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(url);

export function clusterOf(kind: ClusterKind, customUrl = ''): Cluster {
  if (kind === 'localnet') return { kind, url: LOCALNET_URL, chain: 'solana:localnet', explorer: null };
  if (kind === 'devnet') {
    return {
      kind,
      url: DEVNET_URL,
      chain: 'solana:devnet',
      explorer: (s) => `https://explorer.solana.com/tx/${s}?cluster=devnet`,
    };
  }
  const url = customUrl.trim().replace(/\/+$/, '');
  if (isLocal(url)) return { kind, url, chain: 'solana:localnet', explorer: null };
  // A custom RPC of a public cluster: its chain (wallets sign per chain) from the host name.
  const host = (() => {
    try {
      return new URL(url).hostname;
    } catch {
      return '';
    }
  })();
  const chain = /devnet/.test(host) ? 'solana:devnet' : /testnet/.test(host) ? 'solana:testnet' : 'solana:mainnet';
  // The transaction is on the public cluster: the explorer finds it through its own RPC.
  const param = chain === 'solana:mainnet' ? '' : `?cluster=${chain.slice('solana:'.length)}`;
  return { kind, url, chain, explorer: (s) => `https://explorer.solana.com/tx/${s}${param}` };
}

/** The cluster a visit starts on: `?rpc=`, else the stored choice, else the localnet. */
export function initialCluster(): Cluster {
  const query = new URLSearchParams(window.location.search).get('rpc');
  if (query) return clusterOf('custom', query);
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as { kind: ClusterKind; url: string } | null;
    if (stored) return clusterOf(stored.kind, stored.url);
  } catch {
    // a stored value from another version: start on the localnet
  }
  return clusterOf('localnet');
}

export function rememberCluster(cluster: Cluster) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ kind: cluster.kind, url: cluster.url }));
}

/** A local node: the development wallet and onboarding are offered only here. */
export const isLocalCluster = (cluster: Cluster) => cluster.chain === 'solana:localnet';

export type Connection = { cluster: Cluster; rpc: Rpc<SolanaRpcApi>; sender: Sender };

/** JSON-RPC, and PubSub on the validator's convention (port + 1 for a local node). */
export function connect(cluster: Cluster): Connection {
  const rpc = createSolanaRpc(cluster.url) as Rpc<SolanaRpcApi>;
  const ws = new URL(cluster.url);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  if (ws.port) ws.port = String(Number(ws.port) + 1);
  const sender: Sender = { rpc, rpcSubscriptions: createSolanaRpcSubscriptions(ws.toString()) };
  return { cluster, rpc, sender };
}
