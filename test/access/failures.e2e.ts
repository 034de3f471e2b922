// Node pods that cannot be made, through the session as the shell uses it: the one error lists each transport and
// names the cause (PodSecurity baseline, a missing image, a user without pods/exec); a node tainted NoSchedule and
// NoExecute is still reached (the pod tolerates every taint). No kinspect pod is left after any of them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodeAccessError } from '../../src/access/errors.ts'
import { labPaths } from '../lab/layout.ts'
import { POD_ONLY, config, envFor, kinspectPods, kubectl, noPodsLeft, session } from './labkit.ts'

const TAINT = 'kinspect.dev/e2e-taint'

/** The error of the first command on a node, and no pod left once the session is closed. */
async function firstCommandFails(env: Record<string, string | undefined>, node = 'lab-2'): Promise<NodeAccessError> {
  const s = await session(env)
  try {
    const e = await s.node(node).$`true`.then(
      () => undefined,
      (x) => x,
    )
    assert.instance(e, NodeAccessError, String(e))
    return e
  } finally {
    const r = await s.shutdown()
    assert.equal(r.remaining, [])
    assert.equal(await noPodsLeft(), [], 'the failed pod was deleted')
  }
}

test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
})

test('PodSecurity enforce=baseline on the chosen namespace: the label that blocks it and a namespace that would work', async () => {
  const e = await firstCommandFails(envFor(config('baseline', `${POD_ONLY}\nnamespace: baseline`)))
  const [head, pod, ...rest] = e.message.split('\n')
  assert.is(head, 'no transport reaches node lab-2 (tried pod):')
  assert.is(rest.length, 0, 'one line per transport')
  assert.match(
    pod,
    /^pod: PodSecurity "baseline" rejects the node pod: namespace "baseline" has the label pod-security\.kubernetes\.io\/enforce=baseline/,
  )
  assert.match(e.hint!, /^pod: use namespace "[a-z0-9-]+"/)
  assert.equal(
    e.attempts.map((a) => [a.transport, a.outcome, (a.cause as { kind?: string })?.kind]),
    [['pod', 'failed', 'podsecurity']],
  )
})

test('an image that does not exist: the image and the kubelet’s reason, SSH’s line too', async () => {
  const e = await firstCommandFails(envFor(config('no-image', 'pods: always\nimage: kinspect.local/no-such-image:1')))
  const lines = e.message.split('\n')
  assert.equal(lines.slice(0, 2), [
    'no transport reaches node lab-2 (tried ssh, pod):',
    'ssh: no ssh config entry, key or agent applies to lab-2',
  ])
  assert.match(
    lines[2],
    /^pod: the node pod's image kinspect\.local\/no-such-image:1 cannot be pulled on lab-2: (ErrImagePull|ImagePullBackOff): /,
  )
  assert.is(e.kind, 'unreachable')
})

test('a user without pods/exec (kubeconfig-view, kubeconfig-no-exec): the missing verbs, before anything is created', async () => {
  const view = await firstCommandFails(envFor(config('view', POD_ONLY), { kubeconfig: labPaths().kubeconfigView }))
  assert.match(
    view.message.split('\n')[1],
    /^pod: user "kinspect-view"( \(kubeconfig user "[^"]+"\))? may not create pods, delete pods, create pods\/exec in namespace "kube-system"$/,
  )
  assert.match(view.hint!, 'pod: ')
  const noExec = await firstCommandFails(
    envFor(config('no-exec', POD_ONLY), { kubeconfig: labPaths().kubeconfigNoExec }),
  )
  assert.match(
    noExec.message.split('\n')[1],
    /^pod: user "kinspect-no-exec"( \(kubeconfig user "[^"]+"\))? may not create pods[, a-z/]* in namespace "kube-system"$/,
  )
  for (const e of [view, noExec]) assert.is((e.attempts[0].cause as { kind?: string }).kind, 'rbac')
})

test('a node tainted NoSchedule and NoExecute: the node pod tolerates every taint, so the node is still reached', async () => {
  // The lab's own pods on lab-3 get a toleration for this test's taint first (tolerations may be added to a running
  // pod), so NoExecute evicts none of them; the taints are removed afterwards whatever happens.
  const onNode = JSON.parse(kubectl('get', 'pods', '-A', '--field-selector', 'spec.nodeName=lab-3', '-o', 'json'))
    .items as { metadata: { namespace: string; name: string; uid: string }; spec: { tolerations?: object[] } }[]
  for (const p of onNode) {
    const tolerations = [...(p.spec.tolerations ?? []), { key: TAINT, operator: 'Exists' }]
    kubectl(
      'patch',
      'pod',
      '-n',
      p.metadata.namespace,
      p.metadata.name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { tolerations } }),
    )
  }
  try {
    kubectl('taint', 'nodes', 'lab-3', `${TAINT}=e2e:NoSchedule`, `${TAINT}=e2e:NoExecute`, '--overwrite')
    const taints = JSON.parse(kubectl('get', 'node', 'lab-3', '-o', 'jsonpath={.spec.taints}')) as {
      key: string
      effect: string
    }[]
    assert.equal(
      taints
        .filter((t) => t.key === TAINT)
        .map((t) => t.effect)
        .sort(),
      ['NoExecute', 'NoSchedule'],
    )
    const s = await session(envFor(config('tainted', POD_ONLY)))
    try {
      const h = s.node('lab-3')
      assert.is((await h.$`hostname`).text(), 'lab-3')
      assert.is(h.via, 'pod')
      const pods = JSON.parse(kubectl('get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=kinspect', '-o', 'json'))
        .items as { spec: { nodeName: string; tolerations: object[] } }[]
      assert.equal(
        pods.map((p) => [
          p.spec.nodeName,
          p.spec.tolerations.some((t) => JSON.stringify(t) === JSON.stringify({ operator: 'Exists' })),
        ]),
        [['lab-3', true]],
      )
      await new Promise((r) => setTimeout(r, 3000)) // NoExecute acts at once on pods that do not tolerate it
      assert.is((await h.$`true`).exitCode, 0, 'still running after the NoExecute taint had time to act')
    } finally {
      await s.close()
    }
  } finally {
    for (const effect of ['NoSchedule', 'NoExecute']) spawnTaintOff(effect)
  }
  const still = JSON.parse(kubectl('get', 'pods', '-A', '--field-selector', 'spec.nodeName=lab-3', '-o', 'json'))
    .items as { metadata: { uid: string } }[]
  assert.equal(
    still.map((p) => p.metadata.uid).sort(),
    onNode.map((p) => p.metadata.uid).sort(),
    'no lab pod was evicted',
  )
  assert.equal(await noPodsLeft(), [])
})

function spawnTaintOff(effect: string): void {
  try {
    kubectl('taint', 'nodes', 'lab-3', `${TAINT}:${effect}-`)
  } catch {
    /* not there */
  }
}

test('no kinspect pod is left', async () => {
  assert.equal(await noPodsLeft(), [])
})

test.run()
