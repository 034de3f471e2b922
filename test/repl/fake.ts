// A fake session for REPL tests: satisfies the real SessionApi, no cluster, no SSH; and a stream driver.
import { PassThrough } from 'node:stream'
import { ExecOutput, NodeHandle, type Exec } from '../../src/exec/index.ts'
import { KubeError, type Pod, type Service, type Node } from '../../src/kube/index.ts'
import { defaultConfig } from '../../src/config.ts'
import type { KubeApi, SessionApi, NameKind } from '../../src/session.ts'
import { ShellError } from '../../src/repl/errors.ts'
import { startRepl, type Shell, type StartReplOptions } from '../../src/repl/index.ts'

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop' },
  spec: { containers: [{ name: 'c' }] },
  status: { phase: 'Running' },
})

/** A KubeApi whose list calls return fixed objects and whose describe() fails the way the real one does. */
export function fakeKube(calls: string[] = []) {
  const kube = {
    pods: async () => {
      calls.push('pods')
      return [pod('web-1'), pod('web-2')]
    },
    pod: async (name: unknown) => pod(String(name)),
    services: async () => [{ metadata: { name: 'web' }, spec: {} } as Service],
    svc: async (name: unknown) => ({ metadata: { name: String(name) }, spec: {} }) as Service,
    endpoints: async () => [],
    nodes: async () => [{ metadata: { name: 'lab-1' } } as Node],
    events: async () => [],
    logs: async () => 'log line\n',
    describe: async (target: unknown): Promise<never> => {
      throw new KubeError('notfound', `pod "${String(target)}" not found`, 'pods() to list what exists')
    },
    top: async (): Promise<never> => {
      throw new KubeError(
        'unsupported',
        'the server does not serve /apis/metrics.k8s.io/v1beta1',
        'metrics-server is not installed',
      )
    },
    ping: async () => ({ ok: true as const, server: 'https://fake', version: 'v1.33', durationMs: 1 }),
    get: async () => [
      { metadata: { name: 'default' } },
      { metadata: { name: 'kube-system' } },
      { metadata: { name: 'shop' } },
    ],
  } satisfies KubeApi
  return kube
}

/** An Exec that answers every command with its argv joined. */
export function fakeExec(target = 'fake'): Exec {
  return {
    target,
    run: async (argv) =>
      new ExecOutput({
        target,
        argv: [...argv],
        exitCode: 0,
        stdout: `ran ${argv.join(' ')}\n`,
        stderr: '',
        durationMs: 1,
      }),
  } satisfies Exec
}

/** A session over fakeKube with contexts lab/other and a status that can be preset. */
export function fakeSession(
  opts: { status?: string; ping?: () => Promise<string | undefined>; calls?: string[] } = {},
) {
  const state = { context: 'lab', namespace: 'shop' }
  const contexts = () => ['lab', 'other']
  const s = {
    get context() {
      return state.context
    },
    get namespace() {
      return state.namespace
    },
    config: defaultConfig(),
    kube: fakeKube(opts.calls) as KubeApi,
    status: opts.status as string | undefined,
    contexts,
    load: async () => {},
    node: (name: string) => new NodeHandle(fakeExec(`fake:${name}`)),
    setContext(name: string) {
      if (!contexts().includes(name))
        throw new ShellError('notfound', `context "${name}" does not exist`, `contexts: ${contexts().join(', ')}`)
      state.context = name
      state.namespace = 'default'
    },
    setNamespace(ns: string) {
      if (!/^[a-z0-9-]+$/.test(ns))
        throw new ShellError('usage', `namespace: expected a namespace name, received ${JSON.stringify(ns)}`)
      state.namespace = ns
    },
    ping: async () => (opts.ping ? opts.ping() : undefined),
    names: async (kind: NameKind) =>
      kind === 'pod'
        ? ['web-1', 'web-2', 'client']
        : kind === 'namespace'
          ? ['default', 'kube-system', 'shop']
          : kind === 'context'
            ? contexts()
            : kind === 'node'
              ? ['lab-1']
              : ['web'],
    close: async () => {},
  } satisfies SessionApi
  return s
}

/** Runs lines through a non-terminal REPL on PassThrough streams; returns the output once input ends. */
export async function drive(
  lines: string[],
  opts: Partial<StartReplOptions> = {},
): Promise<{ out: string; shell: Shell }> {
  const input = new PassThrough()
  const output = new PassThrough()
  let out = ''
  output.on('data', (d) => (out += d))
  const shell = startRepl({
    input,
    output,
    session: opts.session ?? fakeSession(),
    terminal: false,
    color: false,
    ...opts,
  })
  input.end(lines.map((l) => `${l}\n`).join(''))
  await shell.closed
  await new Promise((r) => setImmediate(r))
  return { out, shell }
}
