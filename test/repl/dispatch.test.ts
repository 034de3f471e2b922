// src/repl/dispatch.ts: evaluate() as -e, notebook runs and recipe steps use it (an input or a one-line dot-command,
// as if typed), and the dot-commands defined on node:repl from the one COMMANDS table.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import repl from 'node:repl'
import { PassThrough } from 'node:stream'
import { COMMANDS } from '../../src/repl/commands.ts'
import { takeBuiltins } from '../../src/repl/dispatch.ts'
import { answerUnknownCommands } from '../../src/repl/internals.ts'
import { ShellError } from '../../src/repl/errors.ts'
import { startRepl } from '../../src/repl/index.ts'
import { drive, fakeSession } from './fake.ts'

function headless() {
  const output = new PassThrough()
  let text = ''
  output.on('data', (d) => (text += d))
  const session = fakeSession()
  const shell = startRepl({ input: new PassThrough(), output, session, headless: true, color: false })
  return { shell, session, text: () => text }
}

test("takeBuiltins: node:repl's own commands come off the server and stay callable by name", () => {
  const server = repl.start({ input: new PassThrough(), output: new PassThrough(), prompt: '' })
  const builtins = takeBuiltins(server)
  assert.ok(['break', 'clear', 'exit', 'help'].every((k) => typeof builtins[k]?.action === 'function'))
  assert.equal(Object.keys(server.commands), [])
  server.close()
})

test('every command of the table is defined on the shell, with its help, and nothing else', () => {
  const { shell } = headless()
  const defined = shell.server.commands as Record<string, { help?: string }>
  assert.equal(Object.keys(defined).sort(), COMMANDS.map((c) => c.name).sort())
  for (const c of COMMANDS) assert.is(defined[c.name].help, c.help)
  shell.close()
})

test('evaluate: a dot-command runs and tells whether it worked; a failed one prints its error, the shell goes on', async () => {
  const { shell, session, text } = headless()
  assert.equal(await shell.evaluate('.ns kube-system'), { ok: true })
  assert.is(session.namespace, 'kube-system')
  const bad = await shell.evaluate('.ns Not_A_Namespace')
  assert.is(bad.ok, false)
  assert.match(text(), 'namespace: expected a namespace name, received "Not_A_Namespace"')
  assert.is(session.namespace, 'kube-system')
  assert.equal(await shell.evaluate('6 * 7'), { ok: true, value: 42 })
  shell.close()
})

test('evaluate: an unknown command and an unfinished input are usage errors with a hint, not a hang', async () => {
  const { shell, text } = headless()
  const unknown = await shell.evaluate('.nope')
  assert.is(unknown.ok, false)
  assert.instance(unknown.error, ShellError)
  assert.is((unknown.error as ShellError).kind, 'usage')
  assert.match(text(), 'unknown command .nope')
  assert.match((unknown.error as ShellError).hint ?? '', '.ctx')
  const open = await shell.evaluate('const x = { a: [1, 2')
  assert.is(open.ok, false)
  assert.match((open.error as Error).message, /^incomplete input: /)
  assert.is((open.error as ShellError).hint, 'close every bracket and string')
  shell.close()
})

test('evaluate: prose lines go to the notebook, not to the evaluator; results print with the REPL writer', async () => {
  const { shell, text } = headless()
  assert.equal(await shell.evaluate('// Checking the pods'), { ok: true })
  const r = await shell.evaluate("({ a: 'x' })")
  assert.equal([r.ok, (r.value as { a: string }).a], [true, 'x'])
  assert.match(text(), "{ a: 'x' }")
  const md = shell.notebook.render({ date: new Date('2026-11-30T00:00:00Z') })
  assert.match(md, '\nChecking the pods\n')
  assert.not.match(md, '```js\n// Checking')
  assert.not.match(text(), 'Checking the pods')
  shell.close()
})

test('a typed .word that names no command: the usage error with every command, and the shell goes on', async () => {
  const { out } = await drive(['.nsx kube-system', '.ns kube-system', '6 * 7'])
  assert.match(out, 'error: unknown command .nsx (did you mean .ns?)\nhint: commands: .ctx .ns')
  assert.not.match(out, 'Invalid REPL keyword')
  assert.match(out, 'namespace kube-system')
  assert.match(out, '42')
})

test('a `.word` line inside an input that continues over lines is code, not a command', async () => {
  const { out } = await drive(['const len = ([1, 2, 3]', '.length', ')', 'len * 14'])
  assert.not.match(out, 'unknown command')
  assert.match(out, '42')
})

test("answerUnknownCommands: known commands and non-words pass through; false on a server without node's buffer symbol", () => {
  const server = repl.start({ input: new PassThrough(), output: new PassThrough(), prompt: '' })
  const seen: string[] = []
  assert.ok(answerUnknownCommands(server, (w, rest) => seen.push(`${w}|${rest}`)))
  const commands = server.commands as Record<string, { action: (rest: string) => void } | undefined>
  assert.type(commands.help?.action, 'function')
  assert.is(commands['5'], undefined)
  commands.nope!.action('a b')
  assert.equal(seen, ['nope|a b'])
  server.close()
  const plain = Object.create(server, {}) as typeof server
  assert.is(
    answerUnknownCommands(plain, () => {}),
    false,
  )
})

test('an unknown name close to a global says which globals it may have meant; any other error gets no such hint', async () => {
  const { out } = await drive(["conntrack('lab-1')", 'nodez()', 'fooBarBaz()'])
  assert.match(out, 'error: ReferenceError: conntrack is not defined')
  assert.match(out, "hint: did you mean conntrackList, conntrackStats? (.help lists the shell's globals)")
  assert.match(out, 'hint: did you mean node')
  assert.match(out, 'error: ReferenceError: fooBarBaz is not defined')
  assert.is(out.split('hint: ').length - 1, 2)
})

test.run()
