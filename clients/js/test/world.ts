// What the localnet tests share: a `sluice localnet` started by the test on a free port with
// the example migration applied (its dates moved forward as `rehearsal_copy` does, so the
// receivables are never overdue), the issuer's keypair, funded member wallets, token
// balances, and the cluster clock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  address,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  fetchEncodedAccount,
  getI64Decoder,
  getU64Decoder,
  lamports,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type Rpc,
  type SolanaRpcApi,
} from '@solana/kit';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getMintToInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';

import {
  confirmByPolling,
  fetchPool,
  getSetMemberInstruction,
  getThawHolderInstruction,
  memberAddress,
  poolAddress,
  sendInstructions,
  type Pool,
  type Sender,
} from '../src';

export const TOKEN_2022 = address('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');
export const DAY = 86_400n;
/** The example spec's pool id (`[pool] id`). */
export const POOL_ID = 2_027_001n;

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(clientDir, '../..');
const specPath = path.join(repoDir, 'migrations/examples/harbor-trade-2027a.toml');

/** The `sluice` binary: $SLUICE_BIN, or target/debug/sluice built by cargo (a no-op when fresh). */
export function sluiceBinary(): string {
  if (process.env.SLUICE_BIN) return path.resolve(process.env.SLUICE_BIN);
  const env = { ...process.env };
  delete env.RUSTUP_TOOLCHAIN;
  const build = spawnSync('cargo', ['build', '-q', '-p', 'sluice-cli'], {
    cwd: repoDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (build.status !== 0) throw new Error(`cargo build -p sluice-cli failed:\n${build.stderr}`);
  return path.join(repoDir, 'target/debug/sluice');
}

/** A port whose successor is free too: the localnet serves JSON-RPC on `port`, PubSub on `port + 1`. */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const bound = (server.address() as { port: number }).port;
        server.close(() => resolve(bound));
      });
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listen(0);
    if (port && port < 65535 && (await listen(port + 1))) return port;
  }
  throw new Error('no free pair of ports on 127.0.0.1');
}

/** Whether anything accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Every standalone YYYY-MM-DD in `text` moved forward by `days` (not inside a word like INV-2027-04-30A). */
function shiftDates(text: string, days: number): string {
  return text.replace(/(?<![A-Za-z0-9_-])(\d{4})-(\d{2})-(\d{2})(?![A-Za-z0-9_-])/g, (match, y, m, d) => {
    const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
    if (Number.isNaN(t) || new Date(t).getUTCDate() !== Number(d)) return match;
    return new Date(t + days * 86_400_000).toISOString().slice(0, 10);
  });
}

/** The example spec and its CSV in `dir`, dates moved so the earliest due date is `leadDays` ahead. */
function rehearsalCopy(dir: string, leadDays: number): string {
  const toml = readFileSync(specPath, 'utf8');
  const csvPath = specPath.replace(/\.toml$/, '.csv');
  const csv = readFileSync(csvPath, 'utf8');
  const dues = csv
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[3]?.trim())
    .filter((d): d is string => !!d && /^\d{4}-\d{2}-\d{2}$/.test(d))
    .map((d) => Date.parse(`${d}T00:00:00Z`));
  const earliest = Math.min(...dues);
  const wanted = (Math.floor(Date.now() / 86_400_000) + leadDays) * 86_400_000;
  const days = earliest < wanted ? Math.round((wanted - earliest) / 86_400_000) : 0;
  const copy = path.join(dir, path.basename(specPath));
  writeFileSync(copy, shiftDates(toml, days));
  writeFileSync(path.join(dir, path.basename(csvPath)), shiftDates(csv, days));
  return copy;
}

