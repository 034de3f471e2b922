// What the transport derives from the kubeconfig and its TLS options: client-node's options, certificate expiry.
import https from 'node:https'
import { X509Certificate } from 'node:crypto'
import type { Cluster, Context, User } from '@kubernetes/client-node'
import type { KubeconfigInfo } from './kubeconfig.ts'

/** The selected context as client-node's loadFromOptions wants it (paths already absolute; tokenFile handled by us). */
export function clientNodeOptions(info: KubeconfigInfo): {
  clusters: Cluster[]
  users: User[]
  contexts: Context[]
  currentContext: string
} {
  const c = info.merged.clusters.get(info.cluster.name)!.value
  const u = info.user.name ? info.merged.users.get(info.user.name)?.value : undefined
  const cluster: Cluster = {
    name: info.cluster.name,
    server: info.server,
    caData: c['certificate-authority-data'],
    caFile: c['certificate-authority'],
    // client-node refuses http:// unless skipTLSVerify; there is no TLS to verify on http:// anyway.
    skipTLSVerify: c['insecure-skip-tls-verify'] === true || info.server.startsWith('http:'),
    tlsServerName: c['tls-server-name'],
    proxyUrl: c['proxy-url'],
  }
  const users: User[] = u
    ? [
        {
          name: info.user.name,
          certData: u['client-certificate-data'],
          certFile: u['client-certificate'],
          keyData: u['client-key-data'],
          keyFile: u['client-key'],
          // kinspect runs exec plugins itself (execcred.ts): with a deadline, killed when it passes.
          authProvider: u['auth-provider'],
          token: u.token,
          username: u.username,
          password: u.password,
          impersonateUser: u.as,
        },
      ]
    : []
  const contexts: Context[] = [
    { name: info.currentContext, cluster: info.cluster.name, user: info.user.name, namespace: info.namespace },
  ]
  return { clusters: [cluster], users, contexts, currentContext: info.currentContext }
}

/** When a PEM client certificate stops being valid (ms since the epoch); undefined when there is none or it cannot be read. */
export function notAfter(cert: unknown): number | undefined {
  if (cert === undefined || cert === null || cert === '') return undefined
  try {
    const t = Date.parse(new X509Certificate(Buffer.isBuffer(cert) ? cert : String(cert)).validTo)
    return Number.isNaN(t) ? undefined : t
  } catch {
    return undefined
  }
}

/** The client certificate and key of TLS options as one string, to notice when they change. */
export function certKeyOf(o: https.RequestOptions): string {
  const s = (v: unknown) => (v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : String(v))
  return `${s(o.cert)}|${s(o.key)}`
}
