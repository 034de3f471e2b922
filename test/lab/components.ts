// The lab's daemons: how each is started, checked and stopped.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODE, RUN_DIR, labPaths } from './layout.ts'
import { bin } from './build.ts'
import { alivePid, startDaemon, stopPid } from './sh.ts'

/** One daemon of the lab. */
export interface Component {
  name: string
  argv: () => string[]
}

const P = labPaths()
const pki = (f: string) => path.join(P.pki, f)
export const ETCD_URL = 'http://127.0.0.1:23790'

/** Every daemon in start order. */
export const COMPONENTS: Component[] = [
  { name: 'containerd', argv: () => ['/usr/bin/containerd', '--config', path.join(LAB_DIR, 'containerd.toml')] },
  {
    name: 'etcd',
    argv: () => [bin('etcd'), '--data-dir', path.join(LAB_DIR, 'etcd'), '--listen-client-urls', ETCD_URL, '--listen-peer-urls', 'http://127.0.0.1:23800'],
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
  { name: 'sshd', argv: () => ['/usr/sbin/sshd', '-D', '-e', '-f', path.join(P.sshDir, 'sshd_config')] },
  {
    name: 'kubelet',
    argv: () => [
      bin('kubelet'),
      `--config=${path.join(LAB_DIR, 'kubelet.yaml')}`,
      `--kubeconfig=${path.join(LAB_DIR, 'kubelet.kubeconfig')}`,
      `--root-dir=${path.join(LAB_DIR, 'kubelet')}`,
      `--cert-dir=${path.join(LAB_DIR, 'kubelet', 'pki')}`,
      `--hostname-override=${NODE}`,
      `--node-ip=${NET.nodeIP}`,
      '--v=1',
    ],
  },
  { name: 'kube-proxy', argv: () => [bin('kube-proxy'), `--config=${path.join(LAB_DIR, 'kube-proxy.yaml')}`] },
]

/** The pid file of a component. */
export const pidFile = (name: string) => path.join(RUN_DIR, `${name}.pid`)
/** The log file of a component. */
export const logFile = (name: string) => path.join(P.logs, `${name}.log`)

/** The component by name (throws naming the known ones). */
export function component(name: string): Component {
  const c = COMPONENTS.find((x) => x.name === name)
  if (!c) throw new Error(`lab: unknown component ${name}; known: ${COMPONENTS.map((x) => x.name).join(', ')}`)
  return c
}

/** Starts a component unless it is already running; returns its pid. */
export function start(name: string): number {
  const running = alivePid(pidFile(name))
  if (running) return running
  fs.mkdirSync(RUN_DIR, { recursive: true })
  fs.mkdirSync(P.logs, { recursive: true })
  const argv = component(name).argv()
  fs.appendFileSync(logFile(name), `\n=== ${new Date().toISOString()} start: ${argv.join(' ')}\n`)
  return startDaemon(name, argv, pidFile(name), logFile(name))
}

/** Stops a component (SIGTERM, then SIGKILL). */
export async function stop(name: string, graceMs = 8000): Promise<void> {
  await stopPid(pidFile(name), graceMs)
}

/** Pid of a running component, or null. */
export const running = (name: string) => alivePid(pidFile(name))
