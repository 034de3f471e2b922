// Node sets as clush and pdsh write them: lab-ssh-[1-20,25] for lab-ssh-1 … lab-ssh-20 and lab-ssh-25.
// foldNodes compresses a list of names, expandNodes reads such a set back. Pure.
import { HintedError, received } from '../errors.ts'

/** At most this many names come out of one expansion (a typo like [1-1000000] is an error, not a hang). */
export const MAX_EXPANSION = 100_000

/** A node set that cannot be read: names the part and what was expected. */
export class NodeSetError extends HintedError<'invalid'> {
  override name = 'NodeSetError'
}

interface Split {
  prefix: string
  digits: string
  suffix: string
}

// The last run of digits in a name is the one that folds (lab-2-node-07 folds on 07).
function split(name: string): Split | undefined {
  const m = /^(.*?)(\d+)(\D*)$/s.exec(name)
  return m ? { prefix: m[1], digits: m[2], suffix: m[3] } : undefined
}

// 007 keeps its width; 7 and 70 are unpadded and fold together.
const padWidth = (digits: string) => (digits.length > 1 && digits.startsWith('0') ? digits.length : 0)

function ranges(nums: number[], width: number): string {
  const pad = (n: number) => String(n).padStart(width, '0')
  const out: string[] = []
  for (let i = 0; i < nums.length;) {
    let j = i
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++
    out.push(j === i ? pad(nums[i]) : `${pad(nums[i])}-${pad(nums[j])}`)
    i = j + 1
  }
  return out.join(',')
}

/**
 * Compresses node names into a set: `['lab-ssh-1', 'lab-ssh-2', 'lab-ssh-3', 'lab-1']` → `lab-1,lab-ssh-[1-3]`. Names
 * fold on their last number, zero padding is kept (`n[01-03]`), duplicates count once, groups are sorted by prefix.
 */
export function foldNodes(names: readonly string[]): string {
  if (!Array.isArray(names))
    throw new NodeSetError('invalid', `foldNodes: expected an array of node names, received ${received(names)}`)
  const groups = new Map<string, { prefix: string; suffix: string; width: number; nums: Set<number> }>()
  const plain = new Set<string>()
  for (const name of names) {
    if (typeof name !== 'string')
      throw new NodeSetError('invalid', `foldNodes: expected node names (strings), received ${received(name)}`)
    const s = split(name)
    if (!s || s.digits.length > 15) {
      plain.add(name)
      continue
    }
    const width = padWidth(s.digits)
    const key = JSON.stringify([s.prefix, s.suffix, width])
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { prefix: s.prefix, suffix: s.suffix, width, nums: new Set() }))
    g.nums.add(Number(s.digits))
  }
  // 10 after 08 and 09 belongs to their padded group (its width is the padding).
  for (const g of groups.values()) {
    if (g.width !== 0) continue
    for (const n of [...g.nums]) {
      const padded = groups.get(JSON.stringify([g.prefix, g.suffix, String(n).length]))
      if (padded) {
        padded.nums.add(n)
        g.nums.delete(n)
      }
    }
  }
  const parts: { sort: string; first: number; text: string }[] = [...plain].map((p) => ({
    sort: p,
    first: -1,
    text: p,
  }))
  for (const g of groups.values()) {
    if (!g.nums.size) continue
    const nums = [...g.nums].sort((a, b) => a - b)
    const text =
      nums.length === 1
        ? `${g.prefix}${String(nums[0]).padStart(g.width, '0')}${g.suffix}`
        : `${g.prefix}[${ranges(nums, g.width)}]${g.suffix}`
    parts.push({ sort: `${g.prefix}\u0000${g.suffix}\u0000${g.width}`, first: nums[0], text })
  }
  parts.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : a.first - b.first))
  return parts.map((p) => p.text).join(',')
}

// Splits on commas outside brackets.
function items(set: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of set) {
    if (ch === '[') depth++
    if (ch === ']') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

/**
 * Expands a node set written as foldNodes writes it (also several items separated by commas): `lab-ssh-[1-3,7]` →
 * lab-ssh-1, lab-ssh-2, lab-ssh-3, lab-ssh-7; `n[08-10]` → n08, n09, n10. Order is kept, duplicates dropped.
 */
export function expandNodes(set: string): string[] {
  if (typeof set !== 'string' || set.trim() === '')
    throw new NodeSetError(
      'invalid',
      `node set: expected names like lab-1 or lab-ssh-[1-20,25], received ${received(set)}`,
    )
  const out = new Set<string>()
  for (const raw of items(set.trim())) {
    const item = raw.trim()
    const bad = (why: string) =>
      new NodeSetError(
        'invalid',
        `node set ${JSON.stringify(set)}: ${why}`,
        'write names like lab-1, lab-ssh-[1-20,25] or n[01-10] (one bracket per name, ranges a-b with a ≤ b)',
      )
    if (item === '') throw bad('an empty name between commas')
    const m = /^([^[\]]*)\[([^[\]]*)\]([^[\]]*)$/.exec(item)
    if (!m) {
      if (/[[\]]/.test(item)) throw bad(`${JSON.stringify(item)} has unbalanced or nested brackets`)
      out.add(item)
      continue
    }
    const [, prefix, body, suffix] = m
    for (const r of body.split(',')) {
      const rm = /^(\d+)(?:-(\d+))?$/.exec(r.trim())
      if (!rm) throw bad(`${JSON.stringify(r)} in ${JSON.stringify(item)} is not a number or a range a-b`)
      const width = padWidth(rm[1])
      const a = Number(rm[1])
      const b = rm[2] === undefined ? a : Number(rm[2])
      if (b < a) throw bad(`the range ${r.trim()} runs backwards`)
      if (b - a + 1 + out.size > MAX_EXPANSION) throw bad(`more than ${MAX_EXPANSION} names`)
      for (let n = a; n <= b; n++) out.add(`${prefix}${String(n).padStart(width, '0')}${suffix}`)
    }
  }
  return [...out]
}
