// The exec WebSocket client against a scripted server on the fake API's TLS port: protocol choice (v5/v4),
// stdin and its end, stdout/stderr apart, status, a missing status, binary and 10 MB, refusals, abort, and a
// long-lived exec (stdin kept open, output as it arrives, on v4 and v5).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { WebSocketServer } from 'ws'
import type WebSocket from 'ws'
import { Kube, KubeError, loadKubeconfig } from '../../src/kube/index.ts'
import { CHANNEL, execPath, parseExecStatus, stdinFrames } from '../../src/kube/execproto.ts'
import { FakeApi, fakeKubeconfig, makePki, type Pki } from './fakeapi.ts'

let pki: Pki
let api: FakeApi
let kube: Kube
let serverProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
let script: (ws: WebSocket, q: URLSearchParams) => void = () => {}
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => serverProtocols.find((p) => offered.has(p)) ?? false,
})
const send = (ws: WebSocket, ch: number, data: Buffer | string) =>
  ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(data)]))
const status = (code: number) =>
  JSON.stringify(
    code === 0
      ? { metadata: {}, status: 'Success' }
      : {
          metadata: {},
          status: 'Failure',
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
        },
  )

test.before(async () => {
  pki = makePki()
  api = new FakeApi(pki)
  await api.listen()
  api.onUpgrade = (req, socket, head) => {
    const q = new URL(req.url ?? '/', 'https://x').searchParams
    if (q.get('container') === 'forbidden') {
      const body = JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'pods "p" is forbidden: User "viewer" cannot get resource "pods/exec" in API group "" in the namespace "ns"',
      })
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => script(ws, q))
  }
  kube = new Kube(loadKubeconfig({ kubeconfig: fakeKubeconfig(pki.dir, api.url, pki, { token: 'tok-exec' }) }))
})
test.after(async () => {
  kube.close()
  wss.close()
  await api.close()
  fs.rmSync(pki.dir, { recursive: true, force: true })
})

// A command that echoes stdin to stdout once stdin ends (CLOSE on v5, or after N bytes), says "err" on stderr, exits 3.
function echoUntilEnd(endAfter?: number) {
  return (ws: WebSocket) => {
    const got: Buffer[] = []
    const finish = () => {
      send(ws, CHANNEL.stdout, Buffer.concat(got))
      send(ws, CHANNEL.stderr, 'err')
      send(ws, CHANNEL.status, status(3))
      ws.close(1000)
    }
    ws.on('message', (d: Buffer) => {
      if (d[0] === CHANNEL.close && d[1] === CHANNEL.stdin) return finish()
      if (d[0] === CHANNEL.stdin) got.push(d.subarray(1))
      if (endAfter !== undefined && Buffer.concat(got).length >= endAfter) finish()
    })
  }
}

test('v5: argv in order, stdin ends with CLOSE, stdout and stderr apart, exit code from the status channel, credentials sent', async () => {
  serverProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
  script = echoUntilEnd()
  const command = ['printf', '%s\\0', "a' b", '$(id)', '', 'x y+z&w=1', 'é\n']
  const input = Buffer.from('hello\0world\n')
  const r = await kube.exec({ namespace: 'ns', pod: 'p', container: 'node', command, stdin: input })
  assert.is(r.protocol, 'v5.channel.k8s.io')
  assert.equal(r.stdout, input)
  assert.is(r.stderr.toString(), 'err')
  assert.is(r.status?.exitCode, 3)
  const seen = api.seen.at(-1)!
  assert.is(seen.path, '/api/v1/namespaces/ns/pods/p/exec')
  assert.equal(seen.query.getAll('command'), command)
  assert.is(seen.query.get('stdin'), 'true')
  assert.is(seen.headers.authorization, 'Bearer tok-exec')
  assert.is(seen.clientCN, 'kinspect-test')
})

test('v4 only: stdin cannot be closed, so a "close" request fails before any input is sent; "none" sends input without CLOSE', async () => {
  serverProtocols = ['v4.channel.k8s.io']
  let frames: Buffer[] = []
  script = (ws) => ws.on('message', (d: Buffer) => frames.push(d))
  const e = await kube.exec({ namespace: 'ns', pod: 'p', command: ['cat'], stdin: Buffer.from('x') }).catch((x) => x)
  assert.instance(e, KubeError)
  assert.is(e.kind, 'unsupported')
  assert.match(e.message, 'v4.channel.k8s.io, which cannot close stdin')
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(frames, [])
  frames = []
  script = echoUntilEnd(5)
  const r = await kube.exec({
    namespace: 'ns',
    pod: 'p',
    command: ['head', '-c', '5'],
    stdin: Buffer.from('12345'),
    stdinEnd: 'none',
  })
  assert.is(r.protocol, 'v4.channel.k8s.io')
  assert.is(r.stdout.toString(), '12345')
  assert.is(r.status?.exitCode, 3)
})

