// Extra SSH-only nodes for fan-out tests and benchmarks: N real sshd processes on 127.0.1.x, each with its own
// host key, registered as Nodes that a heartbeat keeps Ready. They log in as a dash user (no rc file is read),
// and `--blackhole K` freezes K of them so they accept TCP and never answer SSH.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { LAB_DIR, NET, NODES, RUN_DIR, labPaths, nodePaths } from './layout.ts'
import { bin, ensureBinaries } from './build.ts'
import { sshdConfig, sshClientConfig } from './configs.ts'
import { SHELL_USERS, ensureShellUsers } from './shells.ts'
import { alivePid, run, startDaemon, stopPid, waitFor, writeFile, progress } from './sh.ts'

const P = labPaths()
const dir = path.join(LAB_DIR, 'extra')
const HB_PID = path.join(RUN_DIR, 'heartbeat.pid')
const BLACKHOLE = path.join(dir, 'blackhole.txt')
/** The login user of every fan-out endpoint: dash as login shell, home /, so `ssh NODE cmd` reads no rc file. */
export const FANOUT_USER = SHELL_USERS.find((u) => u.shell === '/bin/dash')!.user

const sshdPid = (name: string) => path.join(RUN_DIR, `extra-${name}.pid`)

/** Checks `fanout N --blackhole K` arguments; throws naming the bad one. */
export function checkFanoutArgs(n: number, blackhole: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 250)
    throw new Error(`lab fanout: N must be a whole number from 1 to 250, got ${n}`)
  if (!Number.isInteger(blackhole) || blackhole < 0 || blackhole > n)
    throw new Error(`lab fanout: --blackhole K must be a whole number from 0 to N (${n}), got ${blackhole}`)
}

/** Starts n extra SSH nodes (lab-ssh-1..n), the last `blackhole` of them frozen; replaces any running set. */
export async function startExtras(n: number, blackhole = 0): Promise<void> {
  checkFanoutArgs(n, blackhole)
  await stopExtras()
  ensureBinaries(['fanout-heartbeat']) // `up` by an older checkout may have left an older heartbeat
  ensureShellUsers()
  fs.mkdirSync(dir, { recursive: true })
  const lines: string[] = []
  for (let i = 1; i <= n; i++) {
    const name = `lab-ssh-${i}`
    const addr = `${NET.extraNodePrefix}${i}`
    const key = path.join(dir, `${name}_host_ed25519`)
    if (!fs.existsSync(key)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${name} host key`, '-f', key])
    const cfg = path.join(dir, `${name}.sshd_config`)
    writeFile(cfg, sshdConfig(LAB_DIR, `${addr}:${NET.sshPort}`, key, path.join(RUN_DIR, `extra-${name}.real.pid`)))
    startDaemon(name, ['/usr/sbin/sshd', '-D', '-e', '-f', cfg], sshdPid(name), path.join(P.logs, 'extra-sshd.log'))
    const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
    lines.push(`${name} ${addr} ${pub}`)
  }
  fs.writeFileSync(P.extraNodes, lines.join('\n') + '\n')
  const extra = readExtraNodes()
  updateFanoutSshEntries()
  const holes = extra.slice(n - blackhole)
  for (const e of holes) {
    // Frozen once it listens: the kernel still completes TCP handshakes into its accept queue, and nothing answers.
    await waitFor(
      `${e.name}'s sshd listening on ${e.addr}:${NET.sshPort}`,
      () => tcpOpen(e.addr, NET.sshPort),
      10_000,
      100,
    )
    process.kill(alivePid(sshdPid(e.name))!, 'SIGSTOP')
  }
  fs.writeFileSync(BLACKHOLE, holes.map((e) => e.name).join('\n') + (holes.length ? '\n' : ''))
  const hbNodes = path.join(dir, 'heartbeat-nodes.txt')
  fs.writeFileSync(hbNodes, extra.map((e) => `${e.name} ${e.addr}`).join('\n') + '\n')
  startDaemon(
    'heartbeat',
    [bin('heartbeat'), '--kubeconfig', P.kubeconfig, '--nodes', hbNodes],
    HB_PID,
    path.join(P.logs, 'heartbeat.log'),
  )
  await waitFor(`${n} extra nodes Ready`, () => readyExtras() >= n, 60_000, 1000)
  progress(
    `${n} extra SSH nodes up on ${NET.extraNodePrefix}1..${n}:${NET.sshPort}${blackhole ? `; ${blackhole} blackholed: ${holes.map((e) => e.name).join(' ')}` : ''}`,
  )
}

