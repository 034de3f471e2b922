// Whether SSH applies to a node: explicit configuration, or a key/agent and a name that resolves; facts from disk.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { explicitSsh, sshApplies, sshFacts, type SshFacts } from '../../src/access/sshcheck.ts'

const host = (o: Partial<SshFacts['host']> = {}): SshFacts['host'] => ({
  name: 'lab-2',
  hostName: 'lab-2',
  identityFiles: ['/home/u/.ssh/id_ed25519'],
  identityFilesExplicit: false,
  identityAgent: undefined,
  identitiesOnly: false,
  proxyJump: [],
  ...o,
})
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshcheck-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('explicit: a .recipes nodes rule, HostName, ProxyJump or IdentityFile for the name', () => {
  assert.is(explicitSsh({ rule: true, host: host() }), 'a .recipes nodes rule matches it')
  assert.is(explicitSsh({ rule: false, host: host({ hostName: '10.0.0.2' }) }), 'the ssh config sets HostName 10.0.0.2')
  assert.is(
    explicitSsh({ rule: false, host: host({ proxyJump: [{ host: 'bastion' }] }) }),
    'the ssh config sets ProxyJump',
  )
  assert.is(
    explicitSsh({ rule: false, host: host({ identityFiles: ['/k'], identityFilesExplicit: true }) }),
    'the ssh config sets IdentityFile /k',
  )
  assert.is(explicitSsh({ rule: false, host: host() }), undefined)
})

test('implicit: an agent or a default key applies only when the name resolves', () => {
  assert.equal(sshApplies({ rule: false, host: host(), keys: [] }), {
    applies: false,
    why: 'no ssh config entry, key or agent applies to lab-2',
  })
  assert.equal(sshApplies({ rule: false, host: host(), keys: ['/home/u/.ssh/id_ed25519'], resolves: true }), {
    applies: true,
    why: 'key /home/u/.ssh/id_ed25519, and lab-2 resolves',
  })
  const unresolved = sshApplies({ rule: false, host: host(), keys: [], agent: '/run/agent.sock', resolves: false })
  assert.is(unresolved.applies, false)
  assert.match(unresolved.why, 'the name does not resolve (ssh-agent /run/agent.sock alone does not say where it is)')
  // IdentitiesOnly: the agent is not offered, so it does not count
  assert.is(
    sshApplies({ rule: false, host: host({ identitiesOnly: true }), keys: [], agent: '/run/a', resolves: true })
      .applies,
    false,
  )
  // explicit wins without a lookup
  assert.equal(sshApplies({ rule: true, host: host(), keys: [] }), {
    applies: true,
    why: 'a .recipes nodes rule matches it',
  })
})

test('facts: keys and the agent socket are checked on disk; DNS is asked only when nothing explicit applies', async () => {
  const key = path.join(tmp, 'id_ed25519')
  fs.writeFileSync(key, 'k')
  const sock = path.join(tmp, 'agent.sock')
  const server = net.createServer().listen(sock)
  await new Promise((r) => server.once('listening', r))
  const lookups: string[] = []
  const lookup = async (n: string) => (lookups.push(n), n === 'lab-2')
  try {
    const f = await sshFacts(
      host({ identityFiles: [path.join(tmp, 'missing'), key] }),
      false,
      { SSH_AUTH_SOCK: sock },
      lookup,
    )
    assert.equal([f.keys, f.agent, f.resolves], [[key], sock, true])
    const none = await sshFacts(
      host({ identityFiles: [path.join(tmp, 'missing')] }),
      false,
      { SSH_AUTH_SOCK: key /* a file, not a socket */ },
      lookup,
    )
    assert.equal([none.keys, none.agent, none.resolves], [[], undefined, undefined])
    await sshFacts(host({ hostName: '10.0.0.9', identityFiles: [key] }), false, {}, lookup)
    assert.equal(lookups, ['lab-2'], 'no lookup when nothing could log in, or when HostName is set')
    const agentNone = await sshFacts(
      host({ identityAgent: null, identityFiles: [] }),
      false,
      { SSH_AUTH_SOCK: sock },
      lookup,
    )
    assert.is(agentNone.agent, undefined, 'IdentityAgent none')
  } finally {
    server.close()
  }
})

test.run()
