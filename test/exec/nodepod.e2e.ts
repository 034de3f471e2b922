// The node pod transport on lab-1 (this machine, so the node's side is checked with plain reads of /proc and /tmp):
// node namespaces, exit codes, stderr apart, stdin (v5 and forced v4), binary, 10 MB, deadlines on the node,
// abort ending the remote process within 2 s, the image-tool fallback, reuse, and no pod left after close().
// Commands ride the pod's agent (one long-lived exec); it is checked on the node, killed, and compared with one
// exec per command.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { labPaths, NET, NODE } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../../src/kube/index.ts'
import { AgentPool, NodePods, NodePodExec, type NodePodPhase } from '../../src/exec/nodepod/index.ts'
import { NodeHandle } from '../../src/exec/node.ts'
import { ExecError } from '../../src/exec/types.ts'

const kube = new Kube(loadKubeconfig({ kubeconfig: labPaths().kubeconfig }))
const api = kubeNodePodApi(kube)
const phases: NodePodPhase[] = []
const pods = new NodePods(api, { image: IMAGES.nodePod, onPhase: (p) => phases.push(p) })
const notes: string[] = []
const exec = new NodePodExec(pods, NODE, { onNote: (n) => notes.push(n) })
const blob = `/tmp/kinspect-e2e-blob-${process.pid}`

async function leftovers(): Promise<string[]> {
  return (await api.listPods('app.kubernetes.io/managed-by=kinspect')).map(
    (p) => `${p.metadata.namespace}/${p.metadata.name}`,
  )
}
async function rejects(p: Promise<unknown>, kind: string): Promise<ExecError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, ExecError, `expected an ExecError, got ${e}`)
  assert.is(e.kind, kind, e.message)
  return e
}
// Processes on the node whose command line contains marker (the node is this machine).
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

test.before(async () => {
  assert.equal(await leftovers(), [], 'kinspect pods left from an earlier run')
})
test.after(async () => {
  await pods.close()
  fs.rmSync(blob, { force: true })
  kube.close()
})

test('the first command makes the pod (phases reported); commands run in the node’s namespaces with the node’s tools', async () => {
  const t0 = performance.now()
  const r = await exec.run(['sh', '-c', 'for n in mnt net pid uts ipc; do readlink /proc/self/ns/$n; done'])
  const first = performance.now() - t0
  // lab-1 is this machine: the namespaces must be this test process's own (the host's), not the pod's
  const host = ['mnt', 'net', 'pid', 'uts', 'ipc'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`))
  assert.equal(r.lines(), host)
  assert.equal(
    phases.map((p) => p.phase).filter((p, i, a) => a.indexOf(p) === i),
    ['checking', 'creating', 'starting', 'ready'],
  )
  console.log(`    first command on ${NODE}, pod creation included: ${Math.round(first)} ms (${pods.protocol})`)
  // the node's own ip (iproute2 on this machine), not the image's: same binary, same inode
  const ipNode = await exec.run(['sh', '-c', 'stat -L -c %i "$(command -v ip)"'])
  assert.is(ipNode.text(), String(fs.statSync(fs.realpathSync('/usr/sbin/ip')).ino))
})

test('exit codes and stderr stay apart; nothrow returns the result', async () => {
  const e = await rejects(exec.run(['sh', '-c', 'echo out; echo err >&2; exit 3']), 'exit')
  assert.is(e.exitCode, 3)
  assert.is(e.stdout, 'out\n')
  assert.is(e.stderr, 'err\n')
  assert.is(e.target, `pod:${NODE}`)
  const r = await exec.run(['sh', '-c', 'exit 42'], { nothrow: true })
  assert.is(r.exitCode, 42)
  assert.is((await exec.run(['true'])).exitCode, 0)
  const missing = await rejects(exec.run(['kinspect-no-such-tool']), 'exit')
  assert.is(missing.exitCode, 127)
  assert.match(missing.hint!, "has no kinspect-no-such-tool; pass {tool: 'auto'}")
})

test('commands ride one agent on the node; a sleeping command holds no other; a warm command costs far less than an exec', async () => {
  const agent = AgentPool.of(pods).agentOf(NODE)
  assert.ok(agent, 'no agent for the node pod')
  // hostPID: the agent's pid is a pid of this machine
  assert.ok(
    fs.readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0').includes('kinspect-agent'),
    `pid ${agent.pid} is not the agent`,
  )
  const m = `30${process.pid % 1000}4`
  const t0 = performance.now()
  const slow = exec.run(['sleep', m], { timeoutMs: 3000 }).then(
    () => undefined,
    (e) => e,
  )
  const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => exec.run(['echo', String(i)])))
  assert.equal(
    outs.map((o) => o.text()),
    Array.from({ length: 10 }, (_, i) => String(i)),
  )
  assert.ok(
    performance.now() - t0 < 2500,
    `10 commands took ${Math.round(performance.now() - t0)} ms next to a sleeping one`,
  )
  assert.is((await slow)?.kind, 'timeout')
  assert.equal(procsWith(m), [])
  const oneShot = new NodePodExec(pods, NODE, { agent: false })
  const med = async (e: NodePodExec) => {
    const ms: number[] = []
    for (let i = 0; i < 15; i++) {
      const t = performance.now()
      await e.run(['true'])
      ms.push(performance.now() - t)
    }
    return ms.sort((a, b) => a - b)[7]
  }
  const [viaAgent, viaExec] = [await med(exec), await med(oneShot)]
  console.log(
    `    warm \`true\`: ${viaAgent.toFixed(1)} ms through the agent, ${viaExec.toFixed(1)} ms as its own exec (medians of 15)`,
  )
  assert.ok(
    viaAgent * 2 < viaExec,
    `the agent (${viaAgent.toFixed(1)} ms) is not clearly faster than one exec per command (${viaExec.toFixed(1)} ms)`,
  )
  assert.is(AgentPool.of(pods).agentOf(NODE)?.pid, agent.pid, 'the same agent carried every command')
})

