// Fuzz: the PID discovery parsers (crictl inspect/inspectp, -q ID lists, docker inspect, the /proc scan, /proc/PID/cgroup)
// and discover's readers of a failed command (isMissing, lastLine).
import { test } from 'uvu'
import fc from 'fast-check'
import {
  cgroupMatchesPod,
  containerIdFromCgroup,
  parseCrictlInspect,
  parseDockerPid,
  parseIdLines,
  parseProcScan,
  pickProcPid,
  shortId,
  splitContainerId,
  type CrictlInfo,
} from '../../src/net/pid.ts'
import { isMissing, lastLine } from '../../src/net/discover.ts'
import { ExecOutput } from '../../src/exec/index.ts'
import { NetError } from '../../src/net/errors.ts'
import { fuzz, jsonInput, labCapture, textInput } from './harness.ts'

const parseErr = (e: unknown) => e instanceof NetError && e.kind === 'parse'
const pidOk = (p: unknown) => Number.isSafeInteger(p) && (p as number) >= 0

fuzz({
  name: 'crictl inspect/inspectp',
  input: jsonInput([labCapture('crictl-inspect-client.json'), labCapture('crictl-inspectp-client.json')]),
  run: parseCrictlInspect,
  expected: parseErr,
  check: (i: CrictlInfo) => {
    if (!pidOk(i.pid)) throw new Error(`pid ${i.pid}`)
    if (typeof i.id !== 'string' || typeof i.state !== 'string')
      throw new Error(`id/state of the wrong type: ${JSON.stringify([i.id, i.state])}`)
    for (const k of ['sandboxId', 'netnsPath'] as const)
      if (i[k] !== undefined && typeof i[k] !== 'string') throw new Error(`${k} is ${typeof i[k]}`)
  },
})

const IDS = [
  (JSON.parse(labCapture('crictl-ps.json')).containers as { id: string }[]).map((c) => c.id).join('\n'),
  (JSON.parse(labCapture('crictl-pods.json')).items as { id: string }[]).map((c) => c.id).join('\n'),
]

fuzz({
  name: 'crictl/docker -q ids, docker inspect pid, container ids',
  input: fc.tuple(textInput(IDS), textInput(['12345\n', '0\n'])),
  run: ([ids, pid]: [string, string]) => {
    const list = parseIdLines(ids)
    let dockerPid: number | undefined
    try {
      dockerPid = parseDockerPid(pid)
    } catch (e) {
      if (!parseErr(e)) throw e
    }
    return { list, dockerPid, split: ids.split('\n').map((l) => [splitContainerId(l), shortId(l)] as const) }
  },
  check: (
    {
      list,
      dockerPid,
      split,
    }: { list: string[]; dockerPid?: number; split: (readonly [{ runtime: string; id: string }, string])[] },
    [ids]: [string, string],
  ) => {
    if (list.length > ids.split('\n').length || list.some((id) => !/^[0-9a-f]{12,64}$/.test(id)))
      throw new Error(`ids ${JSON.stringify(list).slice(0, 200)}`)
    if (dockerPid !== undefined && !pidOk(dockerPid)) throw new Error(`docker pid ${dockerPid}`)
    for (const [s, short] of split)
      if (short.length > 13 || !s.id.startsWith(short)) throw new Error(`short id ${short} of ${s.id}`)
  },
})

const rows = labCapture('lsns-net.txt')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.trim().split(/\s+/))
const SCAN = [...rows.map((r) => `${r[3]} net:[${r[0]}]`), `host net:[${rows[0][0]}]`].join('\n')
const UID = 'f62f94c9-afe6-4f91-bb4d-3d6322432093'

fuzz({
  name: '/proc scan and /proc/PID/cgroup',
  input: fc.tuple(
    textInput([SCAN]),
    textInput([labCapture('proc-cgroup-client.txt'), labCapture('proc-cgroup-distroless.txt')]),
    fc.constantFrom(UID, '', 'x', '-'),
  ),
  run: ([scan, cgroup, uid]: [string, string, string]) => {
    const s = parseProcScan(scan)
    return { s, pick: pickProcPid(s), id: containerIdFromCgroup(cgroup), inPod: cgroupMatchesPod(cgroup, uid) }
  },
  check: (
    {
      s,
      pick,
      id,
      inPod,
    }: { s: ReturnType<typeof parseProcScan>; pick?: { pid: number; netns: string }; id?: string; inPod: boolean },
    [, cgroup, uid]: [string, string, string],
  ) => {
    for (const m of s.matches)
      if (!(Number.isSafeInteger(m.pid) && m.pid >= 0) || !/^net:\[\d+\]$/.test(m.netns))
        throw new Error(`match ${JSON.stringify(m)}`)
    if (pick && (pick.netns === s.hostNetns || s.matches.some((m) => m.netns !== s.hostNetns && m.pid < pick.pid)))
      throw new Error(`picked ${JSON.stringify(pick)}`)
    if (id !== undefined && !/^[0-9a-f]{64}$/.test(id)) throw new Error(`container id ${id}`)
    if (inPod !== (!!uid && (cgroup.includes(`pod${uid}`) || cgroup.includes(`pod${uid.replace(/-/g, '_')}`))))
      throw new Error('cgroupMatchesPod disagrees with the text')
  },
})

const STDERR = [
  'sh: 1: crictl: not found\n',
  'sudo: crictl: command not found\n',
  "timeout: failed to run command 'conntrack': No such file or directory\n",
  'E1122 20:07:46.000000 1234 remote_runtime.go:1] "ContainerStatus from runtime service failed" err="rpc error: code = NotFound"\n',
]
fuzz({
  name: 'discover: isMissing/lastLine',
  input: fc.tuple(textInput(STDERR), fc.constantFrom(0, 1, 2, 127, null)),
  run: ([stderr, exitCode]: [string, number | null]) => {
    const r = new ExecOutput({
      target: 'ssh:lab-1',
      argv: ['crictl', 'ps'],
      exitCode,
      stdout: '',
      stderr,
      durationMs: 1,
    })
    return { missing: isMissing(r), last: lastLine(r) }
  },
  check: ({ missing, last }: { missing: boolean; last: string }, [, code]: [string, number | null]) => {
    if (code === 127 && !missing) throw new Error('exit 127 is a missing command')
    if (last.length > 161 || last.includes('\n')) throw new Error(`last line ${JSON.stringify(last.slice(0, 200))}`)
  },
})

test.run()
