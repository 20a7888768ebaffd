// The development wallet: a keypair kept in this browser's localStorage, offered on a local
// cluster only, and clearly named so. It is a Wallet Standard wallet like any extension
// (standard:connect / disconnect / events, solana:signTransaction), registered by the page,
// so the page signs through one path for every wallet — and the browser tests exercise the
// path a Phantom or Solflare user takes.
import {
  createKeyPairFromPrivateKeyBytes,
  getAddressEncoder,
  getAddressFromPublicKey,
  getTransactionDecoder,
  getTransactionEncoder,
  signBytes,
  type Address,
  type SignatureBytes,
} from '@solana/kit';
import {
  SolanaSignTransaction,
  type SolanaSignTransactionFeature,
  type SolanaSignTransactionInput,
} from '@solana/wallet-standard-features';
import type { Wallet, WalletAccount, WalletIcon } from '@wallet-standard/base';
import {
  StandardConnect,
  StandardDisconnect,
  StandardEvents,
  type StandardConnectFeature,
  type StandardDisconnectFeature,
  type StandardEventsFeature,
  type StandardEventsListeners,
} from '@wallet-standard/features';
import { ReadonlyWalletAccount, registerWallet } from '@wallet-standard/wallet';

export const DEV_WALLET_NAME = 'Sluice development wallet';
const STORAGE_KEY = 'sluice.devWallet.seed';
const CHAINS = ['solana:localnet'] as const;

const ICON_SVG =
  "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='6' fill='#b45309'/><text x='16' y='21' font-size='11' text-anchor='middle' fill='white' font-family='sans-serif'>DEV</text></svg>";
const ICON = `data:image/svg+xml;base64,${btoa(ICON_SVG)}` as WalletIcon;

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text: string) => new Uint8Array(text.match(/../g)!.map((h) => parseInt(h, 16)));

/** The stored 32-byte seed, or a new one (stored). */
function seed(): Uint8Array {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && /^[0-9a-f]{64}$/.test(stored)) return unhex(stored);
  const fresh = crypto.getRandomValues(new Uint8Array(32));
  localStorage.setItem(STORAGE_KEY, hex(fresh));
  return fresh;
}

class DevWallet implements Wallet {
  readonly version = '1.0.0' as const;
  readonly name = DEV_WALLET_NAME;
  readonly icon = ICON;
  readonly chains = CHAINS;
  #accounts: WalletAccount[] = [];
  #listeners: StandardEventsListeners['change'][] = [];
  #key: Promise<{ privateKey: CryptoKey; address: Address }> | null = null;

  get accounts() {
    return this.#accounts.slice();
  }

  get features(): StandardConnectFeature &
    StandardDisconnectFeature &
    StandardEventsFeature &
    SolanaSignTransactionFeature {
    return {
      [StandardConnect]: { version: '1.0.0', connect: () => this.#connect() },
      [StandardDisconnect]: { version: '1.0.0', disconnect: () => this.#disconnect() },
      [StandardEvents]: { version: '1.0.0', on: (event, listener) => this.#on(event, listener) },
      [SolanaSignTransaction]: {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy', 0],
        signTransaction: (...inputs) => this.#signTransaction(inputs),
      },
    };
  }

  #keypair() {
    this.#key ??= createKeyPairFromPrivateKeyBytes(seed()).then(async (pair) => ({
      privateKey: pair.privateKey,
      address: await getAddressFromPublicKey(pair.publicKey),
    }));
    return this.#key;
  }

  async #connect() {
    const { address } = await this.#keypair();
    if (this.#accounts.length === 0) {
      this.#accounts = [
        new ReadonlyWalletAccount({
          address,
          publicKey: new Uint8Array(getAddressEncoder().encode(address)),
          chains: CHAINS,
          features: [SolanaSignTransaction],
        }),
      ];
      this.#emit();
    }
    return { accounts: this.accounts };
  }

  async #disconnect() {
    this.#accounts = [];
    this.#emit();
  }

  #on<E extends keyof StandardEventsListeners>(event: E, listener: StandardEventsListeners[E]) {
    // 'change' is the only event the standard defines.
    if (event !== 'change') return () => undefined;
    const l = listener as StandardEventsListeners['change'];
    this.#listeners.push(l);
    return () => {
      this.#listeners = this.#listeners.filter((x) => x !== l);
    };
  }

  #emit() {
    for (const listener of this.#listeners) listener({ accounts: this.accounts });
  }

  async #signTransaction(inputs: readonly SolanaSignTransactionInput[]) {
    const { privateKey, address } = await this.#keypair();
    const decoder = getTransactionDecoder();
    const encoder = getTransactionEncoder();
    return Promise.all(
      inputs.map(async ({ account, transaction }) => {
        if (account.address !== address) throw new Error(`${DEV_WALLET_NAME} does not hold ${account.address}`);
        const decoded = decoder.decode(transaction);
        if (!(address in decoded.signatures)) throw new Error(`the transaction does not ask ${address} to sign`);
        const signature: SignatureBytes = await signBytes(privateKey, decoded.messageBytes);
        const signed = { ...decoded, signatures: { ...decoded.signatures, [address]: signature } };
        return { signedTransaction: new Uint8Array(encoder.encode(signed)) };
      }),
    );
  }
}

let registered = false;

/** Registers the development wallet (once per page). */
export function registerDevWallet() {
  if (registered) return;
  registered = true;
  registerWallet(new DevWallet());
}
