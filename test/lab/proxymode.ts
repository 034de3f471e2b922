// Restarts kube-proxy on every node in another mode (iptables, nftables, ipvs), cleaning the old mode's rules.
import fs from 'node:fs'
import { LAB_DIR, NODE, NODES, nodePaths } from './layout.ts'
import { bin } from './build.ts'
import { kubeProxyConfig } from './configs.ts'
import { logFile, onNode, running, start, stop } from './components.ts'
import { inNode } from './nodes.ts'
import { progress, run, waitFor, writeFile } from './sh.ts'

export const MODES = ['iptables', 'nftables', 'ipvs'] as const

/** The mode kube-proxy is configured for (every node runs the same). */
export function currentProxyMode(): string {
  return fs.readFileSync(nodePaths(NODE).kubeProxyConfig, 'utf8').match(/^mode: (\S+)/m)?.[1] ?? 'iptables'
}

function kernelHasIPVS(): boolean {
  return (
    fs.existsSync('/proc/net/ip_vs') ||
    run(['sh', '-c', 'zcat /proc/config.gz 2>/dev/null | grep -q "^CONFIG_IP_VS=[ym]"'], { ok: true }).code === 0
  )
}

/** True when kube-proxy on `node` has written its rules for kube-dns in `mode`. */
export function proxyRulesReady(node: string, mode: string): boolean {
  const sh = (argv: string[]) => run(inNode(node, argv), { ok: true }).stdout
  if (mode === 'iptables') return sh(['iptables-save', '-t', 'nat']).includes('kube-system/kube-dns:dns ')
  if (mode === 'nftables') return sh(['nft', 'list', 'table', 'ip', 'kube-proxy']).includes('kube-system/kube-dns/')
  return sh(['ipvsadm', '-Ln']).includes('10.96.0.10:53')
}

/** Switches kube-proxy's mode on every node and waits until each node's rules for kube-dns exist. */
export async function setProxyMode(mode: string): Promise<void> {
  if (!(MODES as readonly string[]).includes(mode))
    throw new Error(`lab: proxy mode must be one of ${MODES.join(', ')}, got "${mode}"`)
  if (mode === 'ipvs' && !kernelHasIPVS()) {
    throw new Error(
      'lab: this kernel has no IPVS (CONFIG_IP_VS is not set), so kube-proxy cannot run in ipvs mode here',
    )
  }
  for (const n of NODES) {
    const id = onNode('kube-proxy', n.name)
    await stop(id)
    for (const m of MODES)
      if (m !== mode)
        run(inNode(n.name, [bin('kube-proxy'), '--cleanup', `--proxy-mode=${m}`]), { ok: true, timeout: 60_000 })
    writeFile(nodePaths(n.name).kubeProxyConfig, kubeProxyConfig(LAB_DIR, mode, n))
    await start(id)
  }
  for (const n of NODES) {
    const id = onNode('kube-proxy', n.name)
    const ready = () => {
      if (!running(id)) throw new Error(`kube-proxy on ${n.name} exited; see ${logFile(id)}`)
      return proxyRulesReady(n.name, mode)
    }
    await waitFor(`kube-proxy ${mode} rules for kube-dns on ${n.name}`, ready, 30_000, 500)
  }
  progress(`kube-proxy now in ${mode} mode on ${NODES.map((n) => n.name).join(', ')}`)
}
