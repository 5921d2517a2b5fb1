import { createConnection, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { trackPair } from './tcp-proxy.js';

/** Kafka API keys whose answers name brokers by host and port. */
const METADATA = 3;
const FIND_COORDINATOR = 10;

/**
 * TLS in front of the librdkafka mock cluster, which speaks only plaintext.
 *
 * A client learns every broker's address from Metadata (and its group coordinator's from
 * FindCoordinator), and the mock names its own plaintext port there. The terminator follows the
 * Kafka framing (size-prefixed requests and answers, matched by correlation id) and, in those two
 * answers only, replaces the mock's `127.0.0.1` and port with `localhost` and its own port: the
 * same number of bytes, so no length changes. The client then never learns an address that is not
 * behind TLS. (librdkafka 2.0's mock cluster cannot be told to advertise another address.)
 */
export class KafkaTlsTerminator {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Client connections that completed a TLS handshake. */
  secureConnections = 0;
  /** Broker addresses pointed back at the terminator, over all answers. */
  rewrites = 0;
  /** Handshakes that failed (a client refusing the certificate, or without one when it is required). */
  readonly handshakeErrors: Error[] = [];

  constructor(
    /** The mock's `host:port` as it advertises it. */
    private readonly upstream: string,
    private readonly tls: TlsOptions,
  ) {}

  /** Listens on the address `localhost` resolves to; clients reach it as `localhost:<port>`. */
  async start(): Promise<void> {
    this.server = createServer(this.tls, (client) => this.forward(client));
    this.server.on('tlsClientError', (error) => this.handshakeErrors.push(error));
    await new Promise<void>((resolve) => this.server!.listen(0, 'localhost', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  get address(): string {
    return `localhost:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(client: TLSSocket): void {
    this.secureConnections += 1;
    const [host, port] = splitHostPort(this.upstream);
    const upstream = createConnection(port, host);
    trackPair(this.sockets, client, upstream);
    const apiKeys = new Map<number, number>();
    // Request: size, api key (int16), api version (int16), correlation id (int32), ...
    client.on(
      'data',
      frames((request) => {
        apiKeys.set(request.readInt32BE(8), request.readInt16BE(4));
        upstream.write(request);
      }),
    );
    // Answer: size, correlation id (int32), ...
    upstream.on(
      'data',
      frames((answer) => {
        const correlationId = answer.readInt32BE(4);
        const apiKey = apiKeys.get(correlationId);
        apiKeys.delete(correlationId);
        client.write(apiKey === METADATA || apiKey === FIND_COORDINATOR ? this.rewrite(answer) : answer);
      }),
    );
  }

  /** Every `127.0.0.1` followed by the mock's port (int32) becomes `localhost` and this port. */
  private rewrite(answer: Buffer): Buffer {
    const [host, port] = splitHostPort(this.upstream);
    const from = Buffer.concat([Buffer.from(host), int32(port)]);
    const to = Buffer.concat([Buffer.from('localhost'), int32(this.port)]);
    if (from.length !== to.length) throw new Error(`cannot rewrite ${host}: not as long as "localhost"`);
    const copy = Buffer.from(answer);
    for (let at = copy.indexOf(from); at !== -1; at = copy.indexOf(from, at + to.length)) {
      to.copy(copy, at);
      this.rewrites += 1;
    }
    return copy;
  }
}

/** Cuts a byte stream into Kafka's size-prefixed frames. */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = 4 + buffered.readInt32BE(0);
      onFrame(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
  };
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
