// SshExec over a fake ChannelSource: it needs only resolve/openExec/closeNode, never SshPool itself.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EventEmitter } from 'node:events'
import type { ClientChannel } from 'ssh2'
import { SshExec, type ChannelSource } from '../../../src/exec/ssh/exec.ts'
import type { ResolvedHost } from '../../../src/exec/ssh/sshconfig.ts'
import { ExecError } from '../../../src/exec/types.ts'

/** A channel that answers once stdin ends, as sshd does for a short command. */
class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter()
  input?: string
  constructor(private answer: { stdout?: string; stderr?: string; code: number }) {
    super()
  }
  end(input?: string): this {
    this.input = input
    setImmediate(() => {
      if (this.answer.stdout) this.emit('data', Buffer.from(this.answer.stdout))
      if (this.answer.stderr) this.stderr.emit('data', Buffer.from(this.answer.stderr))
      this.emit('exit', this.answer.code)
      this.emit('close')
    })
    return this
  }
  close(): void {
    this.emit('close')
  }
  signal(): void {}
  resume(): void {}
}

function source(user: string, answer: { stdout?: string; stderr?: string; code: number }) {
  const log = { commands: [] as string[], released: 0, closed: [] as string[], channels: [] as FakeChannel[] }
  const src: ChannelSource = {
    resolve: async () => ({ user }) as ResolvedHost,
    openExec: async (node, command) => {
      log.commands.push(`${node}: ${command}`)
      const ch = new FakeChannel(answer)
      log.channels.push(ch)
      return { channel: ch as unknown as ClientChannel, host: { user } as ResolvedHost, release: () => log.released++ }
    },
    closeNode: async (node) => void log.closed.push(node),
  }
  return { src, log }
}

test('runs argv as one quoted command with a deadline on the node; output, exit code and input', async () => {
  const { src, log } = source('kinspect', { stdout: 'a b\n', code: 0 })
  const ssh = new SshExec(src, 'lab-1')
  const out = await ssh.run(['echo', 'a b'], { timeoutMs: 5000, input: 'stdin text' })
  assert.equal([out.target, out.exitCode, out.stdout, out.argv], ['ssh:lab-1', 0, 'a b\n', ['echo', 'a b']])
  assert.equal(log.commands, ["lab-1: timeout -k 2 5 echo 'a b'"])
  assert.is(log.channels[0].input, 'stdin text')
  await new Promise((r) => setImmediate(r))
  assert.is(log.released, 1, 'the channel slot is given back once the channel closed')
})

test('sudo goes through sudo -n, except for root; a non-zero exit is an ExecError naming the node', async () => {
  const user = source('kinspect', { stderr: 'nope\n', code: 3 })
  const e = await new SshExec(user.src, 'lab-1').run(['id', '-u'], { sudo: true }).then(
    () => undefined,
    (x: unknown) => x,
  )
  assert.instance(e, ExecError)
  assert.is((e as ExecError).kind, 'exit')
  assert.match((e as ExecError).message, /^`id -u` on ssh:lab-1 exited 3: nope$/)
  assert.equal(user.log.commands, ['lab-1: sudo -n -- timeout -k 2 30 id -u'])
  const root = source('root', { stdout: '0\n', code: 0 })
  await new SshExec(root.src, 'lab-1').run(['id', '-u'], { sudo: true })
  assert.equal(root.log.commands, ['lab-1: timeout -k 2 30 id -u'])
})

/** A source whose channels announce the pid the way the command asks: `sh -c` also names the login shell. */
function announcing(login: { user: string; shell: string }) {
  const commands: string[] = []
  const src: ChannelSource = {
    resolve: async () => ({ user: login.user }) as ResolvedHost,
    openExec: async (_node, command) => {
      commands.push(command)
      const wrapped = /^sh -c '[^']*' ([a-z0-9]+) /.exec(command)
      const inline = /^echo kinspect-pid:([a-z0-9]+):\$\$ >&2; exec /.exec(command)
      const stderr = wrapped
        ? `kinspect-pid:${wrapped[1]}:4242:${login.shell}\n`
        : inline
          ? `kinspect-pid:${inline[1]}:4343\n`
          : ''
      const ch = new FakeChannel({ stderr: `${stderr}err\n`, code: 0 })
      return { channel: ch as unknown as ClientChannel, host: { user: login.user } as ResolvedHost, release: () => {} }
    },
    closeNode: async () => {},
  }
  return { src, commands }
}

test("an abortable run learns the user's login shell: under a POSIX one the next runs announce without sh -c", async () => {
  const login = { user: 'kinspect', shell: '/bin/bash' }
  const { src, commands } = announcing(login)
  const ssh = new SshExec(src, 'lab-1')
  const signal = new AbortController().signal
  for (let i = 0; i < 2; i++)
    assert.is((await ssh.run(['id'], { signal })).stderr, 'err\n', 'the announcement is taken out')
  assert.match(
    commands[0],
    /^sh -c 'echo "kinspect-pid:\$0:\$\$:\$\{SHELL-\}" >&2; exec "\$@"' [a-z0-9]+ timeout -k 2 30 id$/,
  )
  assert.match(commands[1], /^echo kinspect-pid:[a-z0-9]+:\$\$ >&2; exec timeout -k 2 30 id$/)
  await ssh.run(['id'])
  assert.is(commands[2], 'timeout -k 2 30 id', 'a run that cannot be aborted announces nothing')
  // another user (the ssh config changed) is learnt again; its login shell is fish, which is not POSIX sh
  Object.assign(login, { user: 'other', shell: '/usr/bin/fish' })
  for (let i = 0; i < 2; i++) await ssh.run(['id'], { signal })
  assert.match(commands[3], /^sh -c /)
  assert.match(commands[4], /^sh -c /, 'under fish every run keeps the sh -c wrapper')
})

test("close() ends the node's connection through the source", async () => {
  const { src, log } = source('root', { code: 0 })
  await new SshExec(src, 'lab-2').close()
  assert.equal(log.closed, ['lab-2'])
})

test.run()
