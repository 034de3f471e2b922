// enterNetns on a fake node: the discovery chain, caching, restarts, and the errors a user can meet.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { ExecError } from '../../src/exec/index.ts'
import { enterNetns, nsenterArgv, pidGone } from '../../src/net/netns.ts'
import { NetError } from '../../src/net/errors.ts'
import { PROC_SCAN_SCRIPT } from '../../src/net/pid.ts'
import { isMissing, lastLine } from '../../src/net/discover.ts'
import { ExecOutput } from '../../src/exec/index.ts'
import type { RunOptions } from '../../src/exec/index.ts'
import { CLIENT, connectError, fakeNetSession, labFx, labPods, type Answer } from './fake.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import { assertFast } from '../fast.ts'

installPresenters() // results print as tables, as in the shell

const inspectJson = (pid = CLIENT.pid, state = 'CONTAINER_RUNNING') => {
  const j = JSON.parse(labFx('crictl-inspect-client.json'))
  j.info.pid = pid
  j.status.state = state
  return JSON.stringify(j)
}

/** The client pod's node as the lab showed it: crictl works, /proc/PID/cgroup names the pod, ip answers in the netns. */
function clientRoute(over: (argv: string[], opts: RunOptions) => Answer | undefined = () => undefined) {
  return (_node: string, argv: string[], opts: RunOptions): Answer => {
    const o = over(argv, opts)
    if (o) return o
    const cmd = argv.join(' ')
    if (cmd === `crictl inspect ${CLIENT.containerId}`) return { stdout: inspectJson() }
    if (/^cat \/proc\/\d+\/cgroup$/.test(cmd)) return { stdout: labFx('proc-cgroup-client.txt') }
    if (cmd.startsWith(`nsenter -t ${CLIENT.pid} -n -- ip -j addr`)) return { stdout: labFx('ip-addr-pod-client.json') }
    return { exitCode: 127, stderr: `sh: 1: ${argv[0]}: not found` }
  }
}

async function rejects(p: Promise<unknown>, kind: string, re: RegExp = /./): Promise<NetError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, NetError, String(e))
    assert.is((e as NetError).kind, kind, (e as Error).message)
    assert.match((e as Error).message, re)
    return e as NetError
  }
  throw new assert.Assertion({
    message: `expected NetError [${kind}], got success`,
    operator: 'rejects',
    generated: false,
    expects: kind,
    actual: 'success',
  })
}

test('nsenterArgv / pidGone', () => {
  assert.equal(nsenterArgv(42, ['ip', '-j', 'link']), ['nsenter', '-t', '42', '-n', '--', 'ip', '-j', 'link'])
  assert.throws(() => nsenterArgv(0, ['true']), /positive integer/)
  assert.ok(pidGone({ exitCode: 1, stderr: 'nsenter: cannot open /proc/12095/ns/net: No such file or directory\n' }))
  assert.not.ok(pidGone({ exitCode: 1, stderr: 'Device "eth9" does not exist.\n' }))
  assert.not.ok(pidGone({ exitCode: 0, stderr: '' }))
})

