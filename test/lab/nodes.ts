// The namespaced nodes (lab-2, lab-3): each is a PID 1 (labtools nodeinit) in network, PID, mount, UTS and IPC
// namespaces of its own, linked to klab0 by a veth, with its own CNI bridge, routes, sysctls and cgroup root. Their
// daemons are started inside those namespaces (nsenter), so `ssh lab-2 ps` sees lab-2's processes only.
import fs from 'node:fs'
import path from 'node:path'
import { EGRESS_CHAIN, egressRules, LAB_DIR, NET, NODES, labNode, labPaths, nodePaths, type LabNode } from './layout.ts'
import { bin } from './build.ts'
import { alivePid, progress, run, sleep, startDaemon, stopPid, succeeds, waitFor, writeFile } from './sh.ts'

const NS_FLAGS = ['-m', '-u', '-i', '-n', '-p']

/** The host PID of a namespaced node's init, or null (lab-1, or the node is down). */
export function initPid(node: string): number | null {
  if (labNode(node).host) return null
  return alivePid(nodePaths(node).initPid)
}

/** argv that runs `argv` on the node: as is on lab-1, inside the node's namespaces otherwise. Throws when the node is down. */
export function inNode(node: string, argv: string[]): string[] {
  if (labNode(node).host) return argv
  const pid = initPid(node)
  if (!pid) throw new Error(`lab: node ${node} is not running (no init); run npm run lab -- up`)
  return ['nsenter', '-t', String(pid), ...NS_FLAGS, '--', ...argv]
}

/** Runs argv on a node (see inNode). */
export function nodeRun(node: string, argv: string[], opts: Parameters<typeof run>[1] = {}) {
  return run(inNode(node, argv), opts)
}

/** The first child of a process (nsenter and unshare fork once; the child is the real daemon). */
function firstChild(pid: number): number | null {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    return kids.length ? Number(kids[0]) : null
  } catch {
    return null
  }
}

/** Starts a daemon on a node and records the daemon's own PID (not nsenter's) in pidFile. */
export async function startOnNode(
  node: string,
  name: string,
  argv: string[],
  pidFile: string,
  logFile: string,
): Promise<number> {
  if (labNode(node).host) return startDaemon(name, argv, pidFile, logFile)
  const outer = startDaemon(name, inNode(node, argv), pidFile, logFile)
  const child = (await waitFor(`${name} on ${node} to start`, () => firstChild(outer), 5000, 20)) as number
  fs.writeFileSync(pidFile, String(child))
  return child
}

/** Every cgroup v1 hierarchy (and the unified one) this machine mounts. */
function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup'
  return fs
    .readdirSync(base)
    .map((d) => path.join(base, d))
    .filter((d) => fs.existsSync(path.join(d, 'cgroup.procs')))
}

/** Creates the node's cgroup root in every hierarchy (cpuset needs its cpus and mems copied from the parent). */
function ensureCgroupRoot(node: LabNode): void {
  const root = nodePaths(node.name).cgroupRoot
  for (const h of cgroupHierarchies()) {
    const d = path.join(h, root)
    fs.mkdirSync(d, { recursive: true })
    if (path.basename(h) === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (fs.readFileSync(path.join(d, f), 'utf8').trim() === '')
          fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(h, f), 'utf8'))
      }
    }
  }
}

/** Removes the node's cgroup tree, deepest first (cgroups with no tasks left). */
export function removeCgroupRoot(node: LabNode): void {
  removeCgroupTree(nodePaths(node.name).cgroupRoot)
}

/** SIGKILLs every process left in a cgroup tree (e.g. containers whose shim is gone), in every hierarchy. */
export function killCgroupTree(root: string): void {
  if (root === '/' || root === '') return
  for (const h of cgroupHierarchies()) {
    const top = path.join(h, root)
    if (!fs.existsSync(top)) continue
    const walk = (d: string) => {
      for (const pid of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {}
      }
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name))
    }
    walk(top)
  }
}

/** Removes a cgroup tree (e.g. lab-1's /kubepods) from every hierarchy, deepest first; busy cgroups stay. */
export function removeCgroupTree(root: string): void {
  if (root === '/' || root === '') return
  for (const h of cgroupHierarchies()) {
    const top = path.join(h, root)
    if (!fs.existsSync(top)) continue
    const dirs: string[] = []
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name))
      dirs.push(d)
    }
    walk(top)
    for (const d of dirs) {
      try {
        fs.rmdirSync(d)
      } catch {
        /* still has tasks: left for the next down */
      }
    }
  }
}

