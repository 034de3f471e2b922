// The quoting property through the session's node(x).$, as a user types it: random argv arrive byte-exact on the node
// over the node pod (lab-2), and over SSH under bash, dash and busybox ash, where every session command is abortable
// and so goes through the pid-announcing `sh -c … exec` wrapper (src/exec/ssh/stop.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { IMAGES } from '../lab/manifests.ts'
import { POD_ONLY, config, envFor, kinspectPods, noPodsLeft, session } from './labkit.ts'
import type { Session } from '../../src/session.ts'
import { argvProperty } from '../exec/argv-property.ts'

// node.$ refuses a word that is exactly a shell operator (it would not act as one): those go through node.run().
const OPERATOR = /^(\|\|?|&&?|;|>>?|<<?|2>|2>&1|>&2|\$\(|`|\(|\))$/
async function property(s: Session, node: string, runs: number): Promise<void> {
  const h = s.node(node)
  const { seed, wrong } = await argvProperty(
    runs,
    (args) =>
      args.some((a) => OPERATOR.test(a))
        ? h.run(['printf', '%s\\0', ...args], { nothrow: true, timeoutMs: 10_000 })
        : h.nothrow().timeout(10_000).$`printf %s\\0 ${args}`,
    { cleanStderr: true },
  )
  assert.equal(wrong, [], `${node} seed ${seed}`)
}

test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
})

test('node pod: 150 random argv through node(x).$ arrive exactly', async () => {
  const s = await session(envFor(config('quoting-pod', POD_ONLY)))
  try {
    await property(s, 'lab-2', 150)
    assert.is(s.node('lab-2').via, 'pod')
  } finally {
    await s.close()
  }
})

test('SSH (bash, dash, busybox ash login shells): 100 random argv each through node(x).$ arrive exactly, stderr clean', async () => {
  const s = await session(
    envFor(config('quoting-ssh', `transports: [ssh]\nimage: ${IMAGES.nodePod}`, { ssh: true }), { ssh: true }),
  )
  try {
    for (const host of ['lab-1', 'lab-1-dash', 'lab-1-ash']) {
      await property(s, host, 100)
      assert.is(s.node(host).via, 'ssh')
    }
  } finally {
    await s.close()
  }
})

test('no kinspect pod is left', async () => {
  assert.equal(await noPodsLeft(), [])
})

test.run()
