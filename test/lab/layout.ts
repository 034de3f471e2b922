// Where the lab lives and how it is addressed: the contract between the lab and every test.
import path from 'node:path'
import os from 'node:os'

/** Pinned upstream versions; binaries are cached per Kubernetes version. */
export const VERSIONS = { kubernetes: 'v1.33.13', coredns: 'v1.14.7', metricsServer: 'v0.9.0' } as const

/** Lab state directory (kubeconfig, certs, ssh files, logs). */
export const LAB_DIR = process.env.KINSPECT_LAB_DIR ?? '/var/lib/kinspect-lab'
/** Runtime directory (sockets, pid files). */
export const RUN_DIR = '/run/kinspect-lab'
/** nf_conntrack_max as it was before conntrack-full lowered it: written by "on", removed by "off", read by up. */
export const CONNTRACK_MAX_BEFORE = path.join(LAB_DIR, 'conntrack-max.before')
/** Cache of built binaries, outside the repo. */
export const CACHE_DIR =
  process.env.KINSPECT_LAB_CACHE ?? path.join(os.homedir(), '.cache', 'kinspect-lab', VERSIONS.kubernetes)

/** Network plan: every range is routed only into interfaces the lab made, or unreachable. */
export const NET = {
  hostIf: 'klab0', // a port-less bridge standing in for a dummy interface (CONFIG_DUMMY is off here)
  nodeIP: '10.99.0.1',
  nodeCIDR: '10.99.0.0/24',
  cniBridge: 'kcni0',
  podCIDR: '10.244.0.0/16',
  nodePodCIDR: '10.244.0.0/24',
  podGateway: '10.244.0.1',
  serviceCIDR: '10.96.0.0/16',
  serviceRange: '10.96.0.0/12',
  kubernetesSvcIP: '10.96.0.1',
  dnsIP: '10.96.0.10',
  apiPort: 6443,
  sshPort: 2222,
  routeTable: 4244,
  ruleprio: 4244,
  extraNodePrefix: '127.0.1.', // extra SSH-only nodes listen on 127.0.1.N
  labBridgeCIDR: '10.99.0.0/24',
  nodeVethPrefix: 'kv-', // host side of a namespaced node's link to klab0 (kv-lab-2); the node side is its eth0
} as const

/** One real node of the lab. */
export interface LabNode {
  name: string
  /** InternalIP on the lab bridge klab0. */
  ip: string
  /** The node's pod range (host-local IPAM on its own CNI bridge kcni0). */
  podCIDR: string
  podGateway: string
  /** lab-1 is this machine itself; the others live in network, PID, mount, UTS and IPC namespaces of their own. */
  host: boolean
}

/** The three real nodes. Pod traffic between nodes is routed (node IP as next hop), no overlay. */
export const NODES: readonly LabNode[] = [
  { name: 'lab-1', ip: '10.99.0.1', podCIDR: '10.244.0.0/24', podGateway: '10.244.0.1', host: true },
  { name: 'lab-2', ip: '10.99.0.2', podCIDR: '10.244.1.0/24', podGateway: '10.244.1.1', host: false },
  { name: 'lab-3', ip: '10.99.0.3', podCIDR: '10.244.2.0/24', podGateway: '10.244.2.1', host: false },
]

/** The node that is this machine (the control plane runs here too). */
export const NODE = 'lab-1'
/** Kubeconfig context and cluster name. */
export const CONTEXT = 'kinspect-lab'

/** The node by name; throws naming the known ones. */
export function labNode(name: string): LabNode {
  const n = NODES.find((x) => x.name === name)
  if (!n) throw new Error(`lab: unknown node "${name}"; nodes: ${NODES.map((x) => x.name).join(', ')}`)
  return n
}

