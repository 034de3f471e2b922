// Property test over the node pod transport: random argv (the same arbitraries as shells.e2e.ts for SSH) arrive
// byte-exact on lab-1 through the agent's request line and eval, or (agent: false) the exec query and the pod's
// wrapper shell, then nsenter/timeout: printf '%s\0' "$@".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labPaths, NODE } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../../src/kube/index.ts'
import { AgentPool, NodePods, NodePodExec } from '../../src/exec/nodepod/index.ts'
import { argvProperty } from './argv-property.ts'

const kube = new Kube(loadKubeconfig({ kubeconfig: labPaths().kubeconfig }))
const api = kubeNodePodApi(kube)
const pods = new NodePods(api, { image: IMAGES.nodePod })
test.after(async () => {
  await pods.close()
  kube.close()
})

for (const [tool, agent] of [
  ['node', true],
  ['image', true],
  ['node', false],
  ['image', false],
] as const) {
  test(`${tool}'s printf ${agent ? 'through the agent' : 'as one exec each'}: 150 random argv arrive exactly`, async () => {
    const exec = new NodePodExec(pods, NODE, { agent })
    const { seed, wrong } = await argvProperty(150, (args) =>
      exec.run(['printf', '%s\\0', ...args], { timeoutMs: 10_000, nothrow: true, tool }),
    )
    assert.equal(wrong, [], `seed ${seed}`)
    if (agent) assert.ok(AgentPool.of(pods).agentOf(NODE), 'no agent carried the commands')
  })
}

test('no kinspect pod is left after close()', async () => {
  await pods.close()
  assert.equal(
    (await api.listPods('app.kubernetes.io/managed-by=kinspect')).map((p) => p.metadata.name),
    [],
  )
})

test.run()
