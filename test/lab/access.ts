// Real permissions in the lab: users with less than cluster-admin (view, no-exec, an expired certificate), their
// RBAC, a PodSecurity baseline namespace, and a node SSH user that reaches root only through `sudo -n`.
import fs from 'node:fs'
import path from 'node:path'
import { labPaths } from './layout.ts'
import { kubeconfig } from './configs.ts'
import { run, succeeds, writeFile } from './sh.ts'

const P = labPaths()

/** Client identities the lab's PKI makes besides the components' (user-NAME.crt). */
export const LAB_USERS = { view: 'kinspect-view', noExec: 'kinspect-no-exec' } as const
/** An identity whose certificate expired yesterday (the apiserver must refuse it). */
export const EXPIRED_USER = 'kinspect-expired'
/** The namespace where PodSecurity enforces the baseline level. */
export const BASELINE_NS = 'baseline'
/** The node user that is not root and uses sudo -n (NOPASSWD). */
export const SUDO_USER = 'kinspect-sudo'

/** Writes the kubeconfigs of the extra users. */
export function writeUserKubeconfigs(): void {
  writeFile(P.kubeconfigView, kubeconfig(P.pki, `user-${LAB_USERS.view}`, undefined, LAB_USERS.view), 0o600)
  writeFile(P.kubeconfigNoExec, kubeconfig(P.pki, `user-${LAB_USERS.noExec}`, undefined, LAB_USERS.noExec), 0o600)
  writeFile(P.kubeconfigExpired, kubeconfig(P.pki, `user-${EXPIRED_USER}`, undefined, EXPIRED_USER), 0o600)
}

// Resources the no-exec user may do anything with: everything a namespace holds except pods (and their exec,
// attach, port-forward and ephemeral containers). RBAC only adds, so "all but pods" is spelled out.
const NO_EXEC_FULL: Array<[string, string[]]> = [
  [
    '',
    [
      'configmaps',
      'secrets',
      'services',
      'endpoints',
      'events',
      'persistentvolumeclaims',
      'serviceaccounts',
      'resourcequotas',
      'limitranges',
      'replicationcontrollers',
      'namespaces',
      'nodes',
      'persistentvolumes',
    ],
  ],
  [
    'apps',
    [
      'deployments',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'controllerrevisions',
    ],
  ],
  ['batch', ['jobs', 'cronjobs']],
  ['discovery.k8s.io', ['endpointslices']],
  ['networking.k8s.io', ['ingresses', 'networkpolicies']],
  ['policy', ['poddisruptionbudgets']],
  ['coordination.k8s.io', ['leases']],
  ['events.k8s.io', ['events']],
  ['autoscaling', ['horizontalpodautoscalers']],
]

/** RBAC for the extra users and the baseline namespace (applied with kubectl). */
export function accessManifest(): string {
  const rules = NO_EXEC_FULL.map(
    ([g, rs]) => `- apiGroups: ["${g}"]\n  resources: [${rs.join(', ')}]\n  verbs: ["*"]`,
  ).join('\n')
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kinspect-lab:view", labels: {kinspect.dev/lab: access}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${LAB_USERS.view}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "kinspect-lab:no-exec", labels: {kinspect.dev/lab: access}}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, update, patch, delete, deletecollection]
${rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kinspect-lab:no-exec", labels: {kinspect.dev/lab: access}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "kinspect-lab:no-exec"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${LAB_USERS.noExec}}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${BASELINE_NS}
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: baseline
`
}

const SUDOERS = '/etc/sudoers.d/kinspect-lab'

/** The sudo user (login shell dash, NOPASSWD sudo); idempotent. */
export function ensureSudoUser(): void {
  if (!succeeds(['id', SUDO_USER]))
    run([
      'useradd',
      '--password',
      '*',
      '--no-create-home',
      '--home-dir',
      '/',
      '--shell',
      '/bin/dash',
      '--comment',
      'kinspect lab sudo user',
      SUDO_USER,
    ])
  fs.mkdirSync(path.dirname(SUDOERS), { recursive: true })
  const line = `# written by the kinspect lab\n${SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n`
  if (!fs.existsSync(SUDOERS) || fs.readFileSync(SUDOERS, 'utf8') !== line) {
    fs.writeFileSync(`${SUDOERS}.tmp`, line, { mode: 0o440 })
    run(['visudo', '-c', '-q', '-f', `${SUDOERS}.tmp`])
    fs.renameSync(`${SUDOERS}.tmp`, SUDOERS)
  }
}

/** Removes the sudo user and its sudoers file. */
export function removeSudoUser(): void {
  fs.rmSync(SUDOERS, { force: true })
  if (succeeds(['id', SUDO_USER])) run(['userdel', SUDO_USER], { ok: true })
}
