// The PID discovery chain on a pod's node: crictl, then docker, then a /proc scan; every try is recorded.
import type { NodeHandle } from '../exec/node.ts'
import type { ExecOutput } from '../exec/types.ts'
import { showArgv } from '../exec/quote.ts'
import { NetError, type MethodAttempt } from './errors.ts'
import type { PodRef } from './pods.ts'
import {
  PROC_SCAN_SCRIPT,
  cgroupPodPatterns,
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
  shortId,
  splitContainerId,
  type PidMethod,
} from './pid.ts'

/** A found process whose netns is the pod's. */
export interface PidFound {
  pid: number
  method: PidMethod
  /** What identified it, e.g. "container 27c12e64f29d3 (crictl inspect)". */
  detail: string
  /** The container (or sandbox) ID the PID belongs to, when known. */
  containerId?: string
  attempts: MethodAttempt[]
}

const STEP_TIMEOUT = 15_000

/** True when the output says the command does not exist on the node (shell 127, or sudo's "command not found"). */
export function isMissing(r: ExecOutput): boolean {
  if (r.exitCode === 127 || /(?:sh|sudo): (?:\d+: )?[\w./-]+: (?:command )?not found/.test(r.stderr)) return true
  // line by line: a regex "failed to run command .*No such file" restarts at every copy of its prefix (quadratic)
  return r.stderr.split('\n').some((l) => {
    const i = l.indexOf('failed to run command ')
    return i >= 0 && l.includes('No such file or directory', i)
  })
}

