// Shared setup of the agent tests: a NodePodExec behind the fake API (localexec.ts plays the API server and kubelet;
// a stub nsenter runs what follows "--") whose agent runs under a local shell, and ways to watch this machine's
// processes. Each test file calls test.after(cleanup).
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NodePodExec } from '../../../src/exec/nodepod/exec.ts'
import { NodePods } from '../../../src/exec/nodepod/manager.ts'
import { ExecError } from '../../../src/exec/types.ts'
import { FakeNodePodApi } from './fakeapi.ts'
import { localExec, stubNsenter } from './localexec.ts'

/** This file's temporary directory (removed by cleanup()). */
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-agent-'))
const stub = stubNsenter(tmp)
let dirs = 0
const cleanups: (() => unknown)[] = []

/** A fresh agent state directory. */
export const stateDir = () => path.join(tmp, `state${dirs++}`)

/** Closes every setup()'s pods and local processes, then removes tmp. */
export async function cleanup(): Promise<void> {
  for (const c of cleanups) await c()
  fs.rmSync(tmp, { recursive: true, force: true })
}

/** A NodePodExec on lab-1 whose agent and one-shot execs run under shell; limits shorten the agent's. */
export function setup(shell: readonly string[], limits = {}) {
  const api = new FakeNodePodApi()
  api.probeAnswer = `nsenter=${stub}\ntarget=1\n`
  const local = localExec(shell)
  api.onAgent = (req) => local(req)
  api.onKill = (req) => local(req)
  api.onExec = (_argv, req) => local(req) // one-shot fallbacks run the real wrapper
  const pods = new NodePods(api)
  const notes: string[] = []
  const dir = stateDir()
  const exec = new NodePodExec(pods, 'lab-1', { onNote: (n) => notes.push(n), agentOptions: { dir, limits } })
  const done = async () => {
    await pods.close()
    local.cleanup()
  }
  cleanups.push(done)
  return { api, local, pods, exec, notes, dir, done, kinds: () => api.execs.map((e) => e.kind) }
}

/** Asserts that p rejects with an ExecError of kind; returns it. */
export async function rejects(p: Promise<unknown>, kind: string): Promise<ExecError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, ExecError, `expected an ExecError, got ${e?.stack ?? e}`)
  assert.is(e.kind, kind, e.message)
  return e
}

/** Processes on this machine whose argv contains marker. */
export function procsWith(marker: string): number[] {
  const out: number[] = []
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(d))
    } catch {}
  }
  return out
}

/** The child pids of pid. */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** Resolves once f() is true; throws after ms. */
export const waitFor = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

let marks = 0
/** A number unique to this process and call, to find a command's processes by their argv. */
export const marker = () => `3${process.pid % 10000}${marks++}`
