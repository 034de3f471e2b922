// NodePodExec with a scripted API and one exec per command (agent: false; the agent has agent.test.ts): what is
// sent (wrapper, stdin by CLOSE or by length), how answers map to ExecOutput/ExecError (exit, missing status, status
// failure), abort and the kill exec, the image-tool fallback.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodePods } from '../../../src/exec/nodepod/manager.ts'
import { NodePodExec } from '../../../src/exec/nodepod/exec.ts'
import { ExecError } from '../../../src/exec/types.ts'
import { KubeError } from '../../../src/kube/errors.ts'
import { FakeNodePodApi, answer } from './fakeapi.ts'

function setup(o: { protocol?: string } = {}) {
  const api = new FakeNodePodApi()
  if (o.protocol) api.protocol = o.protocol
  const pods = new NodePods(api)
  return { api, pods, exec: new NodePodExec(pods, 'lab-1', { agent: false }) }
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

test('a command runs through the wrapper in the node pod; the result has the SSH transport’s fields', async () => {
  const { api, pods, exec } = setup()
  api.onExec = (argv) => answer({ stdout: `ran ${argv.join(' ')}\n`, stderr: 'warn\n' })
  const r = await exec.run(['ip', '-j', 'link'])
  assert.is(r.target, 'pod:lab-1')
  assert.equal(r.argv, ['ip', '-j', 'link'])
  assert.is(r.exitCode, 0)
  assert.is(r.stdout, 'ran ip -j link\n')
  assert.is(r.stderr, 'warn\n')
  assert.is(r.toolFrom, undefined)
  const w = api.execs.find((e) => e.kind === 'wrapped')!
  assert.equal(w.command.slice(0, 2), ['sh', '-c'])
  assert.equal(w.command.slice(5, 10), ['/usr/bin/nsenter', '1', 'node', '-', '30'])
  assert.is(w.container, 'node')
  assert.is(w.stdin, undefined)
  await exec.run(['true'])
  assert.equal(api.calls.filter((c) => c.startsWith('create')).length, 1, 'the second command reuses the pod')
  await pods.close()
})

test('non-zero exits, 124 and nothrow behave as on SSH', async () => {
  const { api, pods, exec } = setup()
  api.onExec = (argv) => answer({ exitCode: Number(argv[1]), stderr: 'boom\n' })
  const e = await rejects(exec.run(['exit', '3']), 'exit')
  assert.is(e.exitCode, 3)
  assert.is(e.stderr, 'boom\n')
  assert.match(e.message, '`exit 3` on pod:lab-1 exited 3: boom')
  await rejects(exec.run(['exit', '124']), 'timeout')
  assert.is((await exec.run(['exit', '5'], { nothrow: true })).exitCode, 5)
  await pods.close()
})

test('stdin: with v5 known it ends by CLOSE; with v4 it ends by length (head -c N, bytes not characters)', async () => {
  for (const [protocol, end, n] of [
    ['v5.channel.k8s.io', 'close', '-'],
    ['v4.channel.k8s.io', 'none', '7'],
  ] as const) {
    const { api, pods, exec } = setup({ protocol })
    api.onExec = (_argv, req) => answer({ stdout: req.stdin })
    const r = await exec.run(['cat'], { input: 'héllo\n' })
    assert.is(r.stdout, 'héllo\n')
    const w = api.execs.find((e) => e.kind === 'wrapped')!
    assert.is(w.stdinEnd, end)
    assert.is(w.command[8], n)
    await pods.close()
  }
})

test('no exit status (client-node #714) is a clear connect error, and the remote process is killed', async () => {
  const { api, pods, exec } = setup()
  api.onExec = () => answer({ exitCode: null, stdout: 'partial', closeCode: 1006 })
  const e = await rejects(exec.run(['sleep', '5']), 'connect')
  assert.match(e.message, 'ended without an exit status while running `sleep 5` (WebSocket close 1006)')
  assert.is(e.stdout, 'partial')
  assert.equal(
    api.execs.map((x) => x.kind),
    ['probe', 'wrapped', 'kill'],
  )
  await pods.close()
})

test('a status that is a failure without an exit code (e.g. the container is gone) is a connect error with its message', async () => {
  const { api, pods, exec } = setup()
  api.onExec = () => ({
    ...answer({}),
    status: { exitCode: null, status: 'Failure', message: 'container not found ("node")' },
  })
  const e = await rejects(exec.run(['true']), 'connect')
  assert.match(e.message, 'exec on pod:lab-1 failed: container not found ("node")')
  await pods.close()
})

test('abort: the WebSocket is dropped, a kill exec ends the process, the error is "aborted"', async () => {
  const { api, pods, exec } = setup()
  const ac = new AbortController()
  api.onExec = (_argv, req) =>
    new Promise((resolve) => {
      req.signal!.addEventListener('abort', () => resolve({ ...answer({ exitCode: null }), aborted: true }))
      setTimeout(() => ac.abort(), 20) // Ctrl-C while the command runs
    })
  const e = await rejects(exec.run(['sleep', '100'], { signal: ac.signal }), 'aborted')
  assert.equal(e.argv, ['sleep', '100'])
  const kill = api.execs.find((x) => x.kind === 'kill')!
  const wrapped = api.execs.find((x) => x.kind === 'wrapped')!
  assert.is(kill.command[4], wrapped.command[4], 'the kill names the same token')
  // an abort while the pod starts ends the wait; the pod stays for the next command
  const ac2 = new AbortController()
  const { api: api2, pods: pods2, exec: exec2 } = setup()
  setTimeout(() => ac2.abort(), 30)
  await rejects(exec2.run(['true'], { signal: ac2.signal }), 'aborted')
  assert.equal(
    api2.execs.filter((x) => x.kind !== 'probe'),
    [],
  )
  await exec2.run(['true'])
  assert.equal(api2.calls.filter((c) => c.startsWith('create')).length, 1)
  await pods.close()
  await pods2.close()
})

test("tool 'auto': a tool the node lacks runs from the image in the node's network namespace, and the result says so", async () => {
  const { api, pods, exec } = setup()
  api.onExec = (argv, req) =>
    req.command[7] === 'node'
      ? answer({ exitCode: 127, stderr: `timeout: failed to run command '${argv[0]}': No such file or directory\n` })
      : answer({ stdout: 'conntrack v1.4.7\n' })
  const r = await exec.run(['conntrack', '--version'], { tool: 'auto' })
  assert.is(r.stdout, 'conntrack v1.4.7\n')
  assert.is(r.toolFrom, 'image')
  assert.equal(
    api.execs.filter((x) => x.kind === 'wrapped').map((x) => x.command[7]),
    ['node', 'image'],
  )
  // remembered: the next call goes to the image at once
  await exec.run(['conntrack', '-S'], { tool: 'auto' })
  assert.equal(
    api.execs.filter((x) => x.kind === 'wrapped').map((x) => x.command[7]),
    ['node', 'image', 'image'],
  )
  // without 'auto' the 127 is an error whose hint names the option
  const e = await rejects(exec.run(['conntrack', '-L']), 'exit')
  assert.match(e.hint!, "lab-1 has no conntrack; pass {tool: 'auto'}")
  await pods.close()
})

test('a pod deleted behind our back is replaced once, transparently', async () => {
  const { api, pods, exec } = setup()
  await exec.run(['true'])
  api.pods.clear()
  const r = await exec.run(['echo', 'again'])
  assert.is(r.exitCode, 0)
  assert.equal(api.calls.filter((c) => c.startsWith('create')).length, 2)
  await pods.close()
})

test('a pod that has ended (past its deadline, evicted) is replaced too; close() deletes this node’s pod', async () => {
  const { api, pods, exec } = setup()
  await exec.run(['true'])
  let refused = false
  api.onExec = () => {
    if (!refused) {
      refused = true
      throw new KubeError(
        'invalid',
        '400 BadRequest: cannot exec into a container in a completed pod; current phase is Succeeded',
        undefined,
        undefined,
        { status: 400 },
      )
    }
    return answer({ stdout: 'ok\n' })
  }
  assert.is((await exec.run(['echo', 'ok'])).stdout, 'ok\n')
  assert.equal(api.calls.filter((c) => c.startsWith('create')).length, 2)
  await exec.close()
  assert.is(api.pods.size, 0)
  assert.equal(pods.pods(), [])
  await pods.close()
})

test('a pod that cannot be made is an ExecError carrying the NodePodError (auth for RBAC)', async () => {
  const { api, pods, exec } = setup()
  api.denied = new Set(['create pods'])
  const e = await rejects(exec.run(['true']), 'auth')
  assert.match(e.message, 'no node pod on lab-1: user "tester" may not create pods in namespace "kube-system"')
  assert.is((e.cause as any).kind, 'rbac')
  await pods.close()
})

test('binary: the raw bytes are kept when asked', async () => {
  const { api, pods, exec } = setup()
  const bytes = Buffer.from([0, 255, 128, 10, 0xc3])
  api.onExec = () => answer({ stdout: bytes })
  const r = await exec.run(['cat', '/bin/true'], { binary: true })
  assert.ok(r.stdoutBytes!.equals(bytes))
  assert.is((await exec.run(['cat', 'x'])).stdoutBytes, undefined)
  await pods.close()
})

test('bad input is refused before any pod is made', async () => {
  const { api, exec } = setup()
  await rejects(exec.run([]), 'invalid')
  assert.match(
    (await rejects(exec.run(['x'], { tool: 'host' as any }), 'invalid')).message,
    'tool: expected "node", "image" or "auto", received "host"',
  )
  assert.match(
    (await rejects(exec.run(['x'], { binary: 'yes' as any }), 'invalid')).message,
    'binary: expected true or false',
  )
  assert.equal(api.calls, [])
  assert.throws(() => new NodePodExec(new NodePods(api), 'Bad Node'), /node name/)
})

test.run()
