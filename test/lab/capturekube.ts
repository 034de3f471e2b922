// `npm run lab -- capture kube`: API objects with what kubectl printed for them, into test/fixtures/lab/kube/.
import fs from 'node:fs'
import path from 'node:path'
import { kubectl } from './lab.ts'
import { IMAGES } from './manifests.ts'
import { scenario } from './scenarios.ts'
import { progress, sleep, waitFor } from './sh.ts'

const out = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab', 'kube')
/** The temporary namespace the capture creates and deletes. */
export const CAPTURE_NS = 'kinspect-capture'

const sleeper = `["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]`

/**
 * Shapes the lab has not at rest, made in CAPTURE_NS: a Deployment pod whose container failed once (exit 2) and
 * runs since; a pod whose main container crash-loops beside a healthy sidecar; a pod held in its first of two
 * init containers; a pod that never gets ready; a Service over the ready and the unready pod.
 */
export function captureManifest(): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${CAPTURE_NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${CAPTURE_NS}, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}}
    spec:
      nodeSelector: {kubernetes.io/hostname: lab-2}
      terminationGracePeriodSeconds: 1
      volumes: [{name: state, emptyDir: {}}]
      containers:
      - name: web
        image: ${IMAGES.busybox}
        imagePullPolicy: Never
        command: ["sh", "-c", "if [ ! -e /state/started ]; then touch /state/started; echo 'web: cannot bind :8080 yet' >&2; exit 2; fi; exec httpd -f -p 8080 -h /state"]
        ports: [{containerPort: 8080, name: http}]
        volumeMounts: [{name: state, mountPath: /state}]
        readinessProbe: {tcpSocket: {port: http}, periodSeconds: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-canary, namespace: ${CAPTURE_NS}, labels: {app: web-canary, tier: frontend}}
spec:
  nodeSelector: {kubernetes.io/hostname: lab-3}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ${sleeper}
    ports: [{containerPort: 8080, name: http}]
    readinessProbe: {tcpSocket: {port: http}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: frontend, namespace: ${CAPTURE_NS}}
spec:
  selector: {tier: frontend}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: crash, namespace: ${CAPTURE_NS}, labels: {app: crash}}
spec:
  nodeSelector: {kubernetes.io/hostname: lab-1}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo 'main: connecting to db:5432'; echo 'main: fatal: connection refused' >&2; exit 1"]
  - name: sidecar
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ${sleeper}
---
apiVersion: v1
kind: Pod
metadata: {name: initwait, namespace: ${CAPTURE_NS}, labels: {app: initwait}}
spec:
  nodeSelector: {kubernetes.io/hostname: lab-1}
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: wait-db
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; until nc -z -w 1 db 5432; do sleep 2 & wait; done"]
  - name: migrate
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo migrated"]
  containers:
  - name: app
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ${sleeper}
`
}

const getJSON = (args: string[]) => JSON.parse(kubectl([...args, '-o', 'json']).stdout)
const items = (j: any): any[] => (j.kind === 'List' || j.kind?.endsWith('List') ? j.items : [j])
/** kind/namespace/name@resourceVersion of every object read, to see whether anything changed. */
const versions = (objs: any[]) =>
  objs
    .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion}`)
    .sort()
    .join('\n')
/** Every RFC 3339 time in the objects (metav1.Time and MicroTime), in ms. */
const stamps = (objs: any[]) =>
  [...JSON.stringify(objs).matchAll(/"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"/g)].map((m) => Date.parse(m[1]))

/** One kubectl text with the objects it printed, and the moment ("now") it printed them at. */
export interface Pair {
  text: string
  objects: any[]
  now: number
}

/**
 * Runs `kubectl textArgs` between two reads of the objects (`get … -o json` for each of jsonArgs) and keeps it when
 * nothing changed in between and every age kubectl printed is the same for any moment of the run (no whole second
 * since any timestamp in the objects ends while kubectl runs), so a test can recompute each age from `now`.
 */
