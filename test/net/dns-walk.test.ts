// The walk on its own (dnsQuery's tests drive it through a fake node): which server and candidate each query goes to,
// when it moves on, where it stops, and the notes on what it showed; answers are captured dig outputs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runWalk, walkNotes, type Origin, type Walk } from '../../src/net/dns-walk.ts'
import { NetError } from '../../src/net/errors.ts'
import { parseResolvConf, searchCandidates } from '../../src/net/resolvconf.ts'
import { netFx } from './fake.ts'

const rc = parseResolvConf(
  'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n',
)

/** An origin answering dig by name and server: NXDOMAIN unless answer(name, server) says otherwise. */
function origin(answer: (name: string, server: string) => 'yes' | 'no' | 'timeout') {
  const asked: string[] = []
  const o: Origin = {
    from: 'pod shop/client',
    node: 'lab-1',
    handle: undefined as never,
    root: '/proc/1/root',
    notes: [],
    query: async (argv) => {
      const name = argv.at(-2)!.replace(/\.$/, '')
      const server = argv.at(-3)!.slice(1)
      asked.push(`${name}@${server}`)
      const a = answer(name, server)
      const file =
        a === 'yes' ? 'dig-noall-external.txt' : a === 'timeout' ? 'dig-noall-timeout.txt' : 'dig-noall-nxdomain.txt'
      return { stdout: netFx(file), stderr: '', exitCode: a === 'timeout' ? 9 : 0 } as never
    },
  }
  return { o, asked }
}

const walk = (name: string, w: Partial<Walk> = {}): Walk => ({
  name,
  type: 'A',
  tool: 'dig',
  resolver: 'glibc',
  candidates: searchCandidates(name, rc, 'glibc'),
  servers: rc.nameservers,
  timeout: 1,
  rounds: 1,
  ...w,
})

test('NXDOMAIN moves on to the next candidate; a timeout tries the next server first', async () => {
  const { o, asked } = origin((name, server) =>
    name === 'external.lab.example'
      ? 'yes'
      : name === 'external.lab.example.shop.svc.cluster.local' && server === '10.96.0.10'
        ? 'timeout'
        : 'no',
  )
  const notes: string[] = []
  const attempts = await runWalk(o, walk('external.lab.example'), notes)
  assert.equal(asked, [
    'external.lab.example.shop.svc.cluster.local@10.96.0.10',
    'external.lab.example.shop.svc.cluster.local@10.96.0.11',
    'external.lab.example.svc.cluster.local@10.96.0.10',
    'external.lab.example.cluster.local@10.96.0.10',
    'external.lab.example@10.96.0.10',
  ])
  assert.equal(
    attempts.map((a) => a.rcode),
    ['TIMEOUT', 'NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN', 'NOERROR'],
  )
  const said = walkNotes('external.lab.example', attempts, rc, 'dig')
  assert.match(said[0], /^3 NXDOMAIN before the answer: "external\.lab\.example" has 2 dot\(s\), fewer than ndots:5/)
  assert.match(said[1], /^TIMEOUT: no answer from the nameserver in time/)
})

test('a walk that never gets an answer stops after 40 queries, and says so', async () => {
  const { o, asked } = origin(() => 'timeout')
  const notes: string[] = []
  await runWalk(o, walk('web', { rounds: 30 }), notes)
  assert.is(asked.length, 40)
  assert.equal(notes, ['stopped after 40 queries'])
})

test('getent: one call, and it refuses what it cannot do (a server, a record type other than A/AAAA)', async () => {
  const { o } = origin(() => 'yes')
  const refuses = (w: Partial<Walk>, re: RegExp) =>
    runWalk(o, walk('web', { tool: 'getent', ...w }), []).then(
      () => assert.unreachable(),
      (e) => assert.ok(e instanceof NetError && e.kind === 'tool' && re.test(e.message), String(e)),
    )
  await refuses({ server: '10.96.0.10' }, /getent cannot ask a given server \(10\.96\.0\.10\)/)
  await refuses({ type: 'SRV' }, /getent can only look up A and AAAA records, not SRV/)
})

test.run()
