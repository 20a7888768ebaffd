// The connected wallet's position in one pool — holdings and their value, membership,
// queued requests with their expected fills and claims — and the actions, each previewed
// before signing: deposit, redeem (instant or queued), cancel, claim, swap.
import { useState, type ReactNode } from 'react';
import type { Address, Instruction } from '@solana/kit';
import {
  activeConstituents,
  depositTokens,
  isBasketRefusal,
  loadBasketView,
  planExchangeIn,
  fillSchedule,
  instantRedemption,
  navIsFresh,
  swapQuote,
  valueOf,
  Stage,
  type BasketView,
  type Pool,
  type Request,
} from '@sluice/client';

import {
  cancelInstructions,
  claimInstructions,
  depositInstructions,
  exchangeInInstructions,
  redeemInstantInstructions,
  refusalOf,
  requestRedemptionInstructions,
  send,
  swapInstructions,
  withSlippage,
  type Refusal,
} from '../actions';
import { isLocalCluster } from '../cluster';
import { useApp } from '../context';
import { loadPosition, type PoolDetail, type Position, type QueuedRequest } from '../data';
import { bps, date, duration, parseUnits, price, units } from '../format';
import { useLoad } from '../hooks';
import { DEV_WALLET_NAME } from '../wallet/devWallet';

type Outcome =
  { kind: 'sent'; what: string; signature: string } | { kind: 'refused'; what: string; refusal: Refusal } | null;

function OutcomeView({ outcome }: { outcome: Outcome }) {
  const { conn } = useApp();
  if (!outcome) return null;
  if (outcome.kind === 'sent') {
    const link = conn.cluster.explorer?.(outcome.signature);
    return (
      <div role="status" className="outcome ok" data-testid="outcome">
        {outcome.what}: confirmed.{' '}
        <span className="small">
          Signature <code data-testid="signature">{outcome.signature}</code>
          {link && (
            <>
              {' '}
              <a href={link} target="_blank" rel="noreferrer">
                View in explorer
              </a>
            </>
          )}
        </span>
      </div>
    );
  }
  return (
    <div role="alert" className="outcome refused" data-testid="outcome">
      {outcome.what} refused: <strong data-testid="refusal-name">{outcome.refusal.name}</strong>.{' '}
      {outcome.refusal.hint || outcome.refusal.message}
    </div>
  );
}

/** Sends what `build` returns through the wallet; the outcome is kept here, or by `report` when the caller outlives this component (a request row vanishes once claimed). */
function useSender(onChanged: () => void, report?: (o: Outcome) => void) {
  const { conn, wallet } = useApp();
  const [busy, setBusy] = useState(false);
  const [kept, setKept] = useState<Outcome>(null);
  const outcome = report ? null : kept;
  const setOutcome = report ?? setKept;
  const run = async (what: string, build: () => Promise<Instruction[]>) => {
    if (!wallet) return;
    setBusy(true);
    setOutcome(null);
    try {
      const signature = await send(conn, wallet.signer, await build());
      setOutcome({ kind: 'sent', what, signature });
      onChanged();
    } catch (error) {
      console.warn(`${what} failed`, error);
      setOutcome({ kind: 'refused', what, refusal: refusalOf(error) });
      // A refusal often means the page's view was stale (a membership revoked, a price moved).
      onChanged();
    } finally {
      setBusy(false);
    }
  };
  return { busy, outcome, run };
}

function Field(props: { id: string; label: string; children: ReactNode; help?: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.help && (
        <p className="help" id={`${props.id}-help`}>
          {props.help}
        </p>
      )}
    </div>
  );
}

/** A labelled amount input with what the holder has as its description. */
function AmountField(props: { id: string; label: string; help: string; value: string; onChange: (v: string) => void }) {
  return (
    <Field id={props.id} label={props.label} help={props.help}>
      <input
        id={props.id}
        inputMode="decimal"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-describedby={`${props.id}-help`}
      />
    </Field>
  );
}

function TrancheSelect({
  d,
  id,
  value,
  onChange,
}: {
  d: PoolDetail;
  id: string;
  value: number;
  onChange: (i: number) => void;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {d.tranches.map((t) => (
        <option key={t.index} value={t.index}>
          {t.label} {t.symbol && `(${t.symbol})`}
        </option>
      ))}
    </select>
  );
}

