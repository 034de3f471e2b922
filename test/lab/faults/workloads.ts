// Faults in workloads: pods that cannot be scheduled, a container killed for memory, an image that exists nowhere,
// a rollout that never finishes. Each is applied with kubectl and removed again; none touches what the lab runs.
import { kubectl, kubectlJSON } from '../lab.ts'
import { IMAGES } from '../manifests.ts'
import { waitFor } from '../sh.ts'
import type { Scenario } from './types.ts'

const apply = (yaml: string) => kubectl(['apply', '-f', '-'], { input: yaml })
const del = (...args: string[]) => kubectl(['delete', '--ignore-not-found', '--wait=true', '--grace-period=1', ...args])
const LABEL = 'kinspect.dev/scenario'

/** The taint pending-taint puts on its node (NoSchedule only: nothing running there is evicted). */
export const PENDING_TAINT = { key: 'kinspect.dev/pending-taint', value: 'demo', effect: 'NoSchedule' } as const
/** The image image-missing asks for: a reserved name (.invalid never resolves), pulled on a node with no route out. */
export const MISSING_IMAGE = 'registry.invalid/kinspect/missing:1.0'
/** The image image-missing's second pod asks for with imagePullPolicy Never: no node has it. */
export const NEVER_IMAGE = 'kinspect.local/missing:1.0'
/** Where the image pulls are tried: lab-2 has no route off the lab (its nameserver 10.255.255.53 is unreachable). */
export const IMAGE_NODE = 'lab-2'
/** Where the memory hog runs (a namespaced node: its pod cgroups live under /kinspect-lab-2). */
export const OOM_NODE = 'lab-2'
/** The memory limit of the hog and what it allocates. */
export const OOM_LIMIT = '32Mi'

/** The PodScheduled condition of a pod ("False/Unschedulable: 0/3 nodes ..."), or "" when the pod is missing. */
export function scheduled(ns: string, pod: string): string {
  const r = kubectl(
    [
      'get',
      'pod',
      pod,
      '-n',
      ns,
      '-o',
      'jsonpath={range .status.conditions[?(@.type=="PodScheduled")]}{.status}/{.reason}: {.message}{end}',
    ],
    { ok: true },
  )
  return r.code === 0 ? r.stdout.trim() : ''
}

/** The first container status of a pod (undefined when the pod or its status is missing). */
export function containerStatus(ns: string, pod: string): any {
  const r = kubectl(['get', 'pod', pod, '-n', ns, '-o', 'json'], { ok: true })
  return r.code === 0 ? JSON.parse(r.stdout).status?.containerStatuses?.[0] : undefined
}

/** The Progressing condition of a Deployment as "Status/Reason". */
export function progressing(ns: string, deploy: string): string {
  return kubectl(
    [
      'get',
      'deployment',
      deploy,
      '-n',
      ns,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}',
    ],
    { ok: true },
  ).stdout.trim()
}

const pendingBig = `apiVersion: v1
kind: Pod
metadata: {name: pending-big, namespace: shop, labels: {app: pending-big, ${LABEL}: "true"}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: "64", memory: 64Mi}
`

const pendingTaint = (node: string) => `apiVersion: v1
kind: Pod
metadata: {name: pending-taint, namespace: shop, labels: {app: pending-taint, ${LABEL}: "true"}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 10m, memory: 16Mi}
`

// dd's 64 MiB buffer is written by reading /dev/zero into it: every page is touched, so the container reaches its
// 32 MiB limit and the kernel's memory cgroup kills dd (exit 137, reason OOMKilled), again after each restart.
const memhog = `apiVersion: v1
kind: Pod
metadata: {name: memhog, namespace: shop, labels: {app: memhog, ${LABEL}: "true"}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${OOM_NODE}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo 'memhog: allocating a 64 MiB buffer'; exec dd if=/dev/zero of=/dev/null bs=64M count=1"]
    resources:
      requests: {cpu: 50m, memory: ${OOM_LIMIT}}
      limits: {cpu: 50m, memory: ${OOM_LIMIT}}
`

const imagePods = `apiVersion: v1
kind: Pod
metadata: {name: image-missing, namespace: shop, labels: {app: image-missing, ${LABEL}: "true"}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${IMAGE_NODE}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${MISSING_IMAGE}
    imagePullPolicy: Always
---
apiVersion: v1
kind: Pod
metadata: {name: image-never, namespace: shop, labels: {app: image-never, ${LABEL}: "true"}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${IMAGE_NODE}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${NEVER_IMAGE}
    imagePullPolicy: Never
`

/** Deployment shop/checkout: v1 writes /tmp/ready (its readiness probe passes), v2 never does. */
const checkout = (version: 'v1' | 'v2') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop, labels: {app: checkout, ${LABEL}: "true"}}
spec:
  replicas: 2
  progressDeadlineSeconds: 8
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout, version: ${version}}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [lab-1, lab-2, lab-3]}]
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: ${IMAGES.busybox}
        imagePullPolicy: Never
        env: [{name: VERSION, value: ${version}}]
        command: ["sh", "-c", ${JSON.stringify(version === 'v1' ? "echo 'checkout v1 ready'; touch /tmp/ready; trap 'exit 0' TERM; while :; do sleep 3600 & wait; done" : "echo 'checkout v2: waiting for the payments backend before reporting ready'; trap 'exit 0' TERM; while :; do sleep 3600 & wait; done")}]
        readinessProbe:
          exec: {command: ["cat", "/tmp/ready"]}
          periodSeconds: 1
          failureThreshold: 1
