// Extra SSH-only nodes: real sshd endpoints with their own host keys, registered as Ready Nodes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { labPaths } from './layout.ts'
import { kubectlJSON } from './lab.ts'
import { run } from './sh.ts'

const P = labPaths()
const labCli = (...args: string[]) => run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], { ok: true, timeout: 300_000 })

test.after(() => {
  labCli('fanout', '0')
})

test('fanout 5 gives 5 Ready nodes, each reachable over ssh with its own pinned host key', () => {
  const r = labCli('fanout', '5')
  assert.equal(r.code, 0, r.stderr)
  const nodes = (kubectlJSON(['get', 'nodes', '-l', 'kinspect.dev/lab-role=ssh-only']).items as any[]).map((n) => n.metadata.name).sort()
  assert.equal(nodes, ['lab-ssh-1', 'lab-ssh-2', 'lab-ssh-3', 'lab-ssh-4', 'lab-ssh-5'])
  const keys = new Set<string>()
  for (const n of nodes) {
    const s = run(['ssh', '-F', P.sshConfig, n, 'echo $SSH_CONNECTION'])
    assert.match(s.stdout, new RegExp(`127\\.0\\.1\\.${n.split('-').pop()} 2222`))
    keys.add(run(['ssh-keygen', '-F', `[${n}]:2222`, '-f', P.knownHosts]).stdout.split('\n').find((l) => l.includes('ssh-ed25519'))!.split(' ').pop()!)
  }
  assert.equal(keys.size, 5, 'distinct host keys')
})

test('fanout 0 stops them and deregisters the nodes', () => {
  labCli('fanout', '0')
  assert.equal(kubectlJSON(['get', 'nodes', '-l', 'kinspect.dev/lab-role=ssh-only']).items.length, 0)
  assert.equal(run(['pgrep', '-f', 'extra/lab-ssh-'], { ok: true }).stdout.trim(), '')
})

test('fanout rejects a bad count', () => {
  const r = labCli('fanout', '-3')
  assert.not.equal(r.code, 0)
  assert.match(r.stderr, /N must be a whole number from 1 to 250, got -3/)
})

test.run()
