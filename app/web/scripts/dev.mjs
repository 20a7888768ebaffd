// `npm run dev`: the localnet with the example pool, and the page against it (Vite's dev
// server, with development onboarding for the dev wallet). Ctrl-C stops both.
//   SLUICE_BIN=path/to/sluice  use a built binary instead of `cargo build -p sluice-cli`
//   SLUICE_PORT=8899           the localnet's JSON-RPC port (PubSub on the next one)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { startLocalnet, webDir } from './stack.mjs';

// The app compiles the TypeScript client from source; its packages must be there too.
const client = path.join(webDir, '../../clients/js');
if (!existsSync(path.join(client, 'node_modules'))) {
  spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: client, stdio: 'inherit' });
}

const localnet = await startLocalnet({ port: Number(process.env.SLUICE_PORT ?? 8899) });
const vite = spawn(
  path.join(webDir, 'node_modules/.bin/vite'),
  ['--open', `/?rpc=${encodeURIComponent(localnet.url)}`],
  {
    cwd: webDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      SLUICE_DEV_ISSUER: localnet.issuerFile,
      SLUICE_DEV_RPC: localnet.url,
      BROWSER: process.env.BROWSER ?? 'none',
    },
  },
);
console.log(
  `\nlocalnet ${localnet.url}: open the page Vite names with ?rpc=${encodeURIComponent(localnet.url)} (or pick the cluster in the page)`,
);
const stop = async () => {
  vite.kill('SIGINT');
  await localnet.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
vite.on('exit', async (code) => {
  await localnet.stop();
  process.exit(code ?? 0);
});
