// The API calls of the node pod transport (src/exec/nodepod/api.ts), made with a Kube client.
import type { DaemonSetApi, NodePodApi } from '../exec/nodepod/api.ts'
import type { Kube } from './client.ts'
import { KubeError } from './errors.ts'
import type { ExecRequest } from './exec.ts'
import type { DaemonSet, KubeEvent, KubeObject, Node, Pod } from './types.ts'

const podPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`
const dsPath = (ns: string, name?: string) => `/apis/apps/v1/namespaces/${ns}/daemonsets${name ? `/${name}` : ''}`

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p
  } catch (e) {
    if (e instanceof KubeError && e.kind === 'notfound') return undefined
    throw e
  }
}

/** NodePodApi (and the DaemonSet calls) over a Kube client (the kubeconfig's user names the pods' owner). */
export function kubeNodePodApi(kube: Kube): NodePodApi & DaemonSetApi {
  const obj = (ns: string, name?: string) => ({ kind: 'Pod', namespace: ns, name })
  const dsObj = (ns: string, name?: string) => ({ kind: 'DaemonSet', namespace: ns, name })
  return {
    createDaemonSet: (ds: DaemonSet) =>
      kube.request<DaemonSet>('POST', dsPath(ds.metadata.namespace!), {
        body: ds,
        object: dsObj(ds.metadata.namespace!),
      }),
    getDaemonSet: (ns, name) =>
      orUndefined(kube.request<DaemonSet>('GET', dsPath(ns, name), { object: dsObj(ns, name) })),
    async deleteDaemonSet(ns, name) {
      await orUndefined(
        kube.request('DELETE', dsPath(ns, name), {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
          object: dsObj(ns, name),
        }),
      )
    },
    async listDaemonSets(selector, ns) {
      const q = `?labelSelector=${encodeURIComponent(selector)}`
      const l = await kube.request<{ items?: DaemonSet[] }>('GET', (ns ? dsPath(ns) : '/apis/apps/v1/daemonsets') + q, {
        object: { kind: 'DaemonSet', namespace: ns },
      })
      return l.items ?? []
    },
    async annotateDaemonSet(ns, name, annotations) {
      await kube.request('PATCH', dsPath(ns, name), {
        body: { metadata: { annotations } },
        contentType: 'application/merge-patch+json',
        object: dsObj(ns, name),
      })
    },
    async daemonSetEvents(ns, name) {
      const q = `?fieldSelector=${encodeURIComponent(`involvedObject.kind=DaemonSet,involvedObject.name=${name}`)}`
      const l = await kube.request<{ items?: KubeEvent[] }>('GET', `/api/v1/namespaces/${ns}/events${q}`, {
        object: { kind: 'Event', namespace: ns },
      })
      return l.items ?? []
    },
    async canIGroup(group, verb, resource, namespace) {
      const r = await kube.request<{ status?: { allowed?: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { namespace, group, verb, resource } },
          },
        },
      )
      return r.status?.allowed === true
    },
    get user() {
      return kube.info.user.name || 'unknown'
    },
    createPod: (pod: Pod) =>
      kube.request<Pod>('POST', podPath(pod.metadata.namespace!), { body: pod, object: obj(pod.metadata.namespace!) }),
    getPod: (ns, name) => orUndefined(kube.request<Pod>('GET', podPath(ns, name), { object: obj(ns, name) })),
    async deletePod(ns, name, grace = 1) {
      await orUndefined(
        kube.request('DELETE', podPath(ns, name), {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: grace },
          object: obj(ns, name),
        }),
      )
    },
    async listPods(selector, ns) {
      const q = `?labelSelector=${encodeURIComponent(selector)}`
      const l = await kube.request<{ items?: Pod[] }>('GET', (ns ? podPath(ns) : '/api/v1/pods') + q, {
        object: { kind: 'Pod', namespace: ns },
      })
      return l.items ?? []
    },
    async annotatePod(ns, name, annotations) {
      await kube.request('PATCH', podPath(ns, name), {
        body: { metadata: { annotations } },
        contentType: 'application/merge-patch+json',
        object: obj(ns, name),
      })
    },
    async podEvents(ns, name) {
      const q = `?fieldSelector=${encodeURIComponent(`involvedObject.kind=Pod,involvedObject.name=${name}`)}`
      const l = await kube.request<{ items?: KubeEvent[] }>('GET', `/api/v1/namespaces/${ns}/events${q}`, {
        object: { kind: 'Event', namespace: ns },
      })
      return l.items ?? []
    },
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
    async canI(verb, resource, subresource, namespace) {
      const r = await kube.request<{ status?: { allowed?: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { namespace, verb, resource, subresource } },
          },
        },
      )
      return r.status?.allowed === true
    },
    exec: (req: ExecRequest) => kube.exec(req),
  }
}
