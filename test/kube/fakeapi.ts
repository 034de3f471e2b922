// A fake API server for unit tests: real TLS (openssl-made CA, server and client certs), scripted answers.
import type http from 'node:http'
import https from 'node:https'
import type { Duplex } from 'node:stream'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import type { AddressInfo } from 'node:net'

/** Files of a throwaway PKI. */
export interface Pki {
  dir: string
  ca: string
  caKey: string
  serverCrt: string
  serverKey: string
  clientCrt: string
  clientKey: string
  otherCa: string
}

function ossl(args: string[], cwd: string) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' })
}

/** Makes a CA, a server cert for 127.0.0.1, a client cert (CN=kinspect-test) and an unrelated CA. */
export function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-pki-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true })) // keys: gone when the test file ends
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  ossl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '2'], dir)
  ossl(['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-subj', '/CN=other-ca', '-days', '2'], dir)
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  for (const [n, cn, ext] of [
    ['server', 'kube-apiserver', true],
    ['client', 'kinspect-test', false],
  ] as const) {
    ossl(['req', ...ec, '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${cn}`], dir)
    ossl(
      [
        'x509',
        '-req',
        '-in',
        `${n}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${n}.crt`,
        '-days',
        '2',
        ...(ext ? ['-extfile', 'san.ext'] : []),
      ],
      dir,
    )
  }
  const p = (f: string) => path.join(dir, f)
  return {
    dir,
    ca: p('ca.crt'),
    caKey: p('ca.key'),
    serverCrt: p('server.crt'),
    serverKey: p('server.key'),
    clientCrt: p('client.crt'),
    clientKey: p('client.key'),
    otherCa: p('other.crt'),
  }
}

/** One recorded request. */
export interface Seen {
  method: string
  url: string
  path: string
  query: URLSearchParams
  headers: Record<string, string | string[] | undefined>
  clientCN?: string
  /** The request body as text ('' when none). */
  body?: string
}

/** A scripted answer: status, body (objects are sent as JSON), optional delay. */
export interface Answer {
  status?: number
  body?: unknown
  delayMs?: number
  contentType?: string
}

/** The fake server: routes by path (without query), records requests and TLS connections. */
export class FakeApi {
  seen: Seen[] = []
  connections = 0
  routes = new Map<string, Answer | ((s: Seen) => Answer)>()
  /** Handles WebSocket upgrades (exec), when set; the request is recorded in seen first. */
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void
  private server: https.Server
  url = ''
  constructor(pki: Pki) {
    this.server = https.createServer(
      {
        key: fs.readFileSync(pki.serverKey),
        cert: fs.readFileSync(pki.serverCrt),
        ca: fs.readFileSync(pki.ca),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const u = new URL(req.url ?? '/', 'https://x')
        const peer = (req.socket as any).getPeerCertificate?.()
        const s: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          clientCN: peer?.subject?.CN,
        }
        this.seen.push(s)
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          s.body = Buffer.concat(chunks).toString('utf8')
          this.answer(s, res)
        })
      },
    )
    this.server.on('secureConnection', () => this.connections++)
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const u = new URL(req.url ?? '/', 'https://x')
      const peer = (req.socket as any).getPeerCertificate?.()
      this.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        clientCN: peer?.subject?.CN,
      })
      if (this.onUpgrade) this.onUpgrade(req, socket, head)
      else socket.destroy()
    })
  }
  private answer(s: Seen, res: http.ServerResponse): void {
    const r = this.routes.get(s.path)
    const a: Answer =
      typeof r === 'function' ? r(s) : (r ?? { status: 404, body: '404 page not found', contentType: 'text/plain' })
    const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {})
    const send = () => {
      res.writeHead(a.status ?? 200, {
        'Content-Type': a.contentType ?? (typeof a.body === 'string' ? 'text/plain' : 'application/json'),
      })
      res.end(body)
    }
    if (a.delayMs) setTimeout(send, a.delayMs)
    else send()
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this.url
  }
  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}

/** A kubeconfig for the fake server (paths, not embedded data, to exercise file reading). */
export function fakeKubeconfig(
  dir: string,
  server: string,
  pki: Pki,
  opts: { ca?: string; token?: string; namespace?: string } = {},
): string {
  const f = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(
    f,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "${server}", certificate-authority: "${opts.ca ?? pki.ca}"}
users:
- name: tester
  user: {client-certificate: "${pki.clientCrt}", client-key: "${pki.clientKey}"${opts.token ? `, token: "${opts.token}"` : ''}}
contexts:
- name: fake
  context: {cluster: fake, user: tester, namespace: ${opts.namespace ?? 'shop'}}
current-context: fake
`,
  )
  return f
}
