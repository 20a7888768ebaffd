// The investor's path through the page in a real browser: the pools, one pool, the
// development wallet (a Wallet Standard wallet) funded on the localnet, a deposit, an
// instant and a queued redemption, the clock moved and a batch cranked, the claim — each
// checked on the page and on chain — a refusal shown by the program's error name, the
// keyboard, a phone's width, axe's accessibility rules, and no console errors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import {
  address,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  fetchEncodedAccount,
  getU64Decoder,
  type Address,
  type KeyPairSigner,
} from '@solana/kit';
import { findAssociatedTokenPda } from '@solana-program/token';

import {
  basketAddress,
  fetchBasket,
  fetchMaybeMember,
  fetchPool,
  getProcessBatchInstruction,
  getRepriceInstruction,
  getRevokeMemberInstruction,
  memberAddress,
  poolAddress,
  sendInstructions,
  type Pool,
} from '../../../clients/js/src/index';

const RPC = process.env.SLUICE_E2E_RPC!;
const APP = process.env.SLUICE_E2E_APP!;
const SHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots');
const POOL_ID = 2_027_001n;
const TOKEN_2022 = address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');
const DAY = 86_400;

const rpc = createSolanaRpc(RPC);
const sender = { rpc };
let issuer: KeyPairSigner;
let pool: Address;
let wallet: Address;
let page: Page;
const consoleErrors: string[] = [];

async function rpcCall(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(RPC, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function poolState(): Promise<Pool> {
  return (await fetchPool(rpc, pool)).data;
}

async function balance(owner: Address, mint: Address, tokenProgram: Address): Promise<bigint> {
  const [ata] = await findAssociatedTokenPda({ owner, mint, tokenProgram });
  const info = await fetchEncodedAccount(rpc, ata);
  return info.exists ? getU64Decoder().decode(info.data.slice(64, 72)) : 0n;
}

const baseBalance = async () => {
  const p = await poolState();
  return balance(wallet, p.baseMint, p.baseTokenProgram);
};
const seniorBalance = async () => balance(wallet, (await poolState()).tranches[0].mint, TOKEN_2022);

async function axe(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Elements that stick out past the viewport's right edge without an ancestor that clips or
 * scrolls them (the tables' own scroll boxes, the charts' figures) — what makes a phone
 * scroll the page sideways — and that scroll itself, if any.
 */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const contained = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.overflowX !== 'visible' && a.getBoundingClientRect().right <= width + 1) return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      // Its box past the edge, or its content (a long address is one unbreakable word) past its box.
      const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible';
      if ((r.right > width + 1 || (spills && r.left + el.scrollWidth > width + 1)) && !contained(el)) {
        out.push(
          `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').slice(0, 40)}" (right ${Math.round(r.right)} px)`,
        );
      }
    }
    const scroll = document.documentElement.scrollWidth - width;
    if (scroll > 0) {
      // Otherwise, name the subtree whose hiding ends the scroll: descend while one child's does.
      let node: Element = document.body;
      const scrolls = () => document.documentElement.scrollWidth - width > 0;
      for (let depth = 0; depth < 30; depth++) {
        let found: Element | null = null;
        for (const child of Array.from(node.children)) {
          const el = child as HTMLElement;
          const old = el.style.display;
          el.style.display = 'none';
          const fixed = !scrolls();
          el.style.display = old;
          if (fixed) {
            found = child;
            break;
          }
        }
        if (!found) break;
        node = found;
      }
      out.push(`the page scrolls ${scroll} px sideways: ${node.outerHTML.slice(0, 300)}`);
    }
    return out.slice(0, 8);
  });
}