/** The node's network inside its namespace: eth0 on klab0, its CNI bridge, routes to the other nodes, sysctls, egress rules. */
function setupNodeNetwork(node: LabNode, pid: number): void {
  const veth = `${NET.nodeVethPrefix}${node.name}`
  const inside = (...argv: string[]) => run(['nsenter', '-t', String(pid), '-n', ...argv])
  if (succeeds(['ip', 'link', 'show', 'dev', veth])) run(['ip', 'link', 'del', veth])
  run([
    'ip',
    'link',
    'add',
    veth,
    'mtu',
    '1500',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'mtu',
    '1500',
    'netns',
    String(pid),
  ])
  run(['ip', 'link', 'set', veth, 'master', NET.hostIf, 'up'])
  inside('ip', 'link', 'set', 'lo', 'up')
  inside('ip', 'addr', 'replace', `${node.ip}/24`, 'dev', 'eth0')
  inside('ip', 'link', 'set', 'eth0', 'up')
  inside('ip', 'link', 'add', NET.cniBridge, 'type', 'bridge')
  inside('ip', 'addr', 'replace', `${node.podGateway}/24`, 'dev', NET.cniBridge)
  inside('ip', 'link', 'set', NET.cniBridge, 'mtu', '1500', 'up')
  // No default route: what is not the lab is unreachable from this node.
  for (const other of NODES)
    if (other.name !== node.name) inside('ip', 'route', 'replace', other.podCIDR, 'via', other.ip, 'dev', 'eth0')
  inside('ip', 'route', 'replace', NET.serviceCIDR, 'dev', NET.cniBridge, 'src', node.podGateway)
  for (const [k, v] of Object.entries({
    'net.ipv4.ip_forward': '1',
    'net.bridge.bridge-nf-call-iptables': '1',
    'net.ipv4.conf.all.route_localnet': '1',
  }))
    inside('sysctl', '-q', '-w', `${k}=${v}`)
  inside('iptables', '-w', '-N', EGRESS_CHAIN)
  for (const rule of egressRules('eth0')) inside('iptables', '-w', '-A', EGRESS_CHAIN, ...rule)
  inside('iptables', '-w', '-I', 'FORWARD', '1', '-j', EGRESS_CHAIN)
}

/**
 * Makes sure a namespaced node's init runs, with its network and cgroup root; returns true when it was (re)created,
 * i.e. the node "rebooted": its runtime state is gone and its daemons must start again.
 */
export async function ensureNodeNamespaces(node: LabNode): Promise<boolean> {
  if (node.host) return false
  const np = nodePaths(node.name)
  if (alivePid(np.initPid)) return false
  progress(
    `node ${node.name}: namespaces (net, pid, mount, uts, ipc), eth0 ${node.ip} on ${NET.hostIf}, ${NET.cniBridge} ${node.podCIDR}`,
  )
  // A reboot clears the node's runtime directory, as a real node's /run is.
  fs.rmSync(np.runDir, { recursive: true, force: true })
  fs.mkdirSync(np.runDir, { recursive: true })
  fs.mkdirSync(np.state, { recursive: true })
  writeFile(
    np.crictlConfig,
    `# written by the kinspect lab (${node.name})\nruntime-endpoint: unix://${np.containerdSock}\nimage-endpoint: unix://${np.containerdSock}\ntimeout: 10\n`,
  )
  const log = path.join(labPaths().logs, `node-${node.name}.log`)
  const outer = startDaemon(
    `node ${node.name}`,
    [
      'unshare',
      '--net',
      '--pid',
      '--mount',
      '--uts',
      '--ipc',
      '--fork',
      '--propagation',
      'private',
      '--',
      bin('labtools'),
      'nodeinit',
      '-hostname',
      node.name,
      '-dir',
      np.state,
      '-ready',
      np.ready,
    ],
    np.initPid,
    log,
  )
  const pid = (await waitFor(`node ${node.name}'s init`, () => firstChild(outer), 5000, 20)) as number
  fs.writeFileSync(np.initPid, String(pid))
  await waitFor(
    `node ${node.name}'s mounts`,
    () =>
      fs.existsSync(np.ready) ||
      (alivePid(np.initPid) ? false : Promise.reject(new Error(`nodeinit exited; see ${log}`))),
    10_000,
    50,
  )
  setupNodeNetwork(node, pid)
  ensureCgroupRoot(node)
  return true
}

/** Stops a namespaced node: its init ends every process of the node, the kernel removes its namespaces and veth. */
export async function stopNode(node: LabNode): Promise<void> {
  if (node.host) return
  const np = nodePaths(node.name)
  const init = alivePid(np.initPid)
  await stopPid(np.initPid, 15_000)
  killCgroupTree(np.cgroupRoot) // nothing of the node may outlive it
  killStrays(node.name, init)
  const veth = `${NET.nodeVethPrefix}${node.name}`
  for (let i = 0; i < 20 && succeeds(['ip', 'link', 'show', 'dev', veth]); i++) await sleep(100)
  if (succeeds(['ip', 'link', 'show', 'dev', veth])) run(['ip', 'link', 'del', veth], { ok: true })
  removeCgroupRoot(node)
  fs.rmSync(np.runDir, { recursive: true, force: true })
}

/**
 * Host processes that served a node and outlived it: `nsenter -t INIT …` wrappers of its daemons (a wrapper a test
 * stopped cannot reap its child), and its `unshare` parent. Continued, then killed.
 */
function killStrays(name: string, init: number | null): void {
  const dir = `${path.join(NODES_STATE, name)}/`
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let cmd = ''
    try {
      cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ')
    } catch {
      continue
    }
    const mine = cmd.includes(dir) || (init !== null && new RegExp(`^nsenter -t ${init} `).test(cmd))
    if (!mine || Number(d) === process.pid) continue
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(Number(d), sig)
      } catch {
        // gone
      }
    }
  }
}

/** The lab's state directory of namespaced nodes (removed pieces by down). */
export const NODES_STATE = path.join(LAB_DIR, 'nodes')
