// The node pod's shell scripts, run for real with this machine's shells (busybox sh as in the image, and dash):
// the wrapper (pid file, stop marker, head -c stdin, exit codes, argv untouched) and the killer.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  NODE_PATH,
  STATE_DIR,
  killCommand,
  missingProgram,
  parseProbe,
  probeCommand,
  wrapCommand,
  type PodFacts,
} from '../../../src/exec/nodepod/command.ts'

const SHELLS = [
  ['busybox sh', '/bin/busybox', 'sh'],
  ['dash', '/usr/bin/dash'],
] as const
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-nodepod-'))
// A stand-in for nsenter: logs its options, then runs what follows "--" (namespaces are not the point here).
const stub = path.join(tmp, 'nsenter')
fs.writeFileSync(
  stub,
  `#!/bin/sh\necho "$*" >>"${tmp}/nsenter.log"\nwhile [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done\nshift\nexec "$@"\n`,
  { mode: 0o755 },
)
const facts: PodFacts = { nsenter: stub, target: '1' }
let n = 0
const token = () => `t${process.pid}x${n++}`

function runIn(shell: readonly string[], argv: string[], input?: string) {
  const [exe, ...pre] = shell.slice(1)
  return spawnSync(exe, [...pre, ...argv.slice(1)], { input, encoding: 'utf8', timeout: 20_000 })
}
const alive = (pid: number) => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z')
  } catch {
    return false
  }
}
const startTime = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19])
const waitFor = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true })
  for (const f of fs.readdirSync(STATE_DIR)) if (f.startsWith(`t${process.pid}x`)) fs.rmSync(`${STATE_DIR}/${f}`)
})

for (const shell of SHELLS) {
  const name = shell[0]
  test(`${name}: the wrapper passes argv untouched, keeps the exit code, and removes its pid file`, () => {
    const t = token()
    const args = ["a' b", '$(id)', '*', '', '-n', 'line\nbreak', 'é']
    const r = runIn(
      shell,
      wrapCommand(['printf', '%s\\0', ...args], { token: t, facts, from: 'node', timeoutMs: 5000 }),
    )
    assert.is(r.status, 0, r.stderr)
    assert.equal(r.stdout.split('\0').slice(0, -1), args)
    assert.not.ok(fs.existsSync(`${STATE_DIR}/${t}.pid`))
    const e = runIn(
      shell,
      wrapCommand(['sh', '-c', 'echo out; echo err >&2; exit 7'], {
        token: token(),
        facts,
        from: 'node',
        timeoutMs: 5000,
      }),
    )
    assert.is(e.status, 7)
    assert.is(e.stdout, 'out\n')
    assert.is(e.stderr, 'err\n')
  })

  test(`${name}: node mode enters every namespace with the node's PATH; image mode only the network`, () => {
    fs.rmSync(`${tmp}/nsenter.log`, { force: true })
    const r = runIn(
      shell,
      wrapCommand(['sh', '-c', 'echo $PATH'], { token: token(), facts, from: 'node', timeoutMs: 3000 }),
    )
    assert.is(r.stdout.trim(), NODE_PATH)
    runIn(shell, wrapCommand(['true'], { token: token(), facts, from: 'image', timeoutMs: 61_500 }))
    const log = fs.readFileSync(`${tmp}/nsenter.log`, 'utf8').trim().split('\n')
    assert.is(log[0], '-t 1 -m -u -i -n -p -- timeout -k 2 3 sh -c echo $PATH')
    assert.is(log[1], '-t 1 -n -- timeout -k 2 62 true')
  })

  test(`${name}: stdin by length (head -c N) ends the command's input although the pipe stays open`, async () => {
    const input = 'héllo\nwörld\n'
    const bytes = Buffer.byteLength(input)
    const [exe, ...pre] = shell.slice(1)
    const argv = wrapCommand(['wc', '-c'], { token: token(), facts, from: 'node', timeoutMs: 5000, stdinBytes: bytes })
    const child = spawn(exe, [...pre, ...argv.slice(1)], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (b) => (out += b))
    child.stdin.write(input) // and never closed, as on v4
    const code = await new Promise((r) => child.on('exit', r))
    child.stdin.destroy()
    assert.is(code, 0)
    assert.is(out.trim(), String(bytes))
  })

  test(`${name}: the killer ends the wrapper and all it started, even what ignores TERM, and says how many`, async () => {
    const t = token()
    const [exe, ...pre] = shell.slice(1)
    const argv = wrapCommand(['sh', '-c', 'trap "" TERM; sleep 30 & sleep 31; wait'], {
      token: t,
      facts,
      from: 'node',
      timeoutMs: 60_000,
    })
    const child = spawn(exe, [...pre, ...argv.slice(1)], { stdio: 'ignore' })
    await waitFor(() => fs.existsSync(`${STATE_DIR}/${t}.pid`))
    const [root, start] = fs.readFileSync(`${STATE_DIR}/${t}.pid`, 'utf8').trim().split(' ').map(Number)
    assert.is(start, startTime(root), 'the pid file holds "pid starttime"')
    await waitFor(() => descendants(root).length >= 4) // stub nsenter → timeout → sh → 2 sleeps
    const tree = [root, ...descendants(root)]
    const t0 = Date.now()
    const k = runIn(shell, killCommand(t))
    assert.is(k.status, 0, k.stderr)
    assert.match(k.stdout, /^stopped \d+$/m)
    assert.ok(Number(k.stdout.match(/stopped (\d+)/)![1]) >= tree.length)
    await waitFor(() => tree.every((p) => !alive(p)), 2000)
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`)
    assert.equal(
      fs.readdirSync(STATE_DIR).filter((f) => f.startsWith(`${t}.`)),
      [],
      'pid file and stop marker are removed',
    )
    child.kill()
  })

  test(`${name}: a pid file whose start time is not the process's (a reused pid) kills nothing`, async () => {
    const victim = spawn('sleep', ['30'], { stdio: 'ignore' })
    await waitFor(() => alive(victim.pid!))
    const t = token()
    fs.writeFileSync(`${STATE_DIR}/${t}.pid`, `${victim.pid} ${startTime(victim.pid!) + 1}\n`)
    const k = runIn(shell, killCommand(t))
    assert.is(k.status, 0, k.stderr)
    assert.match(k.stdout, /^stopped 0$/m)
    assert.ok(alive(victim.pid!), 'a process that merely has the recorded pid was killed')
    victim.kill()
  })

  test(`${name}: a kill that comes before the command starts stops it from starting (exit 130)`, () => {
    const t = token()
    assert.is(runIn(shell, killCommand(t)).status, 0)
    const r = runIn(shell, wrapCommand(['sh', '-c', 'echo ran'], { token: t, facts, from: 'node', timeoutMs: 5000 }))
    assert.is(r.status, 130)
    assert.is(r.stdout, '')
  })
}

