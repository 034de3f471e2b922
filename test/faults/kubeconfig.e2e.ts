// Credentials and names that fail, from the kubeconfig: the API server's host name does not resolve, the client
// certificate expired, the exec credential plugin hangs. The REPL starts anyway, each API call ends with a clear error
// within its deadline, SSH to a node and plain JavaScript keep working, and `kinspect -e` exits with the error.
import fs from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labPaths } from '../lab/layout.ts'
import { Repl, assertClearError, kubeconfigFrom, labEnv, measured, runE } from './kit.ts'

/** The exec plugin that never answers; `sleep 600` runs under its own marker so leftovers can be found. */
const HANG_SECONDS = '600.13'

const DNS = kubeconfigFrom('dns', (t) =>
  t.replace(/server: https:\/\/[^\s]+/, 'server: https://kinspect-api.invalid:6443'),
)
const HANGING = kubeconfigFrom('exec-hangs', (t) => {
  const users = t.indexOf('\nusers:\n')
  const contexts = t.indexOf('\ncontexts:\n')
  assert.ok(users > 0 && contexts > users, 'the lab kubeconfig lists users, then contexts')
  const user = /\n- name: (\S+)\n/.exec(t.slice(users))![1]
  const exec = `\nusers:\n- name: ${user}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [-c, 'sleep ${HANG_SECONDS}']\n      interactiveMode: Never\n`
  return t.slice(0, users) + exec + t.slice(contexts)
})

/** Pids of the hanging plugin's `sleep` (none may be left once a call gave up on it). */
function hangingPlugins(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(`sleep ${HANG_SECONDS}`)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** The REPL on this kubeconfig: pods() fails with `want` within maxMs, SSH to lab-1 and 6 * 7 still work; a -e run alongside too. */
async function survives(kubeconfig: string, want: RegExp, maxMs: number, what: string): Promise<void> {
  // A new process on the same kubeconfig runs alongside the REPL's calls (each waits for its own deadline).
  const ran = runE('(await pods()).length', labEnv(kubeconfig))
  const r = await Repl.open(labEnv(kubeconfig))
  try {
    const pods = await r.call('(await pods()).length', maxMs + 5000)
    assertClearError(pods.text, want, `pods() with ${what}`)
    measured(`pods() with ${what}`, pods.ms)
    assert.ok(pods.ms < maxMs, `within ${maxMs} ms: ${pods.ms} ms`)
    assert.is((await r.call("(await node('lab-1').$`echo reached`).text()", 10_000)).text, "'reached'", r.all())
    assert.is((await r.call('6 * 7', 2000)).text, '42')
    const again = await r.call('(await pods()).length', maxMs + 5000)
    assertClearError(again.text, want, `pods() again with ${what}`)
    assert.is(await r.exit(), 0, r.all())
  } finally {
    r.kill()
  }
  const e = await ran
  assert.is(e.code, 1, e.err)
  assertClearError(e.err.trim(), want, `kinspect -e pods() with ${what}`)
  measured(`kinspect -e pods() with ${what}, start to exit`, e.ms)
  assert.ok(e.ms < maxMs + 5000, `-e took ${e.ms} ms`)
}

test('DNS for the API server name fails: "cannot resolve" naming the server, at once', async () => {
  await survives(
    DNS,
    /^error: cannot resolve the host of https:\/\/kinspect-api\.invalid:6443$/m,
    5000,
    'an API server name that does not resolve',
  )
})

test('an expired client certificate: the certificate, the user and the date it expired', async () => {
  await survives(
    labPaths().kubeconfigExpired,
    /the client certificate of user "[^"]+" expired on \d{4}-\d\d-\d\d/,
    5000,
    'an expired client certificate',
  )
})

test('an exec credential plugin that hangs: the plugin is named and killed at the 30 s deadline', async () => {
  assert.equal(hangingPlugins(), [], 'no plugin left from an earlier run')
  await survives(
    HANGING,
    /the exec credential plugin of user "[^"]+" \(\/bin\/sh -c 'sleep 600\.13'\) gave no answer within 30000 ms and was killed|no credentials for user "[^"]+" within 30000 ms: its exec credential plugin \(\/bin\/sh -c 'sleep 600\.13'\) is still running/,
    35_000,
    'an exec plugin that hangs',
  )
  assert.equal(hangingPlugins(), [], 'every plugin run was killed')
})

// The copies hold the lab admin's client key: they go when the file ends.
test.after(() => {
  for (const f of [DNS, HANGING]) fs.rmSync(f, { force: true })
})

test.run()
