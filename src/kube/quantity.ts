// Kubernetes quantities ("250m", "1.5Gi", "12e3"): parsed exactly as fractions, rounded as resource.Quantity does.
import { KubeError } from './errors.ts'
import { received } from '../errors.ts'

/** A Kubernetes quantity as an exact fraction num/den (den > 0). */
export interface Fraction {
  num: bigint
  den: bigint
}

const SUFFIX: Record<string, Fraction> = {
  n: { num: 1n, den: 1_000_000_000n },
  u: { num: 1n, den: 1_000_000n },
  m: { num: 1n, den: 1000n },
  '': { num: 1n, den: 1n },
  k: { num: 1000n, den: 1n },
  M: { num: 10n ** 6n, den: 1n },
  G: { num: 10n ** 9n, den: 1n },
  T: { num: 10n ** 12n, den: 1n },
  P: { num: 10n ** 15n, den: 1n },
  E: { num: 10n ** 18n, den: 1n },
  Ki: { num: 1n << 10n, den: 1n },
  Mi: { num: 1n << 20n, den: 1n },
  Gi: { num: 1n << 30n, den: 1n },
  Ti: { num: 1n << 40n, den: 1n },
  Pi: { num: 1n << 50n, den: 1n },
  Ei: { num: 1n << 60n, den: 1n },
}

/** Parses a quantity ("250m", "123456789n", "1.5Gi", "12e3") exactly; throws KubeError naming the bad string. */
export function parseQuantityExact(q: string, what = 'quantity'): Fraction {
  const m =
    typeof q === 'string'
      ? /^([+-]?)(\d*)(?:\.(\d*))?(?:([numkMGTPE]|[KMGTPE]i)|[eE]([+-]?\d+))?$/.exec(q.trim())
      : null
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
    throw new KubeError(
      'invalid',
      `${what}: expected a Kubernetes quantity like "250m", "128974848" or "129Mi", received ${received(q)}`,
    )
  }
  const frac = m[3] ?? ''
  let num = BigInt(`${m[2] || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n)
  let den = 10n ** BigInt(frac.length)
  const s = SUFFIX[m[4] ?? '']
  num *= s.num
  den *= s.den
  if (m[5] !== undefined) {
    // 10n ** 10n ** 8n takes seconds and gigabytes: far beyond any resource amount, so refused (found by fuzzing)
    if (!/^[+-]?\d{1,4}$/.test(m[5]) || Math.abs(Number(m[5])) > 1000)
      throw new KubeError(
        'invalid',
        `${what}: the exponent of ${JSON.stringify(q.slice(0, 40))} is out of range (at most e±1000)`,
      )
    const e = BigInt(m[5])
    if (e >= 0n) num *= 10n ** e
    else den *= 10n ** -e
  }
  return { num, den }
}

/** a + b, exactly. */
export const addQuantities = (a: Fraction, b: Fraction): Fraction => ({
  num: a.num * b.den + b.num * a.den,
  den: a.den * b.den,
})
const ceilDiv = (n: bigint, d: bigint): bigint => (n >= 0n ? (n + d - 1n) / d : n / d)
/** Value rounded up to an integer, as resource.Quantity.Value() does. */
export const ceilValue = (f: Fraction): number => Number(ceilDiv(f.num, f.den))
/** Value x1000 rounded up, as resource.Quantity.MilliValue() does. */
export const ceilMilli = (f: Fraction): number => Number(ceilDiv(f.num * 1000n, f.den))

/** A quantity as a number ("250m" → 0.25, "1Gi" → 1073741824, "1.5k" → 1500); throws KubeError naming a bad string. */
export function parseQuantity(q: string): number {
  const f = parseQuantityExact(q)
  return Number(f.num) / Number(f.den)
}
