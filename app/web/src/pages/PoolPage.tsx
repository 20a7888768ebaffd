// One pool: its NAV and tranche prices with their history, the book by risk class and
// maturity, the queue with its expected fill, the reserve and its attestations, the
// market, the oracle's rates — and, with a wallet, the holder's position and actions.
import { address as toAddress, type Address } from '@solana/kit';
import { isBatchRefusal, planBatch, valueOf } from '@sluice/client';

import { LineChart, StackedBars } from '../components/Charts';
import { useApp } from '../context';
import { loadHistory, loadPoolDetail, priceHistory, type HistoryEntry, type PoolDetail } from '../data';
import { bps, date, duration, price, priceNumber, shareBps, STAGES, units } from '../format';
import { clusterNow, useLoad } from '../hooks';
import { yieldOf } from './PoolsPage';
import { PositionPanel } from './PositionPanel';

const COLORS = ['#195a7d', '#b45309', '#6d28d9', '#047857'];
const CLASS_COLORS = ['#047857', '#195a7d', '#b45309', '#b91c1c', '#6b7280', '#6d28d9', '#0e7490', '#a16207'];
const BUCKET_SECONDS = 28n * 86_400n;
const NUM_BUCKETS = 42;

function Overview({ d, now }: { d: PoolDetail; now: bigint }) {
  const { pool } = d;
  const bookValue = pool.nav > pool.cash ? pool.nav - pool.cash : 0n;
  return (
    <section aria-labelledby="overview">
      <h2 id="overview" className="visually-hidden">
        Overview
      </h2>
      <dl className="facts">
        <div>
          <dt>Stage</dt>
          <dd>
            <span className={`stage stage-${STAGES[pool.stage]?.toLowerCase()}`} data-testid="stage">
              {STAGES[pool.stage]}
            </span>
            {pool.paused && <span className="stage stage-paused">Paused</span>}
          </dd>
        </div>
        <div>
          <dt>NAV</dt>
          <dd data-testid="nav">
            {units(pool.nav, d.decimals)} {d.baseSymbol}
          </dd>
        </div>
        <div>
          <dt>Priced</dt>
          <dd>
            {pool.navTime > 0n
              ? `${duration(now - pool.navTime)} ago${pool.navDirty ? ' (awaiting reprice)' : ''}`
              : 'never'}
          </dd>
        </div>
        <div>
          <dt>Cash</dt>
          <dd>
            {units(pool.cash, d.decimals, 0)} ({bps(d.cashCoverageBps)} of NAV)
          </dd>
        </div>
        <div>
          <dt>Receivables (DCF)</dt>
          <dd>{units(bookValue, d.decimals, 0)}</dd>
        </div>
        <div>
          <dt>Claims awaiting collection</dt>
          <dd>{units(pool.claimable, d.decimals, 0)}</dd>
        </div>
      </dl>
      <div className="table-wrap" tabIndex={0}>
        <table>
          <caption>Tranches</caption>
          <thead>
            <tr>
              <th scope="col">Tranche</th>
              <th scope="col">Price</th>
              <th scope="col">Value</th>
              <th scope="col">Tokens</th>
              <th scope="col">Yield</th>
              <th scope="col">Cushion below</th>
            </tr>
          </thead>
          <tbody>
            {d.tranches.map((t) => {
              const tr = pool.tranches[t.index];
              const below = pool.tranches.slice(t.index + 1, pool.trancheCount).reduce((s, x) => s + x.value, 0n);
              return (
                <tr key={t.index}>
                  <th scope="row">
                    {t.label} <span className="muted small">{t.symbol}</span>
                  </th>
                  <td className="num" data-testid={`price-${t.index}`}>
                    {price(tr.priceE12)}
                  </td>
                  <td className="num">{units(tr.value, d.decimals, 0)}</td>
                  <td className="num">{units(tr.supply, d.decimals, 0)}</td>
                  <td>{yieldOf(d, t.index)}</td>
                  <td className="num">
                    {t.index < pool.trancheCount - 1
                      ? `${bps(shareBps(below, pool.nav))} (min ${bps(tr.minSubordinationBps)})`
                      : '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function History({ d, history }: { d: PoolDetail; history: HistoryEntry[] | null }) {
  if (!history) return <p aria-live="polite">Loading history…</p>;
  const points = priceHistory(history, d.pool);
  const x = (t: bigint) => Number(t);
  const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  return (
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      <div className="charts">
        <LineChart
          title={`NAV (${d.baseSymbol})`}
          yDigits={0}
          xLabel={day}
          series={[
            {
              name: 'NAV',
              color: COLORS[0],
              points: points.map((p) => ({ x: x(p.time), y: Number(p.nav) / 10 ** d.decimals })),
            },
          ]}
          empty="No reprice in the pool's recent transactions."
        />
        <LineChart
          title="Tranche prices (base tokens per token)"
          xLabel={day}
          series={d.tranches.map((t) => ({
            name: t.label,
            color: COLORS[t.index % COLORS.length],
            points: points.flatMap((p) =>
              p.pricesE12[t.index] != null ? [{ x: x(p.time), y: priceNumber(p.pricesE12[t.index]!) }] : [],
            ),
          }))}
        />
      </div>
    </section>
  );
}

function maturityLabel(months: number) {
  return months < 12 ? `≤${months} m` : `≤${months / 12} y`;
}

function BookSection({ d, now }: { d: PoolDetail; now: bigint }) {
  const edges = [3, 6, 12, 24, 36, 60, 1200];
  const classes = Math.max(1, Math.floor(d.book.cells.length / NUM_BUCKETS));
  const values = Array.from({ length: classes }, () => edges.map(() => 0));
  let counts = 0;
  d.book.cells.forEach((cell, i) => {
    if (cell.count === 0) return;
    counts += cell.count;
    const due = cell.bucket * BUCKET_SECONDS + BUCKET_SECONDS / 2n;
    const months = Number(due - now) / (30.44 * 86_400);
    const bin = edges.findIndex((e) => months <= e);
    values[Math.floor(i / NUM_BUCKETS)][bin < 0 ? edges.length - 1 : bin] += Number(cell.m0) / 10 ** d.decimals;
  });
  const used = values.map((v, c) => ({ c, v })).filter(({ v }) => v.some((x) => x > 0));
  return (
    <section aria-labelledby="book">
      <h2 id="book">The book</h2>
      <p>
        {d.book.performingCount.toString()} performing receivables ({counts} in the book's cells), outstanding{' '}
        {units(d.book.performingOutstanding, d.decimals, 0)} {d.baseSymbol}; written down and carried at{' '}
        {units(d.book.impairedValue, d.decimals, 0)}.
      </p>
      <StackedBars
        title="Outstanding by maturity and risk class"
        categories={edges.map((e, i) => (i === edges.length - 1 ? '>5 y' : maturityLabel(e)))}
        unit={d.baseSymbol}
        stacks={used.map(({ c, v }) => ({
          name: `Class ${c} (PD ${bps(d.oracle.classes[c]?.defaultProbabilityBps ?? 0)})`,
          color: CLASS_COLORS[c % CLASS_COLORS.length],
          values: v,
        }))}
      />
    </section>
  );
}

function QueueSection({ d, now }: { d: PoolDetail; now: bigint }) {
  const { pool } = d;
  const r = pool.params.redemption;
  const nextBatch = pool.batch.open ? now : pool.batch.openedAt + BigInt(r.batchIntervalSecs);
  // What the next batch would grant each tranche, by the program's own planning — at the
  // batch's time, the keeper having repriced just before it. An open batch: what it has left.
  const at = nextBatch > now ? nextBatch : now;
  const plan = pool.batch.open
    ? { tokens: pool.batch.granted, reserveTokens: pool.batch.reserveGranted }
    : planBatch({ ...pool, navTime: at, navDirty: false }, at);
  const grants = isBatchRefusal(plan) ? null : plan;
  return (
    <section aria-labelledby="queue">
      <h2 id="queue">The queue</h2>
      <p>
        Batches every {duration(r.batchIntervalSecs)}; a large request is paid over at least {r.installments} of them.{' '}
        {pool.batch.open
          ? 'A batch is being paid now.'
          : `Next batch due ${nextBatch <= now ? 'now' : `in ${duration(nextBatch - now)}`}.`}
      </p>
      <div className="table-wrap" tabIndex={0}>
        <table>
          <caption className="visually-hidden">Queued requests by tranche</caption>
          <thead>
            <tr>
              <th scope="col">Tranche</th>
              <th scope="col">Requests</th>
              <th scope="col">Queued tokens</th>
              <th scope="col">Their value</th>
              <th scope="col">Next batch pays</th>
              <th scope="col">Awaiting claim</th>
            </tr>
          </thead>
          <tbody>
            {d.tranches.map((t) => {
              const tr = pool.tranches[t.index];
              const requests = d.queues[t.index];
              const awaiting = requests.reduce((s, q) => s + q.claimable, 0n);
              return (
                <tr key={t.index}>
                  <th scope="row">{t.label}</th>
                  <td className="num">{(tr.queueTail - tr.queueHead).toString()}</td>
                  <td className="num">{units(tr.queuedTokens, d.decimals, 0)}</td>
                  <td className="num">{units(valueOf(tr.queuedTokens, tr.value, tr.supply), d.decimals, 0)}</td>
                  <td className="num" data-testid={`next-batch-${t.index}`}>
                    {grants
                      ? `${units(grants.tokens[t.index] + grants.reserveTokens[t.index], d.decimals, 0)} tokens`
                      : '—'}
                  </td>
                  <td className="num">{units(awaiting, d.decimals, 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ReserveSection({ d, history }: { d: PoolDetail; history: HistoryEntry[] | null }) {
  const { pool } = d;
  const target = d.reserveTarget;
  const attestations = (history ?? []).flatMap((h) =>
    h.events.flatMap((e) => (e.name === 'ReserveAttested' ? [{ ...e.data, signature: h.signature }] : [])),
  );
  return (
    <section aria-labelledby="reserve">
      <h2 id="reserve">Buy-back reserve</h2>
      {pool.reserveVault === ('11111111111111111111111111111111' as Address) ? (
        <p>This pool has no reserve.</p>
      ) : (
        <>
          <p>
            Holds {units(pool.reserveBalance, d.decimals, 0)} {d.baseSymbol} against a target of{' '}
            {units(target, d.decimals, 0)} ({bps(d.reserveLevelBps)}); it buys queued tokens in Stress and Crisis at a{' '}
            {bps(pool.params.redemption.buybackDiscountBps)} discount, and market tokens below the trigger.
          </p>
          <h3>Proof of reserve</h3>
          {attestations.length === 0 ? (
            <p className="muted">No attestation in the pool’s recent transactions.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <caption className="visually-hidden">Reserve attestations</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Balance</th>
                    <th scope="col">Target</th>
                    <th scope="col">Tokens held</th>
                  </tr>
                </thead>
                <tbody>
                  {attestations.slice(0, 10).map((a) => (
                    <tr key={a.signature}>
                      <td>{date(a.timestamp)}</td>
                      <td className="num">{units(a.balance, d.decimals, 0)}</td>
                      <td className="num">{units(a.target, d.decimals, 0)}</td>
                      <td className="num">
                        {a.tokensHeld
                          .slice(0, pool.trancheCount)
                          .map((t) => units(t, d.decimals, 0))
                          .join(' / ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function MarketSection({ d, history }: { d: PoolDetail; history: HistoryEntry[] | null }) {
  if (d.markets.length === 0) return null;
  const swaps = (history ?? []).flatMap((h) => h.events.flatMap((e) => (e.name === 'Swapped' ? [e.data] : [])));
  return (
    <section aria-labelledby="market">
      <h2 id="market">Market</h2>
      <div className="table-wrap" tabIndex={0}>
        <table>
          <caption className="visually-hidden">Tranche markets</caption>
          <thead>
            <tr>
              <th scope="col">Market</th>
              <th scope="col">Price</th>
              <th scope="col">NAV price</th>
              <th scope="col">Discount</th>
              <th scope="col">Depth ±1 % / ±2 %</th>
              <th scope="col">Spread</th>
              <th scope="col">Turnover (24 h)</th>
              <th scope="col">Swaps seen</th>
            </tr>
          </thead>
          <tbody>
            {d.markets.map((m) => {
              const l = m.amm.liquidity;
              // The market measures its depth and spread as it trades.
              const measured = l.depth1pct > 0n || l.spreadBps > 0n;
              return (
                <tr key={m.address}>
                  <th scope="row">{d.tranches[m.tranche].label}</th>
                  <td className="num">{m.priceE12 === null ? 'empty' : price(m.priceE12)}</td>
                  <td className="num">{price(d.pool.tranches[m.tranche].priceE12)}</td>
                  <td className="num">{m.discountBps === null ? '—' : bps(m.discountBps)}</td>
                  <td className="num">
                    {measured
                      ? `${units(l.depth1pct, d.decimals, 0)} / ${units(l.depth2pct, d.decimals, 0)}`
                      : 'after the first swap'}
                  </td>
                  <td className="num">{measured ? bps(l.spreadBps) : '—'}</td>
                  <td className="num">
                    {bps(l.turnoverBps)} ({units(m.amm.windowVolume, d.decimals, 0)} {d.baseSymbol})
                  </td>
                  <td className="num">{swaps.filter((s) => s.amm === m.address).length}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function OracleSection({ d, history }: { d: PoolDetail; history: HistoryEntry[] | null }) {
  const o = d.oracle;
  const published = (history ?? []).flatMap((h) =>
    h.events.flatMap((e) => (e.name === 'RatesPublished' ? [e.data] : [])),
  );
  return (
    <section aria-labelledby="oracle">
      <h2 id="oracle">Rates</h2>
      <p>
        Market discount rate {bps(o.marketRateBps)} a year, publication #{o.sequence.toString()} at{' '}
        {o.publishTime > 0n ? date(o.publishTime) : 'never'}; reprices refuse rates older than{' '}
        {duration(d.pool.params.maxOracleAgeSecs)}, and no rate moves more than {bps(d.pool.params.maxRateMoveBps)} a
        day.
      </p>
      <div className="table-wrap" tabIndex={0}>
        <table>
          <caption className="visually-hidden">Rates by risk class</caption>
          <thead>
            <tr>
              <th scope="col">Risk class</th>
              <th scope="col">Default probability (a year)</th>
              <th scope="col">Recovery</th>
            </tr>
          </thead>
          <tbody>
            {o.classes.map((c, i) =>
              c.defaultProbabilityBps === 0 && c.recoveryBps === 0 ? null : (
                <tr key={i}>
                  <th scope="row">{i}</th>
                  <td className="num">{bps(c.defaultProbabilityBps)}</td>
                  <td className="num">{bps(c.recoveryBps)}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
      {published.length > 1 && (
        <LineChart
          title="Published market rate (bps)"
          yDigits={0}
          xLabel={(t) => new Date(t * 1000).toISOString().slice(0, 10)}
          series={[
            {
              name: 'market rate',
              color: COLORS[0],
              points: [...published].reverse().map((p) => ({ x: Number(p.publishTime), y: p.marketRateBps })),
            },
          ]}
        />
      )}
    </section>
  );
}

export function PoolPage({ address }: { address: string }) {
  const { conn } = useApp();
  let poolAddress: Address | null = null;
  try {
    poolAddress = toAddress(address);
  } catch {
    poolAddress = null;
  }
  const detail = useLoad(
    async () => (poolAddress ? { detail: await loadPoolDetail(conn, poolAddress), now: await clusterNow(conn) } : null),
    [conn, address],
    15_000,
  );
  const history = useLoad(async () => (poolAddress ? loadHistory(conn, poolAddress) : null), [conn, address]);
  const reload = () => {
    detail.reload();
    history.reload();
  };
  if (!poolAddress) return <p role="alert">“{address}” is not an address.</p>;
  if (detail.error && !detail.data) {
    return (
      <p role="alert" className="error">
        Could not read the pool: {detail.error}
      </p>
    );
  }
  if (!detail.data) return <p aria-live="polite">Loading the pool…</p>;
  const { detail: d, now } = detail.data!;
  return (
    <article aria-labelledby="pool-title">
      <p>
        <a href="#/">← All pools</a>
      </p>
      <h1 id="pool-title">{d.name}</h1>
      <p className="muted small">
        Pool {d.address} · cluster time {date(now)}{' '}
        <button type="button" className="link" onClick={reload}>
          Refresh
        </button>
      </p>
      <div className="layout">
        <div className="main-column">
          <Overview d={d} now={now} />
          <History d={d} history={history.data} />
          <QueueSection d={d} now={now} />
          <MarketSection d={d} history={history.data} />
          <BookSection d={d} now={now} />
          <ReserveSection d={d} history={history.data} />
          <OracleSection d={d} history={history.data} />
        </div>
        <aside className="side-column" aria-label="Your position and actions">
          <PositionPanel detail={d} now={now} onChanged={reload} />
        </aside>
      </div>
    </article>
  );
}
