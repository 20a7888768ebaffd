// What the property tests share: a deterministic PRNG (xorshift64), the same cases on every run.
const U64_MAX = (1n << 64n) - 1n;

/** `below(n)` is in 0..n−1; `int(n)` the same as a number. */
export function prng(seed: bigint) {
  let x = seed;
  const next = () => {
    x ^= (x << 13n) & U64_MAX;
    x ^= x >> 7n;
    x ^= (x << 17n) & U64_MAX;
    return x;
  };
  return { below: (n: bigint) => next() % n, int: (n: number) => Number(next() % BigInt(n)) };
}
