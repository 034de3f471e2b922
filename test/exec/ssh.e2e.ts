// SshPool against the lab node lab-1, configured only through the lab's KINSPECT_SSH_CONFIG / KINSPECT_KNOWN_HOSTS.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labEnvVars, NET, NODE } from '../lab/layout.ts'
import { NodeHandle } from '../../src/exec/node.ts'
import { SshPool } from '../../src/exec/ssh/pool.ts'

const pool = new SshPool({ env: { ...process.env, ...labEnvVars() } })
const node = new NodeHandle(pool.exec(NODE))

test.after(() => pool.close())

test('ssh to lab-1 and find 10.99.0.1 in `ip -j addr`', async () => {
  const addrs = await node.$`ip -j addr`.json<{ ifname: string; addr_info: { local: string; family: string }[] }[]>()
  const owner = addrs.find((i) => i.addr_info.some((a) => a.local === NET.nodeIP))
  assert.ok(owner, `no interface on ${NODE} has ${NET.nodeIP}: ${addrs.map((i) => i.ifname).join(', ')}`)
  assert.is(owner!.ifname, NET.hostIf)
})

test('commands reuse the connection; sudo works; arguments stay literal', async () => {
  assert.is(await node.$`echo ${"a' ; echo INJECTED #"}`.text(), "a' ; echo INJECTED #")
  assert.is(await node.sudo.$`id -u`.text(), '0')
  const s = pool.stats(NODE)
  assert.is(s.opens, 1)
  assert.ok(s.connected)
})

test('a user that is not root reaches root through sudo -n (lab-2-sudo): node.sudo wraps the command, a plain command stays the user; the same through the session rule sudo: true', async () => {
  const sudoNode = new NodeHandle(pool.exec('lab-2-sudo'))
  assert.is(await sudoNode.$`id -un`.text(), 'kinspect-sudo')
  assert.is(await sudoNode.sudo.$`id -u`.text(), '0')
  // the quoting survives the sudo wrapper
  assert.is(await sudoNode.sudo.$`printf %s ${"a b'c"}`.text(), "a b'c")
  // a deadline is still enforced on the node under sudo: timeout runs as root inside sudo -n --
  const t0 = Date.now()
  const r = await sudoNode.sudo.timeout(1500).nothrow().$`sleep 30`
  assert.is(r.exitCode, 124)
  assert.ok(Date.now() - t0 < 10_000)
})

test("lab-1's settings come from OpenSSH's ssh -G, and the built-in reader reads the lab's ssh_config alike", async () => {
  const viaSsh = await node.sshConfig!
  assert.is(viaSsh.source, 'ssh -G')
  assert.equal(
    [viaSsh.hostName, viaSsh.port, viaSsh.user, viaSsh.strictHostKeyChecking],
    [NET.nodeIP, NET.sshPort, 'root', 'yes'],
  )
  const builtin = new SshPool({ env: { ...process.env, ...labEnvVars() }, resolver: 'built-in' })
  try {
    for (const name of [NODE, 'lab-1-dash', 'lab-1-ash']) {
      const { source: a, ...fromSsh } = await pool.resolve(name)
      const { source: b, ...fromBuiltin } = await builtin.resolve(name)
      assert.equal([a, b], ['ssh -G', 'built-in'])
      assert.equal(fromBuiltin, fromSsh, name)
    }
  } finally {
    await builtin.close()
  }
})

test('a deadline on lab-1 is enforced', async () => {
  const e = await node.timeout(1200).$`sleep 20`.then(
    () => undefined,
    (err) => err,
  )
  assert.ok(e, 'sleep 20 should time out')
  assert.is(e.kind, 'timeout')
})

test.run()
