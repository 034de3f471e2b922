// The agent for real, under this machine's busybox sh (as in the node pod image), dash and bash, behind the fake
// API (localexec.ts plays the API server and kubelet; a stub nsenter runs what follows "--"): one exec carries
// every command; exit codes, stderr, stdin and binary output are kept; random argv and stdin arrive exactly;
// deadlines and aborts end the command without holding the others; a killed or wedged agent is replaced and what
// it carried is settled (answer, lost, or run again as its own exec), never a hang.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Agent } from '../../../src/exec/nodepod/agent.ts'
import { AgentPool } from '../../../src/exec/nodepod/agentpool.ts'
import { NodePodExec } from '../../../src/exec/nodepod/exec.ts'
import { NodePods } from '../../../src/exec/nodepod/manager.ts'
import { ExecError } from '../../../src/exec/types.ts'
import { KubeError } from '../../../src/kube/errors.ts'
import type { ExecRequest } from '../../../src/kube/exec.ts'
import { FakeNodePodApi, answer } from './fakeapi.ts'
import { SHELLS, localExec, stubNsenter } from './localexec.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-agent-'))
const stub = stubNsenter(tmp)
const blob = path.join(tmp, 'blob')
fs.writeFileSync(blob, crypto.randomBytes(10 * 1024 * 1024))
let dirs = 0
const cleanups: (() => unknown)[] = []
test.after(async () => {
  for (const c of cleanups) await c()
  fs.rmSync(tmp, { recursive: true, force: true })
})

function setup(shell: readonly string[], limits = {}) {
  const api = new FakeNodePodApi()
  api.probeAnswer = `nsenter=${stub}\ntarget=1\n`
  const local = localExec(shell)
  api.onAgent = (req) => local(req)
  api.onKill = (req) => local(req)
  api.onExec = (_argv, req) => local(req) // one-shot fallbacks run the real wrapper
  const pods = new NodePods(api)
  const notes: string[] = []
  const dir = path.join(tmp, `state${dirs++}`)
  const exec = new NodePodExec(pods, 'lab-1', { onNote: (n) => notes.push(n), agentOptions: { dir, limits } })
  const done = async () => {
    await pods.close()
    local.cleanup()
  }
  cleanups.push(done)
  return { api, local, pods, exec, notes, dir, done, kinds: () => api.execs.map((e) => e.kind) }
}
async function rejects(p: Promise<unknown>, kind: string): Promise<ExecError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, ExecError, `expected an ExecError, got ${e?.stack ?? e}`)
  assert.is(e.kind, kind, e.message)
  return e
}
// Processes on this machine whose argv contains marker.
function procsWith(marker: string): number[] {
  const out: number[] = []
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(d))
    } catch {}
  }
  return out
}
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}
const waitFor = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
let marks = 0
const marker = () => `3${process.pid % 10000}${marks++}`

