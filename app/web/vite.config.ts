// Vite for Sluice's web app. The TypeScript client is used from source (clients/js/src):
// one copy of @solana/kit for both (dedupe), so kit's branded types and codecs agree.
// On the localnet the dev and preview servers also answer POST /dev/onboard (dev/onboard.ts).
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

import { devOnboarding } from './dev/onboard';

const client = fileURLToPath(new URL('../../clients/js/src/index.ts', import.meta.url));

export default defineConfig({
  plugins: [react(), devOnboarding()],
  resolve: {
    alias: { '@sluice/client': client },
    dedupe: ['@solana/kit', '@solana-program/token'],
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: false },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
});
