// Extra SSH-only nodes for fan-out tests and benchmarks: N real sshd processes on 127.0.1.x,
// each with its own host key, registered as Nodes that a heartbeat keeps Ready.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODES, RUN_DIR, labPaths, nodePaths } from './layout.ts'
import { bin } from './build.ts'
import { sshdConfig, sshClientConfig } from './configs.ts'
import { alivePid, run, startDaemon, stopPid, waitFor, writeFile, progress } from './sh.ts'

const P = labPaths()
const dir = path.join(LAB_DIR, 'extra')
const HB_PID = path.join(RUN_DIR, 'heartbeat.pid')

/** Starts n extra SSH nodes (lab-ssh-1..n); idempotent for the same n. */
export async function startExtras(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1 || n > 250) throw new Error(`lab fanout: N must be a whole number from 1 to 250, got ${n}`)
  await stopExtras()
  fs.mkdirSync(dir, { recursive: true })
  const lines: string[] = []
  for (let i = 1; i <= n; i++) {
    const name = `lab-ssh-${i}`
    const addr = `${NET.extraNodePrefix}${i}`
    const key = path.join(dir, `${name}_host_ed25519`)
    if (!fs.existsSync(key)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${name} host key`, '-f', key])
    const cfg = path.join(dir, `${name}.sshd_config`)
    const pid = path.join(RUN_DIR, `extra-${name}.pid`)
    writeFile(cfg, sshdConfig(LAB_DIR, `${addr}:${NET.sshPort}`, key, path.join(RUN_DIR, `extra-${name}.real.pid`)))
    startDaemon(name, ['/usr/sbin/sshd', '-D', '-e', '-f', cfg], pid, path.join(P.logs, 'extra-sshd.log'))
    const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
    lines.push(`${name} ${addr} ${pub}`)
  }
  fs.writeFileSync(P.extraNodes, lines.join('\n') + '\n')
  const extra = readExtraNodes()
  writeSshClientFiles()
  const hbNodes = path.join(dir, 'heartbeat-nodes.txt')
  fs.writeFileSync(hbNodes, extra.map((e) => `${e.name} ${e.addr}`).join('\n') + '\n')
  startDaemon('heartbeat', [bin('heartbeat'), '--kubeconfig', P.kubeconfig, '--nodes', hbNodes, '--interval', '10s'], HB_PID, path.join(P.logs, 'heartbeat.log'))
  await waitFor(`${n} extra nodes Ready`, () => {
    const r = run(['kubectl', '--kubeconfig', P.kubeconfig, 'get', 'nodes', '-l', 'kinspect.dev/lab-role=ssh-only', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'], { ok: true })
    return r.stdout.split('\n').filter((s) => s === 'True').length >= n
  }, 60_000, 1000)
  progress(`${n} extra SSH nodes up on ${NET.extraNodePrefix}1..${n}:${NET.sshPort}`)
}

/** Stops extra nodes and their heartbeat, deregisters them, restores the one-node ssh files. */
export async function stopExtras(): Promise<void> {
  await stopPid(HB_PID, 3000)
  if (fs.existsSync(RUN_DIR)) {
    for (const f of fs.readdirSync(RUN_DIR)) if (f.startsWith('extra-') && f.endsWith('.pid') && !f.endsWith('.real.pid')) await stopPid(path.join(RUN_DIR, f), 3000)
  }
  if (fs.existsSync(P.extraNodes)) {
    const names = fs.readFileSync(P.extraNodes, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0])
    if (alivePid(path.join(RUN_DIR, 'kube-apiserver.pid')) && names.length) {
      run(['kubectl', '--kubeconfig', P.kubeconfig, 'delete', 'node', '--ignore-not-found', '--wait=false', ...names], { ok: true })
      run(['kubectl', '--kubeconfig', P.kubeconfig, 'delete', 'lease', '-n', 'kube-node-lease', '--ignore-not-found', '--wait=false', ...names], { ok: true })
    }
    fs.rmSync(P.extraNodes)
    if (fs.existsSync(`${nodePaths(NODES[0].name).sshHostKey}.pub`)) writeSshClientFiles()
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

/** Writes known_hosts and ssh_config for the nodes and any extra nodes (host keys pinned). */
export function writeSshClientFiles(): void {
  const extra = readExtraNodes()
  const pub = (file: string) => fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  const line = (name: string, addr: string, key: string) => `[${name}]:${NET.sshPort},[${addr}]:${NET.sshPort} ${key}`
  const nodes = NODES.filter((n) => fs.existsSync(`${nodePaths(n.name).sshHostKey}.pub`)).map((n) => line(n.name, n.ip, pub(nodePaths(n.name).sshHostKey)))
  writeFile(P.knownHosts, [...nodes, ...extra.map((e) => line(e.name, e.addr, e.hostKey))].join('\n') + '\n')
  writeFile(P.sshConfig, sshClientConfig(LAB_DIR, extra))
}

/** One line for `lab status` about the fan-out endpoints, or '' when none run. */
export function fanoutStatus(): string {
  const extra = readExtraNodes()
  return extra.length ? `fan-out: ${extra.length} SSH-only nodes (${extra[0].name}..${extra[extra.length - 1].name})` : ''
}
