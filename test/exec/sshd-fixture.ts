// A throwaway OpenSSH sshd on 127.0.0.1/127.0.0.2 with its own host key, user key, config and known_hosts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** A running test sshd and the client files that reach it. */
export interface Sshd {
  port: number
  dir: string
  /** Client ssh_config: Host testnode (127.0.0.1), Host inner (127.0.0.2 via ProxyJump testnode). */
  sshConfig: string
  knownHosts: string
  identity: string
  /** Host public key line "ssh-ed25519 AAAA…". */
  hostPub: string
  /** known_hosts line for [addr]:port. */
  knownLine(addr?: string): string
  /** sshd's log so far. */
  log(): string
  /** Number of accepted logins so far. */
  logins(): number
  /** Pids of the per-connection sshd processes serving our client (by TCP peer port). */
  sessionPids(): number[]
  stop(): Promise<void>
}

function keygen(file: string, type = 'ed25519'): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'kinspect-test', '-f', file], {
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
  return fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
}

/** A new ed25519 public key line ("ssh-ed25519 AAAA…"), e.g. to play a changed host key. */
export function freshPublicKey(dir: string, name: string): string {
  return keygen(path.join(dir, name))
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 10_000
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy()
        resolve(true)
      })
      c.on('error', () => resolve(false))
    })
    if (ok && log().includes('Server listening')) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`sshd did not start listening on ${port}: ${log()}`)
}

/** Starts sshd -D on a free port; MaxSessions as given (default 10). */
export async function startSshd(opts: { maxSessions?: number } = {}): Promise<Sshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshd-'))
  const hostPub = keygen(path.join(dir, 'host_ed25519'))
  const userPub = keygen(path.join(dir, 'id_ed25519'))
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${userPub}\n`)
  const port = await freePort()
  // Logins get a home of their own: the fixture logs in as root, and this machine's /root/.bashrc (sourced by bash
  // under sshd) runs pyenv init, whose rehash takes a lock that concurrent logins wait on (a login held past 15 s,
  // a stray stderr line). A test's login must not depend on the dotfiles of the machine it runs on.
  const home = path.join(dir, 'home')
  fs.mkdirSync(home)
  const cfg = path.join(dir, 'sshd_config')
  fs.writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      'ListenAddress 127.0.0.2',
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'StrictModes no',
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'AllowTcpForwarding yes',
      `MaxSessions ${opts.maxSessions ?? 10}`,
      'MaxStartups 10:30:100',
      'LogLevel VERBOSE',
      `SetEnv HOME=${home}`,
      '',
    ].join('\n'),
  )
  fs.mkdirSync('/run/sshd', { recursive: true }) // privilege separation directory sshd insists on
  const knownHosts = path.join(dir, 'known_hosts')
  const identity = path.join(dir, 'id_ed25519')
  const knownLine = (addr = '127.0.0.1') => `[${addr}]:${port} ${hostPub}`
  fs.writeFileSync(knownHosts, `${knownLine('127.0.0.1')}\n${knownLine('127.0.0.2')}\n`)
  const sshConfig = path.join(dir, 'ssh_config')
  fs.writeFileSync(
    sshConfig,
    [
      'Host testnode',
      '  HostName 127.0.0.1',
      'Host inner',
      '  HostName 127.0.0.2',
      '  ProxyJump testnode',
      'Host *',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${identity}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  )
  let logText = ''
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (logText += s))
  const log = () => logText
  await waitListening(port, child, log)
  return {
    port,
    dir,
    sshConfig,
    knownHosts,
    identity,
    hostPub,
    knownLine,
    log,
    logins: () => (logText.match(/Accepted publickey for root/g) ?? []).length,
    sessionPids: () => {
      const r = spawnSync('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' })
      return [...new Set([...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))].filter(
        (pid) => pid !== child.pid,
      )
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