test('dash: target "kubelet" enters the namespaces of the kubelet in this network namespace, cached until it changes', async () => {
  const bin = path.join(tmp, 'bin')
  fs.mkdirSync(bin, { recursive: true })
  fs.symlinkSync('/bin/sleep', path.join(bin, 'kubelet'))
  const kubelet = spawn(path.join(bin, 'kubelet'), ['30'], { stdio: 'ignore' })
  // pidof, as this test controls it: the fake kubelet, or nothing
  const pidofOut = path.join(tmp, 'pidof.out')
  fs.writeFileSync(path.join(bin, 'pidof'), `#!/bin/sh\ncat "${pidofOut}"\n`, { mode: 0o755 })
  const cache = `${STATE_DIR}/kubelet`
  const saved = fs.existsSync(cache) ? fs.readFileSync(cache, 'utf8') : undefined
  try {
    fs.rmSync(cache, { force: true })
    await waitFor(
      () =>
        fs.existsSync(`/proc/${kubelet.pid}/comm`) &&
        fs.readFileSync(`/proc/${kubelet.pid}/comm`, 'utf8').trim() === 'kubelet',
    )
    const run = () =>
      spawnSync(
        '/usr/bin/dash',
        wrapCommand(['true'], {
          token: token(),
          facts: { nsenter: stub, target: 'kubelet' },
          from: 'node',
          timeoutMs: 3000,
        }).slice(1),
        { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
      )
    // the first pid pidof names in this network namespace is taken (this test process here, to prove the cache check)
    fs.writeFileSync(pidofOut, `${process.pid} ${kubelet.pid}\n`)
    fs.rmSync(`${tmp}/nsenter.log`, { force: true })
    let r = run()
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr, '')
    assert.is(fs.readFileSync(cache, 'utf8').trim(), String(process.pid), 'the first pid in this netns is taken')
    // a cached pid that is not a kubelet is refreshed; the fake kubelet is found
    fs.writeFileSync(pidofOut, `${kubelet.pid}\n`)
    r = run()
    assert.is(r.status, 0, r.stderr)
    assert.is(fs.readFileSync(cache, 'utf8').trim(), String(kubelet.pid))
    // cached and valid: no pidof needed
    fs.writeFileSync(pidofOut, '')
    r = run()
    assert.is(r.status, 0, r.stderr)
    const log = fs.readFileSync(`${tmp}/nsenter.log`, 'utf8').trim().split('\n')
    assert.equal(
      log.map((l) => l.split(' ')[1]),
      [String(process.pid), String(kubelet.pid), String(kubelet.pid)],
    )
    // no kubelet at all: a clear message and exit 125
    kubelet.kill()
    await waitFor(() => !alive(kubelet.pid!))
    r = run()
    assert.is(r.status, 125)
    assert.match(r.stderr, /^kinspect: cannot enter the node's namespaces/)
  } finally {
    kubelet.kill()
    if (saved === undefined) fs.rmSync(cache, { force: true })
    else fs.writeFileSync(cache, saved)
  }
})

function descendants(root: number): number[] {
  const par = new Map<number, number>()
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      par.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {}
  }
  const out: number[] = []
  const want = new Set([root])
  for (let changed = true; changed;) {
    changed = false
    for (const [p, pp] of par) if (!want.has(p) && want.has(pp)) (want.add(p), out.push(p), (changed = true))
  }
  return out.filter(alive)
}

