// The API calls of the node pod transport (src/exec/nodepod/api.ts), made with a Kube client.
import type { DaemonSetApi, NodePodApi } from '../exec/nodepod/api.ts'
import type { Kube } from './client.ts'
import { KubeError } from './errors.ts'
import type { ExecRequest } from './exec.ts'
import type { DaemonSet, KubeEvent, KubeObject, Node, Pod } from './types.ts'

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p
  } catch (e) {
    if (e instanceof KubeError && e.kind === 'notfound') return undefined
    throw e
  }
}

/** The calls node access makes on one namespaced kind: create, get, delete, list by label, annotate, its events. */
function namespaced<T extends KubeObject>(kube: Kube, kind: string, base: (ns: string) => string, all: string) {
  const path = (ns: string, name?: string) => `${base(ns)}${name ? `/${name}` : ''}`
  const object = (ns: string, name?: string) => ({ kind, namespace: ns, name })
  return {
    create: (o: T) =>
      kube.request<T>('POST', path(o.metadata.namespace!), { body: o, object: object(o.metadata.namespace!) }),
    get: (ns: string, name: string) =>
      orUndefined(kube.request<T>('GET', path(ns, name), { object: object(ns, name) })),
    async delete(ns: string, name: string, options: Record<string, unknown>): Promise<void> {
      await orUndefined(
        kube.request('DELETE', path(ns, name), {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', ...options },
          object: object(ns, name),
        }),
      )
    },
    async list(selector: string, ns?: string): Promise<T[]> {
      const q = `?labelSelector=${encodeURIComponent(selector)}`
      const l = await kube.request<{ items?: T[] }>('GET', (ns ? path(ns) : all) + q, {
        object: { kind, namespace: ns },
      })
      return l.items ?? []
    },
    async annotate(ns: string, name: string, annotations: Record<string, string>): Promise<void> {
      await kube.request('PATCH', path(ns, name), {
        body: { metadata: { annotations } },
        contentType: 'application/merge-patch+json',
        object: object(ns, name),
      })
    },
    async events(ns: string, name: string): Promise<KubeEvent[]> {
      const q = `?fieldSelector=${encodeURIComponent(`involvedObject.kind=${kind},involvedObject.name=${name}`)}`
      const l = await kube.request<{ items?: KubeEvent[] }>('GET', `/api/v1/namespaces/${ns}/events${q}`, {
        object: { kind: 'Event', namespace: ns },
      })
      return l.items ?? []
    },
  }
}

/** SelfSubjectAccessReview: may the kubeconfig's user do this? */
async function allowed(kube: Kube, resourceAttributes: Record<string, string | undefined>): Promise<boolean> {
  const r = await kube.request<{ status?: { allowed?: boolean } }>(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } } },
  )
  return r.status?.allowed === true
}

/** NodePodApi (and the DaemonSet calls) over a Kube client (the kubeconfig's user names the pods' owner). */
export function kubeNodePodApi(kube: Kube): NodePodApi & DaemonSetApi {
  const pods = namespaced<Pod>(kube, 'Pod', (ns) => `/api/v1/namespaces/${ns}/pods`, '/api/v1/pods')
  const ds = namespaced<DaemonSet>(
    kube,
    'DaemonSet',
    (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
    '/apis/apps/v1/daemonsets',
  )
  return {
    createDaemonSet: ds.create,
    getDaemonSet: ds.get,
    deleteDaemonSet: (ns, name) => ds.delete(ns, name, { propagationPolicy: 'Background' }),
    listDaemonSets: ds.list,
    annotateDaemonSet: ds.annotate,
    daemonSetEvents: ds.events,
    canIGroup: (group, verb, resource, namespace) => allowed(kube, { namespace, group, verb, resource }),
    get user() {
      return kube.info.user.name || 'unknown'
    },
    createPod: pods.create,
    getPod: pods.get,
    deletePod: (ns, name, grace = 1) => pods.delete(ns, name, { gracePeriodSeconds: grace }),
    listPods: pods.list,
    annotatePod: pods.annotate,
    podEvents: pods.events,
    getNode: (name) =>
      orUndefined(kube.request<Node>('GET', `/api/v1/nodes/${name}`, { object: { kind: 'Node', name } })),
    getNamespace: (name) =>
      orUndefined(
        kube.request<KubeObject>('GET', `/api/v1/namespaces/${name}`, { object: { kind: 'Namespace', name } }),
      ),
    async listNamespaces() {
      return (await kube.request<{ items?: KubeObject[] }>('GET', '/api/v1/namespaces')).items ?? []
    },
    async limitRanges(ns) {
      const l = await kube.request<{ items?: KubeObject[] }>('GET', `/api/v1/namespaces/${ns}/limitranges`)
      return (l.items ?? []).map((x) => x.metadata.name)
    },
    async whoami() {
      const r = await kube.request<{ status?: { userInfo?: { username?: string } } }>(
        'POST',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        },
      )
      return r.status?.userInfo?.username ?? ''
    },
    canI: (verb, resource, subresource, namespace) => allowed(kube, { namespace, verb, resource, subresource }),
    exec: (req: ExecRequest) => kube.exec(req),
  }
}
