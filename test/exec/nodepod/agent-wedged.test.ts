// A wedged agent, under busybox sh and dash behind the fake API (agent-kit.ts): one whose writer or main loop stopped
// fails a ping long before the deadline and is replaced; the answer it held still arrives, a command (or stdin) it
// never read runs as its own exec, and an idle one is found by its keep-alive ping.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { AgentPool } from '../../../src/exec/nodepod/agentpool.ts'
import { SHELLS } from './localexec.ts'
import { childrenOf, cleanup, setup, waitFor } from './agent-kit.ts'

test.after(cleanup)

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

test.run()