`

const checkoutVersion = () =>
  kubectl(['get', 'deployment', 'checkout', '-n', 'shop', '-o', 'jsonpath={.spec.template.metadata.labels.version}'], {
    ok: true,
  }).stdout.trim()

/** Faults of workloads (pods, Deployments) in the shop namespace. */
export const WORKLOAD_FAULTS: Scenario[] = [
  {
    name: 'pending-resources',
    breaks:
      'Pod shop/pending-big requests 64 CPUs, more than any node has allocatable: it stays Pending (FailedScheduling: Insufficient cpu)',
    async on() {
      apply(pendingBig)
      await waitFor(
        'shop/pending-big to be unschedulable',
        () => scheduled('shop', 'pending-big').startsWith('False/Unschedulable'),
        15_000,
        300,
      )
    },
    async off() {
      del('pod', 'pending-big', '-n', 'shop')
    },
  },
  {
    name: 'pending-taint',
    breaks: `the node is tainted ${PENDING_TAINT.key}=${PENDING_TAINT.value}:NoSchedule and Pod shop/pending-taint, pinned to it by nodeSelector, has no toleration: it stays Pending`,
    node: { default: 'lab-3' },
    async on({ node }) {
      kubectl([
        'taint',
        'node',
        node,
        `${PENDING_TAINT.key}=${PENDING_TAINT.value}:${PENDING_TAINT.effect}`,
        '--overwrite',
      ])
      apply(pendingTaint(node))
      await waitFor(
        'shop/pending-taint to be unschedulable',
        () => scheduled('shop', 'pending-taint').startsWith('False/Unschedulable'),
        15_000,
        300,
      )
    },
    async off({ node }) {
      del('pod', 'pending-taint', '-n', 'shop')
      const taints = (kubectlJSON(['get', 'node', node]).spec?.taints ?? []) as { key: string }[]
      if (taints.some((t) => t.key === PENDING_TAINT.key)) kubectl(['taint', 'node', node, `${PENDING_TAINT.key}-`])
    },
  },
  {
    name: 'oomkill',
    breaks: `Pod shop/memhog on ${OOM_NODE} allocates 64 MiB under a ${OOM_LIMIT} limit: the kernel's memory cgroup kills it (OOMKilled, exit 137) after each restart`,
    async on() {
      apply(memhog)
      await waitFor(
        'shop/memhog to be OOMKilled and restarted',
        () => {
          const st = containerStatus('shop', 'memhog')
          return (st?.restartCount ?? 0) >= 1 && st?.lastState?.terminated?.reason === 'OOMKilled'
        },
        15_000,
        300,
      )
    },
    async off() {
      del('pod', 'memhog', '-n', 'shop')
    },
  },
  {
    name: 'image-missing',
    breaks: `Pod shop/image-missing on ${IMAGE_NODE} pulls ${MISSING_IMAGE}, which exists nowhere (ErrImagePull, then ImagePullBackOff; the node has no route out); shop/image-never asks for ${NEVER_IMAGE} with imagePullPolicy Never (ErrImageNeverPull)`,
    async on() {
      apply(imagePods)
      await waitFor(
        'both pods to wait on their images',
        () => {
          const a = containerStatus('shop', 'image-missing')?.state?.waiting?.reason
          const b = containerStatus('shop', 'image-never')?.state?.waiting?.reason
          return ['ErrImagePull', 'ImagePullBackOff'].includes(a) && b === 'ErrImageNeverPull'
        },
        15_000,
        300,
      )
    },
    async off() {
      del('pod', 'image-missing', 'image-never', '-n', 'shop')
    },
  },
  {
    name: 'rollout-stuck',
    breaks:
      'Deployment shop/checkout rolls out v2, whose readiness probe never passes: the new pod is never Ready, the old ones stay, Progressing=False (ProgressDeadlineExceeded after 8 s)',
    async on() {
      if (checkoutVersion() !== 'v2') {
        apply(checkout('v1'))
        await waitFor(
          'shop/checkout v1 to be ready',
          () => {
            const d = kubectlJSON(['get', 'deployment', 'checkout', '-n', 'shop'])
            return (
              d.status?.readyReplicas === 2 &&
              d.status?.updatedReplicas === 2 &&
              d.status?.observedGeneration === d.metadata.generation
            )
          },
          30_000,
          300,
        )
        apply(checkout('v2'))
      }
      await waitFor(
        'shop/checkout to exceed its progress deadline',
        () => progressing('shop', 'checkout') === 'False/ProgressDeadlineExceeded',
        30_000,
        300,
      )
    },
    async off() {
      del('deployment', 'checkout', '-n', 'shop')
      await waitFor(
        'checkout pods gone',
        () =>
          kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=checkout', '-o', 'name'], { ok: true }).stdout.trim() === '',
        30_000,
        300,
      )
    },
  },
]
