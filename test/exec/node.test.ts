// NodeHandle: tagged-template argv building, option layering (.sudo, .timeout, .nothrow), .sh, over a recording Exec.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { NodeHandle, templateArgv } from '../../src/exec/node.ts'
import { LocalExec } from '../../src/exec/local.ts'
import { ExecError, ExecOutput, type Exec, type RunOptions } from '../../src/exec/types.ts'

class Recorder implements Exec {
  readonly target = 'fake:n1'
  calls: { argv: string[]; opts: RunOptions }[] = []
  stdout = ''
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecOutput> {
    this.calls.push({ argv: [...argv], opts })
    return new ExecOutput({
      target: this.target,
      argv: [...argv],
      exitCode: 0,
      stdout: this.stdout,
      stderr: '',
      durationMs: 1,
    })
  }
}

const t = (strings: TemplateStringsArray, ...values: unknown[]) => templateArgv(strings, values)

/** The ExecError a bad template throws, as "message | hint" (both reach the user). */
function refusal(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    assert.instance(e, ExecError)
    assert.is((e as ExecError).kind, 'invalid')
    return `${(e as ExecError).message} | ${(e as ExecError).hint ?? ''}`
  }
  throw new Error('expected an ExecError')
}

test('literal text splits on whitespace; each value is exactly one word', () => {
  const dev = 'eth0 ; rm -rf /'
  assert.equal(t`ip -j addr show ${dev}`, ['ip', '-j', 'addr', 'show', 'eth0 ; rm -rf /'])
  assert.equal(t`  echo   ${''}  ${'a b'}\n${"it's"} `, ['echo', '', 'a b', "it's"])
  assert.equal(t`x ${1} ${10n} ${false}`, ['x', '1', '10', 'false'])
})

test('arrays become several words; an empty array none', () => {
  assert.equal(t`ls ${['-l', 'a b']} end`, ['ls', '-l', 'a b', 'end'])
  assert.equal(t`ls ${[]} end`, ['ls', 'end'])
  assert.match(
    refusal(() => t`ls -I${['a', 'b']}`),
    /array at \$\{0\} touches literal text \| put spaces around it/,
  )
})

test('a value glued to literal text joins that word', () => {
  assert.equal(t`ip link show dev=${'eth 0'}x y`, ['ip', 'link', 'show', 'dev=eth 0x', 'y'])
  assert.equal(t`a ${'b'}${'c'} d`, ['a', 'bc', 'd'])
})

test('an ExecOutput interpolates as its text', () => {
  const o = new ExecOutput({ target: 't', argv: ['x'], exitCode: 0, stdout: 'eth0\n', stderr: '', durationMs: 0 })
  assert.equal(t`ip link show ${o}`, ['ip', 'link', 'show', 'eth0'])
})

test('shell syntax in literal text is refused with a way out', () => {
  assert.match(
    refusal(() => t`sh -c 'echo hi'`),
    /contains a quote.*interpolate/,
  )
  assert.match(
    refusal(() => t`ip route | grep x`),
    /"\|" would be a plain argument.*\.sh\(script\)/,
  )
  assert.match(
    refusal(() => t`cat x > y`),
    /\.sh\(script\)/,
  )
  assert.equal(t`grep a|b`, ['grep', 'a|b']) // not a standalone operator: a plain word
})

test('bad values are refused, naming the position', () => {
  assert.match(
    refusal(() => t`echo ${undefined}`),
    /\$\{0\}: expected a string.*received undefined/,
  )
  assert.match(
    refusal(() => t`echo ${'a'} ${null}`),
    /\$\{1\}: expected .*received null/,
  )
  assert.match(
    refusal(() => t`echo ${{ a: 1 }}`),
    /received Object/,
  )
  assert.match(
    refusal(() => t`echo ${[['x']]}`),
    /\$\{0\}\[0\].*nested array/,
  )
})

test('$ runs through the Exec with the handle defaults; .sudo/.timeout/.nothrow layer', async () => {
  const rec = new Recorder()
  const node = new NodeHandle(rec)
  await node.$`uname -r`
  await node.sudo.timeout(1500).$`ss -tnp`
  await node.nothrow().sudo.$`false`
  assert.equal(rec.calls[0], { argv: ['uname', '-r'], opts: {} })
  assert.equal(rec.calls[1], { argv: ['ss', '-tnp'], opts: { sudo: true, timeoutMs: 1500 } })
  assert.equal(rec.calls[2], { argv: ['false'], opts: { nothrow: true, sudo: true } })
  assert.equal(node.defaults, {}, 'derived handles do not change the original')
  assert.match(
    refusal(() => node.timeout(0)),
    /^timeout: expected a positive number of milliseconds, received number 0 \| e\.g\. \.timeout\(5000\)/,
  )
  assert.match(
    refusal(() => node.timeout('5s' as never)),
    /received "5s"/,
  )
  // options by name: a misspelled one is named, never ignored
  assert.match(
    refusal(() => node.with({ timout: 5 } as never)),
    /^with: unknown option "timout" \(did you mean timeoutMs\?\)/,
  )
  const err = await node.run(['true'], { nothorw: true } as never).catch((e: unknown) => e)
  assert.instance(err, ExecError)
  assert.match((err as Error).message, /^run: opts: unknown option "nothorw" \(did you mean nothrow\?\)/)
  assert.is(rec.calls.length, 3, 'nothing ran')
})

test('$ promise has json/text/lines shortcuts', async () => {
  const rec = new Recorder()
  rec.stdout = '[{"ifname":"lo"}]\n'
  const node = new NodeHandle(rec)
  assert.equal(await node.$`ip -j addr`.json(), [{ ifname: 'lo' }])
  assert.is(await node.$`x`.text(), '[{"ifname":"lo"}]')
  assert.equal(await node.$`x`.lines(), ['[{"ifname":"lo"}]'])
})

test('.sh sends the script on stdin to sh -s with args', async () => {
  const rec = new Recorder()
  await new NodeHandle(rec).timeout(900).sh('echo "$1"\n', ['a b'])
  assert.equal(rec.calls[0], { argv: ['sh', '-s', '--', 'a b'], opts: { timeoutMs: 900, input: 'echo "$1"\n' } })
})

test('template errors reject the promise instead of throwing synchronously', async () => {
  const node = new NodeHandle(new Recorder())
  let err: unknown
  await node.$`echo ${undefined as unknown as string}`.catch((e) => (err = e))
  assert.instance(err, ExecError)
  assert.throws(() => new NodeHandle({} as Exec), /expected an Exec/)
})

test('end to end over LocalExec: values reach the process intact', async () => {
  const node = new NodeHandle(new LocalExec())
  const nasty = ["a' ; echo INJECTED #", '$(id)', '`id`', '', '-n', 'x\ny']
  const out = await node.$`printf ${'%s\\0'} ${nasty}`
  assert.equal(out.stdout.split('\0').slice(0, -1), nasty)
  assert.is(await node.sh('echo "$#:$1"', ['a b']).text(), '1:a b')
  assert.is((await node.nothrow().$`sh -c ${'exit 7'}`).exitCode, 7)
  assert.match(inspect(node.sudo), /NodeHandle\(local sudo=true\)/)
})

test.run()