/** Where a node keeps its files. lab-1 keeps the paths the single-node lab used; the others live under nodes/NAME. */
export function nodePaths(name: string) {
  const n = labNode(name)
  const state = n.host ? LAB_DIR : path.join(LAB_DIR, 'nodes', name)
  const runDir = n.host ? RUN_DIR : path.join(RUN_DIR, 'nodes', name)
  return {
    state,
    runDir,
    containerdSock: path.join(runDir, 'containerd.sock'),
    containerdConfig: path.join(state, 'containerd.toml'),
    containerdRoot: path.join(CACHE_DIR, n.host ? 'containerd-root' : `containerd-root-${name}`),
    cniDir: path.join(state, 'cni'),
    kubeletRoot: path.join(state, 'kubelet'),
    kubeletConfig: path.join(state, 'kubelet.yaml'),
    kubeletKubeconfig: path.join(LAB_DIR, `kubelet-${name}.kubeconfig`),
    kubeProxyConfig: path.join(state, 'kube-proxy.yaml'),
    crictlConfig: n.host ? '/etc/crictl.yaml' : path.join(state, 'crictl.yaml'),
    sshHostKey: n.host ? path.join(LAB_DIR, 'ssh', 'host_ed25519') : path.join(state, 'ssh', 'host_ed25519'),
    sshdConfig: n.host ? path.join(LAB_DIR, 'ssh', 'sshd_config') : path.join(state, 'ssh', 'sshd_config'),
    /** PID (in this machine's PID namespace) of the node's init; none for lab-1. */
    initPid: path.join(runDir, 'init.pid'),
    ready: path.join(runDir, 'init.ready'),
    /** The kubelet's cgroup root: lab-1 uses /, the others one of their own. */
    cgroupRoot: n.host ? '/' : `/kinspect-${name}`,
  }
}

/** Paths of the files the lab writes for its users. */
export function labPaths(dir = LAB_DIR) {
  return {
    dir,
    kubeconfig: path.join(dir, 'kubeconfig'),
    sshDir: path.join(dir, 'ssh'),
    sshConfig: path.join(dir, 'ssh', 'ssh_config'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    identity: path.join(dir, 'ssh', 'id_ed25519'),
    kinspectConfig: path.join(dir, '.recipes'),
    kinspectConfigNoSsh: path.join(dir, '.recipes-nossh'),
    pki: path.join(dir, 'pki'),
    logs: path.join(dir, 'logs'),
    extraNodes: path.join(dir, 'extra-nodes.txt'),
    /** Kubeconfigs of users with less than cluster-admin: view (read-only RBAC), no-exec (no pods/exec, no pods create). */
    kubeconfigView: path.join(dir, 'kubeconfig-view'),
    kubeconfigNoExec: path.join(dir, 'kubeconfig-no-exec'),
    /** A kubeconfig whose client certificate expired yesterday. */
    kubeconfigExpired: path.join(dir, 'kubeconfig-expired'),
  }
}

/** Shell exports that point kubectl, ssh and kinspect at the lab. */
export function labEnvVars(dir = LAB_DIR): Record<string, string> {
  const p = labPaths(dir)
  return {
    KUBECONFIG: p.kubeconfig,
    KINSPECT_CONFIG: p.kinspectConfig,
    KINSPECT_SSH_CONFIG: p.sshConfig,
    KINSPECT_KNOWN_HOSTS: p.knownHosts,
    KINSPECT_LAB_DIR: dir,
  }
}

/** The chain on every lab node (host and namespaced) that keeps pods' traffic inside the lab. */
export const EGRESS_CHAIN = 'KINSPECT-LAB-EGRESS'

/**
 * The rules of EGRESS_CHAIN (iptables argv after `-A CHAIN`) on a node whose lab interface is `out`: pods may reach
 * the other nodes and their pods over it; anything else leaving the pod bridge is dropped.
 */
export function egressRules(out: string): string[][] {
  const allow = [NET.podCIDR, NET.labBridgeCIDR].map((dst) => [
    '-i',
    NET.cniBridge,
    '-o',
    out,
    '-d',
    dst,
    '-j',
    'RETURN',
  ])
  const comment = ['-m', 'comment', '--comment', 'kinspect lab: pods never leave the lab']
  return [...allow, ['-i', NET.cniBridge, '!', '-o', NET.cniBridge, ...comment, '-j', 'DROP']]
}
