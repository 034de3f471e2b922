// dnsQuery: resolve a name the way a pod's resolver would (its resolv.conf, ndots, search list), one query per candidate.
import type { NodeHandle } from '../exec/node.ts'
import type { ExecOutput, RunOptions } from '../exec/types.ts'
import { present } from '../present.ts'
import { discoverPid } from './discover.ts'
import { optionsProblem, received } from '../errors.ts'
import { isDnsName } from '../names.ts'
import { NetError } from './errors.ts'
import { enterNetns } from './netns.ts'
import { fetchPod, hostNetworkError, nodeName, onNode, rootOn, type NetSession, type PodArg } from './pods.ts'
import {
  countDots,
  nextIndex,
  parseResolvConf,
  searchCandidates,
  type Candidate,
  type ResolvConf,
  type ResolverKind,
} from './resolvconf.ts'
import {
  DNS_TYPES,
  digArgv,
  getentArgv,
  nslookupArgv,
  outcomeOf,
  parseDig,
  parseGetent,
  parseNslookup,
  type QueryResult,
} from './dnsparse.ts'
import { DNS_RESULT, type DnsAttempt, type DnsResult, type DnsTool } from './types.ts'

export type { DnsAttempt, DnsResult, DnsTool } from './types.ts'

/** Options of dnsQuery. */
export interface DnsQueryOptions {
  /** Where to query from: a pod ("client", "shop/client", a Pod) or a node (node('lab-1') or {node: 'lab-1'}). */
  from?: PodArg | NodeHandle | { node: string }
  /** Record type (default A). */
  type?: string
  /** Ask this server once for the name as given (no search list). */
  server?: string
  /** Force a tool (default: dig, else nslookup, else getent). */
  tool?: DnsTool
  /** Search rules (default auto: musl when the pod's filesystem has ld-musl, else glibc). */
  resolver?: ResolverKind | 'auto'
  /** Per-query timeout in seconds (default: resolv.conf's timeout). */
  timeout?: number
  /** Rounds over the nameservers per candidate (default: resolv.conf's attempts). */
  attempts?: number
}

/** Run with `sh -s -- ROOT`: libc of ROOT, the lookup tools of the node, then ROOT/etc/resolv.conf. */
export const PROBE_SCRIPT = `r=$1
libc=unknown
for f in "$r"/lib/ld-musl-*.so.1 "$r"/usr/lib/ld-musl-*.so.1; do [ -e "$f" ] && libc=musl && break; done
if [ $libc = unknown ]; then
  for f in "$r"/lib/*/libc.so.6 "$r"/lib64/libc.so.6 "$r"/lib/libc.so.6 "$r"/usr/lib/*/libc.so.6 "$r"/usr/lib64/libc.so.6; do [ -e "$f" ] && libc=glibc && break; done
fi
echo "#kinspect libc $libc"
for t in dig nslookup getent; do p=$(command -v $t 2>/dev/null) && echo "#kinspect tool $t $p"; done
if [ -e "$r/etc/resolv.conf" ]; then echo "#kinspect resolv.conf"; cat "$r/etc/resolv.conf"; else echo "#kinspect no resolv.conf"; fi
`

