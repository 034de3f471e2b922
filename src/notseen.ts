// NOT SEEN: the one answer to "did this check fail to look, or did it look and find something?" for any error a
// recipe step or a triage check meets. It looked at nothing when the API refused (forbidden, unauthorized), did not
// answer in time, could not be reached, or no transport reached the node; then the report says why and what to grant
// or configure. Pure and dependency-free (errors are recognised by name and kind), so every layer can use it.

/** Why something could not be looked at. */
export type NotSeenKind = 'forbidden' | 'unauthorized' | 'timeout' | 'unreachable' | 'config'

/** What could not be seen, why, and what would let it be seen. */
export interface NotSeen {
  kind: NotSeenKind
  /** Why, as the error said it (a node's transports one per line). */
  reason: string
  /** RBAC to grant: "list nodes (cluster-wide) (check: kubectl auth can-i list nodes)". */
  grant?: string
  /** What to configure or check instead (an SSH entry, a kubeconfig, the network path). */
  configure?: string
}

/** An RBAC permission: verb on a resource (with /subresource) in a namespace, in all namespaces, or cluster-wide. */
export interface Access {
  verb: string
  resource: string
  namespace?: string
  /** The resource is namespaced and was asked for in every namespace (-A). */
  all?: boolean
}

/** Resources that have no namespace: a 403 for them "at the cluster scope" is cluster-wide, not "in all namespaces". */
const CLUSTER_SCOPED = new Set([
  'nodes',
  'namespaces',
  'persistentvolumes',
  'storageclasses',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'apiservices',
  'priorityclasses',
  'csinodes',
  'csidrivers',
  'volumeattachments',
  'runtimeclasses',
  'certificatesigningrequests',
  'ingressclasses',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'componentstatuses',
  'nodes/proxy',
  'nodes/stats',
])

/**
 * "list events in namespace shop (check: kubectl auth can-i list events -n shop)"; several permissions share one
 * place: "create pods, create pods/exec in namespace kube-system (check: kubectl auth can-i create pods -n kube-system)".
 */
export function grantText(access: Access | readonly Access[]): string {
  const list = Array.isArray(access) ? (access as readonly Access[]) : [access as Access]
  const a = list[0]
  const where = a.namespace ? ` in namespace ${a.namespace}` : a.all ? ' in all namespaces' : ' (cluster-wide)'
  const flag = a.namespace ? ` -n ${a.namespace}` : a.all ? ' -A' : ''
  // kubectl auth can-i takes one resource: name the first of a list.
  const one = a.resource.split(/,\s*/)[0]
  return `${list.map((x) => `${x.verb} ${x.resource}`).join(', ')}${where} (check: kubectl auth can-i ${a.verb} ${one}${flag})`
}

const VERB_OF_METHOD: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }

/** The permission a 403 was about: from RBAC's own words ('User "u" cannot VERB resource "R" … in the namespace "ns"'), else from the request. */
export function accessOf(e: unknown): Access | undefined {
  const x = e as {
    message?: unknown
    method?: unknown
    path?: unknown
    object?: { namespace?: string; name?: string }
  } | null
  const msg = typeof x?.message === 'string' ? x.message : ''
  const m =
    /cannot ([a-z]+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)"| at the cluster scope)?/.exec(
      msg,
    )
  if (m) {
    const [, verb, resource, namespace] = m
    return namespace
      ? { verb, resource, namespace }
      : { verb, resource, ...(CLUSTER_SCOPED.has(resource) ? {} : { all: true }) }
  }
  const path = typeof x?.path === 'string' ? x.path.split('?')[0] : ''
  const p = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?/.exec(
    path,
  )
  if (!p) return undefined
  const [, namespace, resource, name, sub] = p
  const method = typeof x?.method === 'string' ? x.method.toUpperCase() : 'GET'
  const verb = VERB_OF_METHOD[method] ?? (name ? 'get' : 'list')
  const res = sub ? `${resource}/${sub}` : resource
  return namespace
    ? { verb, resource: res, namespace }
    : { verb, resource: res, ...(CLUSTER_SCOPED.has(resource) ? {} : { all: true }) }
}

/** 'may not create pods, create pods/exec in namespace "kube-system"' (the node pod transport's refusal) → its permissions. */
function nodePodAccess(message: string): Access[] | undefined {
  const m = /may not (.+?) in namespace "([^"]+)"/.exec(message)
  if (!m) return undefined
  const out: Access[] = []
  for (const part of m[1].split(/,\s*/)) {
    const [verb, resource] = part.trim().split(/\s+/)
    if (verb && resource) out.push({ verb, resource, namespace: m[2] })
  }
  return out.length ? out : undefined
}

type ErrorLike = {
  name?: unknown
  kind?: unknown
  message?: unknown
  hint?: unknown
  cause?: unknown
  notSeen?: unknown
  code?: unknown
  method?: unknown
  path?: unknown
  server?: unknown
  durationMs?: unknown
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '')

