// The fan-out's ssh entries and arguments, on files in a temporary lab directory (no lab needed).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-fanout-'))
process.env.KINSPECT_LAB_DIR = dir // read by layout.ts when it is first imported
const { labPaths } = await import('./layout.ts')
const { sshClientConfig } = await import('./configs.ts')
const { FANOUT_USER, checkFanoutArgs, extraHostBlock, updateFanoutSshEntries } = await import('./fanout.ts')
const P = labPaths(dir)

// What `up` wrote, plus an entry someone else added (a node the fan-out knows nothing about).
const otherBlock = `Host lab-2\n  HostName 10.99.0.2\n  Port 2222\n  User root\n  UserKnownHostsFile ${P.knownHosts}\n`
const baseConfig = `${sshClientConfig(dir, [])}\n${otherBlock}`
const baseKnown =
  '[lab-1]:2222,[10.99.0.1]:2222 ssh-ed25519 AAAAnode1\n[lab-2]:2222,[10.99.0.2]:2222 ssh-ed25519 AAAAnode2\n'
const extraNodes = (n: number) =>
  Array.from({ length: n }, (_, i) => `lab-ssh-${i + 1} 127.0.1.${i + 1} ssh-ed25519 AAAAkey${i + 1}`).join('\n') + '\n'
/** What the real ssh client makes of our ssh_config for a host (ssh -G parses it and connects nowhere). */
const sshG = (host: string) =>
  Object.fromEntries(
    spawnSync('ssh', ['-G', '-F', P.sshConfig, host], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]),
  )

test.after(() => fs.rmSync(dir, { recursive: true, force: true }))

test('fan-out entries are replaced in place: every other ssh_config block and known_hosts line stays as it was', () => {
  fs.mkdirSync(P.sshDir, { recursive: true })
  fs.writeFileSync(P.sshConfig, baseConfig)
  fs.writeFileSync(P.knownHosts, baseKnown)
  fs.writeFileSync(P.extraNodes, extraNodes(3))
  updateFanoutSshEntries()
  fs.writeFileSync(P.extraNodes, extraNodes(2)) // a smaller fan-out replaces the larger one
  updateFanoutSshEntries()
  const config = fs.readFileSync(P.sshConfig, 'utf8')
  assert.ok(config.startsWith(baseConfig), config)
  assert.equal(config.match(/^Host lab-ssh-\d+$/gm), ['Host lab-ssh-1', 'Host lab-ssh-2'])
  assert.equal(fs.readFileSync(P.knownHosts, 'utf8').split('\n').filter(Boolean), [
    ...baseKnown.split('\n').filter(Boolean),
    '[lab-ssh-1]:2222,[127.0.1.1]:2222 ssh-ed25519 AAAAkey1',
    '[lab-ssh-2]:2222,[127.0.1.2]:2222 ssh-ed25519 AAAAkey2',
  ])
  // ssh itself reads the blocks: the endpoint as the dash user with its pinned key, lab-2 untouched
  const e = sshG('lab-ssh-2')
  assert.equal(
    [e.user, e.hostname, e.port, e.stricthostkeychecking, e.userknownhostsfile, e.connecttimeout],
    [FANOUT_USER, '127.0.1.2', '2222', 'true', P.knownHosts, '5'],
  )
  assert.equal([sshG('lab-2').user, sshG('lab-2').hostname], ['root', '10.99.0.2'])
  // fanout 0: no extra nodes left, and the files are what they were before
  fs.rmSync(P.extraNodes)
  updateFanoutSshEntries()
  assert.is(fs.readFileSync(P.sshConfig, 'utf8'), baseConfig)
  assert.is(fs.readFileSync(P.knownHosts, 'utf8'), baseKnown)
})

test('the endpoints log in as the dash user the lab makes (no rc file read)', () => {
  assert.is(FANOUT_USER, 'kinspect-dash')
  assert.match(
    extraHostBlock('lab-ssh-9', '127.0.1.9'),
    /^Host lab-ssh-9\n  HostName 127\.0\.1\.9\n  Port 2222\n  User kinspect-dash\n/,
  )
})

test('fanout arguments: N from 1 to 250, K from 0 to N, each error names the argument and what it got', () => {
  assert.not.throws(() => checkFanoutArgs(100, 20))
  assert.not.throws(() => checkFanoutArgs(1, 1))
  assert.throws(() => checkFanoutArgs(0, 0), /N must be a whole number from 1 to 250, got 0/)
  assert.throws(() => checkFanoutArgs(251, 0), /got 251/)
  assert.throws(() => checkFanoutArgs(2.5, 0), /got 2\.5/)
  assert.throws(() => checkFanoutArgs(10, 11), /--blackhole K must be a whole number from 0 to N \(10\), got 11/)
  assert.throws(() => checkFanoutArgs(10, -1), /got -1/)
  assert.throws(() => checkFanoutArgs(10, NaN), /got NaN/)
})

test.run()
