// The lab's daemons: how each is started, checked and stopped.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODES, RUN_DIR, labPaths, nodePaths, type LabNode } from './layout.ts'
import { bin } from './build.ts'
import { startOnNode } from './nodes.ts'
import { alivePid, startDaemon, stopPid } from './sh.ts'

/** One daemon of the lab. */
export interface Component {
  /** "etcd", or "kubelet@lab-2" for a node's own daemon. */
  id: string
  name: string
  /** The node it runs on (inside its namespaces); undefined for the control plane. */
  node?: string
  argv: () => string[]
  pidFile: string
  logFile: string
}

const P = labPaths()
const pki = (f: string) => path.join(P.pki, f)
export const ETCD_URL = 'http://127.0.0.1:23790'

/** Daemons of the node itself, in start order; each node runs its own. */
export const NODE_DAEMONS = ['containerd', 'sshd', 'kubelet', 'kube-proxy'] as const

/** The control plane, on this machine, in start order. */
const CONTROL_PLANE: Array<{ name: string; argv: () => string[] }> = [
  {
    name: 'etcd',
    argv: () => [
      bin('etcd'),
      '--data-dir',
      path.join(LAB_DIR, 'etcd'),
      '--listen-client-urls',
      ETCD_URL,
      '--listen-peer-urls',
      'http://127.0.0.1:23800',
    ],
  },
  {
    name: 'kube-apiserver',
    argv: () => [
      bin('kube-apiserver'),
      `--etcd-servers=${ETCD_URL}`,
      `--bind-address=${NET.nodeIP}`,
      `--advertise-address=${NET.nodeIP}`,
      `--secure-port=${NET.apiPort}`,
      `--service-cluster-ip-range=${NET.serviceCIDR}`,
      `--client-ca-file=${pki('ca.crt')}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
      `--kubelet-certificate-authority=${pki('ca.crt')}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--service-account-key-file=${pki('sa.pub')}`,
      `--service-account-signing-key-file=${pki('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      '--profiling=false',
      '--event-ttl=2h',
      // The aggregation layer (metrics.k8s.io is served by metrics-server through it), as kubeadm sets it.
      `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      `--proxy-client-cert-file=${pki('front-proxy-client.crt')}`,
      `--proxy-client-key-file=${pki('front-proxy-client.key')}`,
    ],
  },
  {
    name: 'kube-controller-manager',
    argv: () => [
      bin('kube-controller-manager'),
      `--kubeconfig=${path.join(LAB_DIR, 'controller-manager.kubeconfig')}`,
      `--authentication-kubeconfig=${path.join(LAB_DIR, 'controller-manager.kubeconfig')}`,
      `--authorization-kubeconfig=${path.join(LAB_DIR, 'controller-manager.kubeconfig')}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki('sa.key')}`,
      `--root-ca-file=${pki('ca.crt')}`,
      `--cluster-signing-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-key-file=${pki('ca.key')}`,
      '--allocate-node-cidrs=false',
      '--node-monitor-period=2s',
      '--node-monitor-grace-period=16s',
      '--profiling=false',
    ],
  },
  {
    name: 'kube-scheduler',
    argv: () => [
      bin('kube-scheduler'),
      `--kubeconfig=${path.join(LAB_DIR, 'scheduler.kubeconfig')}`,
      `--authentication-kubeconfig=${path.join(LAB_DIR, 'scheduler.kubeconfig')}`,
      `--authorization-kubeconfig=${path.join(LAB_DIR, 'scheduler.kubeconfig')}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--profiling=false',
    ],
  },
]

function nodeDaemonArgv(name: (typeof NODE_DAEMONS)[number], node: LabNode): string[] {
  const np = nodePaths(node.name)
  switch (name) {
    case 'containerd':
      return ['/usr/bin/containerd', '--config', np.containerdConfig]
    case 'sshd':
      return ['/usr/sbin/sshd', '-D', '-e', '-f', np.sshdConfig]
    case 'kubelet':
      return [
        bin('kubelet'),
        `--config=${np.kubeletConfig}`,
        `--kubeconfig=${np.kubeletKubeconfig}`,
        `--root-dir=${np.kubeletRoot}`,
        `--cert-dir=${path.join(np.kubeletRoot, 'pki')}`,
        `--hostname-override=${node.name}`,
        `--node-ip=${node.ip}`,
        '--v=1',
      ]
    case 'kube-proxy':
      return [bin('kube-proxy'), `--config=${np.kubeProxyConfig}`]
  }
}

/** Every daemon of the lab: the control plane first, then each node's own. */
export const COMPONENTS: Component[] = [
  ...CONTROL_PLANE.map((c) => ({
    id: c.name,
    name: c.name,
    argv: c.argv,
    pidFile: path.join(RUN_DIR, `${c.name}.pid`),
    logFile: path.join(P.logs, `${c.name}.log`),
  })),
  ...NODES.flatMap((n) =>
    NODE_DAEMONS.map((d) => ({
      id: `${d}@${n.name}`,
      name: d,
      node: n.name,
      argv: () => nodeDaemonArgv(d, n),
      pidFile: path.join(nodePaths(n.name).runDir, `${d}.pid`),
      logFile: path.join(P.logs, n.host ? `${d}.log` : `${d}-${n.name}.log`),
    })),
  ),
]

/** The id of a node daemon, e.g. kubelet@lab-2. */
export const onNode = (daemon: (typeof NODE_DAEMONS)[number], node: string) => `${daemon}@${node}`

/** The component by id (throws naming the known ones). */
export function component(id: string): Component {
  const c = COMPONENTS.find((x) => x.id === id)
  if (!c) throw new Error(`lab: unknown component ${id}; known: ${COMPONENTS.map((x) => x.id).join(', ')}`)
  return c
}

/** The log file of a component. */
export const logFile = (id: string) => component(id).logFile

/** Starts a component unless it is already running; returns its pid. */
export async function start(id: string): Promise<number> {
  const c = component(id)
  const running = alivePid(c.pidFile)
  if (running) return running
  fs.mkdirSync(path.dirname(c.pidFile), { recursive: true })
  fs.mkdirSync(P.logs, { recursive: true })
  const argv = c.argv()
  fs.appendFileSync(c.logFile, `\n=== ${new Date().toISOString()} start: ${argv.join(' ')}\n`)
  return c.node ? startOnNode(c.node, c.id, argv, c.pidFile, c.logFile) : startDaemon(c.id, argv, c.pidFile, c.logFile)
}

/** Stops a component (SIGTERM, then SIGKILL). */
export async function stop(id: string, graceMs = 8000): Promise<void> {
  await stopPid(component(id).pidFile, graceMs)
}

/** Pid of a running component, or null. */
export const running = (id: string) => alivePid(component(id).pidFile)
