// Starts what the browser tests drive: a localnet with the clock stopped (the test moves it)
// and `vite preview` of the built page with development onboarding on. Their addresses reach
// the tests as SLUICE_E2E_* environment variables; the returned function stops both.
import { spawn } from 'node:child_process';
import path from 'node:path';

// @ts-expect-error: a plain ES module shared with `npm run dev`
import { freePortPair, startLocalnet, webDir } from '../scripts/stack.mjs';

async function waitFor(url: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer in ${seconds} s`);
}

export default async function globalSetup() {
  const localnet = await startLocalnet({ timeScale: 0, quiet: true });
  const appPort = await freePortPair();
  const preview = spawn(
    path.join(webDir, 'node_modules/.bin/vite'),
    ['preview', '--port', String(appPort), '--strictPort', '--host', '127.0.0.1'],
    {
      cwd: webDir,
      env: { ...process.env, SLUICE_DEV_ISSUER: localnet.issuerFile, SLUICE_DEV_RPC: localnet.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let previewOutput = '';
  preview.stdout!.on('data', (c) => (previewOutput += c));
  preview.stderr!.on('data', (c) => (previewOutput += c));
  const app = `http://127.0.0.1:${appPort}`;
  try {
    await waitFor(`${app}/`, 60);
  } catch (error) {
    preview.kill();
    await localnet.stop();
    throw new Error(`${(error as Error).message}\n${previewOutput}`);
  }
  process.env.SLUICE_E2E_RPC = localnet.url;
  process.env.SLUICE_E2E_APP = app;
  process.env.SLUICE_E2E_ISSUER = localnet.issuerFile;
  return async () => {
    preview.kill('SIGINT');
    await localnet.stop();
  };
}
