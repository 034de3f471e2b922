// A session for the net helpers' unit tests: pods from the lab's kubectl capture, node commands answered by a router.
import fs from 'node:fs'
import path from 'node:path'
import { ExecError, ExecOutput, NodeHandle, exitError, type Exec, type RunOptions } from '../../src/exec/index.ts'
import { KubeError, type Pod } from '../../src/kube/index.ts'
import type { NetSession } from '../../src/net/pods.ts'
import { parseIpJson, type IpLink } from '../../src/net/iplink.ts'

/** A file from test/fixtures/lab. */
export const labFx = (f: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/lab', f), 'utf8')
/** A file from test/net/fixtures. */
export const netFx = (f: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', f), 'utf8')

/** The pods of the lab capture (kubectl get pods -A -o json), by "namespace/name". */
export function labPods(): Map<string, Pod> {
  const items = JSON.parse(labFx('kubectl-pods.json')).items as Pod[]
  return new Map(items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]))
}

/** What a routed command answers: output fields, or an error to throw (e.g. an SSH connect failure). */
export type Answer = { stdout?: string; stderr?: string; exitCode?: number } | Error

/** One command a fake node received. */
export interface Call {
  node: string
  argv: string[]
  opts: RunOptions
}

/** A fake session: `route(node, argv, opts)` answers every node command; every call is recorded in `calls`. */
export function fakeNetSession(
  route: (node: string, argv: string[], opts: RunOptions) => Answer,
  pods: Map<string, Pod> = labPods(),
  namespace = 'shop',
) {
  const calls: Call[] = []
  const exec = (node: string): Exec => ({
    target: `ssh:${node}`,
    run: async (argv, opts = {}) => {
      calls.push({ node, argv: [...argv], opts })
      const a = route(node, [...argv], opts)
      if (a instanceof Error) throw a
      const out = new ExecOutput({
        target: `ssh:${node}`,
        argv: [...argv],
        exitCode: a.exitCode ?? 0,
        stdout: a.stdout ?? '',
        stderr: a.stderr ?? '',
        durationMs: 1,
      })
      if (out.exitCode !== 0 && !opts.nothrow) throw exitError(out)
      return out
    },
  })
  const notFound = (name: string, ns: string) =>
    new KubeError('notfound', `pod "${name}" not found in namespace "${ns}"`, undefined, undefined, {
      object: { kind: 'Pod', name, namespace: ns },
    })
  const session = {
    namespace,
    kube: {
      pod: async (arg: unknown) => {
        const s = String(arg)
        const key = s.includes('/') ? s : `${namespace}/${s}`
        const p = pods.get(key)
        if (!p) throw notFound(key.split('/')[1], key.split('/')[0])
        return structuredClone(p)
      },
      pods: async (_sel?: unknown, o: { namespace?: string } = {}) =>
        [...pods.values()].filter((p) => p.metadata.namespace === (o.namespace ?? namespace)),
    },
    node: (name: string) => new NodeHandle(exec(name)),
    load: async () => {},
  } as unknown as NetSession
  return { session, calls, pods }
}

/** An SSH connection failure as the pool reports it. */
export function connectError(node: string): ExecError {
  return new ExecError(
    'connect',
    { target: `ssh:${node}` },
    `ssh to ${node} (10.99.0.1:2222) failed: connect ECONNREFUSED`,
    'is sshd running on the node?',
  )
}

/** The client pod as the lab capture shows it: its UID and container (kubectl-pods.json), the container's and the
 * sandbox's PIDs (crictl inspect / inspectp), the sandbox ID, its node and IP. Read from the fixtures, which
 * `npm run lab -- capture` writes at one moment, so the IDs agree across files. */
export const CLIENT = (() => {
  const pod = labPods().get('shop/client')!
  const inspect = JSON.parse(labFx('crictl-inspect-client.json'))
  const inspectp = JSON.parse(labFx('crictl-inspectp-client.json'))
  return {
    uid: pod.metadata.uid!,
    containerId: pod.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, ''),
    pid: inspect.info.pid as number,
    sandboxPid: inspectp.info.pid as number,
    sandboxId: inspectp.status.id as string,
    node: pod.spec!.nodeName!,
    podIP: pod.status!.podIP!,
  }
})()

/**
 * The interfaces of the client's node as `ip -j -s -d addr show` there lists them, from captures of that node: its
 * `ip -j addr` (ip-addr-NODE.json; lab-1's full listing is ip-link-host-stats.json) with the client's host veth
 * replaced by that veth's own `ip -j -s -d link` capture (vethFile), which carries the linkinfo and counters.
 */
export function clientNodeLinks(vethFile = 'ip-link-veth-client.json'): IpLink[] {
  const node = parseIpJson(labFx(CLIENT.node === 'lab-1' ? 'ip-link-host-stats.json' : `ip-addr-${CLIENT.node}.json`))
  const veth = parseIpJson(labFx(vethFile))
  if (veth.length !== 1 || !node.some((l) => l.ifname === veth[0].ifname && l.ifindex === veth[0].ifindex)) {
    throw new Error(`${vethFile} is not one interface of ${CLIENT.node}'s capture`)
  }
  return node.map((l) => (l.ifname === veth[0].ifname ? veth[0] : l))
}

/** Awaits p and returns its error; fails the test when p succeeds. */
export async function failure(p: Promise<unknown>): Promise<Error & { kind?: string; hint?: string }> {
  try {
    await p
  } catch (e) {
    return e as Error & { kind?: string }
  }
  throw new Error('expected a failure, got success')
}
