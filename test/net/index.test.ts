// bindNet: what the REPL globals call; caches survive re-binding (the REPL binds on every call).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bindNet } from '../../src/net/index.ts'
import * as net from '../../src/net/index.ts'
import { GLOBALS, buildContext } from '../../src/repl/context.ts'
import type { SessionApi } from '../../src/session.ts'
import { CLIENT, fakeNetSession, labFx } from './fake.ts'

const route = (_n: string, argv: string[]) => {
  const cmd = argv.join(' ')
  if (cmd === `crictl inspect ${CLIENT.containerId}`) return { stdout: labFx('crictl-inspect-client.json') }
  if (cmd === `cat /proc/${CLIENT.pid}/cgroup`) return { stdout: labFx('proc-cgroup-client.txt') }
  return { exitCode: 1 }
}

test('bindNet returns every helper, and each one is a REPL net global', () => {
  const { session } = fakeNetSession(route)
  const b = bindNet(session as unknown as SessionApi)
  assert.equal(Object.keys(b).sort(), [
    'conntrackList',
    'conntrackStats',
    'dnsQuery',
    'enterNetns',
    'svcRules',
    'vethOf',
  ])
  const netGlobals = GLOBALS.filter((g) => g.group === 'net').map((g) => g.name)
  assert.equal(netGlobals.sort(), Object.keys(b).sort())
  assert.type(net.NetnsHandle, 'function')
  assert.type(net.svcRules, 'function')
})

test('the PID cache lives with the session, not the binding: a second bindNet(session) reuses it', async () => {
  const { session, calls } = fakeNetSession(route)
  await bindNet(session as unknown as SessionApi).enterNetns('client')
  const h = await bindNet(session as unknown as SessionApi).enterNetns('client')
  assert.ok(h.cached)
  assert.is(calls.filter((c) => c.argv[0] === 'crictl').length, 1)
  const { session: other } = fakeNetSession(route)
  assert.not.ok((await bindNet(other as unknown as SessionApi).enterNetns('client')).cached)
})

test('the REPL imports this module on first use and its enterNetns global reaches bindNet', async () => {
  const { session } = fakeNetSession(route)
  const ctx = buildContext(session as unknown as SessionApi, {} as Record<string, unknown>)
  const h = await (ctx.enterNetns as (p: string) => Promise<{ pid: number; method: string }>)('client')
  assert.equal([h.pid, h.method], [CLIENT.pid, 'crictl'])
})

test.run()
