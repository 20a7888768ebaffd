// The page's frame: the cluster picker, the wallet picker (Wallet Standard wallets, and the
// development wallet on a local cluster), and the route: the pools, or one pool.
import { useEffect, useMemo, useState } from 'react';

import {
  clusterOf,
  connect,
  initialCluster,
  isLocalCluster,
  rememberCluster,
  type Cluster,
  type ClusterKind,
} from './cluster';
import { AppContext, type WalletState } from './context';
import { short } from './format';
import { useRoute } from './hooks';
import { PoolPage } from './pages/PoolPage';
import { PoolsPage } from './pages/PoolsPage';
import { DEV_WALLET_NAME, registerDevWallet } from './wallet/devWallet';
import { connectWallet, disconnectWallet, walletSigner, watchWallets, type SolanaWallet } from './wallet/wallets';

function ClusterPicker({ cluster, onChange }: { cluster: Cluster; onChange: (c: Cluster) => void }) {
  const [kind, setKind] = useState<ClusterKind>(cluster.kind);
  const [custom, setCustom] = useState(cluster.kind === 'custom' ? cluster.url : '');
  return (
    <form
      className="cluster"
      onSubmit={(e) => {
        e.preventDefault();
        onChange(clusterOf(kind, custom));
      }}
    >
      <label htmlFor="cluster-kind">Cluster</label>
      <select
        id="cluster-kind"
        value={kind}
        onChange={(e) => {
          const k = e.target.value as ClusterKind;
          setKind(k);
          if (k !== 'custom') onChange(clusterOf(k));
        }}
      >
        <option value="localnet">Localnet</option>
        <option value="devnet">Devnet</option>
        <option value="custom">Custom URL</option>
      </select>
      {kind === 'custom' && (
        <>
          <label htmlFor="cluster-url" className="visually-hidden">
            RPC URL
          </label>
          <input
            id="cluster-url"
            type="url"
            placeholder="https://…"
            value={custom}
            onChange={(e) => setCustom(e.target.value)}
          />
          <button type="submit">Use</button>
        </>
      )}
    </form>
  );
}

function WalletPicker(props: {
  cluster: Cluster;
  wallets: SolanaWallet[];
  state: WalletState;
  onConnect: (w: SolanaWallet) => void;
  onDisconnect: () => void;
  error: string | null;
}) {
  const { wallets, state } = props;
  if (state) {
    const dev = state.wallet.name === DEV_WALLET_NAME;
    return (
      <div className="wallet">
        <span className={dev ? 'badge dev' : 'badge'} title={state.account.address}>
          {dev ? 'Development wallet' : state.wallet.name} ·{' '}
          <span data-testid="wallet-address">{short(state.account.address)}</span>
        </span>
        <button type="button" onClick={props.onDisconnect}>
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="wallet">
      {wallets.length === 0 && (
        <span className="muted">No wallet found. Install a Solana wallet (Wallet Standard).</span>
      )}
      {wallets.map((w) => (
        <button
          type="button"
          key={w.name}
          onClick={() => props.onConnect(w)}
          className={w.name === DEV_WALLET_NAME ? 'dev' : ''}
        >
          <img src={w.icon} alt="" width={16} height={16} /> Connect {w.name}
        </button>
      ))}
      {props.error && (
        <span role="alert" className="error">
          {props.error}
        </span>
      )}
    </div>
  );
}

export function App() {
  const [cluster, setCluster] = useState<Cluster>(initialCluster);
  const conn = useMemo(() => connect(cluster), [cluster]);
  const [wallets, setWallets] = useState<SolanaWallet[]>([]);
  const [walletState, setWalletState] = useState<WalletState>(null);
  const [walletError, setWalletError] = useState<string | null>(null);
  const route = useRoute();

  useEffect(() => {
    if (isLocalCluster(cluster)) registerDevWallet();
    return watchWallets(setWallets);
  }, [cluster]);

  // Only wallets that can sign for this cluster (the development wallet: local clusters only).
  const usable = wallets.filter(
    (w) => w.chains.includes(cluster.chain) || (!isLocalCluster(cluster) && w.name !== DEV_WALLET_NAME),
  );

  const changeCluster = (c: Cluster) => {
    rememberCluster(c);
    setWalletState(null);
    setCluster(c);
  };

  const onConnect = async (wallet: SolanaWallet) => {
    setWalletError(null);
    try {
      const account = await connectWallet(wallet);
      setWalletState({ wallet, account, signer: walletSigner(wallet, account, cluster.chain) });
    } catch (error) {
      setWalletError(`${wallet.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const onDisconnect = async () => {
    if (walletState) await disconnectWallet(walletState.wallet).catch(() => undefined);
    setWalletState(null);
  };

  return (
    <AppContext.Provider value={{ conn, wallet: walletState }}>
      <header className="top">
        <a href="#/" className="brand">
          Sluice
        </a>
        <ClusterPicker cluster={cluster} onChange={changeCluster} />
        <WalletPicker
          cluster={cluster}
          wallets={usable}
          state={walletState}
          onConnect={onConnect}
          onDisconnect={onDisconnect}
          error={walletError}
        />
      </header>
      {walletState?.wallet.name === DEV_WALLET_NAME && (
        <p className="dev-banner" role="note">
          Development wallet: a key kept in this browser for the localnet only. Never send it real funds.
        </p>
      )}
      <main>
        {route[0] === 'pool' && route[1] ? (
          <PoolPage key={`${cluster.url}/${route[1]}`} address={route[1]} />
        ) : (
          <PoolsPage key={cluster.url} />
        )}
      </main>
      <footer>
        <span className="muted">
          {cluster.url} · prices are the program’s DCF NAV; figures are cut, never rounded up.
        </span>
      </footer>
    </AppContext.Provider>
  );
}