/** Reads PROBE_SCRIPT's output. Pure. */
export function parseProbe(text: string): {
  libc: ResolverKind | 'unknown'
  tools: Partial<Record<DnsTool, string>>
  resolv?: string
} {
  const libc = /^#kinspect libc (\w+)$/m.exec(text)?.[1]
  const tools: Partial<Record<DnsTool, string>> = {}
  for (const m of text.matchAll(/^#kinspect tool (dig|nslookup|getent) (\S+)$/gm)) tools[m[1] as DnsTool] = m[2]
  const i = text.indexOf('#kinspect resolv.conf\n')
  return {
    libc: libc === 'musl' || libc === 'glibc' ? libc : 'unknown',
    tools,
    resolv: i >= 0 ? text.slice(i + '#kinspect resolv.conf\n'.length) : undefined,
  }
}

const RETRY_NEXT_SERVER = new Set(['TIMEOUT', 'CONNREFUSED', 'ERROR', 'SERVFAIL', 'REFUSED', 'NOTIMP'])
const MAX_QUERIES = 40

function isNodeArg(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false
  if ('pid' in v || 'metadata' in v) return false // a NetnsHandle or a Pod
  return (
    (typeof (v as { run?: unknown }).run === 'function' && typeof (v as { target?: unknown }).target === 'string') ||
    typeof (v as { node?: unknown }).node === 'string'
  )
}

/** Validates dnsQuery's arguments (NetError 'invalid' naming the bad one). Pure. */
export function checkDnsArgs(name: unknown, opts: unknown): asserts opts is DnsQueryOptions {
  if (!isDnsName(name))
    throw new NetError(
      'invalid',
      `name: expected a DNS name like "web" or "web.shop.svc.cluster.local.", received ${received(name)}`,
    )
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    throw new NetError('invalid', `options: expected an object like {from: 'client'}, received ${received(opts)}`)
  const unknown = optionsProblem(opts, ['from', 'type', 'server', 'tool', 'resolver', 'timeout', 'attempts'], 'options')
  if (unknown) throw new NetError('invalid', unknown, "e.g. dnsQuery('web', {from: 'client', type: 'A'})")
  const o = opts as DnsQueryOptions
  if (o.from === undefined)
    throw new NetError(
      'invalid',
      'from: dnsQuery needs a pod or node to query from',
      "e.g. dnsQuery('web', {from: 'client'}) or dnsQuery('web', {from: node('lab-1')})",
    )
  if (
    o.type !== undefined &&
    (typeof o.type !== 'string' || !(DNS_TYPES as readonly string[]).includes(o.type.toUpperCase()))
  )
    throw new NetError('invalid', `type: expected one of ${DNS_TYPES.join(', ')}, received ${received(o.type)}`)
  if (o.server !== undefined && (typeof o.server !== 'string' || !/^[0-9a-fA-F:.]+$/.test(o.server)))
    throw new NetError('invalid', `server: expected a nameserver IP address, received ${received(o.server)}`)
  if (o.tool !== undefined && !['dig', 'nslookup', 'getent'].includes(o.tool))
    throw new NetError('invalid', `tool: expected "dig", "nslookup" or "getent", received ${received(o.tool)}`)
  if (o.resolver !== undefined && !['glibc', 'musl', 'auto'].includes(o.resolver))
    throw new NetError('invalid', `resolver: expected "glibc", "musl" or "auto", received ${received(o.resolver)}`)
  for (const k of ['timeout', 'attempts'] as const) {
    const v = o[k]
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 30))
      throw new NetError('invalid', `${k}: expected a whole number from 1 to 30, received ${received(v)}`)
  }
}

/** Where queries run: the command runner, the filesystem root of the resolv.conf, and labels. */
interface Origin {
  from: string
  node: string
  handle: NodeHandle
  root: string
  query: (argv: string[], opts: RunOptions) => Promise<ExecOutput>
  notes: string[]
}

async function originOf(session: NetSession, from: unknown): Promise<Origin> {
  if (isNodeArg(from)) {
    const node = nodeName(from, 'from')
    await session.load?.()
    const handle = rootOn(session, node)
    return {
      from: `node ${node}`,
      node,
      handle,
      root: '',
      query: (argv, o) => onNode(node, 'dnsQuery', () => handle.run(argv, o)),
      notes: [],
    }
  }
  const ref = await fetchPod(session, from, 'from')
  if (ref.hostNetwork) {
    if (!ref.node) throw hostNetworkError(ref, 'it has no node to query from yet')
    const handle = rootOn(session, ref.node)
    const notes = [`pod ${ref.key} uses hostNetwork: the queries leave from the node's network namespace`]
    let root = ''
    try {
      root = `/proc/${(await onNode(ref.node, 'dnsQuery', () => discoverPid(handle, ref))).pid}/root`
    } catch {
      notes.push(`no process of ${ref.key} found: using the node's /etc/resolv.conf`)
    }
    return {
      from: `pod ${ref.key}`,
      node: ref.node,
      handle,
      root,
      query: (argv, o) => onNode(ref.node!, 'dnsQuery', () => handle.run(argv, o)),
      notes,
    }
  }
  const ns = await enterNetns(session, from as PodArg)
  return {
    from: `pod ${ns.pod}`,
    node: ns.node,
    handle: ns.nodeHandle,
    root: `/proc/${ns.pid}/root`,
    query: (argv, o) => ns.run(argv, o),
    notes: [],
  }
}

function runOne(tool: DnsTool, out: ExecOutput, name: string): QueryResult {
  if (tool === 'dig') return parseDig(out.stdout + out.stderr)
  if (tool === 'nslookup') return parseNslookup(out.stdout + out.stderr)
  return parseGetent(out.stdout, out.exitCode, name)
}