export function capturePair(name: string, textArgs: string[], jsonArgs: string[][], tries = 12): Pair {
  for (let attempt = 1; attempt <= tries; attempt++) {
    const before = jsonArgs.flatMap((a) => items(getJSON(a)))
    const t0 = Date.now()
    const text = kubectl(textArgs).stdout
    const t1 = Date.now()
    const after = jsonArgs.flatMap((a) => items(getJSON(a)))
    if (versions(before) !== versions(after)) continue
    if (stamps(before).some((t) => Math.floor((t0 - t) / 1000) !== Math.floor((t1 - t) / 1000))) continue
    return { text, objects: before, now: t0 }
  }
  throw new Error(
    `capture kube: ${name}: the objects changed or a second ended while kubectl ran, ${tries} times; run the capture again`,
  )
}

/** The pod of CAPTURE_NS with label app=APP. */
function nsPod(app: string): any {
  return getJSON(['get', 'pods', '-n', CAPTURE_NS, '-l', `app=${app}`]).items[0]
}

/** Waits for the shapes captureManifest makes: one restart of web, crash in CrashLoopBackOff with repeated BackOff events. */
async function waitShapes(): Promise<void> {
  await waitFor(
    'web to restart once and be ready',
    () => {
      const s = nsPod('web')?.status?.containerStatuses?.[0]
      return s?.restartCount === 1 && s.ready && s.lastState?.terminated?.exitCode === 2
    },
    90_000,
    1000,
  )
  await waitFor(
    'crash/main in CrashLoopBackOff after 2 restarts, with repeated BackOff events',
    () => {
      const main = nsPod('crash')?.status?.containerStatuses?.find((c: any) => c.name === 'main')
      const backoff = (getJSON(['get', 'events', '-n', CAPTURE_NS]).items as any[]).find(
        (e) => e.reason === 'BackOff' && e.involvedObject?.name === 'crash',
      )
      return main?.restartCount >= 2 && main.state?.waiting?.reason === 'CrashLoopBackOff' && (backoff?.count ?? 0) >= 2
    },
    180_000,
    1000,
  )
  await waitFor(
    'initwait held in wait-db',
    () => nsPod('initwait')?.status?.initContainerStatuses?.[0]?.state?.running,
    60_000,
    1000,
  )
  await waitFor(
    'web-canary running and not ready',
    () => {
      const s = nsPod('web-canary')?.status?.containerStatuses?.[0]
      return s?.state?.running && s.ready === false
    },
    60_000,
    1000,
  )
}

function deleteNamespace(): void {
  kubectl(['delete', 'namespace', CAPTURE_NS, '--ignore-not-found', '--wait=true', '--timeout=120s'])
}

/**
 * `capture kube`: the shapes of captureManifest, the shop Services and pods, the nodes and lab-1's Lease, each
 * with `kubectl get -o wide` or `kubectl describe` of the same moment, then every node as `get nodes -o wide` shows
 * it while lab-2 is NotReady (node-notready). Deletes CAPTURE_NS and turns the scenario off whatever happens.
 */
