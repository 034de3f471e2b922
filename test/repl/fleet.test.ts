// The fleet() global of the shell: over the session's node handles, selection by names and by selector, the table it
// prints as, and Ctrl-C cancelling the session's running fleets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExecOutput, NodeHandle, type Exec } from '../../src/exec/index.ts'
import { buildContext } from '../../src/repl/context.ts'
import { cancelFleets } from '../../src/repl/fleet.ts'
import { drive, fakeSession } from './fake.ts'

test('fleet(names) runs on each node through session.node and gathers identical outputs', async () => {
  const ctx = buildContext(fakeSession()) as {
    fleet: (t?: unknown) => {
      $: (
        s: TemplateStringsArray,
        ...v: unknown[]
      ) => PromiseLike<{
        ok: boolean
        results: { node: string; transport: string; stdout: string }[]
        groups(): { nodeset: string }[]
      }>
    }
  }
  const r = await ctx.fleet(['lab-[1-3]']).$`uname ${'-r'}`
  assert.ok(r.ok)
  assert.equal(
    r.results.map((x) => [x.node, x.transport, x.stdout]),
    [
      ['lab-1', 'fake', 'ran uname -r\n'],
      ['lab-2', 'fake', 'ran uname -r\n'],
      ['lab-3', 'fake', 'ran uname -r\n'],
    ],
  )
  assert.equal(
    r.groups().map((g) => g.nodeset),
    ['lab-[1-3]'],
  )
})

test('fleet() is every node of the cluster; a selector with no match and a bad target are clear errors', async () => {
  const ctx = buildContext(fakeSession()) as {
    fleet: (t?: unknown) => { $: (s: TemplateStringsArray) => PromiseLike<{ nodes: string[] }> }
  }
  assert.equal((await ctx.fleet().$`true`).nodes, ['lab-1'])
  const session = fakeSession()
  session.kube = { ...session.kube, nodes: async () => [] }
  const none = buildContext(session) as typeof ctx
  try {
    await none.fleet('role=gpu').$`true`
    assert.unreachable()
  } catch (e) {
    assert.is((e as Error).message, 'fleet: no node matches the label selector role=gpu')
  }
  assert.throws(
    () => ctx.fleet(42),
    /fleet: expected a label selector \('role=worker' or \{role: 'worker'\}\), an array of node names, or nothing \(every node\), received number 42/,
  )
  // Options go on the handle, by their names: a second argument or a misspelled option is an error, never ignored.
  const withArg = ctx.fleet as unknown as (t: unknown, o: unknown) => unknown
  assert.throws(
    () => withArg(['lab-1'], { timeout: 1 }),
    /^fleet: takes one argument, the nodes .* received a second: Object$/,
  )
  const handle = ctx.fleet(['lab-1']) as unknown as {
    with: (o: object) => unknown
    run: (a: string[], o: object) => unknown
  }
  assert.throws(() => handle.with({ timout: 5000 }), /^with: unknown option "timout" \(did you mean timeoutMs\?\)/)
  assert.throws(
    () => handle.run(['true'], { fanuot: 2 }),
    /^run: opts: unknown option "fanuot" \(did you mean fanout\?\)/,
  )
})

test('in the REPL a fleet prints as its table, and .groups() as clush -b blocks', async () => {
  const { out } = await drive(["r = await fleet(['lab-1', 'lab-2']).$`id`", 'r.groups()'])
  assert.match(out, /`id` on 2 nodes: 2 ok in \d\.\d\d s/)
  assert.match(out, /^lab-1 +fake +ok +\d\.\d\d s +ran id$/m)
  assert.match(out, /^lab-\[1-2\] \(2\)$/m)
})

test('Ctrl-C: cancelFleets stops every fleet the session runs; the nodes are marked aborted', async () => {
  const session = fakeSession()
  const hang: Exec = {
    target: 'fake:hang',
    run: (argv, o) =>
      new Promise<ExecOutput>((_, reject) => {
        o?.signal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'ExecError', kind: 'aborted' })),
        )
      }),
  }
  session.node = () => new NodeHandle(hang)
  const ctx = buildContext(session) as {
    fleet: (t?: unknown) => {
      $: (s: TemplateStringsArray) => PromiseLike<{ stopped?: string; results: { error?: string }[] }>
    }
  }
  const run = ctx.fleet(['a', 'b']).$`sleep 60`
  await new Promise((r) => setTimeout(r, 20))
  assert.is(cancelFleets(session), 1)
  const r = await run
  assert.is(r.stopped, 'aborted')
  assert.equal(
    r.results.map((x) => x.error),
    ['aborted', 'aborted'],
  )
  assert.is(cancelFleets(session), 0)
})

test.run()
