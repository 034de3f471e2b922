// Faults on one node: a full conntrack table (lab-1, the host), stale kube-proxy rules and a stopped kubelet (lab-2 by default).
import fs from 'node:fs'
import path from 'node:path'
import { CONNTRACK_MAX_BEFORE, LAB_DIR, NODE, RUN_DIR } from '../layout.ts'
import { bin } from '../build.ts'
import { onNode, running, start, stop } from '../components.ts'
import { kubectl, kubectlJSON, waitHealthy } from '../lab.ts'
import { restartPodsRestartedSince } from '../health.ts'
import { iptablesEndpointIPs, nodeReady, sliceIPs } from '../probe.ts'
import { alivePid, run, startDaemon, stopPid, waitFor } from '../sh.ts'
import type { Scenario } from './types.ts'

const FILL_PID = path.join(RUN_DIR, 'connfill.pid')
const readSys = (k: string) => fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim()

/** nf_conntrack_max as it was before the lab first came up (saved with the other sysctls it changes). */
export function originalConntrackMax(): string {
  const saved = path.join(LAB_DIR, 'sysctl.orig.json')
  return JSON.parse(fs.readFileSync(saved, 'utf8'))['net/netfilter/nf_conntrack_max']
}

/** The sum of the per-CPU `drop` counters in conntrack -S (lab-1's network namespace). */
export function conntrackDrops(): number {
  return run(['conntrack', '-S'])
    .stdout.split('\n')
    .reduce((n, l) => n + Number(l.match(/\bdrop=(\d+)/)?.[1] ?? 0), 0)
}

/** Faults on one node. */
export const NODE_FAULTS: Scenario[] = [
  {
    name: 'conntrack-full',
    breaks: `nf_conntrack_max lowered to the current count + 600, then ${NODE}'s table filled with loopback TCP flows for at most 3 min: the kernel drops new connections`,
    async on() {
      const drops0 = conntrackDrops()
      if (!alivePid(FILL_PID)) {
        const count = Number(readSys('net/netfilter/nf_conntrack_count'))
        if (!fs.existsSync(CONNTRACK_MAX_BEFORE))
          fs.writeFileSync(CONNTRACK_MAX_BEFORE, readSys('net/netfilter/nf_conntrack_max').trim())
        fs.writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', String(count + 600))
        // The filler restores the original max itself when its time is up, so a forgotten "on" heals.
        startDaemon(
          'connfill',
          [bin('connfill'), '-max', '5000', '-duration', '3m', '-probe', '1s', '-restore-max', originalConntrackMax()],
          FILL_PID,
          path.join(LAB_DIR, 'logs', 'connfill.log'),
        )
      }
      // Done when the table is (nearly) full and the kernel is dropping now, not just historically.
      const full = () =>
        Number(readSys('net/netfilter/nf_conntrack_count')) >= 0.95 * Number(readSys('net/netfilter/nf_conntrack_max'))
      await waitFor('a full conntrack table with rising drops', () => full() && conntrackDrops() > drops0, 30_000, 500)
    },
    async off() {
      // CONNTRACK_MAX_BEFORE is written when the fault goes on: its time is when the table started to fill.
      const since = fs.statSync(CONNTRACK_MAX_BEFORE, { throwIfNoEntry: false })?.mtimeMs
      await stopPid(FILL_PID, 3000)
      fs.writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', originalConntrackMax())
      fs.rmSync(CONNTRACK_MAX_BEFORE, { force: true })
      // The full table dropped new connections, probes and API calls included: a lab pod that restarted meanwhile
      // (metrics-server, its liveness probe dropped) is replaced by a fresh one, so the lab is as before the fault.
      if (since !== undefined) restartPodsRestartedSince(since)
      await waitHealthy(90_000)
    },
  },
  {
    name: 'stale-rules',
    breaks:
      "one node's kube-proxy stopped, then a shop/web pod replaced: that node still DNATs to the old pod IP, the others follow",
    node: { default: 'lab-2' },
    async on({ node }) {
      const id = onNode('kube-proxy', node)
      if (running(id)) {
        await stop(id)
        const victim = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=web']).items as any[])[0].metadata.name
        kubectl(['delete', 'pod', victim, '-n', 'shop', '--wait=true', '--grace-period=1'])
      }
      await waitFor(
        `web slices to differ from ${node}'s rules`,
        () => {
          const ips = sliceIPs('shop', 'web')
          return ips.length >= 2 && ips.join() !== iptablesEndpointIPs('shop', 'web', node).join()
        },
        60_000,
        1000,
      )
    },
    async off({ node }) {
      await start(onNode('kube-proxy', node))
      await waitFor(
        `${node}'s rules to match the slices`,
        () => sliceIPs('shop', 'web').join() === iptablesEndpointIPs('shop', 'web', node).join(),
        30_000,
        500,
      )
    },
  },
  {
    name: 'node-notready',
    breaks:
      "one node's kubelet stopped: it goes NotReady after the 16 s grace period; its SSH and containers keep running",
    node: { default: 'lab-2' },
    async on({ node }) {
      await stop(onNode('kubelet', node))
      await waitFor(`${node} NotReady`, () => nodeReady(node) !== 'True', 40_000, 1000)
    },
    async off({ node }) {
      await start(onNode('kubelet', node))
      await waitFor(`${node} Ready`, () => nodeReady(node) === 'True', 60_000, 1000)
      await waitHealthy(90_000)
    },
  },
]
