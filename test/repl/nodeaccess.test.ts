// The shell's side of node access: the phase display (spinner on a terminal, lines elsewhere), the consent question on
// the REPL's own question path (piped input: the next line answers), .gc, and Ctrl-C reaching the session.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AccessHooks } from '../../src/access/hooks.ts'
import { ExecOutput, NodeHandle, type Exec } from '../../src/exec/index.ts'
import type { NodePodPhase } from '../../src/exec/nodepod/api.ts'
import { PhaseDisplay, attachNodeAccess } from '../../src/repl/nodeaccess.ts'
import { readLineDuringEval } from '../../src/repl/io.ts'
import { EventEmitter } from 'node:events'
import { drive, fakeSession } from './fake.ts'

const phase = (phase: NodePodPhase['phase'], o: Partial<NodePodPhase> = {}): NodePodPhase => ({
  node: 'lab-2',
  phase,
  pod: 'kinspect-node-lab-2-x2x7p',
  namespace: 'kube-system',
  elapsedMs: 100,
  ...o,
})

test('phases on a pipe: one plain line per change', () => {
  let out = ''
  const d = new PhaseDisplay({ write: (t) => (out += t), tty: false, color: false })
  for (const p of ['checking', 'creating', 'starting', 'ready'] as const) d.show(phase(p))
  assert.equal(out.trim().split('\n'), [
    'checking access for a node pod on lab-2 (namespace kube-system) (0.1s)',
    'creating kube-system/kinspect-node-lab-2-x2x7p on lab-2 (0.1s)',
    'starting kube-system/kinspect-node-lab-2-x2x7p on lab-2 (0.1s)',
    'kube-system/kinspect-node-lab-2-x2x7p ready on lab-2 (0.1s)',
  ])
})

test('phases on a terminal: a spinner redrawn in place, cleared and replaced by one line at the end; held while asking', async () => {
  let out = ''
  const d = new PhaseDisplay({ write: (t) => (out += t), tty: true, color: false, intervalMs: 10 })
  d.show(phase('starting', { detail: 'Pending: ContainerCreating' }))
  await new Promise((r) => setTimeout(r, 60))
  const frames = out.split('\r\u001b[2K').filter((f) => f.startsWith('⠋') || f.startsWith('⠙') || f.startsWith('⠹'))
  assert.ok(frames.length >= 3, `redrawn: ${JSON.stringify(out)}`)
  d.hold()
  const held = out.length
  await new Promise((r) => setTimeout(r, 40))
  assert.is(out.length, held, 'nothing drawn while held')
  d.resume()
  d.show(phase('ready', { elapsedMs: 900 }))
  assert.ok(
    out.endsWith('\r\u001b[2Kkube-system/kinspect-node-lab-2-x2x7p ready on lab-2 (0.9s)\n'),
    JSON.stringify(out.slice(-120)),
  )
  const after = out.length
  await new Promise((r) => setTimeout(r, 40))
  assert.is(out.length, after, 'the spinner stopped')
})

/** A session whose node() needs consent through the hooks before its command runs, as NodeAccess does. */
function consentSession() {
  const session = Object.assign(fakeSession(), { access: new AccessHooks(), interrupted: 0 })
  const exec: Exec = {
    target: 'pod:lab-2',
    run: async (argv) => {
      const ok = await session.access.asker?.({
        pods: [
          {
            node: 'lab-2',
            namespace: 'kube-system',
            pod: 'kinspect-node-lab-2-x2x7p',
            image: 'img',
            deadlineSeconds: 3600,
          },
        ],
      })
      if (!ok) throw new Error(`refused (${ok})`)
      return new ExecOutput({
        target: 'pod:lab-2',
        argv: [...argv],
        exitCode: 0,
        stdout: 'ran\n',
        stderr: '',
        durationMs: 1,
      })
    },
  }
  session.node = () => new NodeHandle(exec)
  return session
}

test('the REPL asks on its own input: the next piped line answers (y runs the command, n refuses)', async () => {
  const { out } = await drive(
    ["(await node('lab-2').$`true`).stdout", 'y', "(await node('lab-2').$`true`).stdout", 'n', '6 * 7'],
    { session: consentSession() },
  )
  assert.match(out, 'kinspect needs a node pod on lab-2 (SSH does not reach it). This changes the cluster:')
  assert.match(out, 'Allow node pods for this session? [y/N] \n')
  assert.match(out, "'ran\\n'")
  assert.match(out, 'error: refused (false)')
  assert.match(out, '42')
  assert.not.match(out, 'ReferenceError', 'the answers never reached the evaluator')
})