test('forcing v4 offers only v4 even where the server has v5', async () => {
  serverProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
  script = (ws) => {
    send(ws, CHANNEL.status, status(0))
    ws.close(1000)
  }
  const r = await kube.exec({ namespace: 'ns', pod: 'p', command: ['true'], protocol: 'v4' })
  assert.is(r.protocol, 'v4.channel.k8s.io')
  assert.is(r.status?.exitCode, 0)
  assert.is(api.seen.at(-1)!.headers['sec-websocket-protocol'], 'v4.channel.k8s.io')
})

test('no status before the connection ends (client-node #714): the result says so instead of hanging', async () => {
  serverProtocols = ['v5.channel.k8s.io']
  script = (ws) => {
    send(ws, CHANNEL.stdout, 'partial')
    ws.close(1011, 'internal error')
  }
  const r = await kube.exec({ namespace: 'ns', pod: 'p', command: ['x'] })
  assert.is(r.status, undefined)
  assert.is(r.closeCode, 1011)
  assert.is(r.closeReason, 'internal error')
  assert.is(r.stdout.toString(), 'partial')
})

test('binary output and 10 MB arrive intact, also when the status overtakes the last chunks', async () => {
  const data = crypto.randomBytes(10 * 1024 * 1024)
  script = (ws) => {
    const cut = data.length - 100_000
    for (let i = 0; i < cut; i += 65_536) send(ws, CHANNEL.stdout, data.subarray(i, Math.min(i + 65_536, cut)))
    send(ws, CHANNEL.status, status(0))
    setTimeout(() => {
      send(ws, CHANNEL.stdout, data.subarray(cut))
      ws.close(1000)
    }, 50)
  }
  const r = await kube.exec({ namespace: 'ns', pod: 'p', command: ['cat', 'blob'] })
  assert.is(r.stdout.length, data.length)
  assert.ok(r.stdout.equals(data))
})

test('a server that never closes after the status is left after drainMs', async () => {
  script = (ws) => send(ws, CHANNEL.status, status(0))
  const t0 = Date.now()
  const r = await kube.exec({ namespace: 'ns', pod: 'p', command: ['true'], drainMs: 200 })
  assert.is(r.status?.exitCode, 0)
  assert.ok(Date.now() - t0 < 2000)
})

test('a refused upgrade is a KubeError with the server message', async () => {
  const e = await kube.exec({ namespace: 'ns', pod: 'p', container: 'forbidden', command: ['true'] }).catch((x) => x)
  assert.instance(e, KubeError)
  assert.is(e.kind, 'forbidden')
  assert.is(e.status, 403)
  assert.match(e.message, 'cannot get resource "pods/exec"')
})

test('abort after the start returns at once, marked aborted', async () => {
  script = (ws) => send(ws, CHANNEL.stdout, 'started')
  const ac = new AbortController()
  const p = kube.exec({
    namespace: 'ns',
    pod: 'p',
    command: ['sleep', '100'],
    signal: ac.signal,
    onOpen: () => setTimeout(() => ac.abort(), 50),
  })
  const t0 = Date.now()
  const r = await p
  assert.is(r.aborted, true)
  assert.ok(Date.now() - t0 < 1000)
  assert.is(r.status, undefined)
})

test('pure parts: the status channel (hand-written samples), frames, paths', () => {
  const hw = JSON.parse(
    fs.readFileSync(path.join(import.meta.dirname, '../fixtures/handwritten/exec-status.json'), 'utf8'),
  )
  assert.equal(parseExecStatus(JSON.stringify(hw.success)), {
    exitCode: 0,
    status: 'Success',
    reason: undefined,
    message: undefined,
  })
  assert.is(parseExecStatus(Buffer.from(JSON.stringify(hw.exit3))).exitCode, 3)
  const nf = parseExecStatus(JSON.stringify(hw.notFound))
  assert.is(nf.exitCode, null)
  assert.is(nf.reason, 'InternalError')
  assert.match(nf.message!, 'executable file not found')
  assert.is(parseExecStatus(status(42)).exitCode, 42)
  assert.is(
    parseExecStatus(
      JSON.stringify({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: 'x' }] },
      }),
    ).exitCode,
    null,
  )
  const notJson = parseExecStatus('oops')
  assert.is(notJson.exitCode, null)
  assert.match(notJson.message!, 'not JSON')
  const frames = stdinFrames(Buffer.alloc(70_000, 7), 32_768)
  assert.equal(
    frames.map((f) => [f[0], f.length]),
    [
      [0, 32_769],
      [0, 32_769],
      [0, 4_465],
    ],
  )
  assert.equal(stdinFrames(Buffer.alloc(0)), [])
  assert.throws(() => execPath('NS', 'p', { command: ['x'], stdin: false }), /namespace/)
  assert.throws(() => execPath('ns', 'p', { command: [], stdin: false }), /command/)
})

