// OpenSSH host patterns: `*` and `?` wildcards, `!` negation, case-insensitive.

/** True when str matches one glob pattern (`*` any run, `?` one character); ignores case unless told. */
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
 * Matches str against a list of patterns the way OpenSSH does: 'negated' when any `!pattern` matches
 * (that overrides everything), 'match' when a positive pattern matches, otherwise 'none'.
 */
export function matchPatternList(patterns: readonly string[], str: string): 'match' | 'negated' | 'none' {
  let positive = false
  for (const raw of patterns) {
    if (raw.startsWith('!')) {
      if (matchGlob(raw.slice(1), str)) return 'negated'
    } else if (matchGlob(raw, str)) {
      positive = true
    }
  }
  return positive ? 'match' : 'none'
}
