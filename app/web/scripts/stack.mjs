// The localnet the web app runs against, for `npm run dev` and the browser tests: `sluice
// localnet` on a free port pair (JSON-RPC on port, PubSub on port + 1) with the example
// pool migrated by a fresh issuer — its dates moved so the first receivable falls due in
// 90 days (never overdue while a test moves the clock), and its senior market given
// 200,000 base tokens of liquidity so the page has a market to show and trade.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(webDir, '../..');
const specPath = path.join(repoDir, 'migrations/examples/harbor-trade-2027a.toml');

/** The `sluice` binary: $SLUICE_BIN, or target/debug/sluice built by cargo (a no-op when fresh). */
export function sluiceBinary() {
  if (process.env.SLUICE_BIN) return path.resolve(process.env.SLUICE_BIN);
  const env = { ...process.env };
  delete env.RUSTUP_TOOLCHAIN;
  console.log('building sluice (cargo build -p sluice-cli)…');
  const build = spawnSync('cargo', ['build', '-q', '-p', 'sluice-cli'], { cwd: repoDir, env, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('cargo build -p sluice-cli failed');
  return path.join(repoDir, 'target/debug/sluice');
}

function listen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, host, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/** `preferred` when it and its successor are free, else any free pair. */
export async function freePortPair(preferred = 0) {
  if (preferred && (await listen(preferred)) && (await listen(preferred + 1))) return preferred;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listen(0);
    if (port && port < 65535 && (await listen(port + 1))) return port;
  }
  throw new Error('no free pair of ports on 127.0.0.1');
}

function shiftDates(text, days) {
  return text.replace(/(?<![A-Za-z0-9_-])(\d{4})-(\d{2})-(\d{2})(?![A-Za-z0-9_-])/g, (match, y, m, d) => {
    const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
    if (Number.isNaN(t) || new Date(t).getUTCDate() !== Number(d)) return match;
    return new Date(t + days * 86_400_000).toISOString().slice(0, 10);
  });
}

/** The example spec and CSV in `dir`: dates moved, the senior market with liquidity. */
function webSpec(dir, leadDays = 90) {
  const toml = readFileSync(specPath, 'utf8');
  const csvPath = specPath.replace(/\.toml$/, '.csv');
  const csv = readFileSync(csvPath, 'utf8');
  const dues = csv
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[3]?.trim())
    .filter((d) => d && /^\d{4}-\d{2}-\d{2}$/.test(d))
    .map((d) => Date.parse(`${d}T00:00:00Z`));
  const earliest = Math.min(...dues);
  const wanted = (Math.floor(Date.now() / 86_400_000) + leadDays) * 86_400_000;
  const days = earliest < wanted ? Math.round((wanted - earliest) / 86_400_000) : 0;
  const market = '[[markets]]\ntranche = 0\n';
  if (!toml.includes(market)) throw new Error(`${specPath} no longer has "${market.trim()}"`);
  const copy = path.join(dir, path.basename(specPath));
  writeFileSync(copy, shiftDates(toml, days).replace(market, `${market}liquidity = "200000"\n`));
  writeFileSync(path.join(dir, path.basename(csvPath)), shiftDates(csv, days));
  return copy;
}

async function newKeypairBytes() {
  const pair = await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify']);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return [...pkcs8.slice(-32), ...publicKey];
}

async function rpcCall(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/**
 * Starts the localnet and waits for the seeded pool. `timeScale` 0 stops the clock (tests
 * move it with sluice_advanceClock). Resolves to { url, port, issuerFile, dir, stop }.
 */
export async function startLocalnet({ port: preferred = 0, timeScale = 1, quiet = false } = {}) {
  const binary = sluiceBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-web-'));
  const issuerFile = path.join(dir, 'issuer.json');
  writeFileSync(issuerFile, JSON.stringify(await newKeypairBytes()), { mode: 0o600 });
  const spec = webSpec(dir);
  const port = await freePortPair(preferred);
  const node = spawn(
    binary,
    ['localnet', '--port', String(port), '--time-scale', String(timeScale), '--seed', spec, '--keypair', issuerFile],
    { cwd: dir, env: { ...process.env, RUST_LOG: 'error', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk) => {
    output += chunk;
    if (!quiet) process.stdout.write(chunk);
  };
  node.stdout.on('data', collect);
  node.stderr.on('data', collect);
  let exited = null;
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
  const deadline = Date.now() + 180_000;
  for (let healthy = false; !output.includes('Ctrl-C stops the node.');) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sluice localnet ${exited !== null ? `exited (${exited})` : 'not ready in 180 s'}:\n${output}`);
    }
    if (!healthy) healthy = (await rpcCall(url, 'getHealth').catch(() => null)) === 'ok';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, port, issuerFile, dir, stop, output: () => output };
}
