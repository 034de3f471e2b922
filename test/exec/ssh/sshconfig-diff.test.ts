// Differential test: the built-in ssh_config reader against OpenSSH's own `ssh -G` on random valid configs
// (Host/Match blocks with patterns and negations, the settings the transport uses, Includes of generated files).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { localContext, resolveOptions, toResolvedHost } from '../../../src/exec/ssh/sshconfig.ts'
import { findSsh, parseSshG } from '../../../src/exec/ssh/sshg.ts'
import { genCase, sshG, writeCase } from './sshconfig-gen.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshdiff-'))
const RUNS = Number(process.env.SSHCONFIG_DIFF_RUNS ?? 40)

test('an OpenSSH client is installed (the differential test needs `ssh -G`)', () => {
  const ssh = findSsh()
  assert.ok(ssh, 'ssh -V failed: install openssh-client (test/lab/install-deps.sh does)')
  assert.match(ssh!.version, /^OpenSSH_/)
})

test(`built-in reader and ssh -G agree on every setting the transport uses (${RUNS} random configs)`, async () => {
  let names = 0
  let rejected = 0
  await fc.assert(
    fc.asyncProperty(genCase, async (c) => {
      const dir = path.join(tmp, 'case')
      const main = writeCase(dir, c)
      const text = fs.readFileSync(main, 'utf8')
      const outs = await Promise.all(c.names.map((n) => sshG(main, n)))
      c.names.forEach((name, i) => {
        names++
        const g = outs[i]
        let mine
        try {
          mine = resolveOptions(name, { text, path: main }, { env: process.env })
        } catch (e) {
          if (g.code !== 0) return void rejected++ // both refuse the config
          throw new Error(`${name}: the built-in reader throws (${(e as Error).message}) where ssh -G accepts`)
        }
        assert.is(g.code, 0, `${name}: ssh -G rejects what the built-in reader accepts: ${g.stderr}`)
        const theirs = parseSshG(g.stdout)
        assert.equal(mine, theirs, `${name}: ssh -G settings`)
        const ctx = localContext(name, { env: process.env })
        const { source: _a, ...a } = toResolvedHost(mine, ctx, 'built-in')
        const { source: _b, ...b } = toResolvedHost(theirs, ctx, 'ssh -G')
        assert.equal(a, b, `${name}: resolved host`)
      })
    }),
    { numRuns: RUNS },
  )
  assert.ok(names >= RUNS, `resolved ${names} names`)
  assert.ok(rejected <= names / 10, `ssh rejected ${rejected} of ${names}: the generator should make valid configs`)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
