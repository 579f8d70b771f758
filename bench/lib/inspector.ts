import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { request } from './http.js';

/**
 * One DevTools-protocol command to a server started with `--inspect=127.0.0.1:<port>`, over the
 * least of WebSocket a single command needs (Node 20 has no WebSocket client without a flag):
 * the upgrade, one masked text frame out, frames in until the answer with our id.
 */
export async function inspectorCommand(port: number, method: string, timeoutMs = 30_000): Promise<unknown> {
  const list = JSON.parse((await request(`http://127.0.0.1:${port}/json/list`)).body) as Array<{ webSocketDebuggerUrl: string }>;
  const target = new URL(list[0]!.webSocketDebuggerUrl);
  const socket = net.connect(port, '127.0.0.1');
  const id = 1;
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer within ${timeoutMs} ms`)), timeoutMs);
      let buffer = Buffer.alloc(0);
      let upgraded = false;
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.write(
          `GET ${target.pathname} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (!upgraded) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!/^HTTP\/1\.1 101/.test(buffer.subarray(0, end).toString())) return reject(new Error('the inspector refused the WebSocket upgrade'));
          upgraded = true;
          buffer = buffer.subarray(end + 4);
          socket.write(frame(JSON.stringify({ id, method })));
        }
        for (let message = nextFrame(); message; message = nextFrame()) {
          const reply = JSON.parse(message) as { id?: number; result?: unknown; error?: { message: string } };
          if (reply.id !== id) continue;
          clearTimeout(timer);
          if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
          else resolve(reply.result);
        }
      });
      /** The next whole frame's text from the buffer, if one is there (the inspector's frames are unmasked). */
      function nextFrame(): string | undefined {
        if (buffer.length < 2) return undefined;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return undefined;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return undefined;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return undefined;
        const text = buffer.subarray(offset, offset + length).toString();
        buffer = buffer.subarray(offset + length);
        return text;
      }
    });
  } finally {
    socket.destroy();
  }
}

/** A client's text frame: final, masked, as RFC 6455 requires of clients. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([head, mask, masked]);
}
