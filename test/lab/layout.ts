// Where the lab lives and how it is addressed: the contract between the lab and every test.
import path from 'node:path'
import os from 'node:os'

/** Pinned upstream versions; binaries are cached per Kubernetes version. */
export const VERSIONS = { kubernetes: 'v1.33.13', coredns: 'v1.14.7', metricsServer: 'v0.9.0' } as const

/** Lab state directory (kubeconfig, certs, ssh files, logs). */
export const LAB_DIR = process.env.KINSPECT_LAB_DIR ?? '/var/lib/kinspect-lab'
/** Runtime directory (sockets, pid files). */
export const RUN_DIR = '/run/kinspect-lab'
/** Cache of built binaries, outside the repo. */
export const CACHE_DIR = process.env.KINSPECT_LAB_CACHE ?? path.join(os.homedir(), '.cache', 'kinspect-lab', VERSIONS.kubernetes)

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
} as const

/** The one real node (the machine itself, reached over SSH). */
export const NODE = 'lab-1'
/** Kubeconfig context and cluster name. */
export const CONTEXT = 'kinspect-lab'

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
    pki: path.join(dir, 'pki'),
    logs: path.join(dir, 'logs'),
    extraNodes: path.join(dir, 'extra-nodes.txt'),
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
