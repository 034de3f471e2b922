// Shared by the net e2e tests: a kinspect session built like src/cli.ts does, and the plain tools (kubectl, and
// commands on a node entered with nsenter, which needs no sshd) to check it. The tests run over either transport:
// SSH (default), or the node pod with KINSPECT_E2E_TRANSPORT=pod (test/net/transport-pod.e2e.ts turns ssh off first).
import { spawnSync } from 'node:child_process'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../src/config.ts'
import { Session } from '../../src/session.ts'
import { labEnvVars, labPaths, NODE } from '../lab/layout.ts'
import { inNode } from '../lab/nodes.ts'

/** The transport these tests expect node commands to use. */
export const TRANSPORT: 'ssh' | 'pod' = process.env.KINSPECT_E2E_TRANSPORT === 'pod' ? 'pod' : 'ssh'

/** The environment `lab env` gives: with the pod transport, as after `lab ssh off` (no ssh files, the no-ssh config). */
function transportEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...labEnvVars() }
  if (TRANSPORT === 'pod') {
    delete env.KINSPECT_SSH_CONFIG
    delete env.KINSPECT_KNOWN_HOSTS
    delete env.SSH_AUTH_SOCK
    env.KINSPECT_CONFIG = labPaths().kinspectConfigNoSsh
  }
  return env
}

export const ENV = transportEnv()

/** A session over the lab, as `kinspect` starts one (config from KINSPECT_CONFIG, transports loaded). */
export async function labSession(env: Record<string, string | undefined> = ENV): Promise<Session> {
  const s = await Session.create({ config: loadConfig({ cwd: process.cwd(), env }), env })
  await s.load()
  return s
}

/** kinspect's node pods in the lab, as namespace/name. */
export function kinspectPods(): string[] {
  return kubectl(
    'get',
    'pods',
    '-A',
    '-l',
    'app.kubernetes.io/managed-by=kinspect',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}',
  )
    .split(' ')
    .filter(Boolean)
}

/** Ends a test file: every node the session used went over TRANSPORT; closing leaves no kinspect pod behind. */
export async function closeSession(session: Session, nodes: readonly string[] = []): Promise<void> {
  const via = nodes.map((n) => `${n}: ${session.node(n).via}`)
  const report = await session.shutdown()
  assert.equal(report.remaining, [], 'node pods left after the session closed')
  assert.equal(kinspectPods(), [], 'kinspect pods in the lab after the session closed')
  assert.equal(
    via,
    nodes.map((n) => `${n}: ${TRANSPORT}`),
    `node commands went over ${TRANSPORT}`,
  )
}

/** kubectl against the lab (stdout; fails the test on a non-zero exit). */
export function kubectl(...args: string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', ENV.KUBECONFIG!, ...args], { encoding: 'utf8', timeout: 60_000 })
  assert.is(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
export const kjson = (...args: string[]) => JSON.parse(kubectl(...args, '-o', 'json'))

/**
 * A shell command on a node (default lab-1) as root, by hand (the manual procedure): inside the node's namespaces with
 * nsenter (test/lab/nodes.ts inNode), as `ssh NODE` would land, so it works with ssh off too.
 */
export function ssh(
  cmd: string,
  node: string = NODE,
  timeoutMs = 60_000,
): { stdout: string; stderr: string; status: number | null } {
  const [bin, ...args] = inNode(node, ['sh', '-c', cmd])
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutMs })
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status }
}
/** ssh() that must succeed. */
export function sshOk(cmd: string, node: string = NODE): string {
  const r = ssh(cmd, node)
  assert.is(r.status, 0, `on ${node}: ${cmd}: ${r.stderr}`)
  return r.stdout
}

/** A running pod as kubectl shows it. */
export interface LabPod {
  key: string
  namespace: string
  name: string
  ip: string
  /** The node it runs on. */
  node: string
  containerId: string
  dnsPolicy: string
}

/** Every running pod of the lab (shop/client, distroless, ndots, web-*, kube-system/coredns-*…). */
export function runningPods(): LabPod[] {
  return (kjson('get', 'pods', '-A', '--field-selector', 'status.phase=Running').items as any[])
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        !p.spec.hostNetwork &&
        (p.status.containerStatuses ?? []).some((c: any) => c.state?.running),
    )
    .map((p) => ({
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      ip: p.status.podIP,
      node: p.spec.nodeName,
      containerId: (p.status.containerStatuses as any[])
        .find((c) => c.state?.running)
        .containerID.replace(/^[a-z-]+:\/\//, ''),
      dnsPolicy: p.spec.dnsPolicy,
    }))
}

/** The PID of a container by hand: crictl inspect on its node (a PID in that node's PID namespace). */
export function crictlPid(containerId: string, node: string): number {
  return JSON.parse(sshOk(`crictl inspect ${containerId}`, node)).info.pid
}

/** A pod's node and the PID of its first running container, by hand (kubectl, then crictl on the node). */
export function podByHand(ns: string, name: string): { node: string; pid: number; ip: string; uid: string } {
  const p = kjson('get', 'pod', '-n', ns, name)
  const id = (p.status.containerStatuses as any[])
    .find((c) => c.state?.running)
    .containerID.replace(/^[a-z-]+:\/\//, '')
  return { node: p.spec.nodeName, pid: crictlPid(id, p.spec.nodeName), ip: p.status.podIP, uid: p.metadata.uid }
}

/** The lab changes under us (rollouts, other tests): retry a comparison up to 3 times before failing. */
export async function agree(fn: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (i >= 2 || !(e instanceof assert.Assertion)) throw e
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
}