test('attachNodeAccess plugs the question and the display in, and unplugs them', () => {
  const hooks = new AccessHooks()
  let out = ''
  const off = attachNodeAccess(hooks, {
    write: (t) => (out += t),
    tty: false,
    color: false,
    lines: { next: async () => 'y', echoes: false },
  })
  assert.ok(hooks.asker)
  hooks.emitPhase(phase('ready'))
  assert.match(out, 'ready on lab-2')
  off()
  assert.is(hooks.asker, undefined)
  hooks.emitPhase(phase('failed'))
  assert.not.match(out, 'failed')
})

test("other displays on the terminal (a recipe's spinner) are paused before a phase line or the question", async () => {
  const hooks = new AccessHooks()
  let paused = 0
  const remove = hooks.addDisplay({ pause: () => void paused++ })
  const off = attachNodeAccess(hooks, {
    write: () => {},
    tty: false,
    color: false,
    lines: { next: async () => 'y', echoes: true },
  })
  hooks.emitPhase(phase('creating'))
  assert.is(paused, 1)
  assert.is(await hooks.asker!({ pods: [] }), true)
  assert.is(paused, 2)
  remove()
  hooks.emitPhase(phase('ready'))
  assert.is(paused, 2)
  off()
})

test('.gc prints the table and the summary; --dry-run is passed on; a bad argument is a usage error', async () => {
  const calls: unknown[] = []
  const session = Object.assign(fakeSession(), {
    gc: async (o: { dryRun?: boolean }) => (
      calls.push(o),
      {
        entries: [
          {
            namespace: 'kube-system',
            name: 'kinspect-node-lab-1-aaaaa',
            node: 'lab-1',
            session: 's1',
            leftover: true,
            reason: 'its session (pid 9 on laptop) is gone',
          },
        ],
        deleted: [],
        failed: [],
      }
    ),
  })
  const { out } = await drive(['.gc --dry-run', '.gc --force'], { session })
  assert.equal(calls, [{ dryRun: true }])
  assert.match(out, /kinspect-node-lab-1-aaaaa\s+lab-1\s+s1\s+would delete\s+its session/)
  assert.match(out, '1 leftover would be deleted (--dry-run: nothing was deleted)')
  assert.match(out, 'error: .gc: unknown argument "--force"')
})

test('Ctrl-C while an input runs interrupts the session (its remote commands end); idle, it does nothing', async () => {
  const session = Object.assign(fakeSession(), {
    interrupts: 0,
    interrupt() {
      this.interrupts++
    },
  })
  const { shell } = await drive([], { session })
  assert.is(shell.busy, false)
  assert.is(shell.interrupt(), false)
  assert.is(session.interrupts, 0)
  const { startRepl } = await import('../../src/repl/index.ts')
  const { PassThrough } = await import('node:stream')
  const input = new PassThrough()
  const s2 = Object.assign(fakeSession(), {
    interrupts: 0,
    interrupt() {
      this.interrupts++
    },
  })
  const sh = startRepl({ input, output: new PassThrough(), session: s2, terminal: false, color: false })
  const running = sh.evaluate('await new Promise((r) => setTimeout(r, 200))')
  await new Promise((r) => setTimeout(r, 20))
  assert.is(sh.busy, true)
  assert.is(sh.interrupt(), true)
  sh.server.emit('SIGINT')
  assert.is(s2.interrupts, 2)
  await running
  sh.close()
})

test('a terminal REPL busy with an input: the question takes the keys itself (echo, backspace, Enter), then gives them back', async () => {
  const passed: string[] = []
  const server = Object.assign(new EventEmitter(), {
    _ttyWrite: (d: string | undefined, _key?: unknown) => void passed.push(`repl:${d}`),
  })
  const original = server._ttyWrite
  let shown = ''
  const answer = readLineDuringEval(server, (t) => (shown += t))
  for (const [d, key] of [
    ['y', { name: 'y' }],
    ['x', { name: 'x' }],
    ['\x7f', { name: 'backspace' }],
    ['e', { name: 'e' }],
    ['s', { name: 's' }],
    ['\r', { name: 'return' }],
  ] as const)
    server._ttyWrite(d, key)
  assert.is(await answer, 'yes')
  assert.is(shown, 'yx\b \bes\n')
  assert.is(server._ttyWrite, original, 'the REPL has its keys back')
  assert.equal(passed, [])
  // Ctrl-C: no answer, and the key still reaches the REPL (it interrupts the input)
  const cancelled = readLineDuringEval(server, () => {})
  server._ttyWrite('\x03', { name: 'c', ctrl: true } as never)
  assert.is(await cancelled, null)
  assert.equal(passed, ['repl:\x03'])
  // the shell closing answers null too
  const closing = readLineDuringEval(server, () => {})
  server.emit('close')
  assert.is(await closing, null)
})

test.run()
