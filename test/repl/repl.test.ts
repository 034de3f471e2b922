import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { drive, fakeSession } from './fake.ts'
import { startRepl } from '../../src/repl/index.ts'
import { COMMANDS } from '../../src/repl/commands.ts'
import { parseNotebook } from '../../src/render/notebook.ts'
import type { RecipesPort } from '../../src/repl/recipes.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-repl-'))

test('the prompt shows context:namespace', async () => {
  const { out } = await drive([])
  assert.ok(out.startsWith('lab:shop> '), out)
})

test('.ns switches the namespace and the prompt; a bad name is an error and nothing changes', async () => {
  const session = fakeSession()
  const { out } = await drive(['.ns kube-system', '.ns Bad_Name', 'session.namespace'], { session })
  assert.is(session.namespace, 'kube-system')
  assert.match(out, 'lab:kube-system> ')
  assert.match(out, 'error: namespace: expected a namespace name, received "Bad_Name"')
  assert.match(out, "'kube-system'")
})

test('.ctx switches context; an unknown one prints error and hint', async () => {
  const session = fakeSession()
  const { out } = await drive(['.ctx nope', '.ctx other', '.ctx'], { session })
  assert.match(out, 'error: context "nope" does not exist')
  assert.match(out, 'hint: contexts: lab, other')
  assert.is(session.context, 'other')
  assert.match(out, 'other:default> ')
  assert.match(out, '* other')
})

test('.help lists every entry of the command table and the globals', async () => {
  const { out } = await drive(['.help'])
  for (const c of COMMANDS) assert.match(out, `.${c.name}`, c.name)
  for (const g of ['pods(', 'node(', 'enterNetns(', 'q(obj', 'session']) assert.match(out, g)
})

test('a throwing helper prints error: and hint: without a stack, and the REPL continues', async () => {
  const { out } = await drive(['await describe("pod/nope")', 'await top()', '6 * 7'])
  assert.match(out, 'error: pod "pod/nope" not found\nhint: pods() to list what exists\n')
  assert.match(
    out,
    'error: the server does not serve /apis/metrics.k8s.io/v1beta1\nhint: metrics-server is not installed',
  )
  assert.not.match(out, '    at ')
  assert.match(out, '42')
})

test('an unexpected error prints its message and a short stack; the REPL continues', async () => {
  const { out } = await drive(['function f() { return null.x }', 'f()', '1 + 1'])
  assert.match(out, "error: TypeError: Cannot read properties of null (reading 'x')")
  const stack = out.split('\n').filter((l) => l.startsWith('    at '))
  assert.ok(stack.length >= 1 && stack.length <= 4, `stack lines: ${stack.length}`)
  assert.not.match(out, 'node:internal')
  assert.match(out, '> 2\n')
})

test('unhandled rejections and late throws do not end the REPL', async () => {
  const { out } = await drive([
    'Promise.reject(new Error("late"))',
    'setTimeout(() => { throw new Error("timer") }, 1)',
    'await new Promise((r) => setTimeout(r, 30))',
    'undefinedThing',
    '"still here"',
  ])
  assert.match(out, 'Promise { <rejected> }')
  assert.match(out, 'error: late')
  assert.match(out, 'error: timer')
  assert.match(out, 'error: ReferenceError: undefinedThing is not defined')
  assert.match(out, "'still here'")
})

test('top-level await: declarations survive to the next line', async () => {
  const { out } = await drive([
    'const n = (await pods()).length',
    'let names = (await pods()).map(p => p.metadata.name)',
    'n * 10',
    'names.join()',
  ])
  assert.match(out, '20')
  assert.match(out, "'web-1,web-2'")
})

test('node(name) gives a NodeHandle over the session', async () => {
  const { out } = await drive(["(await node('lab-1').$`uname -r`).stdout"])
  assert.match(out, "'ran uname -r\\n'")
})

test('q() runs json-query over REPL values', async () => {
  const { out } = await drive(['q({a:[{b:1},{b:2}]}, "a.b")', 'q(await pods(), "[*].metadata.name")', 'q({}, 5)'])
  assert.match(out, '[ 1, 2 ]')
  assert.match(out, "[ 'web-1', 'web-2' ]")
  assert.match(out, 'error: q: expected a json-query string')
})

