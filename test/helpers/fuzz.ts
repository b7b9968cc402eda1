/** Property-test sizes: a few thousand cases in CI; `npm run fuzz` multiplies them (QMPSH_FUZZ_SCALE). */
export function runs(base: number): number {
  const scale = Number(process.env.QMPSH_FUZZ_SCALE ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