function Slippage({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  return (
    <Field
      id={id}
      label="Slippage bound (bps)"
      help="The transaction fails rather than pay you less than the preview by more than this."
    >
      <input
        id={id}
        inputMode="numeric"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-help`}
      />
    </Field>
  );
}

const slippageOf = (text: string) => {
  const n = /^\d+$/.test(text.trim()) ? BigInt(text.trim()) : -1n;
  return n >= 0n && n <= 5_000n ? n : null;
};

/**
 * What stops a form from sending, in words: text that is not an amount, more than the
 * holder has (`heldText` says what they hold), or a slippage bound out of range.
 */
function amountProblem(text: string, amount: bigint | null, held: bigint, heldText: string, slippage: bigint | null) {
  if (amount === null) return text ? 'Not an amount.' : null;
  if (amount > held) return `Above your ${heldText}`;
  if (slippage === null) return 'The slippage bound is a whole number of bps up to 5000.';
  return null;
}

function DepositForm({ d, p, now, onChanged }: { d: PoolDetail; p: Position; now: bigint; onChanged: () => void }) {
  const { wallet } = useApp();
  const [tranche, setTranche] = useState(0);
  const [amount, setAmount] = useState('');
  const [slip, setSlip] = useState('50');
  const { busy, outcome, run } = useSender(onChanged);
  const base = parseUnits(amount, d.decimals);
  const slippage = slippageOf(slip);
  const tokens = base !== null && base > 0n ? depositTokens(d.pool, tranche, base) : null;
  const fresh = navIsFresh(d.pool, now);
  const problem = amountProblem(
    amount,
    base,
    p.base.amount,
    `balance of ${units(p.base.amount, d.decimals)} ${d.baseSymbol}.`,
    slippage,
  );
  return (
    <form
      aria-label="Deposit"
      onSubmit={(e) => {
        e.preventDefault();
        if (!wallet || base === null || tokens === null || slippage === null) return;
        run('Deposit', () =>
          depositInstructions(d, p, wallet.signer, tranche, base, withSlippage(tokens, slippage), now),
        );
      }}
    >
      <Field id="deposit-tranche" label="Tranche">
        <TrancheSelect d={d} id="deposit-tranche" value={tranche} onChange={setTranche} />
      </Field>
      <AmountField
        id="deposit-amount"
        label={`Amount (${d.baseSymbol})`}
        help={`You hold ${units(p.base.amount, d.decimals)} ${d.baseSymbol}.`}
        value={amount}
        onChange={setAmount}
      />
      <Slippage id="deposit-slippage" value={slip} onChange={setSlip} />
      <p className="preview" data-testid="deposit-preview" data-tokens={tokens?.toString() ?? ''} aria-live="polite">
        {tokens !== null && base
          ? `You receive ${units(tokens, d.decimals)} ${d.tranches[tranche].symbol || d.tranches[tranche].label} tokens at ${price(d.pool.tranches[tranche].priceE12)} (at least ${units(withSlippage(tokens, slippage ?? 0n), d.decimals)}).${fresh ? '' : ' The NAV is out of date: the transaction reprices the pool first.'}`
          : 'Enter an amount to see the tokens you receive.'}
      </p>
      {problem && <p className="error">{problem}</p>}
      <button type="submit" disabled={busy || !base || tokens === null || !!problem}>
        {busy ? 'Signing…' : 'Deposit'}
      </button>
      <OutcomeView outcome={outcome} />
    </form>
  );
}

/**
 * A request as the program would record it now — in installments when it is worth more
 * than the instant threshold — and the pool as it would be with it in the queue, so the
 * schedule counts its own demand (a queued request's is already in the pool).
 */
function hypothetical(d: PoolDetail, p: Position, tranche: number, tokens: bigint, now: bigint) {
  const t = d.pool.tranches[tranche];
  const r = d.pool.params.redemption;
  const large = valueOf(tokens, t.value, t.supply) > r.instantThreshold;
  const installment = large ? (tokens + BigInt(r.installments) - 1n) / BigInt(r.installments) : tokens;
  const request: Request = {
    owner: p.wallet,
    original: tokens,
    remaining: tokens,
    claimable: 0n,
    installment,
    requestedAt: now,
    pullOnly: 0,
    pad: new Uint8Array(7),
  };
  const tranches = d.pool.tranches.map((x, i) =>
    i === tranche ? { ...x, demandTokens: x.demandTokens + installment, queuedTokens: x.queuedTokens + tokens } : x,
  );
  return { request, pool: { ...d.pool, tranches } };
}

function FillEstimate(props: { d: PoolDetail; pool?: Pool; tranche: number; request: Request; now: bigint }) {
  const { d, tranche, request, now } = props;
  const schedule = fillSchedule(props.pool ?? d.pool, tranche, request, now);
  if (schedule.fullyPaidAt === null) {
    const paid = schedule.batches.reduce((s, b) => s + b.paid, 0n);
    return (
      <>
        {schedule.batches.length === 0
          ? 'No batch can pay it at today’s cash: it waits for repayments.'
          : `The next ${schedule.batches.length} batches would pay ${units(paid, d.decimals)} ${d.baseSymbol}; the rest waits for repayments.`}
      </>
    );
  }
  const first = schedule.batches[0];
  return (
    <>
      Expected fill: {schedule.batches.length} batch{schedule.batches.length === 1 ? '' : 'es'}, the first{' '}
      {first.at <= now ? 'now' : `in ${duration(first.at - now)}`} ({units(first.paid, d.decimals)} {d.baseSymbol}),
      fully paid by {date(schedule.fullyPaidAt)} at today’s cash and prices.
    </>
  );
}

function RedeemForm({ d, p, now, onChanged }: { d: PoolDetail; p: Position; now: bigint; onChanged: () => void }) {
  const { wallet } = useApp();
  const [tranche, setTranche] = useState(0);
  const [amount, setAmount] = useState('');
  const [slip, setSlip] = useState('50');
  const [route, setRoute] = useState<'instant' | 'queue'>('instant');
  const { busy, outcome, run } = useSender(onChanged);
  const tokens = parseUnits(amount, d.decimals);
  const slippage = slippageOf(slip);
  const held = p.tranches[tranche].amount;
  const r = d.pool.params.redemption;
  const instant = tokens ? instantRedemption(d.pool, tranche, tokens) : null;
  const instantBlock = d.pool.paused
    ? 'the pool is paused'
    : d.pool.stage !== Stage.Normal
      ? 'instant exits open in the Normal stage only'
      : instant && instant.value > r.instantThreshold
        ? `worth more than the instant threshold of ${units(r.instantThreshold, d.decimals, 0)} ${d.baseSymbol}`
        : null;
  const chosen = route === 'instant' && instantBlock ? 'queue' : route;
  const problem = amountProblem(amount, tokens, held, `${units(held, d.decimals)} tokens.`, slippage);
  return (
    <form
      aria-label="Redeem"
      onSubmit={(e) => {
        e.preventDefault();
        if (!wallet || !tokens || slippage === null) return;
        if (chosen === 'instant' && instant) {
          run('Instant redemption', () =>
            redeemInstantInstructions(
              d,
              p,
              wallet.signer,
              tranche,
              tokens,
              withSlippage(instant.payout, slippage),
              now,
            ),
          );
        } else {
          run('Redemption request', () => requestRedemptionInstructions(d, p, wallet.signer, tranche, tokens));
        }
      }}
    >
      <Field id="redeem-tranche" label="Tranche">
        <TrancheSelect d={d} id="redeem-tranche" value={tranche} onChange={setTranche} />
      </Field>
      <Field id="redeem-amount" label="Tokens" help={`You hold ${units(held, d.decimals)}.`}>
        <input
          id="redeem-amount"
          inputMode="decimal"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          aria-describedby="redeem-amount-help"
        />
      </Field>
      <fieldset>
        <legend>Exit</legend>
        <label>
          <input
            type="radio"
            name="route"
            value="instant"
            checked={chosen === 'instant'}
            disabled={!!instantBlock}
            onChange={() => setRoute('instant')}
          />{' '}
          Instant, from the pool’s cash ({bps(r.instantFeeBps)} fee)
          {instantBlock && <span className="muted small"> — not now: {instantBlock}</span>}
        </label>
        <label>
          <input
            type="radio"
            name="route"
            value="queue"
            checked={chosen === 'queue'}
            onChange={() => setRoute('queue')}
          />{' '}
          Queue for the batches (no fee)
        </label>
      </fieldset>
      {chosen === 'instant' && <Slippage id="redeem-slippage" value={slip} onChange={setSlip} />}
      <p
        className="preview"
        data-testid="redeem-preview"
        data-payout={chosen === 'instant' && instant ? instant.payout.toString() : ''}
        aria-live="polite"
      >
        {!tokens ? (
          'Enter tokens to see what you receive.'
        ) : chosen === 'instant' && instant ? (
          `You receive ${units(instant.payout, d.decimals)} ${d.baseSymbol} now (value ${units(instant.value, d.decimals)} less a ${units(instant.fee, d.decimals)} fee).`
        ) : (
          <>
            Worth {units(valueOf(tokens, d.pool.tranches[tranche].value, d.pool.tranches[tranche].supply), d.decimals)}{' '}
            {d.baseSymbol} at today’s price.{' '}
            <FillEstimate d={d} tranche={tranche} now={now} {...hypothetical(d, p, tranche, tokens, now)} />
          </>
        )}
      </p>
      {problem && <p className="error">{problem}</p>}
      <button type="submit" disabled={busy || !tokens || !!problem}>
        {busy ? 'Signing…' : chosen === 'instant' ? 'Redeem now' : 'Request redemption'}
      </button>
      <OutcomeView outcome={outcome} />
    </form>
  );
}

function SwapForm({ d, p, now, onChanged }: { d: PoolDetail; p: Position; now: bigint; onChanged: () => void }) {
  const { wallet } = useApp();
  const markets = d.markets;
  const [which, setWhich] = useState(0);
  const [buy, setBuy] = useState(true);
  const [amount, setAmount] = useState('');
  const [slip, setSlip] = useState('100');
  const { busy, outcome, run } = useSender(onChanged);
  if (markets.length === 0) return <p>This pool has no market.</p>;
  const m = markets[Math.min(which, markets.length - 1)];
  const label = d.tranches[m.tranche].label;
  const amountIn = parseUnits(amount, d.decimals);
  const slippage = slippageOf(slip);
  const q = amountIn ? swapQuote(d.pool, m.amm, { tranche: m.trancheVault, base: m.baseVault }, buy, amountIn) : null;
  const held = buy ? p.base.amount : p.tranches[m.tranche].amount;
  const problem = amountProblem(amount, amountIn, held, `balance of ${units(held, d.decimals)}.`, slippage);
  return (
    <form
      aria-label="Swap"
      onSubmit={(e) => {
        e.preventDefault();
        if (!wallet || !amountIn || !q || slippage === null) return;
        run('Swap', () =>
          swapInstructions(d, p, wallet.signer, m, buy, amountIn, withSlippage(q.amountOut, slippage), now + 120n),
        );
      }}
    >
      {markets.length > 1 && (
        <Field id="swap-market" label="Market">
          <select id="swap-market" value={which} onChange={(e) => setWhich(Number(e.target.value))}>
            {markets.map((mk, i) => (
              <option key={mk.address} value={i}>
                {d.tranches[mk.tranche].label}
              </option>
            ))}
          </select>
        </Field>
      )}
      <fieldset>
        <legend>Direction on the {label} market</legend>
        <label>
          <input type="radio" name="direction" checked={buy} onChange={() => setBuy(true)} /> Buy {label} tokens with{' '}
          {d.baseSymbol}
        </label>
        <label>
          <input type="radio" name="direction" checked={!buy} onChange={() => setBuy(false)} /> Sell {label} tokens for{' '}
          {d.baseSymbol}
        </label>
      </fieldset>
      <AmountField
        id="swap-amount"
        label={buy ? `Pay (${d.baseSymbol})` : 'Sell (tokens)'}
        help={`You hold ${units(held, d.decimals)}.`}
        value={amount}
        onChange={setAmount}
      />
      <Slippage id="swap-slippage" value={slip} onChange={setSlip} />
      <p className="preview" data-testid="swap-preview" aria-live="polite">
        {!amountIn
          ? `Market price ${m.priceE12 === null ? '— (empty)' : price(m.priceE12)} against a NAV price of ${price(d.pool.tranches[m.tranche].priceE12)}.`
          : q
            ? `You receive ${units(q.amountOut, d.decimals)} ${buy ? 'tokens' : d.baseSymbol} (fee ${units(q.fee, d.decimals)}, ${bps(q.feeBps)}); the price after the trade is ${price(q.priceE12)}, ${bps(q.deviationBps)} from NAV.`
            : 'The market cannot quote this amount (empty, or beyond its reserves).'}
      </p>
      {problem && <p className="error">{problem}</p>}
      <button type="submit" disabled={busy || !amountIn || !q || !!problem}>
        {busy ? 'Signing…' : 'Swap'}
      </button>
      <OutcomeView outcome={outcome} />
    </form>
  );
}

/** The basket's constituents as the view has them, with the pool's NAV taken as repriced now where it is too old. */
function freshView(view: BasketView, now: bigint): BasketView {
  return { ...view, pools: view.pools.map((p) => (navIsFresh(p, now) ? p : { ...p, navTime: now, navDirty: false })) };
}

function ExchangeForm({ d, p, now, onChanged }: { d: PoolDetail; p: Position; now: bigint; onChanged: () => void }) {
  const { conn, wallet } = useApp();
  const view = useLoad(async () => (d.basket ? loadBasketView(conn.rpc, d.basket.address) : null), [conn, d]);
  const [choice, setChoice] = useState(0);
  const [amount, setAmount] = useState('');
  const [slip, setSlip] = useState('50');
  const { busy, outcome, run } = useSender(onChanged);
  if (!d.basket) return <p>This pool’s tranches are in no basket.</p>;
  if (!view.data) return <p aria-live="polite">{view.error ?? 'Loading the basket…'}</p>;
  const v = view.data;
  // Constituents of this pool, by their index in the basket.
  const mine = activeConstituents(v.basket)
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.pool === d.address);
  if (mine.length === 0) return <p>The basket holds none of this pool’s tranches.</p>;
  const { c, index } = mine[Math.min(choice, mine.length - 1)];
  const label = d.tranches[c.tranche].label;
  const held = p.tranches[c.tranche].amount;
  const tokens = parseUnits(amount, d.decimals);
  const slippage = slippageOf(slip);
  const fresh = freshView(v, now);
  const plan = tokens ? planExchangeIn(fresh.basket, fresh.pools, fresh.flights, index, tokens, now) : null;
  const refusal = plan && isBasketRefusal(plan) ? plan.error : null;
  const ok = plan && !isBasketRefusal(plan) ? plan : null;
  const problem = amountProblem(amount, tokens, held, `${units(held, d.decimals)} ${label} tokens.`, slippage);
  return (
    <form
      aria-label="Exchange"
      onSubmit={(e) => {
        e.preventDefault();
        if (!wallet || !tokens || !ok || slippage === null) return;
        run('Exchange', () =>
          exchangeInInstructions(v, wallet.signer, index, tokens, withSlippage(ok.basketTokens, slippage), now),
        );
      }}
    >
      <p className="small">
        Move tranche tokens into the basket token at the pools’ DCF price, less the constituent’s haircut (kept by the
        basket as its loss buffer). The basket token is backed by its constituents and a cash sleeve.
      </p>
      {mine.length > 1 && (
        <Field id="exchange-constituent" label="Tranche">
          <select id="exchange-constituent" value={choice} onChange={(e) => setChoice(Number(e.target.value))}>
            {mine.map((m, i) => (
              <option key={m.index} value={i}>
                {d.tranches[m.c.tranche].label} (haircut {bps(m.c.haircutBps)})
              </option>
            ))}
          </select>
        </Field>
      )}
      <AmountField
        id="exchange-amount"
        label={`${label} tokens`}
        help={`You hold ${units(held, d.decimals)}.`}
        value={amount}
        onChange={setAmount}
      />
      <Slippage id="exchange-slippage" value={slip} onChange={setSlip} />
      <p
        className="preview"
        data-testid="exchange-preview"
        data-tokens={ok?.basketTokens.toString() ?? ''}
        aria-live="polite"
      >
        {!tokens
          ? 'Enter tokens to see the basket tokens you receive.'
          : ok
            ? `You receive ${units(ok.basketTokens, d.decimals)} basket tokens for ${units(ok.valueIn, d.decimals)} ${d.baseSymbol} of ${label} (the haircut keeps ${units(ok.haircut, d.decimals)}); ${label} is then ${bps(ok.shareAfterBps)} of the basket (cap ${bps(c.capBps)}).`
            : `The program would refuse this: ${refusal}.`}
      </p>
      {problem && <p className="error">{problem}</p>}
      <button type="submit" disabled={busy || !tokens || !ok || !!problem}>
        {busy ? 'Signing…' : 'Exchange into the basket'}
      </button>
      <OutcomeView outcome={outcome} />
    </form>
  );
}

function RequestRow(props: {
  d: PoolDetail;
  p: Position;
  r: QueuedRequest;
  now: bigint;
  onChanged: () => void;
  report: (o: Outcome) => void;
}) {
  const { d, p, r, now, onChanged } = props;
  const { wallet } = useApp();
  const { busy, run } = useSender(onChanged, props.report);
  const t = d.tranches[r.tranche];
  const unlock = r.requestedAt + BigInt(d.pool.params.redemption.batchIntervalSecs);
  return (
    <li className="request" data-testid={`request-${r.tranche}-${r.id}`}>
      <div>
        <strong>
          {t.label} #{r.id.toString()}
        </strong>
        : {units(r.original, d.decimals)} tokens asked on {date(r.requestedAt)};{' '}
        {units(r.original - r.remaining, d.decimals)} redeemed, {units(r.remaining, d.decimals)} waiting;{' '}
        <span data-testid="claimable" data-units={r.claimable.toString()}>
          {units(r.claimable, d.decimals)}
        </span>{' '}
        {d.baseSymbol} to claim.
      </div>
      {r.remaining > 0n && (
        <div className="small muted">
          <FillEstimate d={d} tranche={r.tranche} request={r} now={now} />
        </div>
      )}
      <div className="row">
        <button
          type="button"
          disabled={busy || r.claimable === 0n || !wallet}
          onClick={() => wallet && run('Claim', async () => claimInstructions(d, p, wallet.signer, r.tranche, r.id))}
        >
          Claim {units(r.claimable, d.decimals)}
        </button>
        <button
          type="button"
          disabled={busy || r.remaining === 0n || now < unlock || !wallet}
          title={now < unlock ? `Cancellable from ${date(unlock)}` : undefined}
          onClick={() => wallet && run('Cancel', () => cancelInstructions(d, p, wallet.signer, r.tranche, r.id))}
        >
          Cancel {now < unlock ? `(from ${date(unlock)})` : ''}
        </button>
      </div>
    </li>
  );
}

function DevOnboarding({ d, onDone }: { d: PoolDetail; onDone: () => void }) {
  const { wallet } = useApp();
  const [state, setState] = useState<{ busy: boolean; message: string | null; error: boolean }>({
    busy: false,
    message: null,
    error: false,
  });
  if (!wallet) return null;
  const onboard = async () => {
    setState({ busy: true, message: null, error: false });
    try {
      const response = await fetch('/dev/onboard', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pool: d.address, wallet: wallet.account.address }),
      });
      const body = (await response.json()) as { error?: string; baseUnits?: string };
      if (!response.ok) throw new Error(body.error ?? response.statusText);
      setState({
        busy: false,
        message: `Funded: 2 SOL, ${units(BigInt(body.baseUnits ?? '0'), d.decimals)} ${d.baseSymbol}, and a year's membership.`,
        error: false,
      });
      onDone();
    } catch (error) {
      setState({ busy: false, message: error instanceof Error ? error.message : String(error), error: true });
    }
  };
  return (
    <div className="dev-box">
      <p className="small">
        Localnet: the issuer can fund this wallet with SOL and test {d.baseSymbol}, and admit it as a member.
      </p>
      <button type="button" onClick={onboard} disabled={state.busy}>
        {state.busy ? 'Funding…' : 'Get test funds and membership'}
      </button>
      {state.message && (
        <p role={state.error ? 'alert' : 'status'} className={state.error ? 'error' : 'ok'}>
          {state.message}
        </p>
      )}
    </div>
  );
}

