// KubeError and the pure mapping from HTTP statuses / socket errors to its kinds.
import { HintedError } from '../errors.ts'

/** Why a Kubernetes call (or loading its configuration) failed. */
export type KubeErrorKind =
  | 'noconfig' // no kubeconfig file found / readable
  | 'yaml' // a kubeconfig file is not valid YAML or not a mapping
  | 'context' // unknown context, or a context that names a missing cluster
  | 'unauthorized' // 401: credentials rejected
  | 'forbidden' // 403: RBAC said no
  | 'notfound' // 404: the object (or its namespace) does not exist
  | 'unsupported' // the API group/resource is not served (e.g. metrics.k8s.io)
  | 'conflict' // 409
  | 'invalid' // bad input (validated locally) or a 400/422 from the server
  | 'connection' // refused, reset, DNS, timeout: the server could not be reached
  | 'tls' // TLS handshake / certificate verification failed
  | 'server' // 5xx and anything unexpected from the server
  | 'parse' // the server answered something that is not JSON

/** Where a failed request went; every field optional so config errors fit too. */
export interface KubeErrorContext {
  /** API server URL, e.g. https://10.99.0.1:6443. */
  server?: string
  method?: string
  /** Request path with query, e.g. /api/v1/namespaces/shop/pods. */
  path?: string
  /** HTTP status when the server answered. */
  status?: number
  /** The object the call was about. */
  object?: { kind: string; name?: string; namespace?: string }
  /** Kubeconfig file involved, for config errors. */
  file?: string
  /** 1-based line for YAML errors. */
  line?: number
  /** Request duration in ms. */
  durationMs?: number
}

/** A failed Kubernetes call or kubeconfig load: kind, message, hint, cause and where it went. */
export class KubeError extends HintedError<KubeErrorKind> implements KubeErrorContext {
  override name = 'KubeError'
  // `declare`: only the context fields that were given become own properties
  declare server?: string
  declare method?: string
  declare path?: string
  declare status?: number
  declare object?: { kind: string; name?: string; namespace?: string }
  declare file?: string
  declare line?: number
  declare durationMs?: number
  constructor(kind: KubeErrorKind, message: string, hint?: string, cause?: unknown, ctx: KubeErrorContext = {}) {
    super(kind, message, hint, cause)
    for (const [k, v] of Object.entries(ctx)) if (v !== undefined) (this as Record<string, unknown>)[k] = v
  }
}

/** A Kubernetes Status object as the API server sends it with errors. */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: { name?: string; group?: string; kind?: string }
}

function describeObject(o?: KubeErrorContext['object']): string {
  if (!o) return ''
  const name = o.name ? `${o.kind.toLowerCase()} "${o.name}"` : o.kind.toLowerCase()
  return o.namespace ? `${name} in namespace "${o.namespace}"` : name
}

function listHint(o?: KubeErrorContext['object']): string {
  const k = (o?.kind ?? '').toLowerCase()
  const call =
    k === 'pod' ? 'pods()' : k === 'service' ? 'services()' : k === 'node' ? 'nodes()' : o ? `get('${k}')` : 'pods()'
  return `${call} to list what exists${o?.namespace ? ` (or pass "namespace/name")` : ''}`
}

