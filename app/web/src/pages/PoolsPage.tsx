// Every Sluice pool on the cluster, a row each: stage, NAV, tranche prices and yields,
// cash coverage, reserve level and market discount.
import { useApp } from '../context';
import { loadPools, type PoolSummary } from '../data';
import { bps, price, STAGES, units } from '../format';
import { useLoad } from '../hooks';

export function yieldOf(summary: PoolSummary, tranche: number): string {
  const t = summary.pool.tranches[tranche];
  return tranche === summary.pool.trancheCount - 1 ? 'residual' : `${bps(t.couponBps)} coupon`;
}

function Row({ s }: { s: PoolSummary }) {
  const { pool } = s;
  const market = s.markets.find((m) => m.discountBps !== null);
  return (
    <tr>
      <th scope="row">
        <a href={`#/pool/${s.address}`}>{s.name}</a>
        <div className="muted small">id {pool.poolId.toString()}</div>
      </th>
      <td>
        <span className={`stage stage-${STAGES[pool.stage]?.toLowerCase()}`}>{STAGES[pool.stage]}</span>
        {pool.paused && <span className="stage stage-paused">Paused</span>}
      </td>
      <td className="num">
        {units(pool.nav, s.decimals, 0)} {s.baseSymbol}
      </td>
      <td>
        <ul className="plain">
          {s.tranches.map((t) => (
            <li key={t.index}>
              {t.label}: <span className="num">{price(pool.tranches[t.index].priceE12)}</span>{' '}
              <span className="muted small">({yieldOf(s, t.index)})</span>
            </li>
          ))}
        </ul>
      </td>
      <td className="num">{bps(s.cashCoverageBps)}</td>
      <td className="num">{bps(s.reserveLevelBps)} of target</td>
      <td className="num">
        {market ? (
          `${bps(market.discountBps!)} (${s.tranches[market.tranche].label})`
        ) : (
          <span className="muted">no market price</span>
        )}
      </td>
    </tr>
  );
}

export function PoolsPage() {
  const { conn } = useApp();
  const pools = useLoad(() => loadPools(conn), [conn], 15_000);
  return (
    <section aria-labelledby="pools-title">
      <h1 id="pools-title">Pools</h1>
      <p className="lead">
        Tranched pools of SME receivables. Each token is priced by the pool’s on-chain DCF NAV; exits go through the
        instant door, the queue, or the pool’s market.
      </p>
      {pools.error && (
        <p role="alert" className="error">
          Could not read pools from {conn.cluster.url}: {pools.error}
        </p>
      )}
      {pools.data && pools.data.length === 0 && <p>No Sluice pools on this cluster yet.</p>}
      {pools.data && pools.data.length > 0 && (
        <div className="table-wrap" tabIndex={0}>
          <table className="pools">
            <caption className="visually-hidden">Sluice pools on this cluster</caption>
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Stage</th>
                <th scope="col">NAV</th>
                <th scope="col">Tranche prices</th>
                <th scope="col">Cash coverage</th>
                <th scope="col">Reserve</th>
                <th scope="col">Market discount</th>
              </tr>
            </thead>
            <tbody>
              {pools.data.map((s) => (
                <Row key={s.address} s={s} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pools.loading && !pools.data && <p aria-live="polite">Loading pools…</p>}
    </section>
  );
}
