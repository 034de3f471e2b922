// ssh2's private state that src/exec/ssh/ssh2private.ts reads, held against a real OpenSSH sshd: when an ssh2
// upgrade moves it, these fail (and the version check names the version to re-check against).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { Client, type ClientChannel } from 'ssh2'
import {
  closedByPeer,
  earlyExit,
  ignoreHostKeyAnnouncements,
  signalChannel,
  SSH2_CHECKED,
} from '../../../src/exec/ssh/ssh2private.ts'
import { startSshd, type Sshd } from '../sshd-fixture.ts'

let sshd: Sshd
let client: Client

/** A client connected to the test sshd; `setup` runs right after connect() (as kinspect's own connect does). */
async function connect(o: { debug?: (m: string) => void; setup?: (c: Client) => void } = {}): Promise<Client> {
  const c = new Client()
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve()).once('error', reject)
    c.connect({
      host: '127.0.0.1',
      port: sshd.port,
      username: process.env.USER ?? 'root',
      privateKey: fs.readFileSync(sshd.identity),
      hostVerifier: () => true,
      debug: o.debug,
    })
    o.setup?.(c)
  })
  return c
}

test.before(async () => {
  sshd = await startSshd()
  client = await connect()
})

test.after(async () => {
  client?.end()
  await sshd?.stop()
})

const exec = (cmd: string) =>
  new Promise<ClientChannel>((resolve, reject) => client.exec(cmd, (err, ch) => (err ? reject(err) : resolve(ch))))

test('the installed ssh2 is the version the private reads were checked against', () => {
  const version = createRequire(import.meta.url)('ssh2/package.json').version
  assert.is(
    version,
    SSH2_CHECKED,
    `ssh2 ${version} is installed: re-check src/exec/ssh/ssh2private.ts against its lib/client.js and lib/Channel.js, then update SSH2_CHECKED`,
  )
})

test("a finished command: its exit status is kept on the channel (earlyExit) and the peer's close is seen (closedByPeer)", async () => {
  const ch = await exec('exit 7')
  assert.is(closedByPeer(ch), false)
  ch.resume()
  await new Promise((r) => ch.once('close', r))
  assert.equal(earlyExit(ch), { code: 7, signal: null })
  assert.ok(closedByPeer(ch))
})

/** A new connection (ignoring host key announcements or not) that ran one command; ssh2's debug lines. */
async function connectAndRun(ignore: boolean): Promise<{ installed: boolean; debug: string[] }> {
  const debug: string[] = []
  let installed = false
  const c = await connect({
    debug: (m) => debug.push(m),
    setup: (c) => void (installed = ignore && ignoreHostKeyAnnouncements(c)),
  })
  try {
    // sshd announces its keys once the user is authenticated, before it answers a channel request
    await new Promise<void>((resolve, reject) =>
      c.exec('true', (err, ch) => (err ? reject(err) : ch.resume().once('close', () => resolve()))),
    )
  } finally {
    c.end()
  }
  return { installed, debug }
}

const ANNOUNCED = 'Inbound: GLOBAL_REQUEST (hostkeys-00@openssh.com)'
const PROVE = 'Outbound: Sending GLOBAL_REQUEST (hostkeys-prove-00@openssh.com)'

test("ignoreHostKeyAnnouncements: sshd's key announcement arrives and no proof is asked (ssh2 alone asks)", async () => {
  const ignored = await connectAndRun(true)
  assert.ok(ignored.installed, 'the handler was replaced')
  assert.ok(ignored.debug.includes(ANNOUNCED), 'sshd announced its host keys')
  assert.not.ok(ignored.debug.includes(PROVE), 'no hostkeys-prove request was sent')
  const plain = await connectAndRun(false)
  assert.ok(plain.debug.includes(ANNOUNCED))
  assert.ok(plain.debug.includes(PROVE), 'ssh2 on its own asks for the proof: the replaced handler is what stops it')
})

test('signalChannel reaches the protocol object on a channel whose stdin is closed', async () => {
  const ch = await exec('sleep 2')
  ch.end() // stdin closed: ssh2's public signal() would skip this channel
  assert.is(signalChannel(ch, 'TERM'), true, 'the private path was taken')
  ch.resume()
  ch.close()
  await new Promise((r) => ch.once('close', r))
})

test.run()
