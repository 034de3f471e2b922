// --dry-run and node access: which steps reach nodes, and which nodes would get SSH or a node pod, in text and JSON.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { parseRecipe } from '../../src/recipes/format.ts'
import { validateParams } from '../../src/recipes/params.ts'
import { runParsedRecipe } from '../../src/recipes/runner.ts'
import { nodeSteps, planNodeAccess } from '../../src/recipes/access.ts'
import type { AccessPlanEntry } from '../../src/access/plan.ts'
import { headlessShell } from '../../src/repl/index.ts'
import { fakeSession } from '../repl/fake.ts'

const recipe = parseRecipe(
  `---
name: t
summary: node access in a plan
params:
  - {name: node, type: node, description: the node}
---
## From the API

\`\`\`js
const all = await nodes()
\`\`\`

## On the node

\`\`\`js
await node(params.node ?? 'lab-1').$\`uname -r\`
\`\`\`

## Conntrack

\`\`\`js
const s = await conntrackStats('lab-2')
\`\`\`
`,
  '/r/t.md',
)

function session(asked: string[][]) {
  return Object.assign(fakeSession(), {
    nodeAccessPlan: async (nodes: readonly string[]): Promise<AccessPlanEntry[]> => {
      asked.push([...nodes])
      return nodes.map((node) => ({
        node,
        expect: 'pod',
        why: `no ssh config entry, key or agent applies to ${node}`,
        pods: 'ask',
        namespace: 'kube-system',
        image: 'img',
        deadlineSeconds: 3600,
      }))
    },
  })
}

test('steps that call node helpers are found; the plan covers the named node, else every node of the cluster', async () => {
  assert.equal(nodeSteps(recipe), [2, 3])
  const asked: string[][] = []
  const s = session(asked)
  const all = await planNodeAccess(recipe, validateParams(recipe, {}, 'flag'), s)
  assert.equal(all?.steps, [2, 3])
  assert.equal(asked[0], ['lab-1'], "the fake cluster's nodes")
  await planNodeAccess(recipe, validateParams(recipe, { node: 'lab-7' }, 'flag'), s)
  assert.equal(asked[1], ['lab-7'])
  assert.is(
    await planNodeAccess({ steps: recipe.steps.slice(0, 1), params: [] }, {}, s),
    undefined,
    'no step reaches a node',
  )
  assert.is(await planNodeAccess(recipe, {}, fakeSession()), undefined, 'a session that cannot plan')
})

test('--dry-run text and JSON say which nodes would get a node pod; nothing runs', async () => {
  const asked: string[][] = []
  const out = new PassThrough()
  let text = ''
  out.on('data', (d) => (text += d))
  const report = await runParsedRecipe(recipe, validateParams(recipe, { node: 'lab-2' }, 'flag'), {
    session: session(asked),
    shell: headlessShell,
    output: out,
    dryRun: true,
  })
  assert.match(
    text,
    'Node access\n  steps 2, 3 run commands on nodes\n  lab-2: a node pod would be created — no ssh config entry, key or agent applies to lab-2\n',
  )
  assert.match(
    text,
    'node pods: privileged, host namespaces, in kube-system, image img, deadline 1h; created after asking once',
  )
  const json = JSON.parse(JSON.stringify(report))
  assert.equal(json.nodeAccess.steps, [2, 3])
  assert.equal(
    json.nodeAccess.nodes.map((n: AccessPlanEntry) => [n.node, n.expect]),
    [['lab-2', 'pod']],
  )
  assert.is(report.status, 'planned')
})

test("a recipe's progress display is paused by node access (pod phases, the consent question) while its steps run", async () => {
  const { AccessHooks } = await import('../../src/access/hooks.ts')
  const hooks = new AccessHooks()
  const events: string[] = []
  const progress = {
    start: (l: string) => void events.push(`start ${l}`),
    pause: () => void events.push('pause'),
    stop: () => void events.push('stop'),
  }
  const s = Object.assign(fakeSession(), { access: hooks, pauser: () => hooks.pauseDisplays() })
  const r = parseRecipe('---\nname: p\nsummary: pauses\n---\n## One\n\n```js\nsession.pauser()\n```\n', '/r/p.md')
  await runParsedRecipe(r, {}, { session: s, shell: headlessShell, output: new PassThrough(), progress })
  assert.equal(events.slice(0, 2), ['start [1/1] One', 'pause'])
  hooks.pauseDisplays()
  assert.is(events.filter((e) => e === 'pause').length, 1, 'removed when the run ended')
})

test.run()
