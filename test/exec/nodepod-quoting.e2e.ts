// Property test over the node pod transport: random argv (the same arbitraries as shells.e2e.ts for SSH) arrive
// byte-exact on lab-1 through the agent's request line and eval, or (agent: false) the exec query and the pod's
// wrapper shell, then nsenter/timeout: printf '%s\0' "$@".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { labPaths, NODE } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../../src/kube/index.ts'
import { AgentPool, NodePods, NodePodExec } from '../../src/exec/nodepod/index.ts'

const kube = new Kube(loadKubeconfig({ kubeconfig: labPaths().kubeconfig }))
const api = kubeNodePodApi(kube)
const pods = new NodePods(api, { image: IMAGES.nodePod })
test.after(async () => {
  await pods.close()
  kube.close()
})

const nasty = fc.constantFrom(
  "a' ; echo INJECTED #",
  '$(id)',
  '`id`',
  '*',
  '~',
  '"',
  "'",
  '\\',
  '-n',
  '--',
  '',
  ' ',
  '\n',
  '\t',
  'é',
  '$HOME',
  '!!',
  '${IFS}',
  ';',
  '|',
  '&&',
  '#',
  '+',
  '%20',
  '&',
  '=',
)
const arg = fc.oneof(
  nasty,
  fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0')),
)

for (const [tool, agent] of [
  ['node', true],
  ['image', true],
  ['node', false],
  ['image', false],
] as const) {
  test(`${tool}'s printf ${agent ? 'through the agent' : 'as one exec each'}: 150 random argv arrive exactly`, async () => {
    const exec = new NodePodExec(pods, NODE, { agent })
    const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31)
    const cases = fc.sample(fc.array(arg, { minLength: 1, maxLength: 6 }), { numRuns: 150, seed })
    const wrong: string[] = []
    for (const args of cases) {
      const r = await exec.run(['printf', '%s\\0', ...args], { timeoutMs: 10_000, nothrow: true, tool })
      const back = r.stdout.split('\0').slice(0, -1)
      if (JSON.stringify(back) !== JSON.stringify(args))
        wrong.push(
          `${JSON.stringify(args)} -> exit ${r.exitCode} ${JSON.stringify(back)} ${JSON.stringify(r.stderr.slice(0, 200))}`,
        )
    }
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
