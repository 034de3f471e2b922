// `npm run lab -- capture refusals`: what the API server answers when RBAC or authentication says no, into
// test/fixtures/lab/refusals.json. Every request is a read, or an exec the server refuses before anything runs.
import fs from 'node:fs'
import path from 'node:path'
import { Kube } from '../../src/kube/client.ts'
import { KubeError } from '../../src/kube/errors.ts'
import { labPaths } from './layout.ts'
import { progress } from './sh.ts'

const out = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab', 'refusals.json')

/** One refused request: who asked, what, and the server's answer (status and its Status body). */
export interface Refusal {
  user: 'view' | 'expired'
  method: string
  path: string
  status: number
  body: string
}

/**
 * As the view-only user (RBAC `view`): list nodes, get a node lease, list Secrets, exec into shop/client; as the user
 * whose client certificate expired: list pods. Each must be refused (403, 401); the answers go to refusals.json.
 */
export async function captureRefusals(): Promise<void> {
  const P = labPaths()
  const asks: Array<{ user: Refusal['user']; method: string; path: string }> = [
    { user: 'view', method: 'GET', path: '/api/v1/nodes' },
    { user: 'view', method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/lab-1' },
    { user: 'view', method: 'GET', path: '/api/v1/namespaces/shop/secrets' },
    { user: 'view', method: 'POST', path: '/api/v1/namespaces/shop/pods/client/exec?command=true&stdout=true' },
    { user: 'expired', method: 'GET', path: '/api/v1/namespaces/shop/pods' },
  ]
  const clients = {
    view: Kube.fromKubeconfig({ kubeconfig: P.kubeconfigView }),
    expired: Kube.fromKubeconfig({ kubeconfig: P.kubeconfigExpired }),
  }
  const refusals: Refusal[] = []
  try {
    for (const a of asks) {
      progress(`capturing the refusal of ${a.method} ${a.path} (${a.user})`)
      try {
        await clients[a.user].request(a.method, a.path, { timeoutMs: 10_000 })
        throw new Error(`${a.method} ${a.path} as ${a.user} was allowed; expected a refusal`)
      } catch (e) {
        if (!(e instanceof KubeError) || !e.status) throw e
        refusals.push({ ...a, status: e.status, body: JSON.stringify(e.cause ?? {}) })
      }
    }
  } finally {
    clients.view.close()
    clients.expired.close()
  }
  fs.writeFileSync(out, `${JSON.stringify({ capturedAt: new Date().toISOString(), refusals }, null, 2)}\n`)
  progress(`wrote ${path.relative(process.cwd(), out)}`)
}
