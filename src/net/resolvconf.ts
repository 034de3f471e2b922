// resolv.conf as the C resolvers read it, and the list of names they try for a query (glibc and musl rules). Pure.
import { isIP } from 'node:net'

/** A parsed resolv.conf. */
export interface ResolvConf {
  /** At most 3 are used (MAXNS). */
  nameservers: string[]
  /** The search list (the last `search` or `domain` line wins). */
  search: string[]
  /** options ndots:N (default 1, at most 15). */
  ndots: number
  /** options timeout:N seconds (default 5, at most 30). */
  timeout: number
  /** options attempts:N (default 2, at most 5). */
  attempts: number
  rotate: boolean
  /** options no-tld-query (glibc): a name without dots is never tried as is. */
  noTldQuery: boolean
  /** Every option as written. */
  options: string[]
  /** Nameservers beyond the third, ignored by the resolver. */
  ignoredNameservers: string[]
}

/** Parses resolv.conf text: comments (# ;), nameserver (addresses only), search/domain, options; out-of-range values are clamped. */
export function parseResolvConf(text: string): ResolvConf {
  const rc: ResolvConf = {
    nameservers: [],
    search: [],
    ndots: 1,
    timeout: 5,
    attempts: 2,
    rotate: false,
    noTldQuery: false,
    options: [],
    ignoredNameservers: [],
  }
  const all: string[] = []
  for (const raw of text.split('\n')) {
    const hash = raw.search(/[#;]/) // not /[#;].*$/: quadratic on a run of '#' before a stray \r
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim()
    if (!line) continue
    const [key, ...rest] = line.split(/\s+/)
    if (key === 'nameserver' && rest[0] && isIP(rest[0]))
      all.push(rest[0]) // glibc skips a nameserver that is not an address
    else if (key === 'search') rc.search = rest
    else if (key === 'domain' && rest[0]) rc.search = [rest[0]]
    else if (key === 'options') {
      for (const o of rest) {
        rc.options.push(o)
        const m = /^(ndots|timeout|attempts):(\d+)$/.exec(o)
        if (m) {
          const n = Number(m[2])
          if (m[1] === 'ndots') rc.ndots = Math.min(n, 15)
          else if (m[1] === 'timeout') rc.timeout = Math.max(1, Math.min(n, 30))
          else rc.attempts = Math.max(1, Math.min(n, 5))
        } else if (o === 'rotate') rc.rotate = true
        else if (o === 'no-tld-query') rc.noTldQuery = true
      }
    }
  }
  rc.nameservers = all.slice(0, 3)
  rc.ignoredNameservers = all.slice(3)
  rc.search = rc.search.map((d) => d.replace(/\.$/, '')).filter((d, i, a) => d !== '' && a.indexOf(d) === i)
  return rc
}

/** Which C library's rules to follow. */
export type ResolverKind = 'glibc' | 'musl'

/** One name the resolver would query, and why. */
export interface Candidate {
  /** The absolute name, without the trailing dot. */
  name: string
  /** 'as-is' or the search domain appended. */
  via: string
}

/** Counts the dots of a name (a trailing dot not included). */
export function countDots(name: string): number {
  return (name.replace(/\.$/, '').match(/\./g) ?? []).length
}

/**
 * The names a resolver tries, in order, before it gives up:
 * - a trailing dot means absolute: only the name itself;
 * - glibc: dots >= ndots -> the name as is first, then each search domain; fewer dots -> each search domain, then
 *   the name as is (unless no-tld-query and the name has no dot);
 * - musl: dots >= ndots -> only the name as is; fewer -> each search domain, then the name as is.
 * Which of them are really sent also depends on the answers (see nextIndex).
 */
export function searchCandidates(
  name: string,
  rc: Pick<ResolvConf, 'ndots' | 'search' | 'noTldQuery'>,
  kind: ResolverKind = 'glibc',
): Candidate[] {
  if (name.endsWith('.')) return [{ name: name.slice(0, -1), via: 'as-is' }]
  const dots = countDots(name)
  const search = rc.search.filter((d) => d !== '' && d !== '.').map((d) => ({ name: `${name}.${d}`, via: d }))
  const asIs: Candidate = { name, via: 'as-is' }
  if (dots >= rc.ndots) return kind === 'musl' ? [asIs] : [asIs, ...search]
  const tail = kind === 'glibc' && rc.noTldQuery && dots === 0 ? [] : [asIs]
  return [...search, ...tail]
}

/** The outcome of one candidate, as the resolver sees it. */
export type Outcome = 'answer' | 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'TIMEOUT' | 'REFUSED' | 'CONNREFUSED' | 'OTHER'

/**
 * Which candidate the resolver queries next after candidate i ended with this outcome (undefined: it stops).
 * glibc (res_nsearch): after the name as is came first (dots >= ndots) the search list follows whatever happened;
 * in the search list NXDOMAIN, NODATA and SERVFAIL go on to the next domain, a refused connection gives up, and
 * anything else (timeout, REFUSED…) ends the search list but still tries the name as is if it comes later.
 * musl: only NXDOMAIN goes on; anything else ends the lookup.
 */
export function nextIndex(
  cands: readonly Candidate[],
  i: number,
  outcome: Outcome,
  kind: ResolverKind,
): number | undefined {
  if (outcome === 'answer' || i + 1 >= cands.length) return undefined
  if (kind === 'musl') return outcome === 'NXDOMAIN' ? i + 1 : undefined
  if (cands[i].via === 'as-is') return i + 1
  if (outcome === 'CONNREFUSED') return undefined
  if (outcome === 'NXDOMAIN' || outcome === 'NODATA' || outcome === 'SERVFAIL') return i + 1
  const asIs = cands.findIndex((c, k) => k > i && c.via === 'as-is')
  return asIs >= 0 ? asIs : undefined
}
