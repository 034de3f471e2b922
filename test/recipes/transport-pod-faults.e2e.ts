// The fault cases of the recipes that read nodes for Services, DNS and pod networking (svc, kube-proxy-drift, dns,
// pod-network), with SSH unavailable (`lab ssh off`, turned off once for the file): each fault makes the same findings
// fail with the same evidence as over SSH (faultchecks.ts holds both transports to them), every node is reached
// through a node pod (nothing NOT SEEN), and no kinspect pod is left after any run. Each scenario is switched on once
// and always off again; ssh is always turned on again. The node-level faults are in transport-pod-node-faults.e2e.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { driftStaleRules, dnsDown, dnsNdots, podNetworkMtu, runThroughPods, svcNoEndpoints } from './faultchecks.ts'
import { svcStaleRules, svcTargetPort } from './faultchecks.ts'
import { kinspectPods, lab, restoreOnSignal } from './lab.ts'

const SCENARIOS = ['svc-no-endpoints', 'svc-targetport', 'stale-rules', 'dns-down', 'dns-ndots', 'mtu-mismatch']
restoreOnSignal(SCENARIOS)

/** Turns the scenarios on, runs `fn`, and turns them off again whatever happens. */
async function withFaults(names: string[], fn: () => Promise<void>): Promise<void> {
  try {
    for (const n of names) lab('scenario', n, 'on')
    await fn()
  } finally {
    for (const n of names) lab('scenario', n, 'off')
  }
}

const t0 = Date.now()
test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
  lab('ssh', 'off')
})

test.after(() => {
  lab('ssh', 'on')
  console.log(`# transport-pod-faults: ${Math.round((Date.now() - t0) / 1000)} s`)
})

test('ssh off, svc-no-endpoints and svc-targetport on: svc fails on the selector of shop/orders and on the port nothing listens on in the web pods (read in their netns through node pods)', async () => {
  await withFaults(['svc-no-endpoints', 'svc-targetport'], async () => {
    svcNoEndpoints(await runThroughPods('svc', ['--service', 'shop/orders', '--from', 'shop/client'], 1))
    svcTargetPort(await runThroughPods('svc', ['--service', 'shop/web-badport', '--from', 'shop/client'], 1))
  })
})

test("ssh off, stale-rules on lab-2: svc fails on lab-2's rules for shop/web and clears lab-3; kube-proxy-drift names lab-2, and only lab-2, for every Service of shop", async () => {
  await withFaults(['stale-rules'], async () => {
    svcStaleRules(await runThroughPods('svc', ['--service', 'shop/web'], 1))
    driftStaleRules(await runThroughPods('kube-proxy-drift', [], 1))
  })
})

test("ssh off, dns-down on: dns fails on the missing CoreDNS pods, the client's node rejecting 10.96.0.10 (its rules read through a node pod) and the TIMEOUTs from shop/client", async () => {
  await withFaults(['dns-down'], async () => {
    dnsDown(await runThroughPods('dns', ['--pod', 'shop/client'], 1))
  })
})

test('ssh off, dns-ndots on: dns warns that external.lab.example resolves from shop/dns-ndots only after 4 NXDOMAIN answers (exit 0)', async () => {
  await withFaults(['dns-ndots'], async () => {
    dnsNdots(await runThroughPods('dns', ['--pod', 'shop/dns-ndots', '--name', 'external.lab.example'], 0))
  })
})

test('ssh off, mtu-mismatch on: pod-network fails on the MTU step alone, with pod eth0 9000, host veth 9000 and the bridge at 1500', async () => {
  await withFaults(['mtu-mismatch'], async () => {
    podNetworkMtu(await runThroughPods('pod-network', ['--pod', 'shop/client'], 1))
  })
})

test.run()