/** Maps an HTTP error answer (status + body, a Status object or text) to a KubeError. */
export function httpError(status: number, body: string, ctx: KubeErrorContext = {}): KubeError {
  let st: KubeStatus | undefined
  try {
    const j = JSON.parse(body)
    if (j && typeof j === 'object' && j.kind === 'Status') st = j
  } catch {
    /* plain text body */
  }
  const serverMsg = (st?.message ?? body.trim().split('\n')[0] ?? '').slice(0, 300)
  const c: KubeErrorContext = { ...ctx, status }
  const where = ctx.server ? ` (${ctx.server})` : ''
  const user = 'the user of the current kubeconfig context'
  switch (status) {
    case 401:
      return new KubeError(
        'unauthorized',
        `401 Unauthorized from ${ctx.server ?? 'the API server'}: the credentials were rejected`,
        'the token or client certificate is wrong or expired; check the user of the context (kubectl config view --minify)',
        st,
        c,
      )
    case 403:
      return new KubeError(
        'forbidden',
        `403 Forbidden: ${serverMsg || `${user} may not ${ctx.method ?? 'GET'} ${ctx.path}`}`,
        `RBAC denies it; check with: kubectl auth can-i ${(ctx.method ?? 'get').toLowerCase()} ${ctx.object?.kind?.toLowerCase() ?? 'RESOURCE'}${ctx.object?.namespace ? ` -n ${ctx.object.namespace}` : ''}`,
        st,
        c,
      )
    case 404: {
      if (ctx.object?.name) {
        return new KubeError('notfound', `${describeObject(ctx.object)} not found${where}`, listHint(ctx.object), st, c)
      }
      if (st?.details?.name && st.details.kind) {
        const o = { kind: st.details.kind, name: st.details.name, namespace: ctx.object?.namespace }
        return new KubeError('notfound', `${describeObject(o)} not found${where}`, listHint(o), st, { ...c, object: o })
      }
      return new KubeError(
        'unsupported',
        `the server does not serve ${ctx.path ?? 'this resource'}${serverMsg && serverMsg !== '404 page not found' ? `: ${serverMsg}` : ''}`,
        'the API group/version may not be installed in this cluster (kubectl api-resources lists what is)',
        st,
        c,
      )
    }
    case 409:
      return new KubeError(
        'conflict',
        `409 Conflict: ${serverMsg}`,
        'the object changed or already exists; fetch it again',
        st,
        c,
      )
    case 400:
    case 422:
      return new KubeError(
        'invalid',
        `${status} ${st?.reason ?? 'BadRequest'}: ${serverMsg}`,
        'the server rejected the request as sent; check the arguments',
        st,
        c,
      )
    case 503:
      return new KubeError(
        'server',
        `503 Service Unavailable for ${ctx.path}${serverMsg ? `: ${serverMsg}` : ''}`,
        'the API (or an aggregated API behind it) is not available right now',
        st,
        c,
      )
    default:
      return new KubeError(
        'server',
        `HTTP ${status} for ${ctx.method ?? 'GET'} ${ctx.path}${serverMsg ? `: ${serverMsg}` : ''}`,
        'the API server reported a problem; retry, or look at its logs',
        st,
        c,
      )
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
])

/** Maps a socket/TLS error (err.code) from a request to a KubeError naming the server. */
export function networkError(err: unknown, ctx: KubeErrorContext = {}): KubeError {
  const e = err as NodeJS.ErrnoException & { code?: string }
  const code = e?.code ?? ''
  const server = ctx.server ?? 'the API server'
  const reason = (e?.message ?? String(err)).split('\n')[0]
  if (
    TLS_CODES.has(code) ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_TLS') ||
    /certificate|ssl|tls/i.test(code)
  ) {
    return new KubeError(
      'tls',
      `TLS with ${server} failed: ${reason}`,
      'the CA in the kubeconfig does not match the server certificate (or the server name is not in it); check certificate-authority(-data) and tls-server-name',
      err,
      ctx,
    )
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new KubeError(
        'connection',
        `connection refused by ${server}`,
        'the API server is not running or listens elsewhere; check the cluster server URL in the kubeconfig',
        err,
        ctx,
      )
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new KubeError(
        'connection',
        `timed out talking to ${server}${ctx.durationMs ? ` after ${Math.round(ctx.durationMs)} ms` : ''}`,
        'the server is unreachable or overloaded; check the network path to it',
        err,
        ctx,
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new KubeError(
        'connection',
        `cannot resolve the host of ${server}`,
        'check the cluster server URL in the kubeconfig and DNS',
        err,
        ctx,
      )
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new KubeError(
        'connection',
        `no route to ${server}`,
        'check the network path (routes, VPN) to the server',
        err,
        ctx,
      )
    case 'ECONNRESET':
    case 'EPIPE':
      return new KubeError(
        'connection',
        `connection to ${server} was reset`,
        'the server or something in between closed the connection; retry',
        err,
        ctx,
      )
    case 'ABORT_ERR':
      return new KubeError('connection', `request to ${server} was aborted`, undefined, err, ctx)
    default:
      return new KubeError(
        'connection',
        `cannot reach ${server}: ${reason}`,
        'check the cluster server URL in the kubeconfig',
        err,
        ctx,
      )
  }
}

/** One-line reason for a failed ping, from any error (KubeError or not). */
export function oneLineReason(err: unknown): string {
  if (err instanceof KubeError) {
    switch (err.kind) {
      case 'noconfig':
        return `no kubeconfig: ${err.message}`
      case 'unauthorized':
        // A credential plugin that failed, or a 401 kinspect could explain (an expired certificate), says more itself.
        return err.status === 401 && err.message.endsWith('the credentials were rejected')
          ? `401 unauthorized (${err.server ?? 'server'} rejected the credentials)`
          : err.message
      case 'forbidden':
        return `403 forbidden: ${err.message.replace(/^403 Forbidden: /, '')}`
      case 'tls':
        return `TLS: ${err.message}`
      default:
        return err.message
    }
  }
  return (err as Error)?.message ?? String(err)
}
