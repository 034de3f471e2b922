// The part of the `ws` package (a dependency of client-node, used directly by src/kube/exec.ts) that kinspect uses.
declare module 'ws' {
  import { EventEmitter } from 'node:events'
  import type { Agent, ClientRequest, IncomingMessage } from 'node:http'

  interface ClientOptions {
    agent?: Agent
    headers?: Record<string, string>
    handshakeTimeout?: number
    perMessageDeflate?: boolean
    maxPayload?: number
    followRedirects?: boolean
  }

  class WebSocket extends EventEmitter {
    constructor(address: string, protocols?: string[], options?: ClientOptions)
    static readonly CONNECTING: 0
    static readonly OPEN: 1
    static readonly CLOSING: 2
    static readonly CLOSED: 3
    readonly protocol: string
    readonly readyState: 0 | 1 | 2 | 3
    readonly bufferedAmount: number
    binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments'
    send(data: Buffer, cb?: (err?: Error) => void): void
    close(code?: number, reason?: string): void
    terminate(): void
    on(event: 'open', listener: () => void): this
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this
    on(event: 'error', listener: (err: Error) => void): this
    on(event: 'unexpected-response', listener: (req: ClientRequest, res: IncomingMessage) => void): this
    on(event: 'upgrade', listener: (res: IncomingMessage) => void): this
  }
  /** The server side, used by unit tests to play the API server's exec endpoint. */
  export class WebSocketServer extends EventEmitter {
    constructor(options: {
      noServer: true
      handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false
    })
    handleUpgrade(
      req: IncomingMessage,
      socket: import('node:stream').Duplex,
      head: Buffer,
      cb: (ws: WebSocket, req: IncomingMessage) => void,
    ): void
    close(): void
  }
  export default WebSocket
}