export async function captureKube(): Promise<void> {
  fs.mkdirSync(out, { recursive: true })
  const pairs: Record<string, Pair> = {}
  const pair = (name: string, textArgs: string[], jsonArgs: string[][]) =>
    (pairs[name] = capturePair(name, textArgs, jsonArgs))
  const nsEvents = ['get', 'events', '-n', CAPTURE_NS]
  deleteNamespace() // a leftover of an interrupted capture
  try {
    progress(`capture kube: creating namespace ${CAPTURE_NS}`)
    kubectl(['apply', '-f', '-'], { input: captureManifest() })
    await waitShapes()
    const web = nsPod('web').metadata.name
    pair('pods', ['get', 'pods', '-n', CAPTURE_NS, '-o', 'wide'], [['get', 'pods', '-n', CAPTURE_NS]])
    pair('events', ['get', 'events', '-n', CAPTURE_NS], [nsEvents])
    for (const p of ['crash', web, 'initwait']) {
      pair(
        `describe-pod-${p === web ? 'web' : p}`,
        ['describe', 'pod', p, '-n', CAPTURE_NS],
        [['get', 'pod', p, '-n', CAPTURE_NS], nsEvents],
      )
    }
    pair(
      'describe-svc-frontend',
      ['describe', 'service', 'frontend', '-n', CAPTURE_NS],
      [
        ['get', 'service', 'frontend', '-n', CAPTURE_NS],
        ['get', 'endpointslices', '-n', CAPTURE_NS, '-l', 'kubernetes.io/service-name=frontend'],
      ],
    )
    pair('pods-shop', ['get', 'pods', '-n', 'shop', '-o', 'wide'], [['get', 'pods', '-n', 'shop']])
    pair('services-shop', ['get', 'services', '-n', 'shop', '-o', 'wide'], [['get', 'services', '-n', 'shop']])
    pair(
      'describe-svc-web-nodeport',
      ['describe', 'service', 'web-nodeport', '-n', 'shop'],
      [
        ['get', 'service', 'web-nodeport', '-n', 'shop'],
        ['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web-nodeport'],
      ],
    )
    pair('nodes', ['get', 'nodes', '-o', 'wide'], [['get', 'nodes']])
    pair(
      'describe-node-lab-1',
      ['describe', 'node', 'lab-1'],
      [
        ['get', 'node', 'lab-1'],
        ['get', 'lease', 'lab-1', '-n', 'kube-node-lease'],
        ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=lab-1'],
      ],
    )
  } finally {
    progress(`capture kube: deleting namespace ${CAPTURE_NS}`)
    deleteNamespace()
  }
  progress('capture kube: lab-2 NotReady (node-notready)')
  try {
    await scenario('node-notready', 'on', { node: 'lab-2' })
    await sleep(1000)
    pair('nodes-notready', ['get', 'nodes', '-o', 'wide'], [['get', 'nodes']])
    pair(
      'describe-node-lab-2-notready',
      ['describe', 'node', 'lab-2'],
      [
        ['get', 'node', 'lab-2'],
        ['get', 'lease', 'lab-2', '-n', 'kube-node-lease'],
      ],
    )
  } finally {
    await scenario('node-notready', 'off', { node: 'lab-2' })
  }
  for (const f of fs.readdirSync(out)) if (/\.(json|txt)$/.test(f)) fs.rmSync(path.join(out, f))
  for (const [name, p] of Object.entries(pairs)) {
    fs.writeFileSync(
      path.join(out, `${name}.json`),
      `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: p.objects }, null, 4)}\n`,
    )
    fs.writeFileSync(path.join(out, `${name}.txt`), p.text)
  }
  const version = JSON.parse(kubectl(['version', '-o', 'json']).stdout)
  const meta = {
    captured: new Date().toISOString(),
    kubectl: version.clientVersion?.gitVersion,
    server: version.serverVersion?.gitVersion,
    namespace: CAPTURE_NS,
    now: Object.fromEntries(Object.entries(pairs).map(([n, p]) => [n, p.now])),
  }
  fs.writeFileSync(path.join(out, 'capture.json'), `${JSON.stringify(meta, null, 2)}\n`)
  fs.writeFileSync(path.join(out, 'README.md'), readme(meta.captured.slice(0, 10), meta.kubectl, meta.server))
  progress(`capture kube: ${Object.keys(pairs).length} pairs into ${out}`)
}

function readme(date: string, client: string, server: string): string {
  return `# API objects and what kubectl printed for them

Written by \`npm run lab -- capture kube\` (test/lab/capturekube.ts) on ${date} from the three-node lab
(kubectl ${client}, server ${server}). Do not edit by hand; re-run the capture.

Each NAME.txt is what kubectl printed (\`get … -o wide\`, \`get events\` or \`describe\`); NAME.json holds the objects
it printed as one List, read just before and unchanged just after (\`kubectl get … -o json\`; for describe, the
objects describe reads). \`capture.json\` gives, per NAME, the moment kubectl ran (\`now\`, ms): no age kubectl printed
changes within that run, so tests recompute every age from it.

The shapes the lab has not at rest were made for the capture in the namespace \`${CAPTURE_NS}\`, deleted
afterwards: \`web-…\` (Deployment pod on lab-2 whose container exited 2 once, then runs), \`crash\` (lab-1: \`main\`
exits 1 and crash-loops, \`sidecar\` runs), \`initwait\` (lab-1: held in the first of two init containers),
\`web-canary\` (lab-3: never ready) and the Service \`frontend\` over \`web-…\` and \`web-canary\`. \`nodes-notready\`
and \`describe-node-lab-2-notready\` were captured with the node-notready scenario on lab-2 (turned off after).
`
}