test('importing src/kube and src/exec does not load ws; the first exec does', () => {
  const root = path.resolve(import.meta.dirname, '../..')
  const hook = `data:text/javascript,${encodeURIComponent(`
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    globalThis.__loaded = [];
    port1.on('message', (m) => globalThis.__loaded.push(m)); port1.unref();
    register('data:text/javascript,' + encodeURIComponent(\`
      let port; export function initialize(d) { port = d.port }
      export async function resolve(s, c, n) { const r = await n(s, c); if (r.url.includes('/node_modules/ws/')) port.postMessage(r.url); return r }
    \`), { data: { port: port2 }, transferList: [port2] });
  `)}`
  const script = `
    await import(${JSON.stringify(path.join(root, 'src/exec/index.ts'))});
    const m = await import(${JSON.stringify(path.join(root, 'src/kube/index.ts'))});
    await new Promise((r) => setTimeout(r, 50));
    const before = globalThis.__loaded.length;
    await m.execStream({ server: 'https://127.0.0.1:1', agent: undefined, headers: {} }, { namespace: 'ns', pod: 'p', command: ['true'], connectTimeoutMs: 500 }).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ before, after: globalThis.__loaded.length }));
  `
  const r = spawnSync(process.execPath, ['--import', hook, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
  assert.is(out.before, 0)
  assert.ok(out.after > 0, 'ws was not loaded by the first exec')
})

test('a long-lived exec: stdin stays open for more writes, output comes as it arrives, not collected; v5 closes stdin alone', async () => {
  for (const proto of ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
    serverProtocols = [proto]
    // answers each stdin frame at once on stdout (and "e" on stderr); ends with a status once stdin is closed or "quit" comes
    script = (ws) =>
      ws.on('message', (d: Buffer) => {
        const end = () => {
          send(ws, CHANNEL.status, status(0))
          ws.close(1000)
        }
        if (d[0] === CHANNEL.close) return end()
        if (d.subarray(1).toString() === 'quit') return end()
        send(ws, CHANNEL.stdout, Buffer.concat([Buffer.from('got '), d.subarray(1)]))
        send(ws, CHANNEL.stderr, 'e')
      })
    let h: import('../../src/kube/exec.ts').ExecStreamHandle | undefined
    const out: string[] = []
    const err: string[] = []
    const seen = (n: number) =>
      new Promise<void>((r) => {
        const t = setInterval(() => out.length >= n && (clearInterval(t), r()), 5)
      })
    const done = kube.exec({
      namespace: 'ns',
      pod: 'p',
      command: ['agent'],
      collect: false,
      onStream: (x) => (h = x),
      onStdout: (c) => out.push(c.toString()),
      onStderr: (c) => err.push(c.toString()),
    })
    await new Promise<void>((r) => {
      const t = setInterval(() => h && (clearInterval(t), r()), 5)
    })
    assert.is(api.seen.at(-1)!.query.get('stdin'), 'true', 'a long-lived exec opens stdin without initial input')
    assert.is(h!.protocol, proto)
    assert.ok(h!.write(Buffer.from('one')))
    await seen(1)
    assert.ok(h!.write(Buffer.from('two\0bin')))
    await seen(2)
    assert.equal(out, ['got one', 'got two\0bin'])
    assert.equal(err, ['e', 'e'])
    h!.keepAlive(false)
    h!.keepAlive(true)
    if (proto === 'v5.channel.k8s.io') assert.ok(h!.closeStdin())
    else {
      assert.not.ok(h!.closeStdin(), 'v4 cannot close stdin alone')
      h!.write(Buffer.from('quit'))
    }
    const r = await done
    assert.is(r.status?.exitCode, 0)
    assert.is(r.stdout.length + r.stderr.length, 0, 'nothing collected')
    assert.not.ok(h!.write(Buffer.from('late')), 'no writes after the end')
  }
})

test.run()