function readyExtras(): number {
  const r = run(
    [
      'kubectl',
      '--kubeconfig',
      P.kubeconfig,
      'get',
      'nodes',
      '-l',
      'kinspect.dev/lab-role=ssh-only',
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ],
    { ok: true },
  )
  return r.stdout.split('\n').filter((s) => s === 'True').length
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 }, () => (s.destroy(), resolve(true)))
    s.on('error', () => resolve(false))
    s.on('timeout', () => (s.destroy(), resolve(false)))
  })
}

/** Stops extra nodes and their heartbeat, deregisters them, restores the one-node ssh files. */
export async function stopExtras(): Promise<void> {
  await stopPid(HB_PID, 3000)
  for (const name of blackholed()) {
    const pid = alivePid(sshdPid(name))
    if (pid) process.kill(pid, 'SIGCONT') // a stopped process only acts on SIGTERM once continued
  }
  if (fs.existsSync(RUN_DIR)) {
    const pids = fs
      .readdirSync(RUN_DIR)
      .filter((f) => f.startsWith('extra-') && f.endsWith('.pid') && !f.endsWith('.real.pid'))
    await Promise.all(pids.map((f) => stopPid(path.join(RUN_DIR, f), 3000))) // all at once: 100 in 0.1 s, not 10 s
  }
  fs.rmSync(BLACKHOLE, { force: true })
  if (fs.existsSync(P.extraNodes)) {
    const names = fs
      .readFileSync(P.extraNodes, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0])
    if (alivePid(path.join(RUN_DIR, 'kube-apiserver.pid')) && names.length) deleteFanoutObjects()
    fs.rmSync(P.extraNodes)
    updateFanoutSshEntries()
  }
}

/**
 * A repair for `up`: a fan-out whose heartbeat is gone (the machine restarted, a test was killed) leaves Nodes that turn
 * NotReady and sshd processes nobody uses. They are removed, and so is any ssh-only Node the lab no longer lists.
 * Returns what it removed, for the progress line.
 */
