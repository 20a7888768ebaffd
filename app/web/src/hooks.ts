import { useCallback, useEffect, useRef, useState } from 'react';
import { address, fetchEncodedAccount, getI64Decoder } from '@solana/kit';

import type { Connection } from './cluster';

export type Loaded<T> = { data: T | null; error: string | null; loading: boolean; reload: () => void };

/** Runs `load` now, whenever `deps` change, on reload(), and every `pollMs` (0: never). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs = 0): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => run === latest.current && setState({ data, error: null, loading: false }),
      (error: unknown) =>
        run === latest.current &&
        setState((s) => ({
          data: s.data,
          error: error instanceof Error ? error.message : String(error),
          loading: false,
        })),
    );
    // `load` is a new closure every render: the caller's deps say when it changes.
  }, [...deps, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const id = setInterval(() => setTick((t) => t + 1), pollMs);
    return () => clearInterval(id);
  }, [pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

const CLOCK = address('SysvarC1ock11111111111111111111111111111111');

/** The cluster's unix time (the Clock sysvar): on a localnet it may run ahead of the wall clock. */
export async function clusterNow(conn: Connection): Promise<bigint> {
  const clock = await fetchEncodedAccount(conn.rpc, CLOCK);
  if (!clock.exists) return BigInt(Math.floor(Date.now() / 1000));
  return getI64Decoder().decode(clock.data.slice(32, 40));
}

/** The URL hash as a route: `#/` or `#/pool/<address>`. */
export function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
