// PID discovery builders and parsers on outputs captured from the lab (crictl, /proc/PID/cgroup, lsns).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  cgroupMatchesPod,
  cgroupPodPatterns,
  containerIdFromCgroup,
  crictlInspectArgv,
  crictlInspectpArgv,
  crictlPodsArgv,
  crictlPsArgv,
  dockerInspectArgv,
  dockerPsArgv,
  parseCrictlInspect,
  parseDockerPid,
  parseIdLines,
  parseProcScan,
  pickProcPid,
  procCgroupArgv,
  shortId,
  splitContainerId,
  PROC_SCAN_SCRIPT,
} from '../../src/net/pid.ts'
import { NetError } from '../../src/net/errors.ts'
import { labFx, labPods, CLIENT } from './fake.ts'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const pods = labPods()
const client = pods.get('shop/client')!
const distroless = pods.get('shop/distroless')!

test('splitContainerId / shortId: runtime prefix as in pod status', () => {
  const full = client.status!.containerStatuses![0].containerID!
  assert.equal(splitContainerId(full), { runtime: 'containerd', id: CLIENT.containerId })
  assert.equal(splitContainerId('cri-o://abc'), { runtime: 'cri-o', id: 'abc' })
  assert.equal(splitContainerId('bare'), { runtime: '', id: 'bare' })
  assert.is(shortId(full), CLIENT.containerId.slice(0, 13))
})

test('argv builders: crictl by container, sandbox label, pod and name; docker; cat cgroup', () => {
  assert.equal(crictlInspectArgv(`containerd://${CLIENT.containerId}`), ['crictl', 'inspect', CLIENT.containerId])
  assert.equal(crictlPodsArgv(CLIENT.uid), ['crictl', 'pods', '-q', '--label', `io.kubernetes.pod.uid=${CLIENT.uid}`])
  assert.equal(crictlPsArgv({ pod: 'abc' }), ['crictl', 'ps', '-q', '--pod', 'abc', '--state', 'running'])
  assert.equal(crictlPsArgv({ name: 'client', uid: CLIENT.uid }), [
    'crictl',
    'ps',
    '-q',
    '--name',
    '^client$',
    '--label',
    `io.kubernetes.pod.uid=${CLIENT.uid}`,
    '--state',
    'running',
  ])
  assert.equal(crictlInspectpArgv('sb'), ['crictl', 'inspectp', 'sb'])
  assert.equal(dockerInspectArgv('docker://abc'), ['docker', 'inspect', '-f', '{{.State.Pid}}', 'abc'])
  assert.equal(dockerPsArgv('u-1'), ['docker', 'ps', '-q', '--filter', 'label=io.kubernetes.pod.uid=u-1'])
  assert.equal(procCgroupArgv(42), ['cat', '/proc/42/cgroup'])
})

test('parseCrictlInspect: container -> .info.pid, id, state, sandbox (crictl-inspect-client.json)', () => {
  const raw = JSON.parse(labFx('crictl-inspect-client.json'))
  const info = parseCrictlInspect(labFx('crictl-inspect-client.json'))
  assert.is(info.pid, raw.info.pid)
  assert.is(info.id, raw.status.id)
  assert.is(raw.status.state, 'CONTAINER_RUNNING') // crictl names the enum
  assert.is(info.state, 'CONTAINER_RUNNING')
  assert.is(info.sandboxId, raw.info.sandboxID)
  assert.is(info.id, splitContainerId(client.status!.containerStatuses![0].containerID!).id)
  assert.is(info.pid, CLIENT.pid)
})

test('parseCrictlInspect: sandbox (inspectp) -> the pause pid and the netns path', () => {
  const raw = JSON.parse(labFx('crictl-inspectp-client.json'))
  const info = parseCrictlInspect(labFx('crictl-inspectp-client.json'))
  assert.is(info.pid, raw.info.pid)
  assert.is(info.pid, CLIENT.sandboxPid)
  assert.is(raw.status.state, 'SANDBOX_READY') // the zero value, printed all the same
  assert.is(info.state, 'SANDBOX_READY')
  assert.is(info.sandboxId, undefined) // a sandbox has no sandboxID of its own
  assert.is(JSON.parse(labFx('crictl-inspect-client.json')).info.sandboxID, info.id) // the container's sandbox is this one
  assert.match(info.netnsPath ?? '', /^\/var\/run\/netns\/cni-|^\/run\/netns\/cni-/)
})

test('parseCrictlInspect: a stopped container has pid 0; junk is a parse error', () => {
  const raw = JSON.parse(labFx('crictl-inspect-client.json'))
  raw.info.pid = 0
  raw.status.state = 'CONTAINER_EXITED'
  const info = parseCrictlInspect(JSON.stringify(raw))
  assert.equal([info.pid, info.state], [0, 'CONTAINER_EXITED'])
  delete raw.status.state
  assert.is(parseCrictlInspect(JSON.stringify(raw)).state, '')
  try {
    parseCrictlInspect(labFx('crictl-inspect-notfound.txt')) // what crictl prints (on stderr) for a container that is gone
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError)
    assert.is((e as NetError).kind, 'parse')
  }
})

test('parseIdLines: the ids of crictl ps -q (from crictl-ps.json), ignoring warnings', () => {
  const ids = (JSON.parse(labFx('crictl-ps.json')).containers as { id: string }[]).map((c) => c.id)
  const text = `WARN[0000] runtime connect using default endpoints\n${ids.join('\n')}\n`
  assert.equal(parseIdLines(text), ids)
})