test("lastLine: crictl's errors (logrus lines after klog's) read as their message; long ones keep both ends", () => {
  const err = (stderr: string) => ({ exitCode: 1, stdout: '', stderr })
  const notFound = lastLine(err(labFx('crictl-inspect-notfound.txt')))
  assert.ok(
    notFound.startsWith('get the status of containers: get container status: rpc error: code = NotFound'),
    notFound,
  )
  assert.ok(notFound.endsWith(`${'0'.repeat(12)}": not found`), notFound)
  assert.ok(notFound.length <= 160)
  assert.is(
    lastLine(err(labFx('crictl-inspect-noruntime.txt'))).slice(0, 66),
    'validate service connection: validate CRI v1 runtime API for endpo',
  )
  assert.match(lastLine(err(labFx('crictl-inspect-noruntime.txt'))), /connect: no such file or directory"$/)
  assert.is(
    lastLine(err('Cannot connect to the Docker daemon. Is the docker daemon running?\n')),
    'Cannot connect to the Docker daemon. Is the docker daemon running?',
  )
  assert.is(lastLine({ exitCode: 3, stdout: '', stderr: '' }), 'exit 3')
})

test('isMissing: the shell\'s or sudo\'s "not found" means no tool; crictl\'s own "not found" does not', () => {
  const out = (exitCode: number, stderr: string) =>
    new ExecOutput({ target: 't', argv: ['x'], exitCode, stdout: '', stderr, durationMs: 0 })
  assert.ok(isMissing(out(127, '')))
  assert.ok(isMissing(out(1, 'sudo: crictl: command not found\n')))
  assert.ok(isMissing(out(2, 'sh: 1: crictl: not found\n')))
  assert.not.ok(isMissing(out(1, labFx('crictl-inspect-notfound.txt'))))
  assert.not.ok(isMissing(out(1, labFx('crictl-inspect-noruntime.txt'))))
  assert.not.ok(isMissing(out(1, 'Error: No such object: abc\n')))
  // timeout(1)'s words; found by test/fuzz/pid.test.ts: many copies of the prefix without the rest once took >50 ms
  assert.ok(isMissing(out(125, "timeout: failed to run command 'conntrack': No such file or directory\n")))
  const flood = 'failed to run command '.repeat(3000)
  assert.not.ok(assertFast(() => isMissing(out(1, flood)), 50, 'a flood of the prefix'))
})

test('enterNetns(client): crictl inspect of the running container, as root on the pod node; $ runs nsenter -t PID -n', async () => {
  const { session, calls } = fakeNetSession(clientRoute())
  const h = await enterNetns(session, 'client')
  assert.equal(
    [h.pod, h.node, h.pid, h.method, h.cached, h.podIP],
    ['shop/client', CLIENT.node, CLIENT.pid, 'crictl', false, CLIENT.podIP],
  )
  assert.equal(calls[0].argv, ['crictl', 'inspect', CLIENT.containerId])
  assert.is(calls[0].node, CLIENT.node)
  assert.is(calls[0].opts.sudo, true)
  const links = await h.$`ip -j addr show ${'eth0'}`.json<{ ifname: string; addr_info: { local: string }[] }[]>()
  assert.equal(calls.at(-1)!.argv, [
    'nsenter',
    '-t',
    String(CLIENT.pid),
    '-n',
    '--',
    'ip',
    '-j',
    'addr',
    'show',
    'eth0',
  ])
  assert.ok(links.some((l) => l.addr_info.some((a) => a.local === h.podIP)))
  assert.equal(JSON.parse(JSON.stringify(h)).pid, CLIENT.pid)
  assert.equal(Object.keys(JSON.parse(JSON.stringify(h))).sort(), [
    'attempts',
    'cached',
    'containerId',
    'detail',
    'method',
    'name',
    'namespace',
    'node',
    'pid',
    'pod',
    'podIP',
    'uid',
  ])
  const text = inspect(h, { colors: false })
  assert.match(text, /POD\s+NODE\s+PID\s+METHOD/)
  assert.match(text, new RegExp(`shop/client\\s+${CLIENT.node}\\s+${CLIENT.pid}\\s+crictl`))
})

test('the PID is cached per container ID and checked against /proc/PID/cgroup; a new container ID re-resolves', async () => {
  const pods = labPods()
  const { session, calls } = fakeNetSession(clientRoute(), pods)
  await enterNetns(session, 'shop/client')
  const n = calls.length
  const again = await enterNetns(session, 'shop/client')
  assert.ok(again.cached)
  assert.equal(
    calls.slice(n).map((c) => c.argv.join(' ')),
    [`cat /proc/${CLIENT.pid}/cgroup`],
  )
  // the container restarted: a new ID in the pod status
  const p = pods.get('shop/client')!
  const newId = 'ab'.repeat(32)
  p.status!.containerStatuses![0].containerID = `containerd://${newId}`
  const { session: s2, calls: c2 } = fakeNetSession(
    clientRoute((argv) => (argv.join(' ') === `crictl inspect ${newId}` ? { stdout: inspectJson(23456) } : undefined)),
    pods,
  )
  await enterNetns(s2, 'shop/client')
  p.status!.containerStatuses![0].containerID = `containerd://${CLIENT.containerId}`
  const h = await enterNetns(s2, 'shop/client')
  assert.not.ok(h.cached)
  assert.ok(c2.some((c) => c.argv.join(' ') === `crictl inspect ${CLIENT.containerId}`))
})

test('a cached PID whose cgroup no longer names the pod (PID reused) is discovered again', async () => {
  let reused = false
  const { session, calls } = fakeNetSession(
    clientRoute((argv) => (reused && argv[0] === 'cat' ? { stdout: '0::/system.slice/cron.service\n' } : undefined)),
  )
  await enterNetns(session, 'client')
  reused = true
  const n = calls.length
  const h = await enterNetns(session, 'client')
  assert.not.ok(h.cached)
  assert.equal(
    calls.slice(n).map((c) => c.argv[0]),
    ['cat', 'crictl'],
  )
})

test('PID gone while running (container restarted): the handle re-resolves and runs again', async () => {
  let pid = CLIENT.pid
  const { session } = fakeNetSession(
    clientRoute((argv) => {
      if (argv[0] === 'crictl') return { stdout: inspectJson(pid) }
      if (argv[0] === 'nsenter' && argv[2] === String(CLIENT.pid) && pid !== CLIENT.pid)
        return { exitCode: 1, stderr: `nsenter: cannot open /proc/${CLIENT.pid}/ns/net: No such file or directory\n` }
      if (argv[0] === 'nsenter') return { stdout: `in ${argv[2]}\n` }
      return undefined
    }),
  )
  const h = await enterNetns(session, 'client')
  pid = 30000
  assert.is(await h.$`true`.text(), 'in 30000')
  assert.is(h.pid, 30000)
  assert.not.ok(h.cached)
})

test('a failing command inside the netns throws ExecError like node.$; nothrow() returns it', async () => {
  const { session } = fakeNetSession(
    clientRoute((argv) =>
      argv[0] === 'nsenter' ? { exitCode: 1, stderr: 'Device "eth9" does not exist.\n' } : undefined,
    ),
  )
  const h = await enterNetns(session, 'client')
  try {
    await h.$`ip link show eth9`
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ExecError)
    assert.is((e as ExecError).kind, 'exit')
    assert.match((e as Error).message, /eth9/)
  }
  const r = await h.nothrow().$`ip link show eth9`
  assert.is(r.exitCode, 1)
  const s = await h.nothrow().sh('ip link show "$1"', ['eth9'])
  assert.is(s.exitCode, 1)
})

