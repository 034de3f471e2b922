// Fuzz: kube-proxy rule parsers (iptables-save, nft -j, ipvsadm/ipset) and the per-Service extraction that reads them.
import { test } from 'uvu'
import fc from 'fast-check'
import { iptablesSvcRules, parseIptablesSave, type IptablesDump } from '../../src/net/svc/iptables.ts'
import { nftSvcRules, parseNftJson, type NftTable } from '../../src/net/svc/nft.ts'
import { ipvsSvcRules, parseIpsetList, parseIpvsadm, parseIpvsadmStats } from '../../src/net/svc/ipvs.ts'
import { SvcRulesError } from '../../src/net/svc/errors.ts'
import { svcSpec } from '../../src/net/svc/spec.ts'
import type { SvcPortRules, SvcSpec } from '../../src/net/svc/types.ts'
import type { Service } from '../../src/kube/index.ts'
import { IPSET_LIST, IPVS_NAT, IPVSADM_LN, IPVSADM_STATS, LB_IPTABLES } from '../net/svc/samples.ts'
import { fuzz, jsonInput, labCapture, textInput } from './harness.ts'

const SPECS: SvcSpec[] = (JSON.parse(labCapture('kubectl-services.json')).items as Service[]).map((s) => svcSpec(s, 4))
const typed = (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse'

/** A counter: a whole number 0 .. 2^64 (beyond 2^53 a number keeps only its leading digits, which is fine for a count). */
function nonNegInt(x: unknown, what: string): void {
  if (x !== undefined && !(Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 2 ** 64))
    throw new Error(`${what}: expected a 64-bit count, got ${x}`)
}

/** What must hold of any extraction: ports are port numbers, probabilities are probabilities, counters are counts. */
function checkRules(ports: SvcPortRules[]): void {
  for (const p of ports) {
    for (const f of p.frontends) {
      if (!(Number.isInteger(f.port) && f.port >= 0 && f.port <= 65535))
        throw new Error(`frontend ${f.ip}: port ${f.port} is not a port number`)
      nonNegInt(f.counters?.packets, 'frontend packets')
      nonNegInt(f.counters?.bytes, 'frontend bytes')
    }
    for (const c of p.chains) {
      let sum = 0
      for (const e of c.endpoints) {
        if (e.probability !== undefined && !(e.probability >= 0 && e.probability <= 1))
          throw new Error(`${c.name}: endpoint ${e.ip} has probability ${e.probability}`)
        sum += e.probability ?? 0
        if (!(Number.isInteger(e.port) && e.port >= 0 && e.port <= 65535))
          throw new Error(`${c.name}: endpoint port ${e.port}`)
        nonNegInt(e.counters?.packets, 'endpoint packets')
      }
      if (sum > 1 + 1e-9) throw new Error(`${c.name}: endpoint probabilities add up to ${sum}`)
    }
  }
}

const IPT_SEEDS = [
  labCapture('iptables-save.txt'),
  labCapture('iptables-save-nat-counters.txt'),
  labCapture('iptables-save-stale.txt'),
  LB_IPTABLES,
  IPVS_NAT,
]

fuzz({
  name: 'iptables-save',
  input: textInput(IPT_SEEDS),
  run: (text: string) => {
    const dump = parseIptablesSave(text)
    return { dump, rules: SPECS.map((s) => iptablesSvcRules(dump, s)) }
  },
  expected: typed,
  check: ({ dump, rules }: { dump: IptablesDump; rules: SvcPortRules[][] }, text: string) => {
    const n = [...Object.values(dump.tables)].reduce(
      (s, t) => s + [...t.values()].reduce((k, c) => k + c.rules.length, 0),
      0,
    )
    const lines = text.split('\n').filter((l) => l.trim()).length
    if (n > lines) throw new Error(`${n} rules from ${lines} lines`)
    for (const t of Object.values(dump.tables)) {
      for (const [name, c] of t) {
        if (c.name !== name || !name) throw new Error(`chain keyed ${name} is named ${c.name}`)
        nonNegInt(c.counters?.packets, `${name} packets`)
        for (const r of c.rules) {
          if (r.chain !== name) throw new Error(`rule of ${r.chain} filed under ${name}`)
          nonNegInt(r.counters?.packets, `${name} rule packets`)
          nonNegInt(r.counters?.bytes, `${name} rule bytes`)
        }
      }
    }
    rules.forEach(checkRules)
  },
})

const NFT_SEED = labCapture('nft-kube-proxy.json')

fuzz({
  name: 'nft -j',
  input: jsonInput([NFT_SEED]),
  run: (text: string) => {
    const t = parseNftJson(text)
    return { t, rules: SPECS.map((s) => nftSvcRules(t, s)) }
  },
  expected: typed,
  check: ({ t, rules }: { t: NftTable; rules: SvcPortRules[][] }) => {
    for (const [name, rs] of t.chains)
      for (const r of rs) if (r.chain !== name) throw new Error(`rule of ${r.chain} filed under ${name}`)
    for (const [name, els] of t.maps)
      for (const el of els)
        if (!Array.isArray(el.key) || typeof el.verdict !== 'string')
          throw new Error(`map ${name}: element ${JSON.stringify(el)}`)
    for (const rs of t.chains.values())
      for (const r of rs) if (typeof r.text !== 'string') throw new Error('rule text is not a string')
    rules.forEach(checkRules)
  },
})

test('nft -j: an already parsed document gets the same treatment as its text', () => {
  fc.assert(
    fc.property(jsonInput([NFT_SEED]), (text) => {
      let doc: unknown
      try {
        doc = JSON.parse(text)
      } catch {
        return
      }
      const viaText = (() => {
        try {
          return parseNftJson(text)
        } catch (e) {
          if (typed(e)) return 'parse error'
          throw e
        }
      })()
      const viaObj = (() => {
        try {
          return parseNftJson(doc as object)
        } catch (e) {
          if (typed(e)) return 'parse error'
          throw e
        }
      })()
      if (
        JSON.stringify(viaText, (_k, v) => (v instanceof Map ? [...v] : v)) !==
        JSON.stringify(viaObj, (_k, v) => (v instanceof Map ? [...v] : v))
      )
        throw new Error('text and object differ')
    }),
    { numRuns: 300 },
  )
})

fuzz({
  name: 'ipvsadm -Ln / --stats / ipset list',
  input: fc.tuple(textInput([IPVSADM_LN]), textInput([IPVSADM_STATS]), textInput([IPSET_LIST])),
  run: ([ln, stats, sets]: [string, string, string]) => {
    const services = parseIpvsadm(ln)
    const st = parseIpvsadmStats(stats)
    const ipsets = parseIpsetList(sets)
    const nat = parseIptablesSave(IPVS_NAT)
    return { services, rules: SPECS.map((s) => ipvsSvcRules(services, st, ipsets, nat, s)) }
  },
  expected: typed,
  check: (
    { services, rules }: { services: ReturnType<typeof parseIpvsadm>; rules: SvcPortRules[][] },
    [ln]: [string, string, string],
  ) => {
    if (services.length > ln.split('\n').length)
      throw new Error(`${services.length} virtual services from ${ln.split('\n').length} lines`)
    for (const v of services) {
      if (!(Number.isInteger(v.port) && v.port >= 0 && v.port <= 65535))
        throw new Error(`virtual service port ${v.port}`)
      for (const r of v.reals) {
        nonNegInt(r.weight, 'weight')
        nonNegInt(r.activeConns, 'ActiveConn')
        nonNegInt(r.inactiveConns, 'InActConn')
      }
    }
    rules.forEach(checkRules)
  },
})

test.run()
