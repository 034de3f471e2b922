// A real Secret on the lab, read through the real CLI in every way a user would: `.save` keeps none of its values,
// and the saved notebook runs again. Creates one Secret in shop and deletes it afterwards.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'
import { labEnvVars } from '../lab/layout.ts'
import { spawnKinspect } from '../cli/spawn.ts'
import { parseNotebook } from '../../src/render/notebook.ts'

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-redact-e2e-'))
const env = { ...process.env, ...labEnvVars(), HOME: home, NO_COLOR: '1', KINSPECT_HISTORY: path.join(home, 'history') }
const NAME = 'kinspect-e2e-redact'
const VALUES = { apikey: 'ak-7Hq2xLw9Zp-e2e', 'tls.key': 'tlsk3y-M0nday-e2e', pin: '4321' }

function kubectl(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('kubectl', ['-n', 'shop', ...args], { env, encoding: 'utf8', timeout: 60_000 })
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status }
}

const run = (args: string[], stdin: string) => spawnKinspect(args, stdin, env)

test.before(() => {
  kubectl('delete', 'secret', NAME, '--ignore-not-found')
  const r = kubectl(
    'create',
    'secret',
    'generic',
    NAME,
    ...Object.entries(VALUES).map(([k, v]) => `--from-literal=${k}=${v}`),
  )
  assert.is(r.status, 0, r.stderr)
})

test.after(() => {
  kubectl('delete', 'secret', NAME, '--ignore-not-found')
  fs.rmSync(home, { recursive: true, force: true })
})

test('.save after reading a lab Secret as an object, decoded, as kubectl YAML/JSON and by jsonpath: no value survives; the notebook runs again', async () => {
  const file = path.join(home, 'secret.md')
  const cells = [
    `const s = await session.kube.get('secret', '${NAME}')`,
    "Buffer.from(s.data.apikey, 'base64').toString()",
    "atob(s.data['tls.key'])",
    `(await $\`kubectl -n shop get secret ${NAME} -o yaml\`).stdout`,
    `console.log((await $\`kubectl -n shop get secret ${NAME} -o json\`).stdout)`,
    `(await $\`kubectl -n shop get secret ${NAME} -o jsonpath={.data.apikey}\`).stdout`,
    `await describe('secret/${NAME}')`,
    `const typed = '${VALUES.apikey}'`,
    `.save ${file}`,
    '.exit',
  ]
  const r = await run([], `${cells.join('\n')}\n`)
  assert.is(r.code, 0, r.err)
  assert.match(r.out, VALUES.apikey, 'the screen shows the value')
  const md = fs.readFileSync(file, 'utf8')
  for (const [k, v] of Object.entries(VALUES)) {
    const b64 = Buffer.from(v).toString('base64')
    assert.not.match(md, b64, `${k} base64`)
    if (v.length >= 6) assert.not.match(md, v, `${k} decoded`)
  }
  assert.not.match(md, `pin: ${Buffer.from(VALUES.pin).toString('base64')}`)
  for (const b of parseNotebook(md).blocks) if (!b.startsWith('.')) new vm.Script(`(async () => {\n${b}\n})`)
  const again = await run([file], '')
  assert.is(again.code, 0, again.err)
  const history = fs.existsSync(env.KINSPECT_HISTORY) ? fs.readFileSync(env.KINSPECT_HISTORY, 'utf8') : ''
  assert.not.match(history, VALUES.apikey)
})

test.run()
