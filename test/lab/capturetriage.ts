// `npm run lab -- capture triage [CASE]`: the API objects kinspect triage reads, under each fault case.
import fs from 'node:fs'
import path from 'node:path'
import { kubectl } from './lab.ts'
import { scenario } from './scenarios.ts'
import { progress } from './sh.ts'

const out = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab')

/**
 * What kinspect triage reads, as kubectl prints it, under each case (the scenarios turned on together), into
 * test/fixtures/lab/triage/CASE.json: {capturedAt, scenarios, lists: {pods, services, …}} with every namespace.
 * Events are the Warning ones (what triage reads of them); the SSH-only fanout nodes, their leases and events are
 * (labelled kinspect.dev/lab-role) left out with a label selector. Each case waits 20 s after its scenarios are on, past triage's grace periods.
 */
export async function captureTriage(only?: string): Promise<void> {
  const dir = path.join(out, 'triage')
  fs.mkdirSync(dir, { recursive: true })
  const cases: Array<[string, string[]]> = [
    ['healthy', []],
    ['dns-down', ['dns-down']],
    ['crashloop', ['crashloop']],
    ['svc-targetport', ['svc-targetport']],
    ['svc-no-endpoints', ['svc-no-endpoints']],
    ['metrics-unavailable', ['metrics-unavailable']],
    ['node-notready', ['node-notready']],
    ['pending-resources', ['pending-resources']],
    ['pending-taint', ['pending-taint']],
    ['oomkill', ['oomkill']],
    ['image-missing', ['image-missing']],
    ['rollout-stuck', ['rollout-stuck']],
    ['three-faults', ['dns-down', 'crashloop', 'svc-targetport']],
  ]
  const items = (args: string[]) => JSON.parse(kubectl([...args, '-o', 'json']).stdout).items as any[]
  for (const [name, scenarios] of cases.filter(([n]) => !only || n === only)) {
    progress(`capturing triage objects: ${name}`)
    for (const s of scenarios) await scenario(s, 'on')
    try {
      await new Promise((r) => setTimeout(r, 20_000))
      const nodes = items(['get', 'nodes', '-l', `!kinspect.dev/lab-role`])
      const names = new Set(nodes.map((n) => n.metadata.name))
      const lists = {
        pods: items(['get', 'pods', '-A']),
        services: items(['get', 'services', '-A']),
        endpointslices: items(['get', 'endpointslices', '-A']),
        deployments: items(['get', 'deployments', '-A']),
        replicasets: items(['get', 'replicasets', '-A']),
        statefulsets: items(['get', 'statefulsets', '-A']),
        daemonsets: items(['get', 'daemonsets', '-A']),
        events: items(['get', 'events', '-A', '--field-selector', 'type=Warning']).filter(
          (e) => e.involvedObject.kind !== 'Node' || names.has(e.involvedObject.name),
        ),
        nodes,
        leases: items(['get', 'leases', '-n', 'kube-node-lease']).filter((l) => names.has(l.metadata.name)),
        apiservices: items(['get', 'apiservices']).filter((a) => a.metadata.name === 'v1beta1.metrics.k8s.io'),
      }
      fs.writeFileSync(
        path.join(dir, `${name}.json`),
        `${JSON.stringify({ capturedAt: new Date().toISOString(), scenarios, lists })}\n`,
      )
    } finally {
      for (const s of [...scenarios].reverse()) await scenario(s, 'off')
    }
  }
}