for (const shell of SHELLS) {
  const [name, ...sh] = shell

  test(`${name}: one exec carries every command: exit codes, stderr apart, argv untouched, stdin, 10 MB of binary`, async () => {
    const { exec, kinds, done } = setup(sh)
    const e = await rejects(exec.run(['sh', '-c', 'echo out; echo err >&2; exit 3']), 'exit')
    assert.equal([e.exitCode, e.stdout, e.stderr], [3, 'out\n', 'err\n'])
    const nasty = ["a' ; echo INJECTED #", '$(id)', '`id`', '*', '', ' ', 'line\nbreak', 'é€', '-n', '\'"$NL"\'']
    assert.equal((await exec.run(['printf', '%s\\0', ...nasty])).stdout.split('\0').slice(0, -1), nasty)
    assert.is((await exec.run(['cat'], { input: 'héllo\nwörld\n' })).stdout, 'héllo\nwörld\n')
    assert.is((await exec.run(['sh', '-c', 'cat; echo end'], { input: '' })).stdout, 'end\n')
    assert.is(
      (await exec.run(['sh', '-c', 'cat; echo end'])).stdout,
      'end\n',
      'no input: stdin is empty, not the agent’s',
    )
    const big = await exec.run(['cat', blob], { binary: true, timeoutMs: 60_000 })
    assert.ok(big.stdoutBytes!.equals(fs.readFileSync(blob)), '10 MB differ')
    const missing = await rejects(exec.run(['kinspect-no-such-tool']), 'exit')
    assert.is(missing.exitCode, 127)
    assert.match(missing.hint!, "has no kinspect-no-such-tool; pass {tool: 'auto'}")
    assert.equal(kinds(), ['probe', 'agent'], 'one agent exec, no exec per command')
    await done()
  })

  test(`${name}: random argv and random binary stdin arrive exactly (fast-check)`, async () => {
    const { api, pods, done } = setup(sh)
    const ref = await pods.ensure('lab-1')
    const agent = await Agent.start(api, ref, { dir: path.join(tmp, `state${dirs++}`) })
    const word = fc.oneof(
      fc.constantFrom("'", '"', '\\', '\n', '$NL', '"$NL"', '', ' ', '-', '--', '*', '$(id)', '\r\n'),
      fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0')),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(word, { minLength: 1, maxLength: 6 }),
        fc.uint8Array({ maxLength: 4096 }),
        async (args, input) => {
          const a = await agent.run({
            argv: ['printf', '%s\\0', ...args],
            from: 'node',
            seconds: 10,
            timeoutMs: 10_000,
          })
          assert.is(a.kind, 'answer')
          assert.equal(a.kind === 'answer' && a.stdout.toString('utf8').split('\0').slice(0, -1), args)
          const c = await agent.run({
            argv: ['cat'],
            from: 'node',
            seconds: 10,
            timeoutMs: 10_000,
            stdin: Buffer.from(input),
          })
          assert.ok(c.kind === 'answer' && c.stdout.equals(Buffer.from(input)), 'stdin bytes differ')
        },
      ),
      { numRuns: 40 },
    )
    agent.close()
    await done()
  })

  test(`${name}: commands run concurrently; each keeps its own stdin; a command past its deadline holds no other`, async () => {
    const { exec, kinds, done } = setup(sh)
    await exec.run(['true'])
    const m = marker()
    const t0 = performance.now()
    const slow = exec.run(['sleep', m], { timeoutMs: 1500 }).then(
      () => 'ok',
      (e) => e,
    )
    await waitFor(() => procsWith(m).length > 0)
    const inputs = Array.from({ length: 20 }, (_, i) => `input ${i} ${'x'.repeat(i * 100)}\n`)
    const outs = await Promise.all(
      inputs.map((input, i) => (i % 2 ? exec.run(['cat'], { input }) : exec.run(['echo', String(i)]))),
    )
    const quick = performance.now() - t0
    outs.forEach((o, i) => assert.is(o.stdout, i % 2 ? inputs[i] : `${i}\n`))
    assert.ok(quick < 1500, `20 commands took ${Math.round(quick)} ms next to a sleeping one`)
    const big = 'é'.repeat(2_500_000) // 5 MB of stdin, staged with head -c while other commands queue behind it
    const [count, ...after] = await Promise.all([
      exec.run(['wc', '-c'], { input: big }),
      ...[1, 2, 3].map((i) => exec.run(['echo', `after ${i}`])),
    ])
    assert.is(count.text().trim(), '5000000')
    assert.equal(
      after.map((o) => o.text()),
      ['after 1', 'after 2', 'after 3'],
    )
    const e = await slow
    assert.instance(e, ExecError)
    assert.is(e.kind, 'timeout')
    assert.is(e.exitCode, 124)
    assert.equal(procsWith(m), [], 'the command outlived its deadline')
    assert.equal(kinds(), ['probe', 'agent'])
    await done()
  })

  test(`${name}: abort ends the command and what it started within 2 s, also when it ignores TERM; the agent carries on`, async () => {
    const { exec, kinds, done } = setup(sh)
    const [m1, m2] = [marker(), marker()]
    for (const [m, argv] of [
      [m1, ['sleep', m1]],
      [m2, ['sh', '-c', `trap "" TERM; sleep ${m2}; echo not reached`]],
    ] as const) {
      const ac = new AbortController()
      const p = exec.run(argv, { signal: ac.signal, timeoutMs: 60_000 })
      await waitFor(() => procsWith(m).length > 0)
      const t0 = performance.now()
      ac.abort()
      await rejects(p, 'aborted')
      await waitFor(() => procsWith(m).length === 0, 2000 - (performance.now() - t0))
    }
    assert.is((await exec.run(['echo', 'still here'])).stdout, 'still here\n')
    assert.equal(kinds(), ['probe', 'agent'], 'the agent stopped it: no kill exec')
    await done()
  })

  test(`${name}: a killed agent: the running command is reported lost and is stopped on the node; a new agent takes over`, async () => {
    const { exec, local, notes, kinds, done } = setup(sh)
    await exec.run(['true'])
    const agentPid = local.pids[local.pids.length - 1]
    const m = marker()
    const p = exec.run(['sleep', m])
    await waitFor(() => procsWith(m).length > 0)
    const t0 = performance.now()
    process.kill(agentPid, 'SIGKILL')
    const e = await rejects(p, 'connect')
    assert.match(e.message, `the command agent on pod:lab-1 was lost while running \`sleep ${m}\``)
    assert.is(e.hint, 'the command was stopped on the node; run it again')
    assert.ok(performance.now() - t0 < 3000, `seen after ${Math.round(performance.now() - t0)} ms`)
    assert.equal(procsWith(m), [])
    assert.is((await exec.run(['echo', 'again'])).stdout, 'again\n')
    assert.equal(kinds(), ['probe', 'agent', 'rescue', 'agent'])
    assert.match(notes.join('\n'), /pod:lab-1: the command agent was lost \(.*\); a new one took over/)
    await done()
  })
}