/** "GET /api/v1/pods got no answer within 5 s (https://10.99.0.1:6443)": what timed out and the deadline. */
function apiTimeout(x: ErrorLike): string {
  const cause = x.cause as ErrorLike | undefined
  const within =
    /no answer within (\d+) ms/.exec(text(cause?.message))?.[1] ??
    (typeof x.durationMs === 'number' ? String(Math.round(x.durationMs)) : undefined)
  const ms = within === undefined ? undefined : Number(within)
  const deadline = ms === undefined ? '' : ms < 1000 ? ` within ${ms} ms` : ` within ${Math.round(ms / 100) / 10} s`
  const what = x.path ? `${text(x.method) || 'GET'} ${text(x.path)}` : 'a request to the API server'
  return `${what} got no answer${deadline}${x.server ? ` (${text(x.server)})` : ''}`
}

/** The fleet's error classes that mean the node was not looked at (exit, aborted and error do not). */
const FLEET_NOT_SEEN: Record<string, NotSeenKind> = {
  unreachable: 'unreachable',
  auth: 'unreachable',
  hostkey: 'unreachable',
  forbidden: 'forbidden',
  timeout: 'timeout',
}

/** A fleet's failed node ({node, ok: false, error: CLASS, message}) or one of its error groups ({class, nodeset, messages}). */
function fleetFailure(e: object): { cls: string; reason: string } | undefined {
  const o = e as {
    node?: unknown
    ok?: unknown
    error?: unknown
    message?: unknown
    class?: unknown
    nodeset?: unknown
    messages?: unknown
  }
  if (typeof o.class === 'string' && typeof o.nodeset === 'string' && Array.isArray(o.messages)) {
    return {
      cls: o.class,
      reason:
        (o.messages as { message?: unknown }[])
          .map((m) => text(m?.message))
          .filter(Boolean)
          .join('; ') || o.class,
    }
  }
  if (typeof o.node === 'string' && o.ok === false && typeof o.error === 'string')
    return { cls: o.error, reason: text(o.message) || o.error }
  return undefined
}

/**
 * Whether an error means "could not look": the API refused (forbidden, unauthorized), timed out or could not be
 * reached, the kubeconfig is unusable, or a node could not be reached (SSH connect/auth/host key, a command's
 * deadline, a node pod refused, no transport at all). Undefined for everything else: a bug, a bad argument, a
 * command that ran and failed, an object that does not exist. `access` names the permission when the caller knows it.
 */
export function couldNotSee(e: unknown, access?: Access): NotSeen | undefined {
  if (!e || typeof e !== 'object') return undefined
  const x = e as ErrorLike
  const name = text(x.name)
  const kind = text(x.kind)
  const message = text(x.message) || String(e)
  const hint = text(x.hint) || undefined
  const withHint = (n: NotSeen): NotSeen => (n.configure || !hint ? n : { ...n, configure: hint })
  const fleet = fleetFailure(e)
  if (fleet) {
    const k = FLEET_NOT_SEEN[fleet.cls]
    return k ? withHint({ kind: k, reason: `${fleet.cls}: ${fleet.reason}` }) : undefined
  }
  // An error that says so itself: the session's "no transport reaches node X" (one line per transport tried).
  if (x.notSeen === true) return withHint({ kind: kind === 'consent' ? 'config' : 'unreachable', reason: message })
  if (name === 'KubeError') {
    if (kind === 'forbidden') {
      const a = access ?? accessOf(e)
      return { kind: 'forbidden', reason: message, ...(a ? { grant: grantText(a) } : { configure: hint }) }
    }
    if (kind === 'unauthorized') return withHint({ kind: 'unauthorized', reason: message })
    if (kind === 'connection') {
      const timedOut =
        /^(ETIMEDOUT|ETIMEOUT|UND_ERR_CONNECT_TIMEOUT)$/.test(text((x.cause as ErrorLike | undefined)?.code)) ||
        /^timed out /.test(message)
      return withHint(timedOut ? { kind: 'timeout', reason: apiTimeout(x) } : { kind: 'unreachable', reason: message })
    }
    if (kind === 'tls' || kind === 'noconfig' || kind === 'context' || kind === 'yaml')
      return withHint({ kind: 'config', reason: message })
    return undefined
  }
  if (name === 'NodePodError') {
    if (kind === 'invalid') return undefined
    const grants = kind === 'rbac' ? nodePodAccess(message) : undefined
    if (grants)
      return { kind: 'forbidden', reason: message, grant: grantText(grants), ...(hint ? { configure: hint } : {}) }
    return withHint({ kind: kind === 'timeout' ? 'timeout' : 'unreachable', reason: message })
  }
  if (name === 'ExecError' || name === 'NetError' || name === 'NodeAccessError') {
    const reachable =
      name === 'ExecError' ? ['connect', 'auth', 'hostkey', 'timeout'].includes(kind) : kind === 'unreachable'
    if (!reachable) return undefined
    // What lies behind it (a node pod's RBAC refusal, the API timing out) may say what to grant.
    const inner = couldNotSee(x.cause)
    if (inner?.grant)
      return { kind: 'forbidden', reason: message, grant: inner.grant, ...(hint ? { configure: hint } : {}) }
    return withHint({ kind: kind === 'timeout' ? 'timeout' : 'unreachable', reason: message })
  }
  return undefined
}