type Tab = 'deposit' | 'redeem' | 'swap' | 'exchange';
const TABS: Tab[] = ['deposit', 'redeem', 'swap', 'exchange'];

export function PositionPanel({
  detail: d,
  now,
  onChanged,
}: {
  detail: PoolDetail;
  now: bigint;
  onChanged: () => void;
}) {
  const { conn, wallet } = useApp();
  const position = useLoad(
    async () => (wallet ? loadPosition(conn, d, wallet.account.address as Address) : null),
    [conn, d, wallet],
  );
  const [tab, setTab] = useState<Tab>('deposit');
  const [requestOutcome, setRequestOutcome] = useState<Outcome>(null);
  const changed = () => {
    onChanged();
    position.reload();
  };
  if (!wallet) {
    return (
      <section aria-labelledby="position">
        <h2 id="position">Your position</h2>
        <p>Connect a wallet to see your holdings and to deposit, redeem or swap.</p>
      </section>
    );
  }
  const p = position.data;
  const dev = wallet.wallet.name === DEV_WALLET_NAME && isLocalCluster(conn.cluster);
  return (
    <>
      <section aria-labelledby="position">
        <h2 id="position">Your position</h2>
        {!p ? (
          <p aria-live="polite">{position.error ?? 'Loading your position…'}</p>
        ) : (
          <>
            <dl className="facts compact">
              <div>
                <dt>{d.baseSymbol}</dt>
                <dd data-testid="base-balance" data-units={p.base.amount.toString()}>
                  {units(p.base.amount, d.decimals)}
                </dd>
              </div>
              <div>
                <dt>SOL</dt>
                <dd>{units(p.sol, 9, 3)}</dd>
              </div>
              <div>
                <dt>Membership</dt>
                <dd data-testid="membership">
                  {!d.pool.params.permissioned
                    ? 'open pool'
                    : p.member
                      ? p.member.expiresAt > now
                        ? `until ${date(p.member.expiresAt).slice(0, 10)}`
                        : 'expired'
                      : 'not a member'}
                </dd>
              </div>
            </dl>
            <table>
              <caption className="visually-hidden">Your tranche tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Tranche</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {d.tranches.map((t) => {
                  const a = p.tranches[t.index];
                  const tr = d.pool.tranches[t.index];
                  return (
                    <tr key={t.index}>
                      <th scope="row">
                        {t.label}
                        {a.frozen && <span className="muted small"> (frozen)</span>}
                      </th>
                      <td className="num" data-testid={`holding-${t.index}`} data-units={a.amount.toString()}>
                        {units(a.amount, d.decimals)}
                      </td>
                      <td className="num">{units(valueOf(a.amount, tr.value, tr.supply), d.decimals)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <h3>Your requests</h3>
            {p.requests.length === 0 ? (
              <p className="muted">No queued request.</p>
            ) : (
              <ul className="plain">
                {p.requests.map((r) => (
                  <RequestRow
                    key={`${r.tranche}-${r.id}`}
                    d={d}
                    p={p}
                    r={r}
                    now={now}
                    onChanged={changed}
                    report={setRequestOutcome}
                  />
                ))}
              </ul>
            )}
            <div data-testid="requests-outcome">
              <OutcomeView outcome={requestOutcome} />
            </div>
            {dev && <DevOnboarding d={d} onDone={changed} />}
          </>
        )}
      </section>
      {p && (
        <section aria-labelledby="actions">
          <h2 id="actions">Act</h2>
          <div role="tablist" aria-label="Actions" className="tabs">
            {TABS.map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                id={`tab-${t}`}
                aria-selected={tab === t}
                aria-controls={`panel-${t}`}
                tabIndex={tab === t ? 0 : -1}
                onClick={() => setTab(t)}
                onKeyDown={(e) => {
                  const k = TABS.indexOf(t);
                  const n = TABS.length;
                  const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? n - 1 : 0;
                  const next = step ? TABS[(k + step) % n] : null;
                  if (next) {
                    setTab(next);
                    document.getElementById(`tab-${next}`)?.focus();
                  }
                }}
              >
                {t[0].toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
            {tab === 'deposit' && <DepositForm d={d} p={p} now={now} onChanged={changed} />}
            {tab === 'redeem' && <RedeemForm d={d} p={p} now={now} onChanged={changed} />}
            {tab === 'swap' && <SwapForm d={d} p={p} now={now} onChanged={changed} />}
            {tab === 'exchange' && <ExchangeForm d={d} p={p} now={now} onChanged={changed} />}
          </div>
        </section>
      )}
    </>
  );
}
