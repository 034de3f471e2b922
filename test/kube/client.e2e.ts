// Kube against the lab, each answer compared with kubectl's in the same test.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { spawnSync } from 'node:child_process'
import {
  Kube,
  KubeError,
  loadKubeconfig,
  type NodeDescription,
  type PodDescription,
  type ServiceDescription,
} from '../../src/kube/index.ts'
import { labEnvVars, NODE } from '../lab/layout.ts'
import { makePki } from './fakeapi.ts'
import { agree } from '../net/labkit.ts'
import { scenario } from '../lab/scenarios.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const KC = labEnvVars().KUBECONFIG
const kube = new Kube(loadKubeconfig({ kubeconfig: KC }))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-kube-e2e-'))

/** kubectl against the lab; returns stdout, stderr and status. */
function kubectl(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('kubectl', ['--kubeconfig', KC, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status }
}
function kjson(...args: string[]): any {
  const r = kubectl(...args, '-o', 'json')
  assert.is(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** Awaits p and checks it failed with a KubeError of this kind whose message matches. */
async function rejectsKube(p: Promise<unknown>, kind: string, re: RegExp = /./): Promise<void> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  assert.instance(err, KubeError, `expected a KubeError [${kind}], got ${err === undefined ? 'success' : String(err)}`)
  assert.is((err as KubeError).kind, kind, (err as KubeError).message)
  assert.match((err as KubeError).message, re)
}

const key = (o: any) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`
const sorted = (xs: string[]) => [...xs].sort()
const cols = (line: string) => line.trim().split(/\s{2,}/)

function webPod(): string {
  const l = kjson('get', 'pods', '-n', 'shop', '-l', 'app=web', '--field-selector', 'status.phase=Running')
  assert.ok(l.items.length > 0, 'no running shop/web pod in the lab')
  return l.items[0].metadata.name
}

test('ping: up, same server version as kubectl', async () => {
  const p = await kube.ping({ timeoutMs: 10_000 })
  assert.ok(p.ok, JSON.stringify(p))
  assert.is(p.ok && p.version, kjson('version').serverVersion.gitVersion)
})

test('pods(-A): same pods as kubectl, and the table agrees with kubectl get pods on READY/STATUS/RESTARTS', async () => {
  await agree(async () => {
    const ours = await kube.pods(undefined, { allNamespaces: true })
    const theirs = kjson('get', 'pods', '-A').items
    const text = kubectl('get', 'pods', '-A').stdout
    assert.equal(sorted(ours.map(key)), sorted(theirs.map(key)))
    for (const p of ours) assert.is(p.kind, 'Pod')
    const mine = inspect(ours, { colors: false }).split('\n')
    assert.equal(cols(mine[0]), ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE'])
    const pick = (c: string[]) => [c[0], c[1], c[2], c[3], c[4].split(' ')[0]].join(' ')
    assert.equal(
      sorted(mine.slice(1).map((l) => pick(cols(l)))),
      sorted(
        text
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => pick(cols(l))),
      ),
    )
  })
})

test('pods(selector, namespace) and pod(ns/name) match kubectl', async () => {
  await agree(async () => {
    const ours = await kube.pods('app=web', { namespace: 'shop' })
    assert.equal(sorted(ours.map(key)), sorted(kjson('get', 'pods', '-n', 'shop', '-l', 'app=web').items.map(key)))
    const viaMap = await kube.pods({ app: 'web' }, { namespace: 'shop' })
    assert.equal(sorted(viaMap.map(key)), sorted(ours.map(key)))
  })
  const name = webPod()
  const p = await kube.pod(`shop/${name}`)
  const k = kjson('get', 'pod', '-n', 'shop', name)
  assert.equal([p.metadata.uid, p.spec.nodeName, p.status?.podIP], [k.metadata.uid, k.spec.nodeName, k.status.podIP])
})

test('services and svc(): same names, cluster IPs and PORT(S) as kubectl get svc', async () => {
  await agree(async () => {
    const ours = await kube.services(undefined, { allNamespaces: true })
    const theirs = kjson('get', 'svc', '-A').items
    assert.equal(
      sorted(ours.map((s) => `${key(s)} ${s.spec.clusterIP}`)),
      sorted(theirs.map((s: any) => `${key(s)} ${s.spec.clusterIP}`)),
    )
    const mine = inspect(ours, { colors: false }).split('\n').slice(1).map(cols)
    const text = kubectl('get', 'svc', '-A').stdout.trim().split('\n').slice(1).map(cols)
    const pick = (c: string[]) => [c[0], c[1], c[2], c[3], c[4], c[5]].join(' ') // NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S)
    assert.equal(sorted(mine.map(pick)), sorted(text.map(pick)))
  })
  const s = await kube.svc('shop/web')
  assert.equal(s.spec, kjson('get', 'svc', '-n', 'shop', 'web').spec)
})

test('endpoints(shop/web): the EndpointSlice addresses kubectl sees', async () => {
  await agree(async () => {
    const ours = await kube.endpoints('shop/web')
    const theirs = kjson('get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web').items
    const addrs = (l: any[]) =>
      sorted(
        l.flatMap((s) =>
          (s.endpoints ?? []).flatMap((e: any) =>
            e.addresses.map((a: string) => `${s.metadata.name} ${a} ${e.conditions?.ready}`),
          ),
        ),
      )
    assert.equal(addrs(ours), addrs(theirs))
    assert.ok(ours.length > 0)
  })
  await rejectsKube(kube.endpoints('shop/no-such-svc'), 'notfound', /service "no-such-svc" in namespace "shop"/)
})

test('nodes() and node(): same as kubectl get nodes (NAME STATUS ROLES VERSION)', async () => {
  await agree(async () => {
    const ours = await kube.nodes()
    const mine = inspect(ours, { colors: false }).split('\n').slice(1).map(cols)
    const text = kubectl('get', 'nodes').stdout.trim().split('\n').slice(1).map(cols)
    const pick = (c: string[]) => [c[0], c[1], c[2], c[4]].join(' ')
    assert.equal(sorted(mine.map(pick)), sorted(text.map(pick)))
  })
  const n = await kube.node(NODE)
  assert.is(n.metadata.uid, kjson('get', 'node', NODE).metadata.uid)
})

test('events(pod): the same events as kubectl field-selected, oldest first', async () => {
  const name = webPod()
  await agree(async () => {
    const pod = await kube.pod(`shop/${name}`)
    const ours = await kube.events(pod)
    const theirs = kjson(
      'get',
      'events',
      '-n',
      'shop',
      '--field-selector',
      `involvedObject.name=${name},involvedObject.kind=Pod,involvedObject.uid=${pod.metadata.uid}`,
    ).items
    assert.equal(sorted(ours.map((e) => e.metadata.name)), sorted(theirs.map((e: any) => e.metadata.name)))
    assert.ok(ours.length > 0, 'a running pod has at least Scheduled/Started events')
    const t = ours.map((e) =>
      Date.parse(e.lastTimestamp || e.series?.lastObservedTime || e.eventTime || e.firstTimestamp || ''),
    )
    assert.equal(
      t,
      [...t].sort((a, b) => a - b),
    )
  })
  await agree(async () => {
    const ns = await kube.events(undefined, { namespace: 'shop' })
    assert.equal(
      sorted(ns.map((e) => e.metadata.name)),
      sorted(kjson('get', 'events', '-n', 'shop').items.map((e: any) => e.metadata.name)),
    )
  })
})

test('logs(shop/web pod) equal kubectl logs, also with tail', async () => {
  const name = webPod()
  await agree(async () => {
    const ours = await kube.logs(`shop/${name}`)
    const theirs = kubectl('logs', '-n', 'shop', name)
    assert.is(theirs.status, 0, theirs.stderr)
    assert.is(ours, theirs.stdout)
    assert.ok(ours.length > 0)
  })
  await agree(async () => {
    assert.is(
      await kube.logs(`shop/${name}`, { tail: 1, container: 'web' }),
      kubectl('logs', '-n', 'shop', name, '--tail=1', '-c', 'web').stdout,
    )
  })
})

test('describe(pod): restart count, state and last state as in kubectl JSON', async () => {
  const targets = kjson('get', 'pods', '-n', 'shop').items.map((p: any) => p.metadata.name) as string[]
  assert.ok(targets.length > 0)
  for (const name of targets.slice(0, 4)) {
    await agree(async () => {
      const d = (await kube.describe(`pod/shop/${name}`)) as PodDescription
      const k = kjson('get', 'pod', '-n', 'shop', name)
      assert.is(d.kind, 'Pod')
      assert.is(d.phase, k.status.phase)
      for (const cs of k.status.containerStatuses ?? []) {
        const c = d.containers.find((x) => x.name === cs.name)!
        assert.is(c.restartCount, cs.restartCount, `${name}/${cs.name} restarts`)
        assert.is(c.state.state.toLowerCase(), Object.keys(cs.state)[0], `${name}/${cs.name} state`)
        assert.is(c.ready, cs.ready)
        const last = cs.lastState?.terminated
        assert.equal(
          [c.lastState?.exitCode, c.lastState?.reason],
          [last?.exitCode, last?.reason],
          `${name}/${cs.name} last state`,
        )
      }
      assert.is(
        d.restarts,
        (k.status.containerStatuses ?? []).reduce((a: number, c: any) => a + c.restartCount, 0),
      )
    })
  }
})

test('describe(node) and describe(svc): conditions, lease, endpoints as kubectl shows them', async () => {
  await agree(async () => {
    const d = (await kube.describe('node', NODE)) as NodeDescription
    const k = kjson('get', 'node', NODE)
    assert.equal(
      d.conditions.map((c) => `${c.type}=${c.status}:${c.message}`),
      k.status.conditions.map((c: any) => `${c.type}=${c.status}:${c.message}`),
    )
    assert.equal(d.addresses, k.status.addresses)
    assert.equal(d.allocatable, k.status.allocatable)
    const lease = kjson('get', 'lease', '-n', 'kube-node-lease', NODE)
    assert.is(d.lease?.holder, lease.spec.holderIdentity)
    assert.ok(d.lease!.renewAgeSeconds! < 60, `lease renewed ${d.lease!.renewAgeSeconds}s ago`)
  })
  await agree(async () => {
    const s = (await kube.describe(await kube.svc('shop/web'))) as ServiceDescription
    const slices = kjson('get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web').items
    assert.equal(
      s.endpoints.map((e) => e.address).sort(),
      sorted(slices.flatMap((x: any) => (x.endpoints ?? []).flatMap((e: any) => e.addresses))),
    )
    assert.equal(s.selector, { app: 'web' })
    assert.match(inspect(s, { colors: false }), /^Selector:\s+app=web$/m)
  })
})

// kubectl's tabwriter pads the last cell too; ours trims line ends.
const norm = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)

test('top(): pods and nodes print what kubectl top prints from the same metrics-server sample', async () => {
  await agree(async () => {
    const ours = await kube.top('pods', { allNamespaces: true })
    const k = kubectl('top', 'pods', '-A')
    assert.is(k.status, 0, k.stderr)
    assert.equal(norm(inspect(ours, { colors: false })), norm(k.stdout))
    assert.ok(ours.some((p) => p.namespace === 'shop' && p.name === 'client'))
  })
  await agree(async () => {
    const ours = await kube.top('nodes')
    const k = kubectl('top', 'nodes')
    assert.is(k.status, 0, k.stderr)
    assert.equal(norm(inspect(ours, { colors: false })), norm(k.stdout))
    assert.ok(ours[0].cpuPercent! >= 0 && ours[0].memoryPercent! > 0)
  })
  await agree(async () => {
    // kubectl sorts with Go's unstable sort: equal values may come in any order, so compare the rows as sets and check our order.
    const ours = await kube.top('pods', { namespace: 'shop', containers: true, sortBy: 'memory' })
    const k = kubectl('top', 'pods', '-n', 'shop', '--containers', '--sort-by', 'memory')
    assert.is(k.status, 0, k.stderr)
    const lines = norm(inspect(ours, { colors: false }))
    assert.equal([...lines].sort(), [...norm(k.stdout)].sort())
    const mem = ours.map((p) => p.memoryBytes)
    assert.equal(
      mem,
      [...mem].sort((a, b) => b - a),
    )
  })
})

test('top(): with the metrics APIService unavailable, the same failure as kubectl top, named with its cause and a hint', async () => {
  await scenario('metrics-unavailable', 'on')
  try {
    assert.match(kubectl('top', 'pods', '-n', 'shop').stderr, /ServiceUnavailable|Metrics API not available/) // 503 while discovery still lists the group, or gone from discovery
    await rejectsKube(
      kube.top(),
      'unsupported',
      /^the metrics API \(metrics\.k8s\.io\/v1beta1\) is registered but not available \(503\)/,
    )
    await rejectsKube(
      kube.top('nodes'),
      'unsupported',
      /not available \(503\): APIService v1beta1\.metrics\.k8s\.io Available=False \(MissingEndpoints\): endpoints for service\/metrics-server/,
    )
  } finally {
    await scenario('metrics-unavailable', 'off')
  }
  await agree(async () => assert.ok((await kube.top('nodes')).length > 0))
})

test('get(): built-in and discovered kinds match kubectl', async () => {
  const d = (await kube.get('deploy', 'shop/web')) as any
  assert.is(d.metadata.uid, kjson('get', 'deploy', '-n', 'shop', 'web').metadata.uid)
  const pcs = (await kube.get('priorityclasses')) as any[]
  assert.equal(
    sorted(pcs.map((p) => p.metadata.name)),
    sorted(kjson('get', 'priorityclasses').items.map((p: any) => p.metadata.name)),
  )
  const crs = (await kube.get('clusterrole.rbac.authorization.k8s.io')) as any[]
  assert.equal(
    sorted(crs.map((p) => p.metadata.name)),
    sorted(kjson('get', 'clusterroles').items.map((p: any) => p.metadata.name)),
  )
})

test('errors against the real server: notfound, forbidden (impersonated), unauthorized, tls, connection', async () => {
  const nf = kubectl('get', 'pod', '-n', 'shop', 'no-such-pod')
  assert.match(nf.stderr, /NotFound/)
  await rejectsKube(kube.pod('shop/no-such-pod'), 'notfound', /pod "no-such-pod" in namespace "shop" not found/)
  const info = loadKubeconfig({ kubeconfig: KC })
  const caData = info.merged.clusters.get(info.cluster.name)!.value['certificate-authority-data']
  const user = info.merged.users.get(info.user.name)!.value
  const write = (name: string, server: string, ca: string, userYaml: string) => {
    const f = path.join(tmp, name)
    fs.writeFileSync(
      f,
      `clusters: [{name: c, cluster: {server: "${server}", ${ca}}}]\nusers: [{name: u, user: ${userYaml}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    )
    return new Kube(loadKubeconfig({ kubeconfig: f }))
  }
  const certUser = `{client-certificate-data: ${user['client-certificate-data']}, client-key-data: ${user['client-key-data']}`
  const nobody = write(
    'nobody',
    info.server,
    `certificate-authority-data: ${caData}`,
    `${certUser}, as: kinspect-nobody}`,
  )
  assert.match(kubectl('get', 'pods', '-n', 'shop', '--as', 'kinspect-nobody').stderr, /Forbidden/)
  await rejectsKube(
    nobody.pods(undefined, { namespace: 'shop' }),
    'forbidden',
    /User "kinspect-nobody" cannot list resource "pods"/,
  )
  const bogus = write('bogus', info.server, `certificate-authority-data: ${caData}`, '{token: not-a-real-token}')
  await rejectsKube(bogus.pods(), 'unauthorized')
  const pb = await bogus.ping()
  assert.match(!pb.ok ? pb.reason : '', /^401 unauthorized/)
  const pki = makePki()
  const wrongCa = write('wrongca', info.server, `certificate-authority: ${pki.otherCa}`, `${certUser}}`)
  const pt = await wrongCa.ping()
  assert.equal([pt.ok, !pt.ok && pt.kind], [false, 'tls'])
  fs.rmSync(pki.dir, { recursive: true, force: true })
  const closed = write(
    'closed',
    info.server.replace(/:\d+$/, ':1'),
    `certificate-authority-data: ${caData}`,
    `${certUser}}`,
  )
  const pc = await closed.ping()
  assert.equal([pc.ok, !pc.ok && pc.reason], [false, `connection refused by ${info.server.replace(/:\d+$/, ':1')}`])
  for (const k of [nobody, bogus, wrongCa, closed]) k.close()
})

test.after(() => {
  kube.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

test.run()
