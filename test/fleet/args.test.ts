// `kinspect fleet` argument parsing: nodes or a selector, durations, fan-out, output, the remote argv after --.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { main, parseArgs } from '../../src/cli.ts'
import { parseFleetArgs } from '../../src/fleet/args.ts'
import { NodeSetError } from '../../src/fleet/nodeset.ts'
import { FleetError } from '../../src/fleet/types.ts'

const fails = (argv: string[], re: RegExp) =>
  assert.throws(
    () => parseFleetArgs(argv),
    (e: unknown) => (e instanceof FleetError || e instanceof NodeSetError) && re.test((e as Error).message),
  )

test('a selector, durations, fan-out, -b, json and the remote argv taken word for word', () => {
  assert.equal(
    parseFleetArgs([
      '-l',
      'role=worker',
      '--timeout',
      '5s',
      '--deadline=30s',
      '-f',
      '16',
      '-b',
      '-o',
      'json',
      '--',
      'sh',
      '-c',
      'uptime | cut -d, -f1',
    ]),
    {
      format: 'json',
      gather: true,
      sudo: false,
      argv: ['sh', '-c', 'uptime | cut -d, -f1'],
      selector: 'role=worker',
      timeoutMs: 5000,
      deadlineMs: 30000,
      fanout: 16,
    },
  )
  assert.equal(parseFleetArgs(['--', 'uptime']), { format: 'text', gather: false, sudo: false, argv: ['uptime'] })
  // after --, flags belong to the remote command
  assert.equal(parseFleetArgs(['lab-1', '--', 'ls', '-l', '--', '-b']).argv, ['ls', '-l', '--', '-b'])
})

test('node names and node sets are expanded; a bare number of seconds is a duration', () => {
  const a = parseFleetArgs(['lab-1', 'lab-ssh-[1-3]', 'lab-1', '--timeout', '2', '--sudo', '--', 'id'])
  assert.equal(a.nodes, ['lab-1', 'lab-ssh-1', 'lab-ssh-2', 'lab-ssh-3'])
  assert.is(a.timeoutMs, 2000)
  assert.is(a.sudo, true)
})

test("-y/--yes and --dry-run (set only when given, so `kinspect --yes fleet` keeps its --yes); after --, they are the command's", () => {
  assert.equal(parseFleetArgs(['-y', '--dry-run', '--', 'uptime']), {
    format: 'text',
    gather: false,
    sudo: false,
    yes: true,
    dryRun: true,
    argv: ['uptime'],
  })
  assert.is(parseFleetArgs(['--yes', '--', 'true']).yes, true)
  assert.equal(parseFleetArgs(['--', 'rm', '--dry-run', '-y']), {
    format: 'text',
    gather: false,
    sudo: false,
    argv: ['rm', '--dry-run', '-y'],
  })
  assert.equal((parseArgs(['--yes', 'fleet', '--', 'true']) as { yes?: boolean }).yes, true)
  assert.equal(
    (parseArgs(['fleet', '--dry-run', '-y', '--', 'true']) as { dryRun?: boolean; yes?: boolean }).dryRun,
    true,
  )
})

test('bad arguments name the flag and what was expected', () => {
  fails(['uptime'], /^fleet: expected the command after --, received no --$/)
  fails(['lab-1', '--'], /nothing after --/)
  fails(['--timeout', 'soon', '--', 'x'], /^--timeout: expected a duration like 5s, 500ms or 2m, received "soon"$/)
  fails(['-f', '0', '--', 'x'], /^-f: expected a whole number from 1 to 10000/)
  fails(['-o', 'yaml', '--', 'x'], /^-o: expected json or text, received "yaml"$/)
  fails(['-l', 'a=b', 'lab-1', '--', 'x'], /give either -l a=b or node names \(lab-1\), not both/)
  fails(['-l', '--', 'x'], /^-l needs a value$/)
  fails(['--timeout', '1s', '--timeout', '2s', '--', 'x'], /given twice/)
  fails(['--verbose', '--', 'x'], /^unknown flag --verbose \(the command goes after --\)$/)
  fails(['n[2-1]', '--', 'x'], /runs backwards/)
})

test('kinspect fleet through the main parser: common flags before or after, --help before --', () => {
  assert.equal(parseArgs(['--context', 'c', 'fleet', '-l', 'a=b', '--', 'uptime']), {
    kind: 'fleet',
    context: 'c',
    format: 'text',
    gather: false,
    sudo: false,
    argv: ['uptime'],
    selector: 'a=b',
  })
  assert.equal((parseArgs(['fleet', '-n', 'shop', 'lab-1', '--', 'id']) as { namespace?: string }).namespace, 'shop')
  assert.equal(parseArgs(['fleet', '--help']), { kind: 'help', topic: 'fleet' })
  assert.equal((parseArgs(['fleet', '--', 'ls', '--help']) as { argv: string[] }).argv, ['ls', '--help'])
  assert.throws(() => parseArgs(['-e', '1', 'fleet', '--', 'x']), /-e cannot be combined with fleet/)
})

test('main: fleet --help prints its usage (exit 0); with no cluster to list the nodes it cannot run (exit 2, says why)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-fleet-cli-'))
  const run = async (argv: string[]) => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let out = ''
    let err = ''
    stdout.on('data', (d) => (out += d))
    stderr.on('data', (d) => (err += d))
    const env = {
      KUBECONFIG: '/nonexistent/kubeconfig',
      HOME: tmp,
      XDG_CONFIG_HOME: path.join(tmp, 'xdg'),
      NO_COLOR: '1',
      PATH: process.env.PATH,
    }
    const code = await main(argv, { stdin: new PassThrough(), stdout, stderr, env, cwd: tmp, prog: 'kinspect' })
    return { code, out, err }
  }
  try {
    const help = await run(['fleet', '--help'])
    assert.is(help.code, 0)
    assert.match(help.out, /^Usage: kinspect fleet \[-l SELECTOR \| NODE\.\.\.\]/)
    assert.match(
      help.out,
      /Exit: 0 every node succeeded, 1 some failed \(named on stderr\), 2 the command could not run, 130 interrupted\./,
    )
    const bad = await run(['fleet', '--', ''])
    assert.is(bad.code, 2)
    assert.match(bad.err, /fleet: the command name after -- is empty/)
    const noCluster = await run(['fleet', '--', 'true'])
    assert.is(noCluster.code, 2)
    assert.match(noCluster.err, /fleet: cannot list the cluster's nodes: /)
    assert.match(noCluster.err, /name the nodes instead/)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