test('the probe finds an absolute nsenter even where busybox prefers its applets', () => {
  const r = runIn(SHELLS[0], probeCommand())
  const f = parseProbe(r.stdout)
  assert.ok(f.nsenter.startsWith('/'), f.nsenter)
  assert.is(f.target, fs.readlinkSync('/proc/self/ns/mnt') && canReadInit() ? '1' : 'kubelet')
})
function canReadInit(): boolean {
  try {
    fs.readlinkSync('/proc/1/ns/mnt')
    return true
  } catch {
    return false
  }
}

test('parseProbe names what the image lacks', () => {
  assert.throws(() => parseProbe('nsenter=\ntarget=1\n'), /no nsenter/)
  assert.throws(() => parseProbe('nsenter=/bin/nsenter\n'), /unexpected/)
  assert.equal(parseProbe('nsenter=/usr/bin/nsenter\ntarget=kubelet\n'), {
    nsenter: '/usr/bin/nsenter',
    target: 'kubelet',
  })
})

test('missingProgram tells a missing tool from a missing timeout(1), on the real messages of this machine', () => {
  const msg = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } })
    return { exitCode: r.status, stderr: r.stderr }
  }
  const gnuC = msg(['timeout', '5', 'nosuchtool'], { LANG: 'C', LC_ALL: 'C' })
  const gnuUtf8 = msg(['timeout', '5', 'nosuchtool'], { LC_ALL: 'C.UTF-8' })
  const bbTimeout = msg(['/bin/busybox', 'timeout', '5', 'nosuchtool'])
  const ulNsenter = msg(['nsenter', '-t', String(process.pid), '-n', '--', 'timeout-missing'])
  const bbNsenter = msg(['/bin/busybox', 'nsenter', '-t', String(process.pid), '-n', '--', 'timeout-missing'])
  for (const m of [gnuC, gnuUtf8, bbTimeout]) assert.is(missingProgram(m, 'nosuchtool'), 'tool', JSON.stringify(m))
  assert.is(missingProgram(gnuC, 'othertool'), undefined)
  // the stand-ins name a different program than "timeout": rewrite to what nsenter prints when the node has none
  for (const m of [ulNsenter, bbNsenter]) {
    assert.is(m.exitCode, 127, JSON.stringify(m))
    assert.is(
      missingProgram({ ...m, stderr: m.stderr.replace('timeout-missing', 'timeout') }, 'ip'),
      'timeout',
      JSON.stringify(m),
    )
  }
  assert.is(missingProgram({ exitCode: 1, stderr: gnuC.stderr }, 'nosuchtool'), undefined)
})

test('builders refuse tokens that would reach the shell unquoted', () => {
  assert.throws(() => killCommand('a;b'), /token/)
  assert.throws(() => wrapCommand(['true'], { token: '$(x)', facts, from: 'node', timeoutMs: 1000 }), /token/)
})

test.run()
