// Shared by the node access e2e tests: config files for each transport setup, sessions and the kinspect CLI over the
// lab, and by-hand checks (kubectl, ps on a node through nsenter).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../src/config.ts'
import { Session } from '../../src/session.ts'
import { CONTEXT, NET, labEnvVars, labPaths } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { inNode } from '../lab/nodes.ts'

export const root = path.resolve(import.meta.dirname, '../..')
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-access-e2e-'))
// The configs, kubeconfig copies and histories written here go when the test file ends, however it ends.
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))

/** Writes a .recipes for the lab with this nodeAccess (YAML lines) and, with ssh, the lab's nodes rule; returns its path. */
export function config(name: string, nodeAccess: string, o: { ssh?: boolean; nodes?: string } = {}): string {
  const p = labPaths()
  const nodes =
    o.nodes ??
    (o.ssh
      ? `nodes:\n  - match: "lab-?"\n    user: root\n    port: ${NET.sshPort}\n    identityFile: ${p.identity}\n`
      : '')
  const file = path.join(tmp, `${name}.recipes`)
  fs.writeFileSync(
    file,
    `context: ${CONTEXT}\nnamespace: shop\n${nodes}nodeAccess:\n${nodeAccess.replace(/^/gm, '  ')}\n`,
  )
  return file
}

/** nodeAccess lines: only the node pod, with the lab's image. */
export const POD_ONLY = `transports: [pod]\npods: always\nimage: ${IMAGES.nodePod}`

/** The environment for a config: with ssh, the lab's ssh files; without, none (as after `lab ssh off`). */
export function envFor(
  configFile: string,
  o: { ssh?: boolean; kubeconfig?: string } = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...labEnvVars(),
    KINSPECT_CONFIG: configFile,
    HOME: tmp,
    NO_COLOR: '1',
    KINSPECT_HISTORY: path.join(tmp, 'history'),
  }
  if (!o.ssh) {
    delete env.KINSPECT_SSH_CONFIG
    delete env.KINSPECT_KNOWN_HOSTS
    delete env.SSH_AUTH_SOCK
  }
  if (o.kubeconfig) env.KUBECONFIG = o.kubeconfig
  return env
}

/** A session as `kinspect` starts one for that environment. */
export async function session(env: Record<string, string | undefined>): Promise<Session> {
  const s = await Session.create({ config: loadConfig({ cwd: tmp, env }), env })
  await s.load()
  return s
}

/** kubectl against the lab as admin; stdout (fails the test on a non-zero exit). */
export function kubectl(...args: string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', labPaths().kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.is(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** kinspect's node pods in the lab (namespace/name), including those being deleted unless `live`. */
export function kinspectPods(o: { live?: boolean } = {}): string[] {
  const items = JSON.parse(kubectl('get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=kinspect', '-o', 'json'))
    .items as { metadata: { namespace: string; name: string; deletionTimestamp?: string } }[]
  return items
    .filter((p) => !o.live || !p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
}

/** Waits (up to timeoutMs) until no kinspect pod is left, not even one being deleted; the ones left when it gives up. */
export async function noPodsLeft(timeoutMs = 30_000): Promise<string[]> {
  const end = Date.now() + timeoutMs
  let left = kinspectPods()
  while (left.length && Date.now() < end) {
    await sleep(500)
    left = kinspectPods()
  }
  return left
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Command lines of the processes on a node (by hand: ps inside the node's namespaces, no sshd needed). */
export function psOn(node: string): string[] {
  const [bin, ...args] = inNode(node, ['ps', '-eo', 'args'])
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 })
  assert.is(r.status, 0, `ps on ${node}: ${r.stderr}`)
  return r.stdout.split('\n').slice(1).filter(Boolean)
}

/** True when a command whose argv is exactly `sleep MARKER` runs on the node. */
export function sleeping(node: string, marker: string): boolean {
  return psOn(node).some((l) => l.trim() === `sleep ${marker}`)
}

/** Waits until `cond` holds (polling every 100 ms); false when timeoutMs passed first. */
export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (cond()) return true
    if (Date.now() >= end) return false
    await sleep(100)
  }
}

/** The kinspect CLI as a child process, its output gathered. */
export interface Kinspect {
  child: ChildProcess
  out: () => string
  err: () => string
  exited: Promise<number | null>
}

/** Starts bin/kinspect.mjs with args and env (stdin a pipe unless `stdin: 'ignore'`). */
export function kinspect(
  args: string[],
  env: Record<string, string | undefined>,
  o: { stdin?: 'pipe' | 'ignore' } = {},
): Kinspect {
  const child = spawn(process.execPath, [path.join(root, 'bin/kinspect.mjs'), ...args], {
    env,
    stdio: [o.stdin ?? 'pipe', 'pipe', 'pipe'],
    cwd: tmp,
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))),
  )
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000)
  void exited.then(() => clearTimeout(timer))
  return { child, out: () => out, err: () => err, exited }
}
