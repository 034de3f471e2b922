// Fuzz: conntrack -L / -S, /proc/net/stat/nf_conntrack, the count/max pair, conntrack's summary and our limit trailer.
import { test } from 'uvu'
import fc from 'fast-check'
import { isIP } from 'node:net'
import {
  parseConntrackL,
  parseConntrackS,
  parseConntrackSummary,
  parseCountMax,
  parseLimitTrailer,
  parseProcConntrackStat,
  sumCpuStats,
  type ConntrackCpuStats,
  type ConntrackEntry,
} from '../../src/net/conntrack-parse.ts'
import { fuzz, labCapture, netCapture, textInput } from './harness.ts'

const count = (x: unknown, what: string) => {
  if (!(Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 2 ** 64))
    throw new Error(`${what}: expected a non-negative integer, got ${x}`)
}
const lines = (t: string) => t.split('\n').filter((l) => l.trim()).length

const L_SEEDS = [
  labCapture('conntrack-L.txt'),
  labCapture('conntrack-L-dns.txt'),
  netCapture('conntrack-L-extended.txt'),
  netCapture('conntrack-L-icmp.txt'),
  netCapture('conntrack-L-unreplied.txt'),
]

fuzz({
  name: 'conntrack -L',
  input: textInput(L_SEEDS),
  run: parseConntrackL,
  check: (es: ConntrackEntry[], text: string) => {
    if (es.length > lines(text)) throw new Error(`${es.length} flows from ${lines(text)} lines`)
    for (const e of es) {
      count(e.protonum, 'protonum')
      count(e.timeout, 'timeout')
      for (const k of ['mark', 'zone', 'use'] as const) if (e[k] !== undefined) count(e[k], k)
      for (const [dir, t] of [
        ['orig', e.orig],
        ['reply', e.reply],
      ] as const) {
        for (const k of ['src', 'dst'] as const)
          if (t[k] !== undefined && !isIP(t[k]!))
            throw new Error(`${dir} ${k} ${JSON.stringify(t[k])} is not an IP address`)
        for (const k of ['sport', 'dport'] as const)
          if (t[k] !== undefined && !(Number.isInteger(t[k]) && t[k]! >= 0 && t[k]! <= 65535))
            throw new Error(`${dir} ${k} ${t[k]} is not a port`)
        for (const k of ['type', 'code', 'id', 'packets', 'bytes'] as const)
          if (t[k] !== undefined) count(t[k], `${dir} ${k}`)
      }
      if (e.assured !== e.flags.includes('ASSURED') || e.unreplied !== e.flags.includes('UNREPLIED'))
        throw new Error('flags and booleans disagree')
    }
  },
})

const checkCpus = (cpus: ConntrackCpuStats[], text: string) => {
  if (cpus.length > lines(text)) throw new Error(`${cpus.length} CPUs from ${lines(text)} lines`)
  for (const c of cpus) for (const [k, v] of Object.entries(c)) count(v, k)
  for (const [k, v] of Object.entries(sumCpuStats(cpus)))
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`sum of ${k} is ${v}`)
}

fuzz({
  name: 'conntrack -S',
  input: textInput([labCapture('conntrack-S.txt'), labCapture('conntrack-S-full.txt')]),
  run: parseConntrackS,
  check: checkCpus,
})

fuzz({
  name: '/proc/net/stat/nf_conntrack',
  input: textInput([netCapture('proc-net-stat-nf_conntrack.txt')]),
  run: parseProcConntrackStat,
  check: checkCpus,
})

const TRAILER = '#kinspect exit 0\n#kinspect total 705\n'
fuzz({
  name: 'conntrack count/max, summary, limit trailer',
  input: fc.tuple(
    textInput([labCapture('conntrack-count-full.txt')]),
    textInput(['conntrack v1.4.7 (conntrack-tools): 705 flow entries have been shown.\n']),
    textInput([TRAILER]),
  ),
  run: ([cm, summary, trailer]: [string, string, string]) => ({
    cm: parseCountMax(cm),
    total: parseConntrackSummary(summary),
    trailer: parseLimitTrailer(trailer),
  }),
  check: ({
    cm,
    total,
    trailer,
  }: {
    cm: { count?: number; max?: number }
    total?: number
    trailer: { exit?: number; total?: number }
  }) => {
    for (const [k, v] of Object.entries({
      count: cm.count,
      max: cm.max,
      total,
      exit: trailer.exit,
      trailerTotal: trailer.total,
    }))
      if (v !== undefined) count(v, k)
  },
})

test.run()
