// Looking at the lab with plain tools, on the right node: a pod's node and PID, commands in its netns, a node's rules.
import { bin } from './build.ts'
import { kubectl, kubectlJSON } from './lab.ts'
import { inNode } from './nodes.ts'
import { run } from './sh.ts'

/** The node a pod runs on. */
export function podNode(ns: string, pod: string): string {
  const n = kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.spec.nodeName}']).stdout.trim()
  if (!n) throw new Error(`lab: ${ns}/${pod} is not scheduled`)
  return n
}

/** crictl on a node (its own /etc/crictl.yaml points at its own containerd). */
export function crictl(node: string, args: string[]): string {
  return run(inNode(node, [bin('crictl'), ...args])).stdout
}

/** PID of a pod's first container process, in its node's PID namespace (use it with inNode / onPodNetns). */
export function podPid(ns: string, pod: string, node = podNode(ns, pod)): number {
  const sandbox = crictl(node, ['pods', '-q', '--name', `^${pod}$`, '--namespace', `^${ns}$`, '--state', 'ready'])
    .trim()
    .split('\n')[0]
  if (!sandbox) throw new Error(`lab: no ready sandbox for ${ns}/${pod} on ${node}`)
  const ids = crictl(node, ['ps', '-q', '--pod', sandbox, '--state', 'running']).trim().split('\n').filter(Boolean)
  if (!ids.length) throw new Error(`lab: no running container for ${ns}/${pod} on ${node}`)
  return JSON.parse(crictl(node, ['inspect', ids[0]])).info.pid
}

/** argv that runs `argv` in a pod's network namespace, from its node. */
export function inPodNetns(ns: string, pod: string, argv: string[]): string[] {
  const node = podNode(ns, pod)
  return inNode(node, ['nsenter', '-t', String(podPid(ns, pod, node)), '-n', ...argv])
}

/** Runs argv in a pod's network namespace (from its node); ok: true returns failures instead of throwing. */
export function onPodNetns(ns: string, pod: string, argv: string[], opts: { ok?: boolean; timeout?: number } = {}) {
  return run(inPodNetns(ns, pod, argv), opts)
}

/** Host-side veth of a pod on its node (the interface whose ifindex is the pod eth0's iflink). */
export function hostVeth(ns: string, pod: string): { node: string; veth: string } {
  const node = podNode(ns, pod)
  // Ask netlink inside the netns: /sys under `nsenter -n` still shows the node's interfaces.
  const [eth0] = JSON.parse(run(inPodNetns(ns, pod, ['ip', '-j', 'link', 'show', 'eth0'])).stdout) as any[]
  const iflink = String(eth0?.link_index ?? '')
  const links = JSON.parse(run(inNode(node, ['ip', '-j', 'link', 'show', 'type', 'veth'])).stdout) as any[]
  const l = links.find((x) => String(x.ifindex) === iflink)
  if (!l) throw new Error(`lab: no interface with ifindex ${iflink} on ${node}`)
  return { node, veth: l.ifname }
}

/** Pod IPs of ready endpoints in the Service's EndpointSlices. */
export function sliceIPs(ns: string, svc: string): string[] {
  const slices = kubectlJSON(['get', 'endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${svc}`])
    .items as any[]
  return slices
    .flatMap((s) =>
      (s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false).flatMap((e: any) => e.addresses),
    )
    .sort()
}

/** DNAT targets (ip) of kube-proxy's KUBE-SEP chains for ns/svc in a node's iptables-save. */
export function iptablesEndpointIPs(ns: string, svc: string, node = 'lab-1'): string[] {
  const out = run(inNode(node, ['iptables-save', '-t', 'nat'])).stdout
  const re = new RegExp(
    `^-A KUBE-SEP-\\S+ .*--comment "?${ns}/${svc}:[^ "]*"? .*--to-destination (\\d+\\.\\d+\\.\\d+\\.\\d+):`,
    'gm',
  )
  return [...new Set([...out.matchAll(re)].map((m) => m[1]))].sort()
}

/** Ready condition of a node ("True", "False", "Unknown" or ""). */
export function nodeReady(node: string): string {
  return kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], {
    ok: true,
  }).stdout.trim()
}

/** The CoreDNS pods with their node and IP. */
export function corednsPods(): Array<{ name: string; node: string; ip: string }> {
  return (kubectlJSON(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns']).items as any[])
    .filter((p) => !p.metadata.deletionTimestamp && p.status.podIP)
    .map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status.podIP }))
}