for (const shell of SHELLS.slice(0, 2)) {
  const [name, ...sh] = shell
  const limits = { startAckMs: 300, pingMs: 300 }

  test(`${name}: a wedged agent (its writer stopped) fails a ping long before the deadline, is replaced, and the answer it held still arrives`, async () => {
    const { exec, local, notes, kinds, done } = setup(sh, limits)
    await exec.run(['true'])
    const agentPid = local.pids[local.pids.length - 1]
    const [writer] = childrenOf(agentPid)
    process.kill(writer, 'SIGSTOP')
    const t0 = performance.now()
    const r = await exec.run(['echo', 'finished'], { timeoutMs: 30_000 })
    assert.is(r.stdout, 'finished\n')
    assert.ok(performance.now() - t0 < 3000, `took ${Math.round(performance.now() - t0)} ms`)
    await waitFor(
      () => !fs.existsSync(`/proc/${agentPid}`) || fs.readFileSync(`/proc/${agentPid}/stat`, 'utf8').includes(') Z'),
      2000,
    )
    assert.is((await exec.run(['echo', 'next'])).stdout, 'next\n')
    assert.equal(kinds(), ['probe', 'agent', 'rescue', 'agent'])
    assert.match(notes.join('\n'), /was lost \(it did not answer a ping within 300 ms\); a new one took over/)
    await done()
  })

  test(`${name}: a command a wedged agent never read runs as its own exec instead, with a note`, async () => {
    const { exec, local, notes, kinds, done } = setup(sh, limits)
    await exec.run(['true'])
    process.kill(local.pids[local.pids.length - 1], 'SIGSTOP') // the main loop: nothing more is read
    const t0 = performance.now()
    const r = await exec.run(['echo', 'once'], { timeoutMs: 30_000 })
    assert.is(r.stdout, 'once\n')
    assert.ok(performance.now() - t0 < 3000, `took ${Math.round(performance.now() - t0)} ms`)
    assert.equal(kinds(), ['probe', 'agent', 'rescue', 'wrapped'])
    assert.match(
      notes.join('\n'),
      /pod:lab-1: the command agent was lost before `echo once` started \(it did not answer a ping within 300 ms\); it ran as its own exec instead/,
    )
    await done()
  })

  test(`${name}: stdin a wedged agent never confirmed: the agent is dropped, and the command runs as its own exec with its input`, async () => {
    const { exec, local, notes, kinds, done } = setup(sh, limits)
    await exec.run(['true'])
    process.kill(local.pids[local.pids.length - 1], 'SIGSTOP')
    const r = await exec.run(['cat'], { input: 'staged\n', timeoutMs: 30_000 })
    assert.is(r.stdout, 'staged\n')
    assert.equal(kinds(), ['probe', 'agent', 'rescue', 'wrapped'])
    assert.match(notes.join('\n'), /lost before `cat` started \(it did not confirm a request within 300 ms/)
    await done()
  })

  test(`${name}: an idle agent that stops answering is found by its keep-alive ping, before the next command needs it`, async () => {
    const { exec, local, pods, notes, kinds, done } = setup(sh, { ...limits, keepAliveMs: 200 })
    await exec.run(['true'])
    const agentPid = local.pids[local.pids.length - 1]
    process.kill(agentPid, 'SIGSTOP')
    await waitFor(() => AgentPool.of(pods).agentOf('lab-1') === undefined, 3000)
    await waitFor(
      () => !fs.existsSync(`/proc/${agentPid}`) || fs.readFileSync(`/proc/${agentPid}/stat`, 'utf8').includes(') Z'),
      2000,
    ) // a rescue stopped it
    const t0 = performance.now()
    assert.is((await exec.run(['echo', 'fresh'], { timeoutMs: 30_000 })).stdout, 'fresh\n')
    assert.ok(performance.now() - t0 < 1500, `the next command waited ${Math.round(performance.now() - t0)} ms`)
    assert.equal(kinds(), ['probe', 'agent', 'rescue', 'agent'])
    assert.match(
      notes.join('\n'),
      /was lost \(it did not answer a keep-alive ping within 300 ms\); a new one took over/,
    )
    await done()
  })
}

test('a command aborted while its agent starts never runs', async () => {
  const { api, local, exec, done } = setup(SHELLS[1].slice(1))
  const ac = new AbortController()
  api.onAgent = (req) => {
    setTimeout(() => ac.abort(), 0) // Ctrl-C while the agent's exec opens
    return local(req)
  }
  const m = marker()
  await rejects(exec.run(['sleep', m], { signal: ac.signal }), 'aborted')
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(procsWith(m), [], 'the aborted command ran')
  assert.is((await exec.run(['echo', 'ok'])).stdout, 'ok\n')
  // the same when the agent then fails to start and the command would fall back to its own exec
  const ac2 = new AbortController()
  const m2 = marker()
  const s2 = setup(SHELLS[1].slice(1))
  s2.api.onAgent = () => {
    ac2.abort()
    return answer({ exitCode: 125, stderr: 'kinspect: no agent here\n' })
  }
  await rejects(s2.exec.run(['sleep', m2], { signal: ac2.signal }), 'aborted')
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(procsWith(m2), [], 'the aborted command ran as its own exec')
  assert.equal(s2.kinds(), ['probe', 'agent'])
  await s2.done()
  await done()
})

test('an image that cannot run the agent: every command runs as its own exec, and that is said once', async () => {
  const { api, exec, notes, kinds, done } = setup(SHELLS[0].slice(1))
  api.onAgent = () =>
    answer({ exitCode: 125, stderr: 'kinspect: the agent needs mkfifo, head -c and wc -c in the node pod image\n' })
  for (const w of ['a', 'b', 'c']) assert.is((await exec.run(['echo', w])).stdout, `${w}\n`)
  assert.equal(kinds(), ['probe', 'agent', 'wrapped', 'wrapped', 'wrapped'])
  assert.equal(notes, [
    'pod:lab-1: the agent cannot run in this image: the agent needs mkfifo, head -c and wc -c in the node pod image; every command there runs as its own exec (slower)',
  ])
  await done()
})

test('an agent that cannot start for now (the exec fails): one exec per command for a while, said once', async () => {
  const { api, exec, notes, kinds, done } = setup(SHELLS[0].slice(1))
  api.onAgent = () => {
    throw new Error('upgrade refused')
  }
  assert.is((await exec.run(['echo', 'a'])).stdout, 'a\n')
  assert.is((await exec.run(['echo', 'b'])).stdout, 'b\n')
  assert.equal(kinds(), ['probe', 'agent', 'wrapped', 'wrapped'])
  assert.is(notes.length, 1)
  assert.match(
    notes[0],
    /^pod:lab-1: the command agent could not start \(the agent's exec failed: upgrade refused\); commands run as their own execs for 5 s$/,
  )
  await done()
})

test('exec refused by the API (no pods/exec): the one-shot exec reports it as on any transport, without an agent note', async () => {
  const { api, exec, notes, done } = setup(SHELLS[0].slice(1))
  const forbidden = () => {
    throw new KubeError(
      'forbidden',
      'pods "x" is forbidden: User "viewer" cannot create resource "pods/exec"',
      undefined,
      undefined,
      { status: 403 },
    )
  }
  api.onAgent = forbidden
  api.onExec = forbidden
  const e = await rejects(exec.run(['true']), 'auth')
  assert.match(e.message, 'may not exec into node pod')
  assert.equal(notes, [])
  await done()
})

test('a pod deleted behind our back: a new pod and a new agent, transparently', async () => {
  const { api, local, exec, notes, done } = setup(SHELLS[1].slice(1))
  await exec.run(['true'])
  api.pods.clear() // the pod is gone, and its processes with it
  local.dropAll()
  local.cleanup()
  assert.is((await exec.run(['echo', 'again'])).stdout, 'again\n')
  assert.equal(api.calls.filter((c) => c.startsWith('create')).length, 2)
  assert.equal(
    notes.filter((n) => /could not start/.test(n)),
    [],
  )
  await done()
})

test('an idle agent does not keep the process alive; one with a command in flight does', async () => {
  const { api, local, pods, done } = setup(SHELLS[1].slice(1))
  const calls: boolean[] = []
  api.onAgent = (req: ExecRequest) =>
    local({ ...req, onStream: (h) => req.onStream!({ ...h, keepAlive: (on) => calls.push(on) }) })
  const ref = await pods.ensure('lab-1')
  const agent = await Agent.start(api, ref, { dir: path.join(tmp, `state${dirs++}`) })
  assert.equal(calls, [false])
  const p = agent.run({ argv: ['sleep', '0.2'], from: 'node', seconds: 5, timeoutMs: 5000 })
  assert.equal(calls, [false, true])
  await p
  assert.equal(calls, [false, true, false])
  agent.close()
  await done()
})

test.run()
