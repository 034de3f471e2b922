// Finding a process of a pod on its node: argv builders and output parsers for crictl, docker and a /proc scan. Pure.
import { NetError } from './errors.ts'

/** How a pod's PID was found. */
export type PidMethod = 'crictl' | 'docker' | 'proc'

/** A runtime-prefixed container ID split in two: "containerd://27c1…" -> {runtime: 'containerd', id: '27c1…'}. */
export function splitContainerId(full: string): { runtime: string; id: string } {
  const m = /^([a-z0-9-]+):\/\/(.+)$/.exec(full)
  return m ? { runtime: m[1], id: m[2] } : { runtime: '', id: full }
}

/** The first 13 characters of a container ID, as crictl and docker print them. */
export function shortId(id: string): string {
  return splitContainerId(id).id.slice(0, 13)
}

/** `crictl inspect ID` (containerd and CRI-O both put the PID at .info.pid). */
export function crictlInspectArgv(id: string): string[] {
  return ['crictl', 'inspect', splitContainerId(id).id]
}

/** `crictl pods -q --label io.kubernetes.pod.uid=UID`: the pod's sandbox IDs. */
export function crictlPodsArgv(uid: string): string[] {
  return ['crictl', 'pods', '-q', '--label', `io.kubernetes.pod.uid=${uid}`]
}

/** `crictl ps -q --pod SANDBOX --state running` (or by container --name): running container IDs. */
export function crictlPsArgv(by: { pod: string } | { name: string; uid: string }): string[] {
  if ('pod' in by) return ['crictl', 'ps', '-q', '--pod', by.pod, '--state', 'running']
  return [
    'crictl',
    'ps',
    '-q',
    '--name',
    `^${by.name}$`,
    '--label',
    `io.kubernetes.pod.uid=${by.uid}`,
    '--state',
    'running',
  ]
}

/** `crictl inspectp SANDBOX`: the sandbox (pause) process, which holds the netns even when every container crashed. */
export function crictlInspectpArgv(sandboxId: string): string[] {
  return ['crictl', 'inspectp', sandboxId]
}

/** What crictl inspect / inspectp says about a container or sandbox. */
export interface CrictlInfo {
  id: string
  pid: number
  /** CONTAINER_RUNNING, SANDBOX_READY, … */
  state: string
  sandboxId?: string
  /** The netns path from the runtime spec (inspectp), when present. */
  netnsPath?: string
}

/** Reads `crictl inspect` / `crictl inspectp` JSON. Throws NetError('parse') on anything else. */
export function parseCrictlInspect(text: string): CrictlInfo {
  let j: any
  try {
    j = JSON.parse(text)
  } catch (e) {
    throw new NetError(
      'parse',
      `crictl inspect did not print JSON: ${text.trim().slice(0, 80)}`,
      'run crictl inspect by hand on the node',
      e,
    )
  }
  const rawPid: unknown = j?.info?.pid
  const pid =
    typeof rawPid === 'number' ? rawPid : typeof rawPid === 'string' && /^\d{1,10}$/.test(rawPid) ? Number(rawPid) : 0
  const nss: unknown = j?.info?.runtimeSpec?.linux?.namespaces
  const ns = (Array.isArray(nss) ? nss : []) as ({ type?: unknown; path?: unknown } | null)[]
  const sandbox = j?.info?.sandboxID === undefined && j?.status?.network !== undefined
  // upstream crictl prints the enum by name, zero values included (protojson, EmitDefaultValues); an older one may print
  // a number. A missing state is unknown (''), not the zero value.
  const st = j?.status?.state
  const names = sandbox
    ? ['SANDBOX_READY', 'SANDBOX_NOTREADY']
    : ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN']
  const str = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined)
  return {
    id: str(j?.status?.id) ?? '',
    pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0,
    state: typeof st === 'number' ? (names[st] ?? String(st)) : typeof st === 'string' ? st : '',
    sandboxId: str(j?.info?.sandboxID),
    netnsPath: str(ns.find((n) => n?.type === 'network')?.path),
  }
}

