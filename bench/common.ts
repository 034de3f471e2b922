// Command-line counts of the benchmarks: process.argv[i] as a number within [min, max], or the default when it is
// missing or not a number (a request loop stays bounded whatever is typed).
export function countArg(i: number, fallback: number, min: number, max: number): number {
  return Math.min(Math.max(Number(process.argv[i] ?? fallback) || fallback, min), max)
}