/** A new wallet as a Solana keypair file's 64 bytes (secret seed, then public key). */
async function newKeypairBytes(): Promise<Uint8Array> {
  const pair = (await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return new Uint8Array([...pkcs8.slice(-32), ...publicKey]);
}

export async function newWallet(): Promise<KeyPairSigner> {
  return createKeyPairSignerFromBytes(await newKeypairBytes());
}

export type World = {
  url: string;
  port: number;
  rpc: Rpc<SolanaRpcApi>;
  sender: Sender;
  issuer: KeyPairSigner;
  issuerFile: string;
  pool: Address;
  node: ChildProcess;
  dir: string;
  stop: () => Promise<void>;
};

async function rpcCall(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/**
 * Starts `sluice localnet` with its clock stopped (tests move it with `sluice_advanceClock`)
 * and the example pool migrated by a fresh issuer; resolves once the pool exists.
 */
export async function startWorld(): Promise<World> {
  const binary = sluiceBinary();
  if (!existsSync(binary)) throw new Error(`no sluice binary at ${binary}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-js-'));
  const issuerBytes = await newKeypairBytes();
  const issuerFile = path.join(dir, 'issuer.json');
  writeFileSync(issuerFile, JSON.stringify([...issuerBytes]));
  const issuer = await createKeyPairSignerFromBytes(issuerBytes);
  const spec = rehearsalCopy(dir, 90);
  const port = await freePortPair();
  const node = spawn(
    binary,
    ['localnet', '--port', String(port), '--time-scale', '0', '--seed', spec, '--keypair', issuerFile],
    { cwd: dir, env: { ...process.env, RUST_LOG: 'error', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  node.stdout!.on('data', (chunk) => (output += chunk));
  node.stderr!.on('data', (chunk) => (output += chunk));
  let exited: number | null = null;
  node.once('exit', (code) => (exited = code ?? -1));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      const gone = new Promise((resolve) => node.once('exit', resolve));
      node.kill('SIGINT');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      if (exited === null) node.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  const fail = async (why: string) => {
    await stop();
    throw new Error(`${why}\n--- sluice localnet output ---\n${output}`);
  };
  // Healthy first, then seeded: the banner's last line follows the migration.
  for (let healthy = false; !output.includes('Ctrl-C stops the node.');) {
    if (exited !== null) return fail(`sluice localnet exited (${exited}) before it was ready`);
    if (Date.now() > deadline) return fail('sluice localnet not ready in 120 s');
    if (!healthy) healthy = (await rpcCall(url, 'getHealth').catch(() => null)) === 'ok';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const rpc = createSolanaRpc(url) as Rpc<SolanaRpcApi>;
  // With the node's PubSub websocket, transactions confirm through kit's own
  // sendAndConfirmTransactionFactory; without it, by polling getSignatureStatuses.
  const sender: Sender = (await listening(port + 1))
    ? { rpc, rpcSubscriptions: createSolanaRpcSubscriptions(`ws://127.0.0.1:${port + 1}`) }
    : { rpc };
  const pool = await poolAddress(issuer.address, POOL_ID);
  return { url, port, rpc, sender, issuer, issuerFile, pool, node, dir, stop };
}

const CLOCK_SYSVAR = address('SysvarC1ock11111111111111111111111111111111');

/** The cluster's unix time: the Clock sysvar's `unix_timestamp` (after slot, epoch start, epoch, leader epoch). */
export async function clusterNow(world: World): Promise<bigint> {
  const clock = await fetchEncodedAccount(world.rpc, CLOCK_SYSVAR);
  if (!clock.exists) throw new Error('no Clock sysvar');
  return getI64Decoder().decode(clock.data.slice(32, 40));
}

/** Moves the cluster clock `seconds` forward (`sluice_advanceClock`); returns the new time. */
export async function advanceClock(world: World, seconds: bigint): Promise<bigint> {
  return BigInt((await rpcCall(world.url, 'sluice_advanceClock', [Number(seconds)])) as number);
}

export async function airdrop(world: World, to: Address, sol: bigint): Promise<void> {
  const signature = await world.rpc.requestAirdrop(to, lamports(sol * 1_000_000_000n)).send();
  await confirmByPolling(world.sender, signature);
}

/** Base units (or lamports of nothing: 0) in a token account of either token program. */
export async function tokenBalance(world: World, account: Address): Promise<bigint> {
  const info = await fetchEncodedAccount(world.rpc, account);
  if (!info.exists) return 0n;
  return getU64Decoder().decode(info.data.slice(64, 72));
}

export async function associated(owner: Address, mint: Address, tokenProgram: Address): Promise<Address> {
  const [ata] = await findAssociatedTokenPda({ owner, mint, tokenProgram });
  return ata;
}

export async function pool(world: World): Promise<Pool> {
  return (await fetchPool(world.rpc, world.pool)).data;
}

export type Investor = {
  wallet: KeyPairSigner;
  base: Address;
  /** Associated Token-2022 accounts of each tranche, thawed for the member. */
  tranches: Address[];
  member: Address;
};

/**
 * A wallet holding `base` base units, admitted as a member for a year by the issuer, with
 * its tranche accounts opened and thawed (the pool is permissioned).
 */
export async function investor(world: World, base: bigint): Promise<Investor> {
  const wallet = await newWallet();
  await airdrop(world, wallet.address, 2n);
  const p = await pool(world);
  const baseAccount = await associated(wallet.address, p.baseMint, p.baseTokenProgram);
  const member = await memberAddress(world.pool, wallet.address);
  const now = await clusterNow(world);
  await sendInstructions(world.sender, world.issuer, [
    getCreateAssociatedTokenIdempotentInstruction({
      payer: world.issuer,
      ata: baseAccount,
      owner: wallet.address,
      mint: p.baseMint,
      tokenProgram: p.baseTokenProgram,
    }),
    getMintToInstruction(
      { mint: p.baseMint, token: baseAccount, mintAuthority: world.issuer, amount: base },
      { programAddress: p.baseTokenProgram === TOKEN_PROGRAM_ADDRESS ? TOKEN_PROGRAM_ADDRESS : p.baseTokenProgram },
    ),
    getSetMemberInstruction({
      authority: world.issuer,
      pool: world.pool,
      member,
      wallet: wallet.address,
      expiresAt: now + 365n * DAY,
    }),
  ]);
  const tranches: Address[] = [];
  const opening: Instruction[] = [];
  for (let i = 0; i < p.trancheCount; i++) {
    const mint = p.tranches[i].mint;
    const account = await associated(wallet.address, mint, TOKEN_2022);
    tranches.push(account);
    opening.push(
      getCreateAssociatedTokenIdempotentInstruction({
        payer: wallet,
        ata: account,
        owner: wallet.address,
        mint,
        tokenProgram: TOKEN_2022,
      }),
      getThawHolderInstruction({
        caller: wallet,
        pool: world.pool,
        trancheMint: mint,
        holderTokens: account,
        member,
        tranche: i,
      }),
    );
  }
  await sendInstructions(world.sender, wallet, opening);
  return { wallet, base: baseAccount, tranches, member };
}