/** Resolves name from a pod (or node) as its resolver would, recording every query; timeouts are results, not errors. */
export async function dnsQuery(session: NetSession, name: string, opts: DnsQueryOptions = {}): Promise<DnsResult> {
  checkDnsArgs(name, opts)
  const type = (opts.type ?? 'A').toUpperCase()
  const o = await originOf(session, opts.from)
  const probeOut = await onNode(o.node, 'dnsQuery', () =>
    o.handle.sh(PROBE_SCRIPT, [o.root], { nothrow: true, timeoutMs: 15_000 }),
  )
  const probe = parseProbe(probeOut.stdout)
  const notes = [...o.notes]
  const tool = opts.tool ?? (['dig', 'nslookup', 'getent'] as const).find((t) => probe.tools[t])
  if (!tool || !probe.tools[tool]) {
    throw new NetError(
      'tool',
      opts.tool
        ? `${opts.tool} is not installed on ${o.node}`
        : `none of dig, nslookup, getent is installed on ${o.node}`,
      `install dnsutils/bind-utils on ${o.node}; dnsQuery runs the node's tools inside the pod's netns`,
    )
  }
  if (tool !== 'dig')
    notes.push(opts.tool ? `used ${tool} as asked` : `dig is not installed on ${o.node}: used ${tool}`)

  let resolver: ResolverKind = 'glibc'
  let resolverFrom: DnsResult['resolverFrom'] = 'assumed'
  if (opts.resolver && opts.resolver !== 'auto') [resolver, resolverFrom] = [opts.resolver, 'option']
  else if (probe.libc !== 'unknown') [resolver, resolverFrom] = [probe.libc, 'detected']
  else if (!opts.server)
    notes.push(
      'no libc found in the pod filesystem (static or distroless binaries): candidates follow glibc rules; Go programs search the same way',
    )

  let rc: ResolvConf | undefined
  let cands: Candidate[]
  let servers: string[]
  if (opts.server) {
    cands = [{ name: name.replace(/\.$/, ''), via: 'server' }]
    servers = [opts.server]
  } else {
    if (probe.resolv === undefined)
      throw new NetError(
        'tool',
        `${o.root || ''}/etc/resolv.conf does not exist for ${o.from}`,
        'pass {server: IP} to query a nameserver directly',
      )
    rc = parseResolvConf(probe.resolv)
    cands = searchCandidates(name, rc, resolver)
    servers = rc.nameservers.length ? rc.nameservers : ['127.0.0.1']
    if (!rc.nameservers.length) notes.push('resolv.conf has no nameserver line: the resolver uses 127.0.0.1')
    if (rc.rotate)
      notes.push(
        'options rotate: the resolver starts at a different nameserver each time; they are asked in file order here',
      )
  }
  const timeout = opts.timeout ?? rc?.timeout ?? 5
  const rounds = opts.server ? (opts.attempts ?? 1) : (opts.attempts ?? rc?.attempts ?? 2)

  const attempts: DnsAttempt[] = []
  const t0 = performance.now()
  if (tool === 'getent') {
    if (opts.server)
      throw new NetError(
        'tool',
        `getent cannot ask a given server (${opts.server}), and dig and nslookup are missing on ${o.node}`,
        `install dnsutils on ${o.node}`,
      )
    if (type !== 'A' && type !== 'AAAA')
      throw new NetError(
        'tool',
        `getent can only look up A and AAAA records, not ${type}; dig and nslookup are missing on ${o.node}`,
        `install dnsutils on ${o.node}`,
      )
    notes.push(
      "getent asks the node's NSS resolver in one call: no per-candidate rcodes, and it reads the node's /etc/resolv.conf and nsswitch.conf, not the pod's",
    )
    const s = performance.now()
    const out = await o.query(getentArgv(name.replace(/\.$/, ''), type), {
      nothrow: true,
      timeoutMs: (timeout * rounds * Math.max(cands.length, 1) + 10) * 1000,
    })
    attempts.push({
      n: 1,
      name: name.replace(/\.$/, ''),
      via: 'getent',
      to: 'nss',
      elapsedMs: performance.now() - s,
      ...runOne('getent', out, name),
    })
  } else {
    let i: number | undefined = 0
    walk: while (i !== undefined) {
      const cand: Candidate = cands[i]
      let last: QueryResult | undefined
      for (let round = 0; round < rounds; round++) {
        for (const server of servers) {
          if (attempts.length >= MAX_QUERIES) {
            notes.push(`stopped after ${MAX_QUERIES} queries`)
            break walk
          }
          const argv =
            tool === 'dig' ? digArgv(cand.name, type, server, timeout) : nslookupArgv(cand.name, type, server, timeout)
          const s = performance.now()
          const out = await o.query(argv, { nothrow: true, timeoutMs: (timeout + 10) * 1000 })
          last = runOne(tool, out, cand.name)
          if (out.exitCode === 124 && last.rcode === 'ERROR')
            last = { ...last, rcode: 'TIMEOUT', error: `${tool} did not finish in time` }
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
      i = last ? nextIndex(cands, i, outcomeOf(last), resolver) : undefined
    }
  }
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
  const r: DnsResult = {
    name,
    type,
    from: o.from,
    node: o.node,
    tool,
    resolver,
    resolverFrom,
    resolvConf: rc,
    candidates: cands,
    attempts,
    rcode: final?.rcode ?? 'ERROR',
    answers: final?.answers ?? [],
    answeredBy: resolved ? final.name : undefined,
    resolved,
    elapsedMs: performance.now() - t0,
    notes,
  }
  return present(r, DNS_RESULT)
}
