// OpenSSH patterns: `*` and `?` wildcards with `!` negation (Host, Match), and glob(3) file patterns (Include).

/** True when str matches one pattern (`*` any run, `?` one character); case-insensitive unless told otherwise. */
export function matchGlob(pattern: string, str: string, ignoreCase = true): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern
  const s = ignoreCase ? str.toLowerCase() : str
  // Iterative wildcard match with backtracking to the last `*`.
  let pi = 0
  let si = 0
  let star = -1
  let mark = 0
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++
      si++
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++
      mark = si
    } else if (star !== -1) {
      pi = star + 1
      si = ++mark
    } else {
      return false
    }
  }
  while (pi < p.length && p[pi] === '*') pi++
  return pi === p.length
}

/**
 * Matches str against a list of patterns the way OpenSSH's match_pattern_list does: 'negated' when any `!pattern`
 * matches (that overrides everything), 'match' when a positive pattern matches, otherwise 'none'.
 */
export function matchPatternList(
  patterns: readonly string[],
  str: string,
  ignoreCase = true,
): 'match' | 'negated' | 'none' {
  let positive = false
  for (const raw of patterns) {
    if (raw.startsWith('!')) {
      if (matchGlob(raw.slice(1), str, ignoreCase)) return 'negated'
    } else if (matchGlob(raw, str, ignoreCase)) {
      positive = true
    }
  }
  return positive ? 'match' : 'none'
}

/** True when a path component has glob(3) magic: `*`, `?` or a `[...]` class. */
export function hasGlobMagic(component: string): boolean {
  return /[*?[]/.test(component)
}

/**
 * fnmatch(3) for one path component as glob(3) uses it: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`/`[^x]`, backslash
 * escapes; a leading dot must be matched literally. Case-sensitive.
 */
export function fnmatch(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.') && !pattern.startsWith('\\.')) return false
  const memo = new Map<string, boolean>()
  const go = (pi: number, si: number): boolean => {
    const key = `${pi},${si}`
    const hit = memo.get(key)
    if (hit !== undefined) return hit
    let r: boolean
    if (pi === pattern.length) r = si === name.length
    else {
      const c = pattern[pi]
      if (c === '*') r = go(pi + 1, si) || (si < name.length && go(pi, si + 1))
      else if (si === name.length) r = false
      else if (c === '?') r = go(pi + 1, si + 1)
      else if (c === '[') {
        const cls = bracket(pattern, pi)
        r = cls ? cls.test(name[si]) && go(cls.end, si + 1) : name[si] === '[' && go(pi + 1, si + 1)
      } else if (c === '\\' && pi + 1 < pattern.length) r = name[si] === pattern[pi + 1] && go(pi + 2, si + 1)
      else r = name[si] === c && go(pi + 1, si + 1)
    }
    memo.set(key, r)
    return r
  }
  return go(0, 0)
}

// A `[...]` class starting at pattern[at]: its test and the index after `]`, or null when it is not closed.
function bracket(pattern: string, at: number): { test: (ch: string) => boolean; end: number } | null {
  let i = at + 1
  const neg = pattern[i] === '!' || pattern[i] === '^'
  if (neg) i++
  const ranges: [string, string][] = []
  let first = true
  while (i < pattern.length && (pattern[i] !== ']' || first)) {
    first = false
    let lo = pattern[i]
    if (lo === '\\' && i + 1 < pattern.length) lo = pattern[++i]
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      let hi = pattern[i + 2]
      i += 2
      if (hi === '\\' && i + 1 < pattern.length) hi = pattern[++i]
      ranges.push([lo, hi])
    } else ranges.push([lo, lo])
    i++
  }
  if (i >= pattern.length) return null
  return { test: (ch) => ranges.some(([a, b]) => ch >= a && ch <= b) !== neg, end: i + 1 }
}