test('argv is never re-read by a shell; NodeHandle works over this transport', async () => {
  const nasty = ["a' ; echo INJECTED #", '$(id)', '`id`', '*', '', ' ', 'line\nbreak', 'é€']
  const r = await exec.run(['printf', '%s\\0', ...nasty])
  assert.equal(r.stdout.split('\0').slice(0, -1), nasty)
  const node = new NodeHandle(exec)
  const addrs = await node.$`ip -j addr`.json<{ ifname: string; addr_info: { local: string }[] }[]>()
  assert.ok(
    addrs.some((i) => i.addr_info.some((a) => a.local === NET.nodeIP)),
    `no ${NET.nodeIP} on ${NODE}`,
  )
})

test('stdin over v5 ends with the CLOSE frame', async () => {
  assert.is(pods.protocol, 'v5.channel.k8s.io')
  const input = 'héllo\nwörld\n'
  assert.is((await exec.run(['cat'], { input })).stdout, input)
  assert.is((await exec.run(['wc', '-c'], { input })).text().trim(), String(Buffer.byteLength(input)))
  assert.is((await exec.run(['sh', '-c', 'cat; echo end'], { input: '' })).stdout, 'end\n')
})

test('with only v4 offered: stdin works through the agent, and by length (head -c N) as one exec per command', async () => {
  const v4 = new NodePods(api, { image: IMAGES.nodePod, protocol: 'v4' })
  try {
    for (const agent of [true, false]) {
      const e = new NodePodExec(v4, NODE, { agent })
      const input = 'line 1\nline 2 — ünïcode\n'
      assert.is((await e.run(['cat'], { input })).stdout, input)
      assert.is(v4.protocol, 'v4.channel.k8s.io')
      assert.is((await e.run(['wc', '-c'], { input })).text().trim(), String(Buffer.byteLength(input)))
      assert.is((await e.run(['sh', '-c', 'cat; echo end'], { input: '' })).stdout, 'end\n')
      if (agent) assert.ok(AgentPool.of(v4).agentOf(NODE), 'no agent on v4')
    }
  } finally {
    await v4.close()
  }
})

test('binary output and 10 MB arrive intact', async () => {
  const data = crypto.randomBytes(10 * 1024 * 1024)
  fs.writeFileSync(blob, data)
  const t0 = performance.now()
  const r = await exec.run(['cat', blob], { binary: true, timeoutMs: 60_000 })
  console.log(`    10 MB in ${Math.round(performance.now() - t0)} ms`)
  assert.is(r.stdoutBytes!.length, data.length)
  assert.ok(r.stdoutBytes!.equals(data), 'the bytes differ')
  const bin = fs.readFileSync('/usr/bin/dash')
  const d = await exec.run(['cat', '/usr/bin/dash'], { binary: true })
  assert.ok(d.stdoutBytes!.equals(bin))
})

test('the deadline is enforced on the node: the command is gone when the error comes', async () => {
  const marker = `30${process.pid % 1000}1`
  const t0 = performance.now()
  const e = await rejects(exec.run(['sleep', marker], { timeoutMs: 1500 }), 'timeout')
  const took = performance.now() - t0
  assert.ok(took < 5000, `took ${Math.round(took)} ms`)
  assert.is(e.exitCode, 124)
  assert.equal(procsWith(marker), [])
})

