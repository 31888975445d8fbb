/**
 * A client that keeps the raw bytes it receives (TestClient decodes them as
 * UTF-8), to check exactly what the server sends: that it is valid UTF-8, or
 * which bytes replaced a bad sequence. Reads are awaited with a timeout.
 */
import { connect, type Socket } from 'node:net';

const DEFAULT_TIMEOUT_MS = 3000;

export class RawClient {
  private data = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** A string is sent as one line (CRLF added); bytes are written as they are. */
  send(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? `${bytes}\r\n` : bytes);
  }

  /** Every complete line received so far, as bytes. */
  lines(): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    for (let end = this.data.indexOf('\r\n', pos); end >= 0; end = this.data.indexOf('\r\n', pos)) {
      out.push(this.data.subarray(pos, end));
      pos = end + 2;
    }
    return out;
  }

  /** Wait for a line (decoded leniently for matching) that passes `test`; returns its bytes. */
  async waitLine(test: (line: string) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines().find((line) => test(line.toString('latin1')));
      if (hit) return hit;
      await this.waitForData(deadline, () => `timed out; received:\n${this.lines().map((l) => l.toString('latin1')).join('\n')}`);
    }
  }

  /** Wait until `needle` has arrived; returns the bytes of the line holding it. */
  async lineWith(needle: Buffer | string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.data.indexOf(needle);
      if (at >= 0) {
        const start = this.data.lastIndexOf('\n', at) + 1;
        const end = this.data.indexOf('\r\n', at);
        if (end >= 0) return this.data.subarray(start, end);
      }
      await this.waitForData(deadline, () => `timed out waiting for ${String(needle)}; got:\n${this.data.toString('latin1')}`);
    }
  }

  private waitForData(deadline: number, failure: () => string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new Error(failure()));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
