// Node access through the product on the lab: the transport chosen per node, consent (refused without a terminal,
// --yes, the question on a terminal REPL), Ctrl-C ending the remote command within 2 s over SSH and over the pod (REPL
// and -e), SIGTERM and kill -9 with a pod running, kinspect gc, and --dry-run naming the nodes that would get a pod.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import type { NodeAccessExec } from '../../src/access/chooser.ts'
import { IMAGES } from '../lab/manifests.ts'
import {
  POD_ONLY,
  config,
  envFor,
  kinspect,
  kinspectPods,
  noPodsLeft,
  root,
  session,
  sleeping,
  tmp,
  until,
} from './labkit.ts'

const SSH_FIRST = config('ssh-first', `transports: [ssh, pod]\npods: always\nimage: ${IMAGES.nodePod}`, { ssh: true })
const SSH_BROKEN = config('ssh-broken', `transports: [ssh, pod]\npods: always\nimage: ${IMAGES.nodePod}`, {
  nodes: 'nodes:\n  - match: "lab-?"\n    user: root\n    port: 9\n',
})
const POD = config('pod', POD_ONLY)
const ASK = config('ask', `transports: [ssh, pod]\npods: ask\nimage: ${IMAGES.nodePod}`)

test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
})

test('the transport is chosen on the first command and kept: SSH where it applies and connects, else the pod', async () => {
  const cases = [
    { env: envFor(SSH_FIRST, { ssh: true }), via: 'ssh', skipped: [] as RegExp[] },
    {
      env: envFor(SSH_BROKEN, { ssh: true }),
      via: 'pod',
      skipped: [/^ssh: cannot connect to lab-2 \(10\.99\.0\.2:9\): /],
    },
    { env: envFor(POD), via: 'pod', skipped: [] },
    {
      env: envFor(config('default-order', `pods: always\nimage: ${IMAGES.nodePod}`)),
      via: 'pod',
      skipped: [/^ssh: no ssh config entry, key or agent applies to lab-2$/],
    },
  ]
  for (const c of cases) {
    const s = await session(c.env)
    try {
      const h = s.node('lab-2')
      assert.is(h.via, undefined)
      assert.is((await h.$`hostname`).text(), 'lab-2')
      assert.equal([h.via, h.target], [c.via, `${c.via}:lab-2`])
      await h.$`true`
      assert.is(h.via, c.via, 'kept')
      const skipped = (h.exec as NodeAccessExec).skipped.map((a) => `${a.transport}: ${a.reason}`)
      assert.is(skipped.length, c.skipped.length, skipped.join('\n'))
      c.skipped.forEach((re, i) => assert.match(skipped[i], re))
    } finally {
      await s.close()
    }
  }
  assert.equal(await noPodsLeft(), [])
})

test('-e without a terminal and without --yes: refused before anything is created; with --yes it runs and the pod is deleted at the end', async () => {
  const refused = kinspect(['-e', "await node('lab-2').$`true`"], envFor(ASK), { stdin: 'ignore' })
  assert.is(await refused.exited, 1, refused.err())
  assert.match(
    refused.err(),
    'error: no transport reaches node lab-2 (tried ssh, pod):\n  ssh: no ssh config entry, key or agent applies to lab-2\n  pod: creating a privileged node pod on lab-2 needs consent, and there is no terminal to ask on\n',
  )
  assert.match(
    refused.err(),
    'pod: kinspect -e has no terminal to ask on: pass --yes to allow node pods for this run, or set nodeAccess pods: always in .recipes',
  )
  assert.equal(kinspectPods(), [])
  const yes = kinspect(['--yes', '-e', "(await node('lab-2').$`hostname`).text()"], envFor(ASK), { stdin: 'ignore' })
  assert.is(await yes.exited, 0, yes.err())
  assert.is(yes.out(), "'lab-2'\n")
  assert.match(yes.err(), /kube-system\/kinspect-node-lab-2-\w{5} ready on lab-2/)
  assert.match(yes.err(), /\ndeleted node pod kinspect-node-lab-2-\w{5}\n$/)
  assert.equal(await noPodsLeft(), [])
})