test('parseDockerPid', () => {
  assert.is(parseDockerPid('12345\n'), 12345)
  assert.is(parseDockerPid('0\n'), 0)
  assert.throws(() => parseDockerPid('Error: No such object: x'), /expected a PID/)
})

test('cgroup: the client cgroup names the client UID (cgroupfs form), not distroless; systemd form matches too', () => {
  const text = labFx('proc-cgroup-client.txt')
  assert.ok(cgroupMatchesPod(text, client.metadata.uid!))
  assert.not.ok(cgroupMatchesPod(text, distroless.metadata.uid!))
  assert.not.ok(cgroupMatchesPod(text, ''))
  assert.equal(cgroupPodPatterns(CLIENT.uid), [`pod${CLIENT.uid}`, `pod${CLIENT.uid.replace(/-/g, '_')}`])
  const systemd = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${CLIENT.uid.replace(/-/g, '_')}.slice/cri-containerd-${CLIENT.containerId}.scope\n`
  assert.ok(cgroupMatchesPod(systemd, CLIENT.uid))
  assert.is(containerIdFromCgroup(systemd), CLIENT.containerId)
})

test('containerIdFromCgroup: the container ID at the end of the cgroupfs path is the one crictl reports', () => {
  assert.is(
    containerIdFromCgroup(labFx('proc-cgroup-client.txt')),
    JSON.parse(labFx('crictl-inspect-client.json')).status.id,
  )
  assert.is(
    containerIdFromCgroup(labFx('proc-cgroup-distroless.txt')),
    splitContainerId(distroless.status!.containerStatuses![0].containerID!).id,
  )
  assert.is(containerIdFromCgroup('0::/\n'), undefined)
})

test('parseProcScan / pickProcPid: lowest PID outside the host netns (scan lines built from lsns-net.txt)', () => {
  const rows = labFx('lsns-net.txt')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
  // the netns lsns ran in (the node's own, as `readlink /proc/$$/ns/net` in the scan): no nsid, no bind mount
  const hosts = rows.filter((r) => r[5] === 'unassigned' && !r[6].startsWith('/run/netns/'))
  assert.is(hosts.length, 1, 'one node netns')
  const host = hosts[0]
  const pods = rows.filter((r) => r[6].startsWith('/run/netns/cni-') && r[7] === '/pause')
  assert.ok(pods.length >= 2, 'two pod sandboxes')
  const text = [
    `${pods[1][3]} net:[${pods[1][0]}]`,
    `${pods[0][3]} net:[${pods[0][0]}]`,
    `${host[3]} net:[${host[0]}]`,
    `host net:[${host[0]}]`,
    'garbage',
  ].join('\n')
  const scan = parseProcScan(text)
  assert.is(scan.hostNetns, `net:[${host[0]}]`)
  assert.is(scan.matches.length, 3)
  const pick = pickProcPid(scan)!
  assert.is(pick.pid, Math.min(Number(pods[0][3]), Number(pods[1][3])))
  assert.is(pickProcPid({ matches: [{ pid: 5, netns: scan.hostNetns! }], hostNetns: scan.hostNetns }), undefined)
})

test('PROC_SCAN_SCRIPT runs under sh: finds this shell by a pattern in its own cgroup file', () => {
  // Runs the real script locally against /proc with patterns taken from this process's cgroup file.
  const mine = fs.readFileSync('/proc/self/cgroup', 'utf8')
  const token =
    mine
      .split('\n')
      .map((l) => l.split(':').slice(2).join(':'))
      .find((p) => p.length > 1) ?? '/'
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-scan-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const r = spawnSync('sh', ['-s', '--', token, 'no-such-pattern'], {
    input: PROC_SCAN_SCRIPT,
    encoding: 'utf8',
    cwd: dir,
  })
  assert.is(r.status, 0, r.stderr)
  const scan = parseProcScan(r.stdout)
  assert.match(scan.hostNetns ?? '', /^net:\[\d+\]$/)
  assert.ok(scan.matches.length >= 1, r.stdout)
  assert.ok(scan.matches.every((m) => /^net:\[\d+\]$/.test(m.netns)))
})

// Regression cases found by test/fuzz/pid.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: crictl JSON of an unexpected shape, PIDs beyond 10 digits, give no TypeError and no Infinity', () => {
  assert.equal(
    parseCrictlInspect(
      '{"info":{"pid":1e400,"sandboxID":{},"runtimeSpec":{"linux":{"namespaces":{"type":"network"}}}},"status":{"id":7,"state":{}}}',
    ),
    { id: '', pid: 0, state: '', sandboxId: undefined, netnsPath: undefined },
  )
  assert.is(
    parseCrictlInspect(
      '{"info":{"pid":42,"runtimeSpec":{"linux":{"namespaces":[null,{"type":"network","path":5},{"type":"network","path":"/x"}]}}}}',
    ).netnsPath,
    undefined,
  )
  assert.throws(
    () => parseDockerPid('9'.repeat(400)),
    (e: unknown) => e instanceof NetError && e.kind === 'parse',
  )
  assert.equal(parseProcScan(`${'9'.repeat(400)} net:[4026532179]\nhost net:[4026531833]`).matches, [])
  assert.is(parseCrictlInspect('{"info":{"pid":{"toString":1}}}').pid, 0) // Number() of it threw
})

test.run()