test('sh(script): the node sh runs in the netns with the script on stdin', async () => {
  const { session, calls } = fakeNetSession(
    clientRoute((argv) => (argv[0] === 'nsenter' ? { stdout: 'ok\n' } : undefined)),
  )
  const h = await enterNetns(session, 'client')
  await h.sh('ip -br link | grep "$1"', ['eth0'])
  const c = calls.at(-1)!
  assert.equal(c.argv, ['nsenter', '-t', String(CLIENT.pid), '-n', '--', 'sh', '-s', '--', 'eth0'])
  assert.is(c.opts.input, 'ip -br link | grep "$1"')
})

test('crictl missing, docker without daemon: the /proc scan finds the pod by cgroup and says so', async () => {
  const { session, calls } = fakeNetSession((_n, argv, opts) => {
    if (argv[0] === 'crictl') return { exitCode: 127, stderr: 'sh: 1: crictl: not found\n' }
    if (argv[0] === 'docker')
      return {
        exitCode: 1,
        stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      }
    if (argv[0] === 'sh' && opts.input === PROC_SCAN_SCRIPT)
      return {
        stdout: `${CLIENT.sandboxPid} net:[4026532321]\n${CLIENT.pid} net:[4026532321]\nhost net:[4026531833]\n`,
      }
    return { exitCode: 1 }
  })
  const h = await enterNetns(session, 'client')
  assert.equal([h.method, h.pid], ['proc', CLIENT.sandboxPid])
  const scan = calls.find((c) => c.opts.input === PROC_SCAN_SCRIPT)!
  assert.equal(scan.argv, ['sh', '-s', '--', `pod${CLIENT.uid}`, `pod${CLIENT.uid.replace(/-/g, '_')}`])
  assert.equal(
    h.attempts.map((a) => [a.method, a.ok]),
    [
      ['crictl', false],
      ['docker', false],
      ['proc', true],
    ],
  )
  assert.is(h.attempts[0].detail, `crictl is not installed on ${CLIENT.node}`)
  assert.match(h.attempts[1].detail, /Docker daemon/)
  assert.match(inspect(h, { colors: false }), /METHOD\s+RESULT\s+TRIED/)
})

