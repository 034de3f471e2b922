// dnsQuery: resolve a name the way a pod's resolver would (its resolv.conf, ndots, search list), one query per candidate.
import type { NodeHandle } from '../exec/node.ts'
import { performance } from 'node:perf_hooks'
import { present } from '../present.ts'
import { discoverPid } from './discover.ts'
import { optionsProblem, received } from '../errors.ts'
import { isDnsName } from '../names.ts'
import { NetError } from './errors.ts'
import { enterNetns } from './netns.ts'
import { fetchPod, hostNetworkError, nodeName, onNode, rootOn, type NetSession, type PodArg } from './pods.ts'
import { parseResolvConf, searchCandidates, type Candidate, type ResolvConf, type ResolverKind } from './resolvconf.ts'
import { DNS_TYPES, outcomeOf } from './dnsparse.ts'
import { runWalk, walkNotes, type Origin } from './dns-walk.ts'
import { DNS_RESULT, type DnsResult, type DnsTool } from './types.ts'

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
  const tool = chooseTool(opts, probe, o, notes)
  const { resolver, resolverFrom } = chooseResolver(opts, probe, notes)
  const { rc, candidates, servers } = planQueries(name, opts, probe, o, resolver, notes)
  const timeout = opts.timeout ?? rc?.timeout ?? 5
  const rounds = opts.server ? (opts.attempts ?? 1) : (opts.attempts ?? rc?.attempts ?? 2)
  const t0 = performance.now()
  const walk = { name, type, tool, resolver, candidates, servers, timeout, rounds, server: opts.server }
  const attempts = await runWalk(o, walk, notes)
  notes.push(...walkNotes(name, attempts, rc, tool))
  const final = attempts[attempts.length - 1]
  const resolved = final !== undefined && outcomeOf(final) === 'answer'
  const r: DnsResult = {
    name,
    type,
    from: o.from,
    node: o.node,
    tool,
    resolver,
    resolverFrom,
    resolvConf: rc,
    candidates,
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

type Probe = ReturnType<typeof parseProbe>

// The tool asked for, else dig, nslookup or getent, whichever the node has first.
function chooseTool(opts: DnsQueryOptions, probe: Probe, o: Origin, notes: string[]): DnsTool {
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
  return tool
}

// The search rules: as asked, else the libc found in the pod's filesystem, else glibc's.
function chooseResolver(
  opts: DnsQueryOptions,
  probe: Probe,
  notes: string[],
): { resolver: ResolverKind; resolverFrom: DnsResult['resolverFrom'] } {
  if (opts.resolver && opts.resolver !== 'auto') return { resolver: opts.resolver, resolverFrom: 'option' }
  if (probe.libc !== 'unknown') return { resolver: probe.libc, resolverFrom: 'detected' }
  if (!opts.server)
    notes.push(
      'no libc found in the pod filesystem (static or distroless binaries): candidates follow glibc rules; Go programs search the same way',
    )
  return { resolver: 'glibc', resolverFrom: 'assumed' }
}

// The names to ask and the servers to ask them: the given server once for the name as given, else the pod's
// resolv.conf (its search list, ndots and nameservers).
function planQueries(
  name: string,
  opts: DnsQueryOptions,
  probe: Probe,
  o: Origin,
  resolver: ResolverKind,
  notes: string[],
): { rc?: ResolvConf; candidates: Candidate[]; servers: string[] } {
  if (opts.server) return { candidates: [{ name: name.replace(/\.$/, ''), via: 'server' }], servers: [opts.server] }
  if (probe.resolv === undefined)
    throw new NetError(
      'tool',
      `${o.root || ''}/etc/resolv.conf does not exist for ${o.from}`,
      'pass {server: IP} to query a nameserver directly',
    )
  const rc = parseResolvConf(probe.resolv)
  if (!rc.nameservers.length) notes.push('resolv.conf has no nameserver line: the resolver uses 127.0.0.1')
  if (rc.rotate)
    notes.push(
      'options rotate: the resolver starts at a different nameserver each time; they are asked in file order here',
    )
  return {
    rc,
    candidates: searchCandidates(name, rc, resolver),
    servers: rc.nameservers.length ? rc.nameservers : ['127.0.0.1'],
  }
}
