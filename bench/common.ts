// What every benchmark shares: its bounded command-line counts, and the median it reports.

/** process.argv[i] as a number within [min, max], or the default when it is missing or not a number (a request loop
 * stays bounded whatever is typed). */
export function countArg(i: number, fallback: number, min: number, max: number): number {
  return Math.min(Math.max(Number(process.argv[i] ?? fallback) || fallback, min), max)
}

/** The median of the samples (the mean of the middle two when their count is even). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