export async function reconcileFanout(): Promise<string[]> {
  const listed = new Set(readExtraNodes().map((e) => e.name))
  const removed: string[] = []
  if (listed.size && !alivePid(HB_PID)) {
    removed.push(...listed)
    await stopExtras()
    listed.clear()
  }
  const r = run(
    ['kubectl', '--kubeconfig', P.kubeconfig, 'get', 'nodes', '-l', 'kinspect.dev/lab-role=ssh-only', '-o', 'name'],
    { ok: true },
  )
  const orphans = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((n) => n.replace(/^node\//, ''))
    .filter((n) => !listed.has(n))
  if (orphans.length) {
    deleteFanoutObjects(listed.size ? orphans : undefined) // never the live fan-out's own Nodes
    for (const o of orphans) if (!removed.includes(o)) removed.push(o)
  }
  return removed
}

/**
 * Deletes the fan-out's Nodes and Leases: every one (label kinspect.dev/lab-role=ssh-only) with one DELETE per
 * collection, or only the named ones. kubectl delete NAME... sends one request per object at client-go's 5 requests/s
 * (36 s for 100 Nodes and Leases), so names are only for the few orphans beside a live fan-out. An unlabelled Lease
 * (from an older heartbeat) is owned by its Node and collected with it.
 */
function deleteFanoutObjects(only?: string[]): void {
  const kc = ['kubectl', '--kubeconfig', P.kubeconfig, 'delete']
  if (only) {
    run([...kc, 'node', '--ignore-not-found', '--wait=false', ...only], { ok: true })
    run([...kc, 'lease', '-n', 'kube-node-lease', '--ignore-not-found', '--wait=false', ...only], { ok: true })
    return
  }
  const sel = `labelSelector=${encodeURIComponent('kinspect.dev/lab-role=ssh-only')}`
  for (const url of [`/api/v1/nodes?${sel}`, `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases?${sel}`])
    run([...kc, '--raw', url], { ok: true })
}

/** Names of the blackholed extra nodes (accept TCP, never answer SSH). */
export function blackholed(): string[] {
  try {
    return fs.readFileSync(BLACKHOLE, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** Extra SSH-only nodes registered by `lab fanout N` (name, address, host public key). */
export function readExtraNodes(): Array<{ name: string; addr: string; hostKey: string }> {
  try {
    return fs
      .readFileSync(P.extraNodes, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, addr, ...key] = l.split(' ')
        return { name, addr, hostKey: key.join(' ') }
      })
  } catch {
    return []
  }
}

/** What `lab status` says about the fan-out: endpoints, Ready count, heartbeat, which are blackholed; '' when none. */
export function fanoutStatus(): string {
  const extra = readExtraNodes()
  if (!extra.length) return ''
  const holes = new Set(blackholed())
  const frozen = (name: string) => {
    const pid = alivePid(sshdPid(name))
    if (pid === null) return false
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T' // state T: stopped by SIGSTOP
  }
  const down = extra.filter((e) => !alivePid(sshdPid(e.name))).map((e) => e.name)
  const thawed = [...holes].filter((h) => !down.includes(h) && !frozen(h))
  const hb = alivePid(HB_PID)
  return [
    `fan-out: ${extra.length} SSH-only nodes lab-ssh-1..${extra.length} on ${NET.extraNodePrefix}1..${extra.length}:${NET.sshPort} (user ${FANOUT_USER}), ` +
      `${readyExtras()} Ready; heartbeat ${hb ? `running (pid ${hb})` : 'STOPPED'}`,
    ...(holes.size ? [`fan-out blackholed (accept TCP, never answer SSH): ${[...holes].join(' ')}`] : []),
    ...(down.length ? [`fan-out sshd not running: ${down.join(' ')}`] : []),
    ...(thawed.length ? [`fan-out blackholed but answering (sshd not frozen): ${thawed.join(' ')}`] : []),
  ].join('\n')
}

/** Writes known_hosts and ssh_config for the nodes and any extra nodes (host keys pinned). */
export function writeSshClientFiles(): void {
  const pub = (file: string) => fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  const nodes = NODES.filter((n) => fs.existsSync(`${nodePaths(n.name).sshHostKey}.pub`)).map((n) =>
    knownHostsLine(n.name, n.ip, pub(nodePaths(n.name).sshHostKey)),
  )
  writeFile(P.knownHosts, nodes.join('\n') + '\n')
  writeFile(P.sshConfig, sshClientConfig(LAB_DIR, []))
  updateFanoutSshEntries()
}

const knownHostsLine = (name: string, addr: string, key: string) =>
  `[${name}]:${NET.sshPort},[${addr}]:${NET.sshPort} ${key}`
const isFanoutHost = (name: string) => /^lab-ssh-\d+$/.test(name)

/** Replaces the fan-out's entries in ssh_config and known_hosts with the current ones, keeping every other entry as it is. */
export function updateFanoutSshEntries(): void {
  const extra = readExtraNodes()
  if (!extra.length && !fs.existsSync(P.sshConfig) && !fs.existsSync(P.knownHosts)) return
  const known = fs.existsSync(P.knownHosts)
    ? fs
        .readFileSync(P.knownHosts, 'utf8')
        .split('\n')
        .filter((l) => l && !/^\[lab-ssh-\d+\]:/.test(l))
    : []
  writeFile(P.knownHosts, [...known, ...extra.map((e) => knownHostsLine(e.name, e.addr, e.hostKey))].join('\n') + '\n')
  const config = fs.existsSync(P.sshConfig) ? fs.readFileSync(P.sshConfig, 'utf8') : ''
  // A block runs from its "Host NAME" line to the next one; the text before the first (a comment) is kept as it is.
  const kept = config
    .split(/^(?=Host )/m)
    .filter((b) => !isFanoutHost(b.match(/^Host (\S+)/)?.[1] ?? ''))
    .join('')
    .replace(/\n*$/, '\n')
  writeFile(P.sshConfig, [kept, ...extra.map((e) => extraHostBlock(e.name, e.addr))].join('\n'))
}

/** The ssh_config block of one fan-out endpoint: its address, the dash user, the lab key, its pinned host key. */
export function extraHostBlock(name: string, addr: string): string {
  return `Host ${name}
  HostName ${addr}
  Port ${NET.sshPort}
  User ${FANOUT_USER}
  IdentityFile ${P.identity}
  IdentitiesOnly yes
  UserKnownHostsFile ${P.knownHosts}
  StrictHostKeyChecking yes
  ConnectTimeout 5
`
}
