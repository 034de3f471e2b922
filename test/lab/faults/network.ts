// Network faults: an MTU mismatch inside a node, an inter-node path MTU below the pods', a node cut off from a CoreDNS pod.
import { NET, NODES } from '../layout.ts'
import { inNode } from '../nodes.ts'
import { corednsPods, hostVeth, inPodNetns } from '../probe.ts'
import { run } from '../sh.ts'
import type { Scenario } from './types.ts'

/** The MTU the overlay-mtu scenario gives the links between nodes. */
export const OVERLAY_MTU = 1400
const BLACKHOLE_TAG = 'kinspect-lab node-dns-blackhole'

function setClientMtu(mtu: number): void {
  run(inPodNetns('shop', 'client', ['ip', 'link', 'set', 'eth0', 'mtu', String(mtu)]))
  const { node, veth } = hostVeth('shop', 'client')
  run(inNode(node, ['ip', 'link', 'set', veth, 'mtu', String(mtu)]))
}

/** The host sides of the namespaced nodes' links to klab0 (the bridge ports between nodes). */
const interNodePorts = () => NODES.filter((n) => !n.host).map((n) => `${NET.nodeVethPrefix}${n.name}`)

/** The node whose CoreDNS pod node-dns-blackhole cuts `node` off from: lab-2, or lab-1 when node is lab-2. */
export const blackholePeer = (node: string) => (node === 'lab-2' ? 'lab-1' : 'lab-2')

/** iptables rules of node-dns-blackhole on a node, as `-A ...` lines. */
function blackholeRules(node: string): string[] {
  return run(inNode(node, ['iptables-save', '-t', 'filter']))
    .stdout.split('\n')
    .filter((l) => l.startsWith('-A ') && l.includes(BLACKHOLE_TAG))
}

/** Faults in the network between pods and nodes. */
export const NETWORK_FAULTS: Scenario[] = [
  {
    name: 'mtu-mismatch',
    breaks: `shop/client's eth0 and its host veth (on its node) set to MTU 9000 while that node's bridge ${NET.cniBridge} is 1500`,
    async on() {
      setClientMtu(9000)
    },
    async off() {
      setClientMtu(1500)
    },
  },
  {
    name: 'overlay-mtu',
    breaks: `the links between nodes drop frames over ${OVERLAY_MTU} bytes (as an overlay's unaccounted encapsulation does) while pods and nodes send 1500: big packets between nodes vanish without an ICMP error, small ones pass`,
    async on() {
      for (const p of interNodePorts()) run(['ip', 'link', 'set', p, 'mtu', String(OVERLAY_MTU)])
      run(['ip', 'link', 'set', NET.hostIf, 'mtu', '1500']) // the bridge keeps 1500: lab-1 still sends full frames
    },
    async off() {
      for (const p of interNodePorts()) run(['ip', 'link', 'set', p, 'mtu', '1500'])
      run(['ip', 'link', 'set', NET.hostIf, 'mtu', '1500'])
    },
  },
  {
    name: 'node-dns-blackhole',
    breaks:
      "one node (default lab-3) drops its pods' DNS packets to the CoreDNS pod on another node: pods there alone see lookups time out (about half of them, through the Service)",
    node: { default: 'lab-3' },
    async on({ node }) {
      if (blackholeRules(node).length) return
      const peer = blackholePeer(node)
      const targets = corednsPods().filter((p) => p.node === peer)
      if (!targets.length) throw new Error(`lab: no CoreDNS pod runs on ${peer}; is the lab up?`)
      const from = NODES.find((n) => n.name === node)!.podCIDR
      for (const t of targets) {
        for (const proto of ['udp', 'tcp']) {
          run(
            inNode(node, [
              'iptables',
              '-w',
              '-I',
              'FORWARD',
              '1',
              '-s',
              from,
              '-d',
              t.ip,
              '-p',
              proto,
              '--dport',
              '53',
              '-m',
              'comment',
              '--comment',
              `${BLACKHOLE_TAG} (${t.name})`,
              '-j',
              'DROP',
            ]),
          )
        }
      }
    },
    async off({ node }) {
      for (const n of node ? [node] : NODES.map((x) => x.name)) {
        for (const rule of blackholeRules(n)) run(inNode(n, ['sh', '-c', `iptables -w ${rule.replace(/^-A /, '-D ')}`]))
      }
    },
  },
]
