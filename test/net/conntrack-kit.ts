// Shared by the conntrack tests: line splitting, counters summed with a plain regex, kube-dns from the lab capture.
import { labFx } from './fake.ts'

/** The non-blank lines of a text. */
export const lines = (t: string) => t.split('\n').filter((l) => l.trim())
/** A counter of conntrack -S summed over the CPU lines with a plain regex (independent of the parser). */
export const sumOf = (text: string, field: string) =>
  lines(text).reduce((n, l) => n + Number(new RegExp(`\\b${field}=(\\d+)`).exec(l)![1]), 0)
/** kube-dns's ClusterIP and its endpoint addresses, from the API objects of the same capture. */
export const KUBE_DNS = (() => {
  const svc = JSON.parse(labFx('kubectl-services.json')).items.find(
    (s: any) => s.metadata.namespace === 'kube-system' && s.metadata.name === 'kube-dns',
  )
  const slices = JSON.parse(labFx('kubectl-endpointslices.json')).items.filter(
    (s: any) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns',
  )
  return {
    ip: svc.spec.clusterIP as string,
    endpoints: slices.flatMap((s: any) => s.endpoints.map((e: any) => e.addresses[0] as string)) as string[],
  }
})()
