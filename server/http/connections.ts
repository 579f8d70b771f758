import net, { type Socket } from 'node:net';
import type { Server, ServerResponse } from 'node:http';

/** How long the server still accepts connections after shutdown begins. */
const ACCEPT_GRACE_MS = 250;
/** How long a connection accepted just before shutdown gets to send its first request. */
const FIRST_REQUEST_GRACE_MS = 2_000;

/** The response Node is writing on a connection, if any (it keeps it there from first write to finish). */
const responseOn = (socket: Socket) => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;

/**
 * A server's open connections, so shutdown can close each at its own moment: one between
 * requests at once; one with a request in progress once its response is out (`Connection:
 * close`); one accepted but still without its first request only after a grace, where Node's own
 * `server.close()` would count it idle and close it under a request already on its way.
 *
 * Closing means destroying, as Node does: a half-closed socket would still read a request that
 * was on its way and run it, with no way left to answer. Per request this costs one set insertion;
 * everything else happens once, at shutdown.
 */
export class Connections {
  private readonly open = new Set<Socket>();
  /** Connections that have had a request. */
  private readonly served = new WeakSet<Socket>();
  private closing = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
    });
    // Ahead of the app, so the header is set before any handler can send its response.
    server.prependListener('request', (req, res) => {
      this.served.add(req.socket);
      // Responses from now on tell keep-alive clients to reconnect (elsewhere); Node then closes.
      if (this.closing) res.setHeader('Connection', 'close');
    });
  }

  /** Stops accepting connections; resolves once every open one has closed. */
  async close(graceMs = FIRST_REQUEST_GRACE_MS): Promise<void> {
    this.closing = true;
    // Closing the listener resets the connections the kernel has completed but Node has not yet
    // accepted, and on a busy machine those are many: a client then cannot tell whether its
    // request was handled. Accepting a moment longer (each answered with `Connection: close`)
    // turns that into a plain refusal for whoever comes after, which clients retry safely.
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_GRACE_MS));
    // net's close, not http's: only stop listening, and close connections here, each when due.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
    for (const socket of this.open) {
      const response = responseOn(socket);
      if (response) {
        // In progress: its answer goes out, then the connection ends (keep-alive or not).
        if (!response.headersSent) response.setHeader('Connection', 'close');
        response.once('close', () => socket.destroy());
      } else if (this.served.has(socket)) {
        socket.destroy();
      } else {
        const timer = setTimeout(() => {
          if (!responseOn(socket) && !socket.destroyed) socket.destroy();
        }, graceMs);
        timer.unref();
      }
    }
    return closed;
  }

  /** The drain took too long: cut every connection. */
  closeAll(): void {
    for (const socket of this.open) socket.destroy();
  }
}