for (const via of ['ssh', 'pod'] as const) {
  const env = via === 'ssh' ? envFor(SSH_FIRST, { ssh: true }) : envFor(POD)

  test(`Ctrl-C (SIGINT) in the REPL on piped stdin ends \`sleep\` on lab-2 within 2 s over ${via}; the prompt comes back`, async () => {
    const marker = via === 'ssh' ? '347.1' : '347.2'
    const k = kinspect([], env)
    k.child.stdin!.write(`await node('lab-2').$\`sleep ${marker}\`\n`)
    assert.ok(
      await until(() => sleeping('lab-2', marker), 90_000),
      `sleep ${marker} never ran on lab-2: ${k.out()}${k.err()}`,
    )
    const t0 = Date.now()
    k.child.kill('SIGINT')
    const gone = await until(() => !sleeping('lab-2', marker), 2000)
    assert.ok(gone, `sleep ${marker} still runs on lab-2 ${Date.now() - t0} ms after Ctrl-C`)
    k.child.stdin!.end("node('lab-2').via\n.exit\n")
    assert.is(await k.exited, 0, k.err())
    assert.match(k.out(), `was aborted`)
    assert.match(k.out(), `'${via}'`)
    assert.equal(await noPodsLeft(), [])
  })

  test(`kinspect -e sent SIGINT ends \`sleep\` on lab-2 within 2 s over ${via}, cleans up and exits 130`, async () => {
    const marker = via === 'ssh' ? '347.3' : '347.4'
    const k = kinspect(['-e', `await node('lab-2').$\`sleep ${marker}\``], env, { stdin: 'ignore' })
    assert.ok(await until(() => sleeping('lab-2', marker), 90_000), `sleep ${marker} never ran on lab-2: ${k.err()}`)
    const t0 = Date.now()
    k.child.kill('SIGINT')
    assert.ok(
      await until(() => !sleeping('lab-2', marker), 2000),
      `sleep ${marker} still runs on lab-2 ${Date.now() - t0} ms after SIGINT`,
    )
    assert.is(await k.exited, 130, k.err())
    if (via === 'pod') assert.match(k.err(), /deleted node pod kinspect-node-lab-2-\w{5}/)
    assert.equal(await noPodsLeft(), [])
  })
}

test('SIGTERM with a pod running: the command ends, the pod is deleted, exit 143', async () => {
  const k = kinspect(['-e', "await node('lab-3').$`sleep 347.5`"], envFor(POD), { stdin: 'ignore' })
  assert.ok(await until(() => sleeping('lab-3', '347.5'), 90_000), k.err())
  k.child.kill('SIGTERM')
  assert.is(await k.exited, 143, k.err())
  assert.not.ok(sleeping('lab-3', '347.5'))
  assert.match(k.err(), /deleted node pod kinspect-node-lab-3-\w{5}/)
  assert.equal(await noPodsLeft(), [])
})

test('kill -9 with a pod running: the pod stays; kinspect gc --dry-run lists it, kinspect gc deletes it', async () => {
  const k = kinspect(['-e', "await node('lab-2').$`sleep 347.6`"], envFor(POD), { stdin: 'ignore' })
  assert.ok(await until(() => sleeping('lab-2', '347.6'), 90_000), k.err())
  const pid = k.child.pid
  k.child.kill('SIGKILL')
  await k.exited
  const left = kinspectPods({ live: true })
  assert.is(left.length, 1, left.join(', '))
  const dry = kinspect(['gc', '--dry-run'], envFor(POD), { stdin: 'ignore' })
  assert.is(await dry.exited, 0, dry.err())
  const pod = left[0].split('/')[1]
  assert.match(
    dry.out(),
    new RegExp(
      `^kube-system\\s+${pod}\\s+lab-2\\s+\\w+\\s+would delete\\s+its session \\(pid ${pid} on ${os.hostname()}\\) is gone$`,
      'm',
    ),
  )
  assert.match(dry.out(), '1 leftover would be deleted (--dry-run: nothing was deleted)')
  assert.equal(kinspectPods({ live: true }), left, '--dry-run deletes nothing')
  const gc = kinspect(['gc'], envFor(POD), { stdin: 'ignore' })
  assert.is(await gc.exited, 0, gc.err())
  assert.match(gc.out(), new RegExp(`${pod}\\s+lab-2\\s+\\w+\\s+deleted\\s+its session`))
  assert.match(gc.out(), '1 deleted, 0 kept')
  assert.equal(await noPodsLeft(), [])
})

