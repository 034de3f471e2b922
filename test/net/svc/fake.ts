// Test helpers for svcRules: the lab captures, and a session whose node answers commands from fixed outputs.
import fs from 'node:fs'
import path from 'node:path'
import { ExecOutput, NodeHandle, type Exec } from '../../../src/exec/index.ts'
import { KubeError, type EndpointSlice, type Node, type Service } from '../../../src/kube/index.ts'
import { defaultConfig } from '../../../src/config.ts'
import type { KubeApi, SessionApi } from '../../../src/session.ts'

/** A file of test/fixtures/lab (captured from the real lab). */
export const fx = (f: string): string =>
  fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/lab', f), 'utf8')

/** A Service of kubectl-services.json by "ns/name". */
export function labService(key: string): Service {
  const s = JSON.parse(fx('kubectl-services.json')).items.find(
    (x: Service) => `${x.metadata.namespace}/${x.metadata.name}` === key,
  )
  if (!s) throw new Error(`no service ${key} in kubectl-services.json`)
  return s
}

/** The EndpointSlices of "ns/name" in a kubectl get endpointslices -o json capture. */
export function labSlices(file: string, key: string): EndpointSlice[] {
  const [ns, name] = key.split('/')
  return JSON.parse(fx(file)).items.filter(
    (s: EndpointSlice) => s.metadata.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === name,
  )
}

/** A shop Service of the `capture svc` set (svc-local-services.json: web, web-local, web-nodeport). */
export function localService(name: string): Service {
  const s = JSON.parse(fx('svc-local-services.json')).items.find((x: Service) => x.metadata.name === name)
  if (!s) throw new Error(`no service shop/${name} in svc-local-services.json`)
  return s
}

/** The EndpointSlices of shop/NAME in svc-local-endpointslices.json (web pods on lab-2 and lab-3). */
export function localSlices(name: string): EndpointSlice[] {
  return JSON.parse(fx('svc-local-endpointslices.json')).items.filter(
    (s: EndpointSlice) => s.metadata.labels?.['kubernetes.io/service-name'] === name,
  )
}

/** A file of test/fixtures/svc-handwritten (hand-written samples, see its README). */
export const handwritten = (f: string): string =>
  fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/svc-handwritten', f), 'utf8')

/** A canned answer: stdout, or {exitCode, stdout, stderr}. */
export type Answer = string | { exitCode: number; stdout?: string; stderr?: string }

/** An Exec answering argv.join(' ') from `answers` (exit 127 "not found" otherwise) and recording every argv. */
export function fakeExec(answers: Record<string, Answer>, calls: string[][] = [], target = 'ssh:lab-1'): Exec {
  return {
    target,
    run: async (argv) => {
      calls.push([...argv])
      const a = answers[argv.join(' ')]
      const r =
        a === undefined
          ? {
              exitCode: 127,
              stdout: '',
              stderr: `timeout: failed to run command '${argv[0]}': No such file or directory\n`,
            }
          : typeof a === 'string'
            ? { exitCode: 0, stdout: a, stderr: '' }
            : { stdout: '', stderr: '', ...a }
      return new ExecOutput({ target, argv: [...argv], durationMs: 1, ...r })
    },
  }
}

/** A session over fixed services/slices/nodes whose node() answers from `answers`. */
export function fakeSession(o: {
  services: Service[]
  slices: EndpointSlice[]
  nodes?: string[]
  answers: Record<string, Answer>
  calls?: string[][]
  namespace?: string
}) {
  const calls = o.calls ?? []
  const nodesAsked: string[] = []
  const find = (arg: unknown) => {
    const [ns, name] = String(arg).includes('/') ? String(arg).split('/') : [o.namespace ?? 'shop', String(arg)]
    const s = o.services.find((x) => x.metadata.namespace === ns && x.metadata.name === name)
    if (!s)
      throw new KubeError(
        'notfound',
        `services "${name}" not found in namespace "${ns}"`,
        'services() lists what exists',
      )
    return s
  }
  const unused = async (): Promise<never> => {
    throw new Error('not used by svcRules')
  }
  const kube = {
    pods: unused,
    pod: unused,
    services: async () => o.services,
    svc: async (name: unknown) => find(name),
    endpoints: async (name: unknown) => {
      const s = find(name)
      return o.slices.filter(
        (x) =>
          x.metadata.namespace === s.metadata.namespace &&
          x.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name,
      )
    },
    nodes: async () => (o.nodes ?? ['lab-1']).map((n) => ({ metadata: { name: n } }) as Node),
    events: unused,
    logs: unused,
    describe: unused,
    top: unused,
    ping: async () => ({ ok: true as const, server: 'https://fake', version: 'v1.33', durationMs: 1 }),
    get: unused,
  } satisfies KubeApi
  const session = {
    context: 'lab',
    namespace: o.namespace ?? 'shop',
    config: defaultConfig(),
    kube: kube as KubeApi,
    status: undefined,
    contexts: () => ['lab'],
    load: async () => {},
    node: (name: string) => {
      nodesAsked.push(name)
      return new NodeHandle(fakeExec(o.answers, calls, `ssh:${name}`))
    },
    setContext: () => {},
    setNamespace: () => {},
    ping: async () => undefined,
    names: async () => [],
    close: async () => {},
  } satisfies SessionApi
  return { session, calls, nodesAsked }
}

/** The iptables view of nft-ruleset.txt (kube-proxy in nftables mode): only kubelet's chains are left in iptables. */
export const IPTABLES_IN_NFT_MODE = `# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov 22 20:08:30 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-PROXY-CANARY - [0:0]
[0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
COMMIT
# Completed on Sun Nov 22 20:08:30 2026
`
