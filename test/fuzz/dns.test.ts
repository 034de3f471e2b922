// Fuzz: resolv.conf (and the search walk built on it), dig, nslookup and getent outputs.
import { test } from 'uvu'
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import { isIP } from 'node:net'
import { outcomeOf, parseDig, parseGetent, parseNslookup, type QueryResult } from '../../src/net/dnsparse.ts'
import { parseResolvConf, searchCandidates, type ResolvConf } from '../../src/net/resolvconf.ts'
import { fuzz, labCapture, netCapture, textInput } from './harness.ts'

const caps = (dir: string, re: RegExp, read: (f: string) => string) =>
  fs
    .readdirSync(path.join(import.meta.dirname, dir))
    .filter((f) => re.test(f))
    .map(read)
const DIG = [...caps('../fixtures/lab', /^dig-/, labCapture), ...caps('../net/fixtures', /^dig-/, netCapture)]
const NSLOOKUP = [
  ...caps('../fixtures/lab', /^nslookup-/, labCapture),
  ...caps('../net/fixtures', /^nslookup-/, netCapture),
]
const RESOLV = caps('../fixtures/lab', /^resolv-conf-/, labCapture)

const names = fc.oneof(
  fc.constantFrom('kubernetes.default', 'web', 'web.shop.svc.cluster.local.', 'a.b.c.d.e', '.', ''),
  fc.domain(),
  fc.string({ maxLength: 20 }),
)

fuzz({
  name: 'resolv.conf + search candidates',
  input: fc.tuple(textInput(RESOLV), names, fc.constantFrom('glibc' as const, 'musl' as const)),
  run: ([text, name, kind]: [string, string, 'glibc' | 'musl']) => {
    const rc = parseResolvConf(text)
    return { rc, cands: searchCandidates(name, rc, kind) }
  },
  check: ({ rc, cands }: { rc: ResolvConf; cands: { name: string }[] }, [, name]: [string, string, unknown]) => {
    if (rc.nameservers.length > 3) throw new Error(`${rc.nameservers.length} nameservers used`)
    for (const ns of [...rc.nameservers, ...rc.ignoredNameservers])
      if (!isIP(ns)) throw new Error(`nameserver ${JSON.stringify(ns)} is not an IP address`)
    if (!(
      rc.ndots >= 0 &&
      rc.ndots <= 15 &&
      rc.timeout >= 1 &&
      rc.timeout <= 30 &&
      rc.attempts >= 1 &&
      rc.attempts <= 5
    ))
      throw new Error(`options out of range: ${JSON.stringify([rc.ndots, rc.timeout, rc.attempts])}`)
    for (const d of rc.search) if (!d || /\s/.test(d)) throw new Error(`search domain ${JSON.stringify(d)}`)
    if (!cands.length || cands.length > rc.search.length + 1)
      throw new Error(`${cands.length} candidates for ${rc.search.length} search domains`)
    if (name.endsWith('.') && cands.length !== 1) throw new Error('an absolute name is tried alone')
  },
})

const RCODE = /^[A-Z]+$/

/** What any query result must be: an rcode word, records with a name and a type, A/AAAA data an address of that family. */
function checkResult(r: QueryResult): void {
  if (!RCODE.test(r.rcode)) throw new Error(`rcode ${JSON.stringify(r.rcode)}`)
  outcomeOf(r)
  if (r.queryMs !== undefined && !(Number.isSafeInteger(r.queryMs) && r.queryMs >= 0))
    throw new Error(`query time ${r.queryMs}`)
  for (const a of r.answers) {
    if (!a.name || /\s/.test(a.name) || !/^[A-Z0-9]+$/.test(a.type)) throw new Error(`record ${JSON.stringify(a)}`)
    if (a.ttl !== undefined && !(Number.isSafeInteger(a.ttl) && a.ttl >= 0)) throw new Error(`ttl ${a.ttl}`)
    if ((a.type === 'A' && isIP(a.data) !== 4) || (a.type === 'AAAA' && isIP(a.data) !== 6))
      throw new Error(`${a.type} record with data ${JSON.stringify(a.data)}`)
  }
}

fuzz({ name: 'dig', input: textInput(DIG), run: parseDig, check: checkResult })
fuzz({ name: 'nslookup', input: textInput(NSLOOKUP), run: parseNslookup, check: checkResult })
fuzz({
  name: 'getent ahosts',
  input: fc.tuple(
    textInput([netCapture('getent-ahostsv4-localhost.txt')]),
    fc.constantFrom(0, 1, 2, null),
    fc.oneof(fc.constantFrom('localhost', 'web.shop.svc.cluster.local'), fc.domain()),
  ),
  run: ([text, code, name]: [string, number | null, string]) => parseGetent(text, code, name),
  check: checkResult,
})

test.run()