test('abort (Ctrl-C) ends the remote process, and what it started, within 2 s — also when it ignores TERM', async () => {
  for (const argv of [
    ['sleep', `30${process.pid % 1000}2`],
    ['sh', '-c', `trap "" TERM; sleep 30${process.pid % 1000}3; echo not reached`],
  ]) {
    const marker = argv[0] === 'sleep' ? argv[1] : `30${process.pid % 1000}3`
    const ac = new AbortController()
    const p = exec.run(argv, { signal: ac.signal, timeoutMs: 60_000 })
    const seen = await (async () => {
      for (let i = 0; i < 100; i++) {
        const ps = await exec.run(['ps', '-eo', 'pid,args'])
        if (ps.stdout.includes(`sleep ${marker}`)) return true
        await new Promise((r) => setTimeout(r, 50))
      }
      return false
    })()
    assert.ok(seen, `sleep ${marker} never showed in ps on ${NODE}`)
    const t0 = performance.now()
    ac.abort()
    await rejects(p, 'aborted')
    let ps = ''
    while (performance.now() - t0 < 2000) {
      ps = (await exec.run(['ps', '-eo', 'pid,args'])).stdout
      if (!ps.includes(`sleep ${marker}`)) break
    }
    const took = performance.now() - t0
    assert.not.ok(
      ps.includes(`sleep ${marker}`),
      `still running ${Math.round(took)} ms after abort:\n${ps
        .split('\n')
        .filter((l) => l.includes(marker))
        .join('\n')}`,
    )
    console.log(`    ${argv.join(' ')}: gone from ps ${Math.round(took)} ms after abort`)
  }
})

test("a tool the node lacks runs from the image in the node's network namespace, and the result says so", async () => {
  // Busybox applets this machine does not install; the first one missing on the node is used.
  const candidates: [string[], RegExp][] = [
    [['ipcalc', '-n', '10.1.2.3/24'], /NETWORK=10\.1\.2\.0/],
    [['arping', '-c', '1', '-w', '1', '-I', NET.hostIf, NET.nodeIP], /ARPING/],
    [['traceroute', '-n', '-m', '1', '-w', '1', NET.nodeIP], /traceroute to/],
  ]
  let picked: [string[], RegExp] | undefined
  for (const c of candidates) {
    const r = await exec.run(c[0], { nothrow: true })
    if (r.exitCode === 127) {
      picked = c
      break
    }
  }
  assert.ok(
    picked,
    `${NODE} has every candidate tool (${candidates.map((c) => c[0][0]).join(', ')}); the fallback cannot be shown`,
  )
  const r = await exec.run(picked[0], { tool: 'auto', nothrow: true })
  assert.is(r.toolFrom, 'image')
  assert.match(r.stdout + r.stderr, picked[1])
  // image mode: the node's network namespace (klab0 exists only there), the image's files (no os-release there)
  const net = await exec.run(['ip', '-o', 'link', 'show', NET.hostIf], { tool: 'image' })
  assert.match(net.stdout, NET.hostIf)
  assert.is(net.toolFrom, 'image')
  const files = await exec.run(['sh', '-c', 'test -e /etc/os-release && echo node-files || echo image-files'], {
    tool: 'image',
  })
  assert.is(files.text(), 'image-files')
  assert.is(
    (await exec.run(['sh', '-c', 'test -e /etc/os-release && echo node-files || echo image-files'])).text(),
    'node-files',
  )
})

test('an agent killed on the node: the command it ran is reported lost and is stopped; a new agent takes over', async () => {
  const agent = AgentPool.of(pods).agentOf(NODE)!
  const m = `30${process.pid % 1000}5`
  const p = exec.run(['sleep', m], { timeoutMs: 60_000 })
  for (let i = 0; i < 100 && !procsWith(m).length; i++) await new Promise((r) => setTimeout(r, 50))
  assert.ok(procsWith(m).length, `sleep ${m} never started`)
  const t0 = performance.now()
  process.kill(agent.pid, 'SIGKILL')
  const e = await rejects(p, 'connect')
  console.log(`    agent killed: the command was reported lost ${Math.round(performance.now() - t0)} ms later`)
  assert.match(e.message, `the command agent on pod:${NODE} was lost while running \`sleep ${m}\``)
  assert.ok(performance.now() - t0 < 5000)
  assert.equal(procsWith(m), [], 'the command still runs on the node')
  assert.is((await exec.run(['echo', 'again'])).stdout, 'again\n')
  assert.not.equal(AgentPool.of(pods).agentOf(NODE)?.pid, agent.pid)
  assert.match(notes.join('\n'), `pod:${NODE}: the command agent was lost (`)
})

test('every command reused the one pod of this session', async () => {
  const mine = await api.listPods(`kinspect.dev/session=${pods.session}`)
  assert.is(mine.length, 1, mine.map((p) => p.metadata.name).join(', '))
  const p = mine[0]
  assert.is(p.spec.nodeName, NODE)
  assert.is(p.spec.hostPID, true)
  assert.is(p.metadata.labels!['app.kubernetes.io/managed-by'], 'kinspect')
  assert.equal(
    pods.pods().map((x) => x.name),
    [p.metadata.name],
  )
})

test('close() deletes the pod and waits for it: no kinspect pod is left', async () => {
  const r = await pods.close()
  assert.is(r.deleted.length, 1)
  assert.equal(r.remaining, [])
  assert.equal(await leftovers(), [])
  // The runtime kills a hostPID container's exec'd processes as it tears the pod down; give a loaded node 3 s.
  const until = Date.now() + 3000
  while (procsWith('kinspect-agent').length && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
  assert.equal(procsWith('kinspect-agent'), [], 'an agent outlived its pod')
  await rejects(exec.run(['true']), 'connect')
})

test.run()