test("net helpers are src/net's own: their argument errors come through, with the hint and no stack", async () => {
  const { out } = await drive(['await vethOf(42)', 'await dnsQuery("web")'])
  assert.match(
    out,
    'error: pod: expected a pod name ("client"), "namespace/name" or a pod object, received number 42\nhint: ',
  )
  assert.match(out, 'error: from: dnsQuery needs a pod or node to query from\nhint: ')
  assert.not.match(out, /\s+at /)
})

test('the library helpers are globals: search-list candidates, name rules, event time, quantities', async () => {
  const { out } = await drive([
    "searchCandidates('api.example.com', { ndots: 5, search: ['shop.svc.cluster.local', 'cluster.local'], noTldQuery: false }, 'glibc').map((c) => c.name).join(' ')",
    "searchCandidates('a.b', { ndots: 1, search: ['s'], noTldQuery: false }, 'musl').map((c) => c.name).join(' ')",
    "[isName('pod', 'shop/client'), isName('dns-label', 'Shop')].join()",
    "checkName('dns-name', 'a b', 'name')",
    "eventTime({ metadata: { name: 'e' }, involvedObject: {}, firstTimestamp: '2025-01-01T00:00:01Z', lastTimestamp: '2025-01-01T00:00:03Z' })",
    "sortEvents([{ metadata: { name: 'late' }, eventTime: '2025-01-02T00:00:00Z' }, { metadata: { name: 'early' }, eventTime: '2025-01-01T00:00:00Z' }]).map((e) => e.metadata.name).join()",
    "parseQuantity('250m') + parseQuantity('1Ki')",
  ])
  assert.match(out, "'api.example.com.shop.svc.cluster.local api.example.com.cluster.local api.example.com'")
  assert.match(out, "'a.b'") // musl: enough dots, so only the name as is
  assert.match(out, "'true,false'")
  assert.match(out, 'error: name: expected a DNS name like "web" or "web.shop.svc.cluster.local.", received "a b"')
  assert.match(out, "'2025-01-01T00:00:03Z'")
  assert.match(out, "'early,late'")
  assert.match(out, '1024.25')
})

test('.run: the recipe engine by default, an injected runner instead', async () => {
  const none = await drive(['.run dns-check host=web'])
  assert.match(none.out, 'error: no recipe named "dns-check"')
  const calls: unknown[] = []
  const recipes: RecipesPort = {
    runRecipe: async (name, params) => (calls.push([name, params]), { recipe: name, ok: true }),
    listRecipes: async () => [{ name: 'dns-check', description: 'checks DNS' }],
  }
  const { out } = await drive(['.run dns-check host=web "msg=a b"', '.run', '.run x bad'], { recipes })
  assert.equal(calls[0], ['dns-check', { host: 'web', msg: 'a b' }])
  assert.match(out, "recipe: 'dns-check'")
  assert.match(out, 'dns-check  — checks DNS')
  assert.match(out, 'error: recipe parameter "bad": expected name=value')
})

test('.reset forgets variables and rebuilds the globals', async () => {
  const { out } = await drive(['const mine = 5', 'pods = null', '.reset', 'typeof mine', 'typeof pods'])
  assert.match(out, 'globals rebuilt')
  assert.match(out, "'undefined'")
  assert.match(out, "'function'")
})

