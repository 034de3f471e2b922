// Consent for node pods: always, --yes, never; asked once per session (concurrent requests in one question);
// no way to ask is a clear refusal; a "no" is remembered.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Consent } from '../../src/access/consent.ts'
import { NodeAccessError } from '../../src/access/errors.ts'
import { AccessHooks, type ConsentRequest, type PodRequest } from '../../src/access/hooks.ts'

const req = (node: string): PodRequest => ({
  node,
  namespace: 'kube-system',
  pod: `kinspect-node-${node}-abcde`,
  image: 'img@sha256:1',
  deadlineSeconds: 3600,
})
async function refusal(p: Promise<unknown>): Promise<NodeAccessError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, NodeAccessError, String(e))
  assert.is(e.kind, 'consent')
  return e
}

test('always and --yes allow without asking; never refuses naming the setting', async () => {
  const hooks = new AccessHooks()
  let asked = 0
  hooks.asker = async () => (asked++, false)
  const c = new Consent(hooks)
  await c.allow(req('lab-1'), 'always')
  hooks.yes = true
  await c.allow(req('lab-1'), 'ask')
  assert.is(asked, 0)
  const e = await refusal(c.allow(req('lab-1'), 'never'))
  assert.is(e.message, 'nodeAccess pods is never for lab-1')
})

test('no way to ask: refused, saying to pass --yes or set pods: always', async () => {
  const e = await refusal(new Consent(new AccessHooks()).allow(req('lab-2'), 'ask'))
  assert.is(e.message, 'creating a privileged node pod on lab-2 needs consent, and there is no terminal to ask on')
  assert.is(e.hint, 'pass --yes to allow node pods for this run, or set nodeAccess pods: always in .recipes')
  assert.is(e.node, 'lab-2')
})

test('asked once per session: concurrent requests share one question naming every node; yes holds for later nodes', async () => {
  const hooks = new AccessHooks()
  const questions: ConsentRequest[] = []
  hooks.asker = async (q) => (questions.push(q), true)
  const c = new Consent(hooks)
  await Promise.all([c.allow(req('lab-1'), 'ask'), c.allow(req('lab-2'), 'ask'), c.allow(req('lab-3'), 'ask')])
  await c.allow(req('lab-4'), 'ask')
  assert.is(questions.length, 1)
  assert.equal(
    questions[0].pods.map((p) => p.node),
    ['lab-1', 'lab-2', 'lab-3'],
  )
  assert.is(c.answer, true)
})

test('a no is remembered for the session; requests made while the question is open get its answer', async () => {
  const hooks = new AccessHooks()
  let release!: (v: boolean) => void
  let asked = 0
  hooks.asker = () => (asked++, new Promise((r) => (release = r)))
  const c = new Consent(hooks)
  const first = c.allow(req('lab-1'), 'ask')
  await new Promise((r) => setTimeout(r, 80)) // the question is open now
  const during = c.allow(req('lab-2'), 'ask')
  release(false)
  assert.is((await refusal(first)).message, 'node pods declined')
  assert.is((await refusal(during)).message, 'node pods were declined earlier in this session')
  assert.is((await refusal(c.allow(req('lab-3'), 'ask'))).message, 'node pods were declined earlier in this session')
  assert.is(asked, 1)
})

test('input that ended gives no answer: refused now, asked again next time', async () => {
  const hooks = new AccessHooks()
  const answers = [null, true]
  hooks.asker = async () => answers.shift()!
  const c = new Consent(hooks)
  assert.match(
    (await refusal(c.allow(req('lab-1'), 'ask'))).message,
    'no answer to the node pod question (input ended)',
  )
  await c.allow(req('lab-1'), 'ask')
})

test('cancel (the session ends): an open question and later requests are refused at once, not waited for', async () => {
  const hooks = new AccessHooks()
  hooks.asker = () => new Promise(() => {}) // the user never answers
  const c = new Consent(hooks)
  const open = c.allow(req('lab-1'), 'ask')
  await new Promise((r) => setTimeout(r, 80))
  const gathering = c.allow(req('lab-2'), 'ask')
  c.cancel()
  assert.is((await refusal(open)).message, 'the session ended before node pods were allowed')
  assert.is((await refusal(gathering)).message, 'the session ended before node pods were allowed')
  assert.is((await refusal(c.allow(req('lab-3'), 'always'))).message, 'the session ended before node pods were allowed')
})

test.run()
