// Node sets as clush and pdsh write them: folding names into lab-ssh-[1-20,25] and expanding such sets back.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { expandNodes, foldNodes, MAX_EXPANSION, NodeSetError } from '../../src/fleet/nodeset.ts'

const range = (from: number, to: number, p = 'lab-ssh-') =>
  Array.from({ length: to - from + 1 }, (_, i) => `${p}${from + i}`)

test('fold: consecutive numbers become ranges, gaps become commas, single names stay plain', () => {
  assert.is(foldNodes([...range(1, 20), 'lab-ssh-25']), 'lab-ssh-[1-20,25]')
  assert.is(foldNodes(['lab-ssh-7']), 'lab-ssh-7')
  assert.is(foldNodes(['lab-ssh-3', 'lab-ssh-1', 'lab-ssh-2', 'lab-ssh-2']), 'lab-ssh-[1-3]')
  assert.is(foldNodes(['lab-1', 'lab-2', 'lab-3', ...range(81, 100)]), 'lab-[1-3],lab-ssh-[81-100]')
  assert.is(foldNodes(['control', 'lab-2', 'worker']), 'control,lab-2,worker')
  assert.is(foldNodes([]), '')
})

test('fold: the last number folds, suffixes and zero padding are kept, 10 joins 08 and 09', () => {
  assert.is(foldNodes(['rack1-n1', 'rack1-n2', 'rack2-n1']), 'rack1-n[1-2],rack2-n1')
  assert.is(foldNodes(['n1.dc', 'n2.dc', 'n3.dc']), 'n[1-3].dc')
  assert.is(foldNodes(['n08', 'n09', 'n10', 'n11']), 'n[08-11]')
  assert.is(foldNodes(['n001', 'n002', 'n1', 'n2']), 'n[1-2],n[001-002]')
})

test('expand: ranges, lists, padding, several items; order kept and duplicates dropped', () => {
  assert.equal(expandNodes('lab-ssh-[1-3,7]'), ['lab-ssh-1', 'lab-ssh-2', 'lab-ssh-3', 'lab-ssh-7'])
  assert.equal(expandNodes('n[08-10].dc'), ['n08.dc', 'n09.dc', 'n10.dc'])
  assert.equal(expandNodes('lab-2,lab-ssh-[1-2],lab-2'), ['lab-2', 'lab-ssh-1', 'lab-ssh-2'])
  assert.equal(expandNodes('lab-1'), ['lab-1'])
})

test('expand: a bad set names the part and what was expected', () => {
  const bad = (s: unknown, re: RegExp) => {
    try {
      expandNodes(s as string)
    } catch (e) {
      assert.instance(e, NodeSetError)
      assert.match((e as Error).message, re)
      return
    }
    assert.unreachable(`${String(s)} was accepted`)
  }
  bad('n[3-1]', /the range 3-1 runs backwards/)
  bad('n[1-x]', /"1-x" in "n\[1-x\]" is not a number or a range a-b/)
  bad('n[1-2', /unbalanced or nested brackets/)
  bad('a,,b', /an empty name between commas/)
  bad(`n[1-${MAX_EXPANSION + 1}]`, /more than 100000 names/)
  bad('', /expected names like lab-1 or lab-ssh-\[1-20,25\], received ""/)
  bad(42, /received number 42/)
})

test('property: expanding a folded list gives back the same names', () => {
  const name = fc.tuple(
    fc.constantFrom('lab-', 'lab-ssh-', 'n', 'rack1-n', 'web'),
    fc.integer({ min: 0, max: 300 }),
    fc.constantFrom('', '.dc', '-x'),
    fc.boolean(),
  )
  fc.assert(
    fc.property(fc.array(name, { maxLength: 60 }), (parts) => {
      const names = parts.map(([p, n, s, pad]) => `${p}${pad ? String(n).padStart(3, '0') : n}${s}`)
      const folded = foldNodes(names)
      const back = folded === '' ? [] : expandNodes(folded)
      assert.equal([...back].sort(), [...new Set(names)].sort(), folded)
    }),
    { numRuns: 300 },
  )
})

test.run()