test('.save writes a notebook (inputs, quoted outputs, prose) that runs again', async () => {
  const file = path.join(tmp, 'nb.md')
  const { out } = await drive([
    '// Checking the web pods',
    'const n = (await pods()).length',
    'n + 1',
    'console.log("hello from log")',
    `.save ${file}`,
  ])
  assert.match(out, `saved 3 inputs to ${file}`)
  const md = fs.readFileSync(file, 'utf8')
  assert.match(md, /^# kinspect notebook — lab:shop\n/)
  assert.match(md, '\nChecking the web pods\n')
  assert.match(md, '```js\nconst n = (await pods()).length\n```')
  assert.match(md, '```js\nn + 1\n```\n\n> ```text\n> 3\n> ```')
  assert.match(md, '> hello from log')
  assert.equal(parseNotebook(md).blocks, ['const n = (await pods()).length', 'n + 1', 'console.log("hello from log")'])
  // run it again with the same globals
  const output = new PassThrough()
  let text = ''
  output.on('data', (d) => (text += d))
  const shell = startRepl({ input: new PassThrough(), output, session: fakeSession(), headless: true, color: false })
  const results = []
  for (const b of parseNotebook(md).blocks) results.push(await shell.evaluate(b))
  shell.close()
  assert.ok(results.every((r) => r.ok))
  assert.is(results[1].value, 3)
  assert.match(text, 'hello from log')
})

test('.save redacts secrets in inputs and outputs; the screen still shows them', async () => {
  const file = path.join(tmp, 'secret.md')
  const { out } = await drive([
    "const s = { kind: 'Secret', metadata: { name: 'db' }, data: { password: 'aHVudGVyMg==' } }",
    's',
    'const cmd = "kubectl --token=abcdef123456 get pods"',
    "'PASSWORD=hunter2 ./x'",
    `.save ${file}`,
  ])
  assert.match(out, 'aHVudGVyMg==')
  const md = fs.readFileSync(file, 'utf8')
  assert.not.match(md, 'aHVudGVyMg==')
  assert.not.match(md, 'abcdef123456')
  assert.not.match(md, 'hunter2')
  assert.match(md, "password: '<redacted>'")
  assert.match(md, "name: 'db'")
})

test('.save without a file is a usage error', async () => {
  const { out } = await drive(['.save'])
  assert.match(out, 'error: .save needs a file name\nhint: usage: .save FILE.md')
})

test('history: lines go to the history file, lines with secrets never do', async () => {
  const hist = path.join(tmp, 'history')
  await drive(['1 + 1', 'const t = "--token=abcdefgh"', "await node('x').$`sshpass -p hunter2 ssh y`", '.ns default'], {
    history: hist,
  })
  const lines = fs.readFileSync(hist, 'utf8').trim().split('\n')
  assert.equal(lines, ['1 + 1', '.ns default'])
  assert.is(fs.statSync(hist).mode & 0o777, 0o600)
})

test('tab completion completes names from the cache without waiting', async () => {
  const input = new PassThrough()
  const output = new PassThrough()
  const shell = startRepl({ input, output, session: fakeSession(), terminal: false, color: false })
  await shell.names.refresh('pod')
  await shell.names.refresh('namespace')
  const complete = (line: string) =>
    new Promise<[string[], string]>((resolve, reject) =>
      (shell.server.completer as (l: string, cb: (e: Error | null, r?: [string[], string]) => void) => void)(
        line,
        (e, r) => (e ? reject(e) : resolve(r!)),
      ),
    )
  assert.equal(await complete("await pod('we"), [['web-1', 'web-2'], 'we'])
  assert.equal(await complete('.ns ku'), [['kube-system'], 'ku'])
  assert.equal(await complete("node('"), [['local'], '']) // node names not fetched yet: only 'local', and a fetch starts
  await new Promise((r) => setTimeout(r, 10))
  assert.equal(await complete("node('la"), [['lab-1'], 'la'])
  const js = await complete('pod')
  assert.ok(js[0].includes('pods'), 'falls back to JS completion of globals')
  shell.close()
  await shell.closed
})

test('a status known at start is printed once before the prompt; a failed background ping prints one line', async () => {
  const pre = await drive([], {
    session: fakeSession({ status: 'no kubeconfig: no kubeconfig found (looked at /nonexistent via KUBECONFIG)' }),
  })
  assert.ok(pre.out.startsWith('cluster: no kubeconfig: no kubeconfig found'), pre.out)
  assert.match(pre.out, '\nlab:shop> ')
  let resolvePing!: (s: string) => void
  const session = fakeSession({ ping: () => new Promise((r) => (resolvePing = r)) })
  const input = new PassThrough()
  const output = new PassThrough()
  let out = ''
  output.on('data', (d) => (out += d))
  const shell = startRepl({ input, output, session, terminal: false, color: false })
  assert.is(out, 'lab:shop> ') // the prompt comes first, the ping is still running
  await new Promise((r) => setImmediate(r))
  resolvePing('connection refused by https://10.99.0.1:6443')
  await new Promise((r) => setTimeout(r, 5))
  assert.match(out, 'cluster: connection refused by https://10.99.0.1:6443\n')
  input.end('1\n')
  await shell.closed
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
