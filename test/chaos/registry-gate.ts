import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP gate in front of the schema registry, for the services one scenario starts. Closed, it
 * resets every connection at once (the client sees the registry unreachable, as when it is not
 * running); open, it forwards bytes both ways untouched.
 *
 * Why not stop the registry itself: Apicurio runs with in-memory storage here, so a restarted
 * registry would have forgotten every schema id already written into Kafka records, and the
 * suite would be testing that instead. The gate makes the registry unavailable to exactly the
 * services under test, for as long as the scenario says.
 */
export class RegistryGate {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private isOpen = false;
  /** Connections refused while closed (proof the services kept asking). */
  refused = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly upstreamHost = '127.0.0.1',
  ) {}

  /** Listens on a free port; returns the registry URL to give the services (same path). */
  async listen(registryUrl: string): Promise<string> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the registry gate has no port');
    const url = new URL(registryUrl);
    url.port = String(address.port);
    return url.toString().replace(/\/$/, '');
  }

  open(): void {
    this.isOpen = true;
  }

  /** Closes the gate and cuts the connections already through it. */
  close(): void {
    this.isOpen = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async dispose(): Promise<void> {
    this.close();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    if (!this.isOpen) {
      this.refused += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
