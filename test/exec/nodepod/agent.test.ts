// The agent for real, under this machine's busybox sh (as in the node pod image), dash and bash, behind the fake
// API (agent-kit.ts): one exec carries every command; exit codes, stderr, stdin and binary output are kept; random
// argv and stdin arrive exactly; deadlines and aborts end the command without holding the others; a killed agent is
// replaced and what it carried is settled; an idle agent does not keep the process alive. Wedged agents:
// agent-wedged.test.ts; agents that cannot start: agent-start.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Agent } from '../../../src/exec/nodepod/agent.ts'
import { ExecError } from '../../../src/exec/types.ts'
import type { ExecRequest } from '../../../src/kube/exec.ts'
import { SHELLS } from './localexec.ts'
import { cleanup, marker, procsWith, rejects, setup, stateDir, tmp, waitFor } from './agent-kit.ts'

const blob = path.join(tmp, 'blob')
fs.writeFileSync(blob, crypto.randomBytes(10 * 1024 * 1024))
test.after(cleanup)

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
    const agent = await Agent.start(api, ref, { dir: stateDir() })
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

test('an idle agent does not keep the process alive; one with a command in flight does', async () => {
  const { api, local, pods, done } = setup(SHELLS[1].slice(1))
  const calls: boolean[] = []
  api.onAgent = (req: ExecRequest) =>
    local({ ...req, onStream: (h) => req.onStream!({ ...h, keepAlive: (on) => calls.push(on) }) })
  const ref = await pods.ensure('lab-1')
  const agent = await Agent.start(api, ref, { dir: stateDir() })
  assert.equal(calls, [false])
  const p = agent.run({ argv: ['sleep', '0.2'], from: 'node', seconds: 5, timeoutMs: 5000 })
  assert.equal(calls, [false, true])
  await p
  assert.equal(calls, [false, true, false])
  agent.close()
  await done()
})

test.run()
