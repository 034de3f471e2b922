// A node's sshd frozen (SIGSTOP on lab-2's listener: the kernel still completes TCP handshakes, and nothing answers)
// under an open session: node('lab-2') ends with a clear error at the ssh ConnectTimeout (5 s in the lab's ssh
// config), the REPL keeps running, the API and the other nodes keep working, a new `kinspect -e` exits with the error,
// and lab-2 is reached again once sshd runs.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { nodePaths } from '../lab/layout.ts'
import { alivePid } from '../lab/sh.ts'
import { Repl, assertClearError, labEnv, measured, runE } from './kit.ts'

const SSHD_PID = path.join(nodePaths('lab-2').runDir, 'sshd.pid')
const TIMED_OUT = /ssh: timed out after 5000 ms connecting to lab-2 \(10\.99\.0\.2:2222\)/

test("lab-2's sshd frozen: node('lab-2') fails within its 5 s connect timeout, pods() and lab-3 still work, lab-2 works again after", async () => {
  const r = await Repl.open(labEnv())
  try {
    await frozenSshd(r)
  } finally {
    r.kill()
  }
})

/** Freezes lab-2's sshd under the REPL (and a new -e), checks each call, continues it; lab-2 is reached again after. */
async function frozenSshd(r: Repl): Promise<void> {
  const pid = alivePid(SSHD_PID)!
  assert.ok(pid, `lab-2's sshd runs (${SSHD_PID})`)
  try {
    assert.match((await r.call('(await pods()).length', 30_000)).text, /^\d+$/, r.all())
    process.kill(pid, 'SIGSTOP')
    const e = runE("await node('lab-2').$`true`", labEnv())
    // SSH does not connect, so the lab's .recipes (pods: ask) offers a node pod; the user declines.
    const frozen = await r.call("await node('lab-2').$`true`", 20_000, { consent: 'n' })
    const error = frozen.text.slice(frozen.text.indexOf('error: '))
    assertClearError(error, TIMED_OUT, "node('lab-2') with its sshd frozen")
    assert.match(
      error,
      /^error: no transport reaches node lab-2 \(tried ssh, pod\):\n {2}ssh: timed out after 5000 ms connecting to lab-2 \(10\.99\.0\.2:2222\)\n {2}pod: node pods declined\nhint: /,
    )
    measured("node('lab-2').$`true` with lab-2's sshd frozen", frozen.ms)
    assert.ok(frozen.ms >= 4500 && frozen.ms < 8000, `ends at the 5 s ConnectTimeout: ${frozen.ms} ms`)
    const pods = await r.call('(await pods()).length', 10_000)
    assert.match(pods.text, /^\d+$/, r.all())
    const lab3 = await r.call("(await node('lab-3').$`hostname`).text()", 10_000)
    assert.is(lab3.text, "'lab-3'", r.all())
    measured("node('lab-3').$`hostname` with lab-2's sshd frozen", lab3.ms)
    assert.is((await r.call('6 * 7', 2000)).text, '42')
    const ended = await e
    assert.is(ended.code, 1, ended.err)
    // Before the error, one progress line: the pod transport's permission check (it never got to ask).
    const err = ended.err.trim()
    assert.match(err, /^(checking access for a node pod on lab-2 .*\n)?error: /, err)
    assertClearError(err.slice(err.indexOf('error: ')), TIMED_OUT, "kinspect -e node('lab-2') with its sshd frozen")
    assert.match(err, 'pod: creating a privileged node pod on lab-2 needs consent, and there is no terminal to ask on')
    measured("kinspect -e node('lab-2').$`true` with lab-2's sshd frozen, start to exit", ended.ms)
    assert.ok(ended.ms < 15_000, `-e took ${ended.ms} ms`)
  } finally {
    continueWithParent(pid)
  }
  const back = await r.call("(await node('lab-2').$`hostname`).text()", 20_000)
  assert.is(back.text, "'lab-2'", `the same session reaches lab-2 again: ${r.all()}`)
  assert.is(await r.exit(), 0, r.all())
}

test("lab-2's sshd frozen under an open connection (listener and session processes): the command ends at its 30 s deadline, the rest works", async () => {
  const r = await Repl.open(labEnv())
  try {
    assert.is((await r.call("(await node('lab-2').$`hostname`).text()", 30_000)).text, "'lab-2'", r.all())
    const frozen = withDescendants(alivePid(SSHD_PID)!)
    assert.ok(frozen.length >= 2, `the listener and the pooled connection's sshd: ${frozen}`)
    try {
      for (const p of frozen) process.kill(p, 'SIGSTOP')
      const call = await r.call("await node('lab-2').$`true`", 40_000)
      assertClearError(
        call.text,
        /^error: `true` on (ssh:)?lab-2 timed out after 3\d{4} ms/,
        "node('lab-2') with its connection frozen",
      )
      measured("node('lab-2').$`true` on a pooled connection with lab-2's sshd frozen", call.ms)
      assert.ok(call.ms >= 29_000 && call.ms < 35_000, `ends at its 30 s deadline: ${call.ms} ms`)
      assert.match((await r.call('(await pods()).length', 10_000)).text, /^\d+$/, r.all())
      assert.is((await r.call("(await node('lab-3').$`hostname`).text()", 10_000)).text, "'lab-3'", r.all())
    } finally {
      for (const p of frozen) continueWithParent(p)
    }
    const back = await r.call("(await node('lab-2').$`hostname`).text()", 40_000)
    assert.is(back.text, "'lab-2'", `the same session reaches lab-2 again: ${r.all()}`)
    measured("node('lab-2').$`hostname` once lab-2's sshd continues", back.ms)
    assert.is(await r.exit(), 0, r.all())
  } finally {
    r.kill()
  }
})

/**
 * SIGCONT to a process and to its parent: the lab starts a node's sshd under `nsenter -t INIT … --`, which stops
 * itself when its child stops (util-linux propagates the stop) and would stay stopped when only the child continued.
 */
function continueWithParent(pid: number): void {
  let parent = 0
  try {
    parent = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1])
  } catch {
    /* gone */
  }
  for (const p of [pid, parent]) {
    if (p > 1) {
      try {
        process.kill(p, 'SIGCONT')
      } catch {
        /* gone */
      }
    }
  }
}

/** A process and all its descendants (host pids, from /proc). */
function withDescendants(root: number): number[] {
  const parent = new Map<number, number>()
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      parent.set(Number(d), Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]))
    } catch {
      /* gone */
    }
  }
  const out = [root]
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p)
  return out
}

test("lab-2's sshd and its children run (none stopped) under its pid file", () => {
  const pid = alivePid(SSHD_PID)
  assert.ok(pid)
  for (const p of withDescendants(pid!)) assert.not.match(stateOf(p), /^T/, `pid ${p} is stopped`)
})

/** The state letter of a process (T: stopped). */
function stateOf(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? ''
}

test.run()
