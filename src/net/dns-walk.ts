// dnsQuery's queries: one name through getent, or each search candidate in turn through dig or nslookup, every
// nameserver per round, as the pod's resolver walks them; and the notes that explain what the walk showed.
import { performance } from 'node:perf_hooks'
import type { NodeHandle } from '../exec/node.ts'
import type { ExecOutput, RunOptions } from '../exec/types.ts'
import { NetError } from './errors.ts'
import { countDots, nextIndex, type Candidate, type ResolvConf, type ResolverKind } from './resolvconf.ts'
import {
  digArgv,
  getentArgv,
  nslookupArgv,
  outcomeOf,
  parseDig,
  parseGetent,
  parseNslookup,
  type QueryResult,
} from './dnsparse.ts'
import type { DnsAttempt, DnsTool } from './types.ts'

/** Where queries run: the command runner, the filesystem root of the resolv.conf, and labels. */
export interface Origin {
  from: string
  node: string
  handle: NodeHandle
  root: string
  query: (argv: string[], opts: RunOptions) => Promise<ExecOutput>
  notes: string[]
}

/** What the walk asks: the candidates, the nameservers, the per-query timeout (s) and the rounds over the servers. */
export interface Walk {
  name: string
  type: string
  tool: DnsTool
  resolver: ResolverKind
  candidates: Candidate[]
  servers: string[]
  timeout: number
  rounds: number
  /** A server given by the caller (getent cannot ask one). */
  server?: string
}

const RETRY_NEXT_SERVER = new Set(['TIMEOUT', 'CONNREFUSED', 'ERROR', 'SERVFAIL', 'REFUSED', 'NOTIMP'])
const MAX_QUERIES = 40

function runOne(tool: DnsTool, out: ExecOutput, name: string): QueryResult {
  if (tool === 'dig') return parseDig(out.stdout + out.stderr)
  if (tool === 'nslookup') return parseNslookup(out.stdout + out.stderr)
  return parseGetent(out.stdout, out.exitCode, name)
}

/** Every query the walk made, in order; notes say where it stopped early or what getent cannot show. */
export function runWalk(o: Origin, w: Walk, notes: string[]): Promise<DnsAttempt[]> {
  return w.tool === 'getent' ? getentOnce(o, w, notes) : walkCandidates(o, w, notes)
}

// getent asks the node's NSS once, for A or AAAA, with no server of its own.
async function getentOnce(o: Origin, w: Walk, notes: string[]): Promise<DnsAttempt[]> {
  if (w.server)
    throw new NetError(
      'tool',
      `getent cannot ask a given server (${w.server}), and dig and nslookup are missing on ${o.node}`,
      `install dnsutils on ${o.node}`,
    )
  if (w.type !== 'A' && w.type !== 'AAAA')
    throw new NetError(
      'tool',
      `getent can only look up A and AAAA records, not ${w.type}; dig and nslookup are missing on ${o.node}`,
      `install dnsutils on ${o.node}`,
    )
  notes.push(
    "getent asks the node's NSS resolver in one call: no per-candidate rcodes, and it reads the node's /etc/resolv.conf and nsswitch.conf, not the pod's",
  )
  const bare = w.name.replace(/\.$/, '')
  const s = performance.now()
  const out = await o.query(getentArgv(bare, w.type), {
    nothrow: true,
    timeoutMs: (w.timeout * w.rounds * Math.max(w.candidates.length, 1) + 10) * 1000,
  })
  return [
    { n: 1, name: bare, via: 'getent', to: 'nss', elapsedMs: performance.now() - s, ...runOne('getent', out, w.name) },
  ]
}

// Each candidate in the resolver's order: every server per round until one answers for it, then the next candidate
// as the resolver would choose it (none after an answer); at most MAX_QUERIES queries.
async function walkCandidates(o: Origin, w: Walk, notes: string[]): Promise<DnsAttempt[]> {
  const attempts: DnsAttempt[] = []
  let i: number | undefined = 0
  walk: while (i !== undefined) {
    const cand: Candidate = w.candidates[i]
    let last: QueryResult | undefined
    for (let round = 0; round < w.rounds; round++) {
      for (const server of w.servers) {
        if (attempts.length >= MAX_QUERIES) {
          notes.push(`stopped after ${MAX_QUERIES} queries`)
          break walk
        }
        const argv =
          w.tool === 'dig'
            ? digArgv(cand.name, w.type, server, w.timeout)
            : nslookupArgv(cand.name, w.type, server, w.timeout)
        const s = performance.now()
        const out = await o.query(argv, { nothrow: true, timeoutMs: (w.timeout + 10) * 1000 })
        last = runOne(w.tool, out, cand.name)
        if (out.exitCode === 124 && last.rcode === 'ERROR')
          last = { ...last, rcode: 'TIMEOUT', error: `${w.tool} did not finish in time` }
        attempts.push({
          n: attempts.length + 1,
          name: cand.name,
          via: cand.via,
          to: server,
          elapsedMs: performance.now() - s,
          ...last,
        })
        if (!RETRY_NEXT_SERVER.has(last.rcode)) break
      }
      if (last && !RETRY_NEXT_SERVER.has(last.rcode)) break
    }
    i = last ? nextIndex(w.candidates, i, outcomeOf(last), w.resolver) : undefined
  }
  return attempts
}

/** Notes on what the walk shows: NXDOMAINs the search list cost before the answer, and timeouts. */
export function walkNotes(name: string, attempts: DnsAttempt[], rc: ResolvConf | undefined, tool: DnsTool): string[] {
  const notes: string[] = []
  const final = attempts[attempts.length - 1]
  const resolved = final !== undefined && outcomeOf(final) === 'answer'
  const misses = attempts.filter((a) => a.rcode === 'NXDOMAIN').length
  if (resolved && misses && rc && tool !== 'getent') {
    const why =
      !name.endsWith('.') && countDots(name) < rc.ndots
        ? `"${name}" has ${countDots(name)} dot(s), fewer than ndots:${rc.ndots}, so the search list is tried first`
        : 'the search list was walked'
    notes.push(
      `${misses} NXDOMAIN before the answer: ${why}; use the full name with a trailing dot ("${final.name}.") or lower ndots in the pod's dnsConfig to skip them`,
    )
  }
  if (attempts.some((a) => a.rcode === 'TIMEOUT'))
    notes.push(
      'TIMEOUT: no answer from the nameserver in time; is the DNS service up (endpoints of kube-dns), and is UDP 53 allowed?',
    )
  return notes
}