test('a terminal REPL: asked once while the input runs (y), both nodes reached, Ctrl-C ends the remote command, .exit deletes the pods', async () => {
  // `script` gives kinspect a pseudo-terminal: raw keys, readline, node's REPL buffering keys while an input runs.
  const child = spawn('script', ['-qfec', `${process.execPath} ${path.join(root, 'bin/kinspect.mjs')}`, '/dev/null'], {
    env: { ...envFor(ASK), TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: tmp,
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  const seen = (s: string, ms: number) => until(() => out.includes(s), ms)
  try {
    assert.ok(await seen('kinspect-lab:shop> ', 30_000), out)
    child.stdin.write("(await node('lab-2').$`hostname`).text()\r")
    assert.ok(await seen('Allow node pods for this session? [y/N] ', 60_000), out)
    child.stdin.write('y\r')
    assert.ok(await seen("'lab-2'", 90_000), out)
    child.stdin.write("(await node('lab-3').$`hostname`).text()\r")
    assert.ok(await seen("'lab-3'", 90_000), out)
    assert.is(out.split('Allow node pods for this session?').length - 1, 1, 'asked once for the session')
    assert.match(out, /ready on lab-2/)
    child.stdin.write("await node('lab-2').$`sleep 347.7`\r")
    assert.ok(await until(() => sleeping('lab-2', '347.7'), 30_000), out)
    const t0 = Date.now()
    child.stdin.write('\u0003')
    assert.ok(
      await until(() => !sleeping('lab-2', '347.7'), 2000),
      `sleep 347.7 still runs on lab-2 ${Date.now() - t0} ms after Ctrl-C`,
    )
    child.stdin.write('.exit\r')
    assert.is(await exited, 0, out)
    assert.match(out, /deleted node pod kinspect-node-lab-2-\w{5}/)
    assert.match(out, /deleted node pod kinspect-node-lab-3-\w{5}/)
  } finally {
    child.kill('SIGKILL')
  }
  assert.equal(await noPodsLeft(), [])
})

test('--dry-run: the nodes that would get a node pod, and those SSH would reach first', async () => {
  const noSsh = kinspect(['run', 'conntrack', '--dry-run'], envFor(ASK), { stdin: 'ignore' })
  assert.is(await noSsh.exited, 0, noSsh.err())
  for (const n of ['lab-1', 'lab-2', 'lab-3'])
    assert.match(
      noSsh.out(),
      `\n  ${n}: a node pod would be created — no ssh config entry, key or agent applies to ${n}\n`,
    )
  assert.match(
    noSsh.out(),
    `image ${IMAGES.nodePod}, deadline 1h; created after asking once, deleted when the run ends`,
  )
  const ssh = kinspect(['run', 'conntrack', '--dry-run', '--node', 'lab-2'], envFor(SSH_FIRST, { ssh: true }), {
    stdin: 'ignore',
  })
  assert.is(await ssh.exited, 0, ssh.err())
  assert.match(
    ssh.out(),
    '\n  lab-2: SSH; a node pod would be created if SSH does not connect — a .recipes nodes rule matches it\n',
  )
  assert.not.match(ssh.out(), 'lab-1:')
  assert.equal(kinspectPods(), [], 'a dry run creates nothing')
})

test('no kinspect pod is left', async () => {
  assert.equal(await noPodsLeft(), [])
})

test.run()
