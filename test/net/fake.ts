// A session for the net helpers' unit tests: pods from the lab's kubectl capture, node commands answered by a router.
import fs from 'node:fs'
import path from 'node:path'
import { ExecError, ExecOutput, NodeHandle, exitError, type Exec, type RunOptions } from '../../src/exec/index.ts'
import { KubeError, type Pod } from '../../src/kube/index.ts'
import type { NetSession } from '../../src/net/pods.ts'

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
export function fakeNetSession(route: (node: string, argv: string[], opts: RunOptions) => Answer, pods: Map<string, Pod> = labPods(), namespace = 'shop') {
  const calls: Call[] = []
  const exec = (node: string): Exec => ({
    target: `ssh:${node}`,
    run: async (argv, opts = {}) => {
      calls.push({ node, argv: [...argv], opts })
      const a = route(node, [...argv], opts)
      if (a instanceof Error) throw a
      const out = new ExecOutput({ target: `ssh:${node}`, argv: [...argv], exitCode: a.exitCode ?? 0, stdout: a.stdout ?? '', stderr: a.stderr ?? '', durationMs: 1 })
      if (out.exitCode !== 0 && !opts.nothrow) throw exitError(out)
      return out
    },
  })
  const notFound = (name: string, ns: string) => new KubeError('notfound', `pod "${name}" not found in namespace "${ns}"`, undefined, undefined, { object: { kind: 'Pod', name, namespace: ns } })
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
      pods: async (_sel?: unknown, o: { namespace?: string } = {}) => [...pods.values()].filter((p) => p.metadata.namespace === (o.namespace ?? namespace)),
    },
    node: (name: string) => new NodeHandle(exec(name)),
    load: async () => {},
  } as unknown as NetSession
  return { session, calls, pods }
}

/** An SSH connection failure as the pool reports it. */
export function connectError(node: string): ExecError {
  return new ExecError('connect', { target: `ssh:${node}` }, `ssh to ${node} (10.99.0.1:2222) failed: connect ECONNREFUSED`, 'is sshd running on the node?')
}

/** The client pod's crictl inspect (pid 12095) and the proc cgroup of its container. */
export const CLIENT = {
  uid: 'f62f94c9-afe6-4f91-bb4d-3d6322432093',
  containerId: '27c12e64f29d3af322afc153e349240ed1267c1f6b0c7e354417f6f06dc3519c',
  pid: 12095,
  sandboxPid: 11914,
  sandboxId: '59a0f0946f3e1f446abb1093b520c27858019307051d537bc8d4512f33db6f05',
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
