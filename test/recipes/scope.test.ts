// What a step declares for later steps and which names it reads (src/recipes/scope.ts): the skip rule rests on it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { stepScope } from '../../src/recipes/scope.ts'
import { parseRecipe } from '../../src/recipes/format.ts'
import { SHIPPED_DIR } from '../../src/recipes/loader.ts'

const sorted = (xs: string[]) => [...xs].sort()

test('top-level declarations: const/let/var, destructuring, several declarators, functions and classes; nested ones are local', () => {
  const s = stepScope(
    [
      'const a = 1, b = { x: 2 }',
      'let c',
      'var d = [1, 2]',
      'const { e, f: g, h = a, ...i } = b',
      'const [j, , k] = d',
      'function l(m) { const n = m; return n }',
      'async function o() {}',
      'class P {}',
      'for (const q of d) { let r = q }',
      'if (a) {',
      '  const s = 1',
      '}',
      'const t = [1]',
      '  .map((u) => u + 1)',
      '  .filter(Boolean)',
      'const w =',
      '  a + 1',
    ].join('\n'),
  )
  assert.equal(sorted(s.declares), sorted(['a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'j', 'k', 'l', 'o', 'P', 't', 'w']))
  assert.not.ok(
    s.declares.some((n) => ['f', 'm', 'n', 'q', 'r', 's', 'u', 'x'].includes(n)),
    s.declares.join(' '),
  )
})

test('names read: not in strings, template text, comments or regex literals; template ${} code counts; not properties or keys', () => {
  const s = stepScope(
    [
      '// checked is only mentioned here',
      'const msg = \'table is a word\' + "and proxy"',
      'const t = `${checked.length} nodes, not table ${`nested ${allNodes.map((n) => n.name)}`}`',
      '/* podList */ const re = /proxy|table/g',
      'finding({ severity: "ok", message: t, known: svcByIP })',
      'const o = { checked: 1, errText }',
      'x?.allNodes; y.table',
      'const z = cond ? ternaryA : ternaryB',
    ].join('\n'),
  )
  assert.equal(
    sorted(s.uses),
    sorted(['checked', 'allNodes', 'finding', 'svcByIP', 'errText', 'x', 'y', 'cond', 'ternaryA', 'ternaryB']),
  )
})

test("a step's own names, parameters and catch bindings are not what it needs from others", () => {
  const s = stepScope(
    [
      'const mine = 1',
      'const out = items.map((p) => p.name).filter(({ metadata: { name } }) => name !== mine)',
      'const f = function (q, { r } = {}) { return q + r }',
      'try { await go() } catch (e) { finding(e) }',
      'const g = (h = dflt) => h',
    ].join('\n'),
  )
  assert.equal(sorted(s.uses), sorted(['items', 'go', 'finding', 'dflt']))
})

test('the shipped recipes: each later step reads only names that earlier steps declare, and the checks that do not depend on each other stay apart', () => {
  const needs = (name: string) => {
    const r = parseRecipe(fs.readFileSync(path.join(SHIPPED_DIR, `${name}.md`), 'utf8'), `${name}.md`)
    const declared = new Map<string, number>()
    return r.steps.map((st, i) => {
      const sc = stepScope(st.blocks.map((b) => b.code).join('\n'))
      const from = [...new Set(sc.uses.filter((u) => declared.has(u)).map((u) => declared.get(u)!))].sort()
      for (const d of sc.declares) declared.set(d, i + 1)
      return from
    })
  }
  // conntrack: the kube-proxy step (5) does not need the flows step (4), so an API that times out there costs nothing else.
  assert.equal(needs('conntrack'), [[], [1], [1, 2], [1, 2], [1], [1, 2, 5]])
  // dns: the CoreDNS logs (7) need only the CoreDNS pods (2), not the pod's node or its queries.
  assert.equal(needs('dns')[6], [2])
  assert.equal(needs('dns')[2], [1, 2])
})

test.run()
