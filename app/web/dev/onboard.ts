// Development onboarding, for the localnet only: POST /dev/onboard {"pool", "wallet"} makes
// `wallet` what an investor of the example pool needs to be — some SOL (the faucet), base
// tokens minted by the issuer (the localnet's test stablecoin), and a year's membership of
// the permissioned pool — signed with the issuer's keypair, which stays in this server
// process. It is served only when SLUICE_DEV_ISSUER (the issuer's keypair file) and
// SLUICE_DEV_RPC are set, as `npm run dev` and the browser tests set them; a page on any
// other cluster never sees it.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  address,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  fetchEncodedAccount,
  getI64Decoder,
  lamports,
  type Address,
  type KeyPairSigner,
} from '@solana/kit';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getMintToInstruction,
} from '@solana-program/token';
import type { Plugin } from 'vite';

import {
  confirmByPolling,
  fetchMaybeMember,
  fetchPool,
  getSetMemberInstruction,
  memberAddress,
  sendInstructions,
} from '../../../clients/js/src/index';

const YEAR = 365n * 86_400n;
const CLOCK = address('SysvarC1ock11111111111111111111111111111111');

type Onboarded = { wallet: string; baseUnits: string; memberUntil: string; sol: number };

async function onboard(
  rpcUrl: string,
  issuer: KeyPairSigner,
  poolAddress: Address,
  wallet: Address,
): Promise<Onboarded> {
  const rpc = createSolanaRpc(rpcUrl);
  const sender = { rpc };
  const pool = (await fetchPool(rpc, poolAddress)).data;
  if (pool.authority !== issuer.address) throw new Error(`the development issuer is not ${poolAddress}'s authority`);
  const mint = await fetchEncodedAccount(rpc, pool.baseMint);
  if (!mint.exists) throw new Error('the base mint does not exist');
  const decimals = mint.data[44];
  const baseUnits = BigInt(process.env.SLUICE_DEV_BASE_TOKENS ?? '100000') * 10n ** BigInt(decimals);
  const clock = await fetchEncodedAccount(rpc, CLOCK);
  const now = clock.exists ? getI64Decoder().decode(clock.data.slice(32, 40)) : BigInt(Math.floor(Date.now() / 1000));
  const airdrop = await rpc.requestAirdrop(wallet, lamports(2_000_000_000n)).send();
  await confirmByPolling(sender, airdrop);
  const [baseAccount] = await findAssociatedTokenPda({
    owner: wallet,
    mint: pool.baseMint,
    tokenProgram: pool.baseTokenProgram,
  });
  const member = await memberAddress(poolAddress, wallet);
  const existing = await fetchMaybeMember(rpc, member);
  const expiresAt = now + YEAR;
  await sendInstructions(sender, issuer, [
    getCreateAssociatedTokenIdempotentInstruction({
      payer: issuer,
      ata: baseAccount,
      owner: wallet,
      mint: pool.baseMint,
      tokenProgram: pool.baseTokenProgram,
    }),
    getMintToInstruction(
      { mint: pool.baseMint, token: baseAccount, mintAuthority: issuer, amount: baseUnits },
      { programAddress: pool.baseTokenProgram },
    ),
    ...(existing.exists && existing.data.expiresAt > now + YEAR / 2n
      ? []
      : [getSetMemberInstruction({ authority: issuer, pool: poolAddress, member, wallet, expiresAt })]),
  ]);
  return { wallet, baseUnits: baseUnits.toString(), memberUntil: expiresAt.toString(), sol: 2 };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 4096) reject(new Error('request too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** The Vite plugin: the middleware on the dev and the preview server. */
export function devOnboarding(): Plugin {
  const keypairFile = process.env.SLUICE_DEV_ISSUER;
  const rpcUrl = process.env.SLUICE_DEV_RPC;
  let issuer: Promise<KeyPairSigner> | null = null;
  const middleware = async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url?.split('?')[0] !== '/dev/onboard') return next();
    if (!keypairFile || !rpcUrl) {
      return answer(res, 404, {
        error: 'development onboarding is off: this server was not started by `npm run dev` against a localnet',
      });
    }
    if (req.method === 'GET') return answer(res, 200, { rpc: rpcUrl });
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST {"pool", "wallet"}' });
    try {
      const { pool, wallet } = JSON.parse(await readBody(req)) as { pool?: string; wallet?: string };
      if (!pool || !wallet) return answer(res, 400, { error: 'POST {"pool", "wallet"}' });
      issuer ??= createKeyPairSignerFromBytes(new Uint8Array(JSON.parse(readFileSync(keypairFile, 'utf8'))));
      answer(res, 200, await onboard(rpcUrl, await issuer, address(pool), address(wallet)));
    } catch (error) {
      answer(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  };
  return {
    name: 'sluice-dev-onboarding',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
