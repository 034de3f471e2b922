// Property test over real SSH: random argv sent through SshExec arrives byte-exact on the node,
// whatever the login shell: bash (root on lab-1), dash (lab-1-dash) and busybox ash (lab-1-ash).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labEnvVars } from '../lab/layout.ts'
import { SshPool } from '../../src/exec/ssh/pool.ts'
import { argvProperty } from './argv-property.ts'

const pool = new SshPool({ env: { ...process.env, ...labEnvVars() } })
test.after(() => pool.close())

for (const host of ['lab-1', 'lab-1-dash', 'lab-1-ash']) {
  test(`${host}: 150 random argv arrive exactly (printf '%s\\0' "$@")`, async () => {
    const exec = pool.exec(host)
    const shell = (await exec.run(['sh', '-c', 'echo $0 from $(id -un)'])).stdout
    assert.ok(shell.length > 0)
    // The remote command is: printf '%s\0' ARGS — each argument must come back unchanged.
    const { seed, wrong } = await argvProperty(150, (args) =>
      exec.run(['printf', '%s\\0', ...args], { timeoutMs: 10_000, nothrow: true }),
    )
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