/** IDs printed one per line by `crictl … -q` / `docker ps -q`. */
export function parseIdLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{12,64}$/.test(l))
}

/** `docker ps -q --filter label=io.kubernetes.pod.uid=UID`: the pod's containers under dockershim / cri-dockerd. */
export function dockerPsArgv(uid: string): string[] {
  return ['docker', 'ps', '-q', '--filter', `label=io.kubernetes.pod.uid=${uid}`]
}

/** `docker inspect -f {{.State.Pid}} ID`. */
export function dockerInspectArgv(id: string): string[] {
  return ['docker', 'inspect', '-f', '{{.State.Pid}}', splitContainerId(id).id]
}

/** The PID docker printed (0 when the container is not running). */
export function parseDockerPid(text: string): number {
  const t = text.trim()
  if (!/^\d{1,10}$/.test(t))
    throw new NetError('parse', `docker inspect printed ${JSON.stringify(t.slice(0, 60))}, expected a PID`)
  return Number(t)
}

/** The two spellings of a pod UID in cgroup paths: cgroupfs "pod<uid>", systemd "pod<uid_with_underscores>". */
export function cgroupPodPatterns(uid: string): [string, string] {
  return [`pod${uid}`, `pod${uid.replace(/-/g, '_')}`]
}

/** True when a /proc/PID/cgroup text places the process in this pod. */
export function cgroupMatchesPod(text: string, uid: string): boolean {
  if (!uid) return false
  const [a, b] = cgroupPodPatterns(uid)
  return text.split('\n').some((l) => l.includes(a) || l.includes(b))
}

/** The container ID at the end of a cgroup path (cgroupfs ".../<id>", systemd ".../cri-containerd-<id>.scope"). */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':')
    const last = path.split('/').pop() ?? ''
    const m = /^(?:[a-z-]+-)?([0-9a-f]{64})(?:\.scope)?$/.exec(last)
    if (m) return m[1]
  }
  return undefined
}

/**
 * The /proc scan, run with `sh -s -- PATTERN1 PATTERN2`: one grep over every /proc/PID/cgroup, then the netns of
 * each match, then the shell's own netns, the node's (to leave out host-network processes). Prints "PID net:[INODE]" lines.
 */
export const PROC_SCAN_SCRIPT = `for f in $(grep -l -F -e "$1" -e "$2" /proc/[0-9]*/cgroup 2>/dev/null); do
  p=\${f#/proc/}; p=\${p%/cgroup}
  n=$(readlink /proc/$p/ns/net 2>/dev/null) || continue
  echo "$p $n"
done
echo "host $(readlink /proc/$$/ns/net)"
`

/** One process the /proc scan found. */
export interface ProcMatch {
  pid: number
  netns: string
}

/** Reads the /proc scan output: the matches and the node's netns. */
export function parseProcScan(text: string): { matches: ProcMatch[]; hostNetns?: string } {
  const matches: ProcMatch[] = []
  let hostNetns: string | undefined
  for (const line of text.split('\n')) {
    const m = /^(\d{1,10}|host) (net:\[\d+\])\s*$/.exec(line.trim())
    if (!m) continue
    if (m[1] === 'host') hostNetns = m[2]
    else matches.push({ pid: Number(m[1]), netns: m[2] })
  }
  return { matches, hostNetns }
}

/** The process to enter: the lowest PID (the sandbox's pause starts first) outside the node's netns; undefined if none. */
export function pickProcPid(scan: { matches: ProcMatch[]; hostNetns?: string }): ProcMatch | undefined {
  return scan.matches.filter((m) => m.netns !== scan.hostNetns).sort((a, b) => a.pid - b.pid)[0]
}

/** `cat /proc/PID/cgroup`: checks a cached PID still belongs to the pod. */
export function procCgroupArgv(pid: number): string[] {
  return ['cat', `/proc/${pid}/cgroup`]
}
