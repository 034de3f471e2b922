// Property test over real SSH: random argv sent through SshExec arrives byte-exact on the node,
// whatever the login shell: bash (root on lab-1), dash (lab-1-dash) and busybox ash (lab-1-ash).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { labEnvVars } from '../lab/layout.ts'
import { SshPool } from '../../src/exec/ssh/pool.ts'

const pool = new SshPool({ env: { ...process.env, ...labEnvVars() } })
test.after(() => pool.close())

// Arguments a user might pass, and the nasty ones: quotes, $, backticks, globs, newlines, leading dashes, unicode.
const nasty = fc.constantFrom(
  "a' ; echo INJECTED #",
  '$(id)',
  '`id`',
  '*',
  '~',
  '"',
  "'",
  '\\',
  '-n',
  '--',
  '',
  ' ',
  '\n',
  '\t',
  'é',
  '$HOME',
  '!!',
  '${IFS}',
  ';',
  '|',
  '&&',
  '#',
)
const arg = fc.oneof(
  nasty,
  fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0')),
)

for (const host of ['lab-1', 'lab-1-dash', 'lab-1-ash']) {
  test(`${host}: 150 random argv arrive exactly (printf '%s\\0' "$@")`, async () => {
    const exec = pool.exec(host)
    const shell = (await exec.run(['sh', '-c', 'echo $0 from $(id -un)'])).stdout
    assert.ok(shell.length > 0)
    const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31)
    const cases = fc.sample(fc.array(arg, { minLength: 1, maxLength: 6 }), { numRuns: 150, seed })
    const wrong: string[] = []
    for (const args of cases) {
      // The remote command is: printf '%s\0' ARGS — each argument must come back unchanged.
      const r = await exec.run(['printf', '%s\\0', ...args], { timeoutMs: 10_000, nothrow: true })
      const back = r.stdout.split('\0').slice(0, -1)
      if (JSON.stringify(back) !== JSON.stringify(args)) {
        wrong.push(
          `${JSON.stringify(args)} -> exit ${r.exitCode} ${JSON.stringify(back)} ${JSON.stringify(r.stderr.slice(0, 200))}`,
        )
      }
    }
    assert.equal(wrong, [], `seed ${seed}`)
  })
}

test('the three logins really use three different login shells', async () => {
  const shells = []
  for (const host of ['lab-1', 'lab-1-dash', 'lab-1-ash']) {
    // The login shell is what reads kinspect's command line; passwd says which one it is.
    const r = await pool.exec(host).run(['sh', '-c', 'getent passwd "$(id -un)" | cut -d: -f7'])
    shells.push(r.stdout.trim().split('/').pop())
  }
  assert.equal(shells, ['bash', 'dash', 'sh'])
})

test.run()