/** The last line of stderr (or stdout), for one-line reasons: a logrus line (crictl's errors) gives its msg; long ones keep both ends. */
export function lastLine(r: Pick<ExecOutput, 'stdout' | 'stderr' | 'exitCode'>): string {
  let t = (r.stderr.trim() || r.stdout.trim()).split('\n').pop() ?? ''
  const logrus = t.match(/^time="[^"]*" level=\w+ msg="((?:[^"\\]|\\.)*)"/)
  if (logrus) t = logrus[1].replace(/\\(.)/g, '$1')
  return t.length > 160 ? `${t.slice(0, 90)}…${t.slice(-69)}` : t || `exit ${r.exitCode}`
}

type Try = { r: ExecOutput; what: string }

async function run(node: NodeHandle, argv: string[]): Promise<Try> {
  return { r: await node.run(argv, { nothrow: true, timeoutMs: STEP_TIMEOUT }), what: showArgv(argv) }
}

/** crictl: running containers from the pod status, then by container name (status lagging a restart), then the pod's sandbox. */
async function viaCrictl(node: NodeHandle, ref: PodRef, log: MethodAttempt[]): Promise<PidFound | undefined> {
  const fail = (t: Try, detail = lastLine(t.r)) => log.push({ method: 'crictl', ok: false, what: t.what, detail })
  const missing = (t: Try) => (isMissing(t.r) ? (fail(t, `crictl is not installed on ${ref.node}`), true) : false)
  const inspect = async (argv: string[], label: string): Promise<PidFound | 'missing' | undefined> => {
    const t = await run(node, argv)
    if (missing(t)) return 'missing'
    if (!t.r.ok) return void fail(t)
    const info = parseCrictlInspect(t.r.stdout)
    if (!info.pid) return void fail(t, `${label} is not running (state ${info.state || 'unknown'})`)
    log.push({ method: 'crictl', ok: true, what: t.what, detail: `pid ${info.pid}` })
    return {
      pid: info.pid,
      method: 'crictl',
      detail: `${label} (${t.what.split(' ').slice(0, 2).join(' ')})`,
      containerId: info.id || undefined,
      attempts: log,
    }
  }
  for (const full of ref.runningIds) {
    const got = await inspect(crictlInspectArgv(full), `container ${shortId(full)}`)
    if (got === 'missing') return undefined
    if (got) return got
  }
  // The status can lag a restart: ask the runtime for the running container of each name in the pod.
  if (ref.runningIds.length) {
    for (const c of ref.pod.spec?.containers ?? []) {
      const ps = await run(node, crictlPsArgv({ name: c.name, uid: ref.uid }))
      const id = ps.r.ok ? parseIdLines(ps.r.stdout)[0] : undefined
      if (!id) {
        fail(ps, ps.r.ok ? `no running container ${c.name}` : lastLine(ps.r))
        continue
      }
      const got = await inspect(crictlInspectArgv(id), `container ${shortId(id)}`)
      if (got && got !== 'missing') return got
    }
  }
  const pods = await run(node, crictlPodsArgv(ref.uid))
  if (missing(pods)) return undefined
  if (!pods.r.ok) return void fail(pods)
  const sandboxes = parseIdLines(pods.r.stdout)
  if (!sandboxes.length) return void fail(pods, `no sandbox of pod uid ${ref.uid} on ${ref.node}`)
  for (const sb of sandboxes) {
    const ps = await run(node, crictlPsArgv({ pod: sb }))
    for (const id of ps.r.ok ? parseIdLines(ps.r.stdout) : []) {
      const got = await inspect(crictlInspectArgv(id), `container ${shortId(id)}`)
      if (got && got !== 'missing') return got
    }
    if (!ps.r.ok) fail(ps)
    const got = await inspect(crictlInspectpArgv(sb), `sandbox ${shortId(sb)}`)
    if (got && got !== 'missing') return got
  }
  return undefined
}

/** docker (dockershim / cri-dockerd): docker:// IDs from the status, else containers labelled with the pod UID. */
async function viaDocker(node: NodeHandle, ref: PodRef, log: MethodAttempt[]): Promise<PidFound | undefined> {
  const fail = (t: Try, detail = lastLine(t.r)) => log.push({ method: 'docker', ok: false, what: t.what, detail })
  let ids = ref.runningIds.filter((id) => splitContainerId(id).runtime === 'docker')
  if (!ids.length) {
    const ps = await run(node, dockerPsArgv(ref.uid))
    if (isMissing(ps.r)) return void fail(ps, `docker is not installed on ${ref.node}`)
    if (!ps.r.ok) return void fail(ps)
    ids = parseIdLines(ps.r.stdout)
    if (!ids.length) return void fail(ps, `no docker container carries label io.kubernetes.pod.uid=${ref.uid}`)
  }
  for (const id of ids) {
    const t = await run(node, dockerInspectArgv(id))
    if (isMissing(t.r)) return void fail(t, `docker is not installed on ${ref.node}`)
    if (!t.r.ok) {
      fail(t)
      continue
    }
    const pid = parseDockerPid(t.r.stdout)
    if (!pid) {
      fail(t, `container ${shortId(id)} is not running`)
      continue
    }
    log.push({ method: 'docker', ok: true, what: t.what, detail: `pid ${pid}` })
    return {
      pid,
      method: 'docker',
      detail: `container ${shortId(id)} (docker inspect)`,
      containerId: splitContainerId(id).id,
      attempts: log,
    }
  }
  return undefined
}

/** /proc scan: a process whose /proc/PID/cgroup names the pod UID (either spelling), outside the node's netns. */
async function viaProc(node: NodeHandle, ref: PodRef, log: MethodAttempt[]): Promise<PidFound | undefined> {
  const pats = cgroupPodPatterns(ref.uid)
  const what = `grep -l -F -e ${pats[0]} -e ${pats[1]} /proc/[0-9]*/cgroup`
  const r = await node.sh(PROC_SCAN_SCRIPT, pats, { nothrow: true, timeoutMs: 30_000 })
  const scan = parseProcScan(r.stdout)
  const pick = pickProcPid(scan)
  if (!pick) {
    const detail = !r.ok
      ? lastLine(r)
      : scan.matches.length
        ? `the ${scan.matches.length} matching process(es) are in the node's netns (${scan.hostNetns})`
        : `no process's cgroup names ${pats[0]} or ${pats[1]}`
    log.push({ method: 'proc', ok: false, what, detail })
    return undefined
  }
  log.push({
    method: 'proc',
    ok: true,
    what,
    detail: `pid ${pick.pid} ${pick.netns} (${scan.matches.length} match(es))`,
  })
  return { pid: pick.pid, method: 'proc', detail: `/proc/${pick.pid}/cgroup names pod ${ref.uid}`, attempts: log }
}

/** Runs the chain in order; throws NetError('nopid') listing every try when none worked. */
export async function discoverPid(node: NodeHandle, ref: PodRef, only?: PidMethod): Promise<PidFound> {
  const log: MethodAttempt[] = []
  const chain: [PidMethod, typeof viaCrictl][] = [
    ['crictl', viaCrictl],
    ['docker', viaDocker],
    ['proc', viaProc],
  ]
  for (const [name, step] of chain) {
    if (only && only !== name) continue
    const got = await step(node, ref, log)
    if (got) return got
  }
  const tried = log.map((a) => `  ${a.method}: ${a.what} -> ${a.detail}`).join('\n')
  const noContainer = ref.runningIds.length === 0
  throw new NetError(
    noContainer ? 'notrunning' : 'nopid',
    `could not find a process of pod ${ref.key} on ${ref.node} (phase ${ref.phase}${noContainer ? ', no running container' : ''}); tried:\n${tried}`,
    noContainer
      ? `describe('pod/${ref.key}') shows why no container runs`
      : `run the commands above by hand on ${ref.node} (node('${ref.node}').$\`crictl ps\`)`,
    undefined,
    log,
  )
}