async function outcome(page: Page, form: string) {
  const box = page.getByRole('form', { name: form }).getByTestId('outcome');
  await expect(box).toBeVisible({ timeout: 60_000 });
  return box;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  issuer = await createKeyPairSignerFromBytes(
    new Uint8Array(JSON.parse(readFileSync(process.env.SLUICE_E2E_ISSUER!, 'utf8'))),
  );
  pool = await poolAddress(issuer.address, POOL_ID);
  page = await (await browser.newContext()).newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

test('the pools page lists the example pool with its stage, NAV, prices, coverage, reserve and market', async () => {
  await page.goto(`${APP}/?rpc=${encodeURIComponent(RPC)}#/`);
  const row = page.getByRole('row', { name: /Harbor Trade 2027-A/ });
  await expect(row).toBeVisible();
  await expect(row).toContainText('Normal');
  await expect(row).toContainText('Senior');
  await expect(row).toContainText('7.50 % coupon');
  await expect(row).toContainText('of target');
  const p = await poolState();
  // NAV as the page prints it: whole base tokens, cut.
  await expect(row).toContainText((p.nav / 1_000_000n).toLocaleString('en-US'));
  await page.screenshot({ path: `${SHOTS}/pools.png`, fullPage: true });
  expect(await axe(page)).toEqual([]);
});

test('the pool page shows prices, history, the book, the queue, the reserve, the market and the rates', async () => {
  await page.getByRole('link', { name: 'Harbor Trade 2027-A' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Harbor Trade 2027-A' })).toBeVisible();
  for (const name of ['History', 'The queue', 'Market', 'The book', 'Buy-back reserve', 'Rates', 'Your position']) {
    await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  }
  const p = await poolState();
  const senior = p.tranches[0].priceE12;
  const shown = `${senior / 1_000_000_000_000n}.${(senior % 1_000_000_000_000n).toString().padStart(12, '0').slice(0, 4)}`;
  await expect(page.getByTestId('price-0')).toHaveText(shown);
  await expect(page.getByRole('img', { name: /^NAV/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Outstanding by maturity and risk class/ })).toBeVisible();
  await expect(page.getByText(`${p.receivableCount} performing receivables`)).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/pool.png`, fullPage: true });
});

test('the development wallet connects through the Wallet Standard, is marked, and is funded on the localnet', async () => {
  await page.getByRole('button', { name: 'Connect Sluice development wallet' }).click();
  await expect(page.getByRole('note')).toContainText('Development wallet');
  const badge = page.getByTitle(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
  wallet = address((await badge.getAttribute('title'))!);
  await expect(page.getByTestId('membership')).toHaveText('not a member');
  await page.getByRole('button', { name: 'Get test funds and membership' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Funded' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('membership')).toHaveText(/^until \d{4}-\d{2}-\d{2}$/);
  await expect(page.getByTestId('base-balance')).toHaveText('100,000.00');
  expect(await baseBalance()).toBe(100_000_000_000n);
  await page.screenshot({ path: `${SHOTS}/wallet.png`, fullPage: true });
});

test('development onboarding refuses what it cannot do, and changes nothing', async () => {
  const post = (body: string) =>
    fetch(`${APP}/dev/onboard`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const missing = await post(JSON.stringify({ pool }));
  expect(missing.status).toBe(400);
  // An address that is no pool (the wallet's own): nothing to onboard into.
  const foreign = await post(JSON.stringify({ pool: wallet, wallet }));
  expect(foreign.status).toBe(500);
  expect(((await foreign.json()) as { error: string }).error).not.toBe('');
  expect((await fetch(`${APP}/dev/onboard`, { method: 'PUT' })).status).toBe(405);
  expect(await baseBalance()).toBe(100_000_000_000n);
});

test('a deposit mints exactly the tokens its preview promised', async () => {
  const form = page.getByRole('form', { name: 'Deposit' });
  await form.getByLabel('Tranche').selectOption({ label: 'Senior (HT27A-SR)' });
  await form.getByLabel(/^Amount/).fill('1000');
  const preview = form.getByTestId('deposit-preview');
  await expect(preview).toContainText('You receive');
  const promised = BigInt((await preview.getAttribute('data-tokens'))!);
  expect(promised).toBeGreaterThan(0n);
  await form.getByRole('button', { name: 'Deposit' }).click();
  await expect(await outcome(page, 'Deposit')).toContainText('Deposit: confirmed');
  expect(await seniorBalance()).toBe(promised);
  expect(await baseBalance()).toBe(99_000_000_000n);
  await expect(page.getByTestId('holding-0')).toHaveAttribute('data-units', promised.toString());
});

test('an instant redemption pays the previewed amount', async () => {
  await page.getByRole('tab', { name: 'Redeem' }).click();
  const form = page.getByRole('form', { name: 'Redeem' });
  await form.getByLabel('Tokens').fill('100');
  await expect(form.getByRole('radio', { name: /^Instant/ })).toBeChecked();
  const preview = form.getByTestId('redeem-preview');
  await expect(preview).toContainText('You receive');
  const payout = BigInt((await preview.getAttribute('data-payout'))!);
  const before = await baseBalance();
  await form.getByRole('button', { name: 'Redeem now' }).click();
  await expect(await outcome(page, 'Redeem')).toContainText('Instant redemption: confirmed');
  expect((await baseBalance()) - before).toBe(payout);
});

test('a queued request shows its expected fill; after a day a batch pays it and the page claims it', async () => {
  const form = page.getByRole('form', { name: 'Redeem' });
  await form.getByLabel('Tokens').fill('500');
  await form.getByRole('radio', { name: /^Queue/ }).check();
  await expect(form.getByTestId('redeem-preview')).toContainText('Expected fill: 1 batch');
  await form.getByRole('button', { name: 'Request redemption' }).click();
  await expect(await outcome(page, 'Redeem')).toContainText('Redemption request: confirmed');
  const p = await poolState();
  const id = p.tranches[0].queueTail - 1n;
  const row = page.getByTestId(`request-0-${id}`);
  await expect(row).toContainText('500.00 waiting');
  // The queue's next batch, planned by the program's rules, pays the whole request.
  await expect(page.getByTestId('next-batch-0')).toHaveText('500 tokens');

  // A day later, the keeper's cranks (the issuer stands in): reprice, then the batch.
  await rpcCall('sluice_advanceClock', [DAY + 60]);
  const [crankerBase] = await findAssociatedTokenPda({
    owner: issuer.address,
    mint: p.baseMint,
    tokenProgram: p.baseTokenProgram,
  });
  await sendInstructions(sender, issuer, [
    getRepriceInstruction({ pool, book: p.book, oracle: p.oracle, vault: p.vault }),
    getProcessBatchInstruction({
      cranker: issuer,
      crankerBase,
      pool,
      queue: p.tranches[0].queue,
      escrow: p.tranches[0].escrow,
      trancheMint: p.tranches[0].mint,
      baseMint: p.baseMint,
      vault: p.vault,
      reserveVault: p.reserveVault,
      baseTokenProgram: p.baseTokenProgram,
      tranche: 0,
      maxRequests: 16,
    }),
  ]);

  await page.getByRole('button', { name: 'Refresh' }).click();
  const claimable = row.getByTestId('claimable');
  await expect(claimable).not.toHaveAttribute('data-units', '0');
  const owed = BigInt((await claimable.getAttribute('data-units'))!);
  const before = await baseBalance();
  await row.getByRole('button', { name: /^Claim/ }).click();
  await expect(page.getByTestId('requests-outcome')).toContainText('Claim: confirmed', { timeout: 60_000 });
  expect((await baseBalance()) - before).toBe(owed);
  await page.screenshot({ path: `${SHOTS}/claimed.png`, fullPage: true });
});

test('an exchange into the basket mints exactly the basket tokens its preview promised', async () => {
  await page.getByRole('tab', { name: 'Exchange' }).click();
  const form = page.getByRole('form', { name: 'Exchange' });
  await form.getByLabel('Tranche').selectOption({ label: 'Senior (haircut 2.00 %)' });
  await form.getByLabel('Senior tokens').fill('100');
  const preview = form.getByTestId('exchange-preview');
  await expect(preview).toContainText('basket tokens');
  const promised = BigInt((await preview.getAttribute('data-tokens'))!);
  expect(promised).toBeGreaterThan(0n);
  const basket = await fetchBasket(rpc, await basketAddress(issuer.address, POOL_ID));
  const seniorBefore = await seniorBalance();
  await form.getByRole('button', { name: 'Exchange into the basket' }).click();
  await expect(await outcome(page, 'Exchange')).toContainText('Exchange: confirmed');
  expect(await balance(wallet, basket.data.mint, TOKEN_2022)).toBe(promised);
  expect(seniorBefore - (await seniorBalance())).toBe(100_000_000n);
});

test("a refusal is shown by the program's error name, with what to do", async () => {
  // The issuer revokes the wallet's membership behind the page's back.
  await sendInstructions(sender, issuer, [
    getRevokeMemberInstruction({ authority: issuer, pool, member: await memberAddress(pool, wallet) }),
  ]);
  await page.getByRole('tab', { name: 'Deposit' }).click();
  const form = page.getByRole('form', { name: 'Deposit' });
  await form.getByLabel(/^Amount/).fill('10');
  const before = await baseBalance();
  await form.getByRole('button', { name: 'Deposit' }).click();
  const box = await outcome(page, 'Deposit');
  await expect(box.getByTestId('refusal-name')).toHaveText('NotMember');
  await expect(box).toContainText('the issuer must admit your wallet');
  expect(await baseBalance()).toBe(before);
  await page.screenshot({ path: `${SHOTS}/refusal.png`, fullPage: true });
  // And back in.
  await expect(page.getByTestId('membership')).toHaveText('not a member');
  await page.getByRole('button', { name: 'Get test funds and membership' }).click();
  await expect(page.getByTestId('membership')).toHaveText(/^until /, { timeout: 60_000 });
  expect((await fetchMaybeMember(rpc, await memberAddress(pool, wallet))).exists).toBe(true);
});

test('the actions work from the keyboard', async () => {
  const deposit = page.getByRole('tab', { name: 'Deposit' });
  await deposit.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Redeem' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Redeem' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Swap' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Deposit' })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: 'Swap' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('tabpanel')).toContainText('Direction on the Senior market');
});

test('the pages pass axe and fit a phone', async () => {
  expect(await axe(page)).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/pool-phone.png`, fullPage: true });
  // Polled: a re-render in flight (the page refreshes every 15 s) may lay out for a moment wider.
  await expect.poll(() => overflowing(page)).toEqual([]);
  await page.goto(`${APP}/?rpc=${encodeURIComponent(RPC)}#/`);
  await expect(page.getByRole('row', { name: /Harbor Trade 2027-A/ })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/pools-phone.png`, fullPage: true });
  // Polled: a re-render in flight (the page refreshes every 15 s) may lay out for a moment wider.
  await expect.poll(() => overflowing(page)).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('no console errors on the way', async () => {
  expect(consoleErrors).toEqual([]);
});