test('status lagging a restart (its container ID is gone): crictl ps --name finds the new container', async () => {
  const newId = 'cd'.repeat(32)
  const { session, calls } = fakeNetSession((_n, argv) => {
    const cmd = argv.join(' ')
    if (cmd === `crictl inspect ${CLIENT.containerId}`)
      return {
        exitCode: 1,
        stderr: labFx('crictl-inspect-notfound.txt').replaceAll('0'.repeat(64), CLIENT.containerId),
      }
    if (cmd === `crictl ps -q --name ^client$ --label io.kubernetes.pod.uid=${CLIENT.uid} --state running`)
      return { stdout: `${newId}\n` }
    if (cmd === `crictl inspect ${newId}`) return { stdout: inspectJson(31337) }
    return { exitCode: 1 }
  })
  const h = await enterNetns(session, 'client')
  assert.equal([h.method, h.pid], ['crictl', 31337])
  assert.equal(
    h.attempts.map((a) => a.ok),
    [false, true],
  )
  assert.not.ok(calls.some((c) => c.argv[1] === 'pods'))
})

test('docker (cri-dockerd) by pod label when crictl fails', async () => {
  const { session } = fakeNetSession((_n, argv) => {
    const cmd = argv.join(' ')
    if (argv[0] === 'crictl') return { exitCode: 1, stderr: labFx('crictl-inspect-noruntime.txt') }
    if (cmd === `docker ps -q --filter label=io.kubernetes.pod.uid=${CLIENT.uid}`) return { stdout: '173ee46a3926\n' }
    if (cmd === 'docker inspect -f {{.State.Pid}} 173ee46a3926') return { stdout: '14552\n' }
    return { exitCode: 1 }
  })
  const h = await enterNetns(session, 'client')
  assert.equal([h.method, h.pid, h.containerId], ['docker', 14552, '173ee46a3926'])
})

test('no running container (crash loop): crictl finds the sandbox and enters it through the pause process', async () => {
  const pods = labPods()
  const cs = pods.get('shop/client')!.status!.containerStatuses![0]
  cs.state = { waiting: { reason: 'CrashLoopBackOff' } }
  const { session } = fakeNetSession((_n, argv) => {
    const cmd = argv.join(' ')
    if (cmd === `crictl pods -q --label io.kubernetes.pod.uid=${CLIENT.uid}`) return { stdout: `${CLIENT.sandboxId}\n` }
    if (cmd === `crictl ps -q --pod ${CLIENT.sandboxId} --state running`) return { stdout: '' }
    if (cmd === `crictl inspectp ${CLIENT.sandboxId}`) return { stdout: labFx('crictl-inspectp-client.json') }
    return { exitCode: 1 }
  }, pods)
  const h = await enterNetns(session, 'client')
  assert.equal([h.method, h.pid], ['crictl', CLIENT.sandboxPid])
  assert.match(h.detail, /^sandbox /)
})

