// Restarts kube-proxy in another mode (iptables, nftables, ipvs), cleaning the old mode's rules.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR } from './layout.ts'
import { bin } from './build.ts'
import { kubeProxyConfig } from './configs.ts'
import { running, start, stop, logFile } from './components.ts'
import { progress, run, waitFor, writeFile } from './sh.ts'

export const MODES = ['iptables', 'nftables', 'ipvs'] as const

/** The mode kube-proxy is configured for. */
export function currentProxyMode(): string {
  return fs.readFileSync(path.join(LAB_DIR, 'kube-proxy.yaml'), 'utf8').match(/^mode: (\S+)/m)?.[1] ?? 'iptables'
}

function kernelHasIPVS(): boolean {
  return fs.existsSync('/proc/net/ip_vs') || run(['sh', '-c', 'zcat /proc/config.gz 2>/dev/null | grep -q "^CONFIG_IP_VS=[ym]"'], { ok: true }).code === 0
}

/** Switches kube-proxy's mode and waits until its rules for kube-dns exist. */
export async function setProxyMode(mode: string): Promise<void> {
  if (!(MODES as readonly string[]).includes(mode)) throw new Error(`lab: proxy mode must be one of ${MODES.join(', ')}, got "${mode}"`)
  if (mode === 'ipvs' && !kernelHasIPVS()) {
    throw new Error('lab: this kernel has no IPVS (CONFIG_IP_VS is not set), so kube-proxy cannot run in ipvs mode here')
  }
  await stop('kube-proxy')
  for (const m of MODES) if (m !== mode) run([bin('kube-proxy'), '--cleanup', `--proxy-mode=${m}`], { ok: true, timeout: 60_000 })
  writeFile(path.join(LAB_DIR, 'kube-proxy.yaml'), kubeProxyConfig(LAB_DIR, mode))
  start('kube-proxy')
  const ready = () => {
    if (!running('kube-proxy')) throw new Error(`kube-proxy exited; see ${logFile('kube-proxy')}`)
    if (mode === 'iptables') return run(['iptables-save', '-t', 'nat'], { ok: true }).stdout.includes('kube-system/kube-dns:dns ')
    if (mode === 'nftables') return run(['nft', 'list', 'table', 'ip', 'kube-proxy'], { ok: true }).stdout.includes('kube-system/kube-dns/')
    return run(['ipvsadm', '-Ln'], { ok: true }).stdout.includes('10.96.0.10:53')
  }
  await waitFor(`kube-proxy ${mode} rules for kube-dns`, ready, 30_000, 500)
  progress(`kube-proxy now in ${mode} mode`)
}
