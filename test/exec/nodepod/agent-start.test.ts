// An agent that cannot start, behind the fake API (agent-kit.ts): a command aborted meanwhile never runs; an image
// that cannot run one, or an exec that fails for now, leaves one exec per command with one note; an exec refused by
// the API is reported as on any transport; a pod deleted behind our back gets a new pod and agent.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KubeError } from '../../../src/kube/errors.ts'
import { answer } from './fakeapi.ts'
import { SHELLS } from './localexec.ts'
import { cleanup, marker, procsWith, rejects, setup } from './agent-kit.ts'

test.after(cleanup)

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

test.run()