test('nothing works: NetError nopid lists each method and why it failed', async () => {
  const { session } = fakeNetSession((_n, argv) => {
    if (argv[0] === 'crictl' && argv[1] === 'inspect')
      return { exitCode: 1, stderr: labFx('crictl-inspect-notfound.txt') }
    if (argv[0] === 'crictl') return { stdout: '' }
    if (argv[0] === 'docker') return { exitCode: 127, stderr: 'sudo: docker: command not found\n' }
    if (argv[0] === 'sh') return { stdout: 'host net:[4026531833]\n' }
    return { exitCode: 1 }
  })
  const e = await rejects(
    enterNetns(session, 'client'),
    'nopid',
    /tried:\n\s+crictl: crictl inspect \w+ -> get the status of containers: get container status: rpc error: code = NotFound .*….*": not found\n/,
  )
  assert.match(e.message, new RegExp(`docker: .*docker is not installed on ${CLIENT.node}`))
  assert.match(e.message, /proc: grep -l -F .* -> no process's cgroup names pod/)
  assert.match(e.message, /crictl: crictl ps -q --name '\^client\$' .* -> no running container client/)
  assert.equal(
    e.attempts!.map((a) => a.method),
    ['crictl', 'crictl', 'crictl', 'docker', 'proc'],
  )
})

test('hostNetwork, unscheduled, finished and missing pods get clear errors before anything runs on a node', async () => {
  const pods = labPods()
  const mk = (name: string, f: (p: any) => void) => {
    const p = structuredClone(pods.get('shop/client')!)
    p.metadata.name = name
    f(p)
    pods.set(`shop/${name}`, p)
  }
  mk('hostnet', (p) => (p.spec.hostNetwork = true))
  mk('pending', (p) => {
    delete p.spec.nodeName
    p.status = { phase: 'Pending' }
  })
  mk('done', (p) => (p.status.phase = 'Succeeded'))
  const { session, calls } = fakeNetSession(() => ({ exitCode: 1 }), pods)
  const e = await rejects(
    enterNetns(session, 'hostnet'),
    'hostnetwork',
    new RegExp(`uses hostNetwork: its network namespace is the node's \\(${CLIENT.node}\\)`),
  )
  assert.match(e.hint!, new RegExp(`node\\('${CLIENT.node}'\\)`))
  await rejects(enterNetns(session, 'pending'), 'unscheduled', /not scheduled/)
  await rejects(enterNetns(session, 'done'), 'notrunning', /Succeeded/)
  const nf = await rejects(enterNetns(session, 'web'), 'notfound', /pod "web" not found in namespace "shop"/)
  const web = [...pods.keys()].filter((k) => k.startsWith('shop/web-'))
  assert.ok(web.length >= 2, 'the capture has the web replicas')
  assert.ok(
    web.every((k) => nf.hint!.includes(`'${k}'`)),
    nf.hint,
  )
  await rejects(enterNetns(session, 'kube-system/nope'), 'notfound', /namespace "kube-system"/)
  await rejects(enterNetns(session, 42 as never), 'invalid', /pod: expected a pod name/)
  await rejects(enterNetns(session, 'a/b/c'), 'invalid', /"a\/b\/c"/)
  assert.is(calls.length, 0)
})

test('an unreachable node is NetError unreachable naming the node and the pod', async () => {
  const { session } = fakeNetSession((n) => connectError(n))
  const e = await rejects(
    enterNetns(session, 'client'),
    'unreachable',
    new RegExp(`node ${CLIENT.node} \\(where shop/client runs\\) is unreachable over SSH`),
  )
  assert.instance((e as Error).cause, ExecError)
})

test('a pod object or a handle works as the argument (namespace taken from it)', async () => {
  const { session } = fakeNetSession(clientRoute(), labPods(), 'default')
  const h = await enterNetns(session, labPods().get('shop/client')!)
  assert.is(h.pod, 'shop/client')
  const h2 = await enterNetns(session, h)
  assert.is(h2.pod, 'shop/client')
})

test.run()
