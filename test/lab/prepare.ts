// What `lab up` needs before any daemon starts: root, the Debian packages, certificates, kubeconfigs, keys and the
// config files of every node.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODE, NODES, RUN_DIR, labPaths, nodePaths } from './layout.ts'
import { EXPIRED_USER, LAB_USERS, ensureSudoUser, writeUserKubeconfigs } from './access.ts'
import { bin } from './build.ts'
import {
  cniConfig,
  containerdConfig,
  kinspectConfig,
  kubeProxyConfig,
  kubeconfig,
  kubeletConfig,
  sshdConfig,
} from './configs.ts'
import { writeSshClientFiles } from './fanout.ts'
import { ensureShellUsers } from './shells.ts'
import { currentProxyMode } from './proxymode.ts'
import { progress, run, succeeds, writeFile } from './sh.ts'

const P = labPaths()

/** Throws unless running as root. */
export function requireRoot() {
  if (process.getuid?.() !== 0)
    throw new Error('lab: must run as root (it creates interfaces, routes, namespaces and a container runtime)')
}

/** Installs the Debian packages the lab needs when a command is missing (install-deps.sh). */
export function ensureDeps() {
  const need = [
    'containerd',
    'runc',
    'sshd',
    'ctr',
    'iptables',
    'conntrack',
    'nft',
    'dig',
    'busybox',
    'nsenter',
    'unshare',
    'ssh-keygen',
    'sudo',
    'ping',
  ]
  const missing = need.filter((c) => !succeeds(['sh', '-c', `command -v ${c} || test -x /usr/sbin/${c}`]))
  if (missing.length) {
    progress(`missing ${missing.join(', ')}: installing Debian packages`)
    run(['bash', path.join(import.meta.dirname, 'install-deps.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 900_000,
    })
  }
}

/** Writes certificates, kubeconfigs, ssh keys and every node's config files (keys and host keys are kept if present). */
export function writeKeysAndConfigs() {
  fs.mkdirSync(P.sshDir, { recursive: true })
  fs.chmodSync(P.sshDir, 0o711) // the shell users' sshd reads authorized_keys as them
  const nodes = NODES.map((n) => `${n.name}=${n.ip}`).join(',')
  run([
    bin('certs'),
    '-dir',
    P.pki,
    '-nodes',
    nodes,
    '-service-ip',
    NET.kubernetesSvcIP,
    '-users',
    Object.values(LAB_USERS).join(','),
    '-expired-users',
    EXPIRED_USER,
  ])
  writeFile(P.kubeconfig, kubeconfig(P.pki, 'admin', undefined, 'lab-admin'), 0o600)
  for (const [file, cert] of [
    ['controller-manager.kubeconfig', 'controller-manager'],
    ['scheduler.kubeconfig', 'scheduler'],
    ['kube-proxy.kubeconfig', 'kube-proxy'],
  ]) {
    writeFile(path.join(LAB_DIR, file), kubeconfig(P.pki, cert), 0o600)
  }
  writeUserKubeconfigs()
  writeFile(
    path.join(LAB_DIR, 'node-resolv.conf'),
    '# kinspect lab: no resolver off this machine\nnameserver 127.0.0.1\n',
  )
  const mode = fs.existsSync(nodePaths(NODE).kubeProxyConfig) ? currentProxyMode() : 'iptables'
  const userKey = path.join(P.sshDir, 'id_ed25519')
  if (!fs.existsSync(userKey))
    run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'kinspect lab user key', '-f', userKey])
  for (const n of NODES) {
    const np = nodePaths(n.name)
    writeFile(np.kubeletKubeconfig, kubeconfig(P.pki, `kubelet-client-${n.name}`), 0o600)
    writeFile(np.kubeletConfig, kubeletConfig(LAB_DIR, n))
    writeFile(np.kubeProxyConfig, kubeProxyConfig(LAB_DIR, mode, n))
    writeFile(np.containerdConfig, containerdConfig(n))
    writeFile(path.join(np.cniDir, '10-kinspect-lab.conflist'), cniConfig(n))
    fs.mkdirSync(path.dirname(np.sshHostKey), { recursive: true })
    if (!fs.existsSync(np.sshHostKey))
      run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${n.name} host key`, '-f', np.sshHostKey])
    writeFile(
      np.sshdConfig,
      sshdConfig(LAB_DIR, `${n.ip}:${NET.sshPort}`, np.sshHostKey, path.join(np.runDir, 'sshd-real.pid')),
    )
  }
  writeFile(path.join(P.sshDir, 'authorized_keys'), fs.readFileSync(`${P.identity}.pub`, 'utf8'), 0o644)
  ensureShellUsers()
  ensureSudoUser()
  writeSshClientFiles()
  writeFile(P.kinspectConfig, kinspectConfig(LAB_DIR))
  writeFile(
    '/etc/crictl.yaml',
    `# written by the kinspect lab\nruntime-endpoint: unix://${RUN_DIR}/containerd.sock\nimage-endpoint: unix://${RUN_DIR}/containerd.sock\ntimeout: 10\n`,
  )
  const link = '/usr/local/bin/crictl'
  if (!fs.existsSync(link)) fs.symlinkSync(bin('crictl'), link)
}
