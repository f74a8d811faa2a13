/**
 * A `Deno.Conn` seen as the `node:net` socket that `node:http`'s server parses, so that the
 * agent on Deno accepts its connections itself (`serve_deno.ts`) and still has `node:http`'s
 * header and keep-alive timeouts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { clearTimeout, setTimeout } from "node:timers";

/** What {@linkcode DenoConnSocket} needs of a `Deno.Conn`. */
export interface DenoConn {
  readonly remoteAddr: { hostname?: string; port?: number };
  readonly localAddr: { hostname?: string; port?: number };
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay: boolean): void;
}

/**
 * What one read takes from the connection: 4 KiB while a connection waits for its next request
 * (a request's head fits; thousands of idle connections hold little), doubled after each read
 * that filled it, up to 64 KiB, while a large body comes in.
 */
const MIN_READ_BYTES = 4 * 1024;
const MAX_READ_BYTES = 64 * 1024;

/**
 * A `node:stream` `Duplex` over a `Deno.Conn` with what `node:http`'s server asks of a socket:
 * the peer's address, `setTimeout` (its keep-alive timeout; any byte read or written restarts
 * it, as on a `net.Socket`), and `setNoDelay`/`setKeepAlive`/`ref`/`unref`, which have nothing
 * to do here (the connection is set to send without delay, as `node:http` sets its own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DenoConnSocket } from "./deno_conn_socket.ts";
 * const sent: Uint8Array[] = [];
 * const conn = {
 *   remoteAddr: { hostname: "127.0.0.1", port: 4000 },
 *   localAddr: { hostname: "127.0.0.1", port: 80 },
 *   read: () => Promise.resolve(null),
 *   write: (bytes: Uint8Array) => (sent.push(bytes.slice()), Promise.resolve(bytes.length)),
 *   closeWrite: () => Promise.resolve(),
 *   close: () => {},
 * };
 * const socket = new DenoConnSocket(conn);
 * await new Promise<void>((done) => socket.end("hello", () => done()));
 * assert.equal(new TextDecoder().decode(sent[0]), "hello");
 * assert.equal(socket.remotePort, 4000);
 * socket.destroy();
 * ```
 */
export class DenoConnSocket extends Duplex {
  /** The peer's address, as on a `net.Socket`. */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** This end's address. */
  readonly localAddress: string | undefined;
  /** This end's port. */
  readonly localPort: number | undefined;
  /** The inactivity timeout set by `setTimeout`, in ms (0: none). */
  timeout = 0;
  readonly #conn: DenoConn;
  #scratch = new Uint8Array(MIN_READ_BYTES);
  #reading = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param conn The accepted connection; the socket owns it from now on. */
  constructor(conn: DenoConn) {
    // node:http's server ends the writing side itself once a request without keep-alive is done.
    super({ allowHalfOpen: true });
    this.#conn = conn;
    // An event stream's small writes must not wait for the client's delayed acknowledgement.
    conn.setNoDelay?.(true);
    this.remoteAddress = conn.remoteAddr.hostname;
    this.remotePort = conn.remoteAddr.port;
    this.localAddress = conn.localAddr.hostname;
    this.localPort = conn.localAddr.port;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#conn.read(this.#scratch).then((n) => {
      this.#reading = false;
      if (this.destroyed) return;
      if (n === null) {
        this.push(null);
        return;
      }
      this.#active();
      // A copy: the scratch buffer is read into again while the parser may still hold this.
      const chunk = Buffer.from(this.#scratch.subarray(0, n));
      if (n === this.#scratch.length && n < MAX_READ_BYTES) this.#scratch = new Uint8Array(2 * n);
      else if (n < MIN_READ_BYTES && this.#scratch.length > MIN_READ_BYTES) {
        this.#scratch = new Uint8Array(MIN_READ_BYTES);
      }
      if (this.push(chunk)) this._read();
    }, (error) => {
      this.#reading = false;
      if (!this.destroyed) this.destroy(error);
    });
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    done: (error?: Error | null) => void,
  ): void {
    this.#active();
    this.#conn.write(chunk).then(
      (n) => n === chunk.length ? done() : this._write(chunk.subarray(n), _encoding, done),
      done,
    );
  }

  // A response's head and body go out in one write (node:http corks them together).
  override _writev(
    chunks: { chunk: Uint8Array }[],
    done: (error?: Error | null) => void,
  ): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), "buffer", done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#conn.closeWrite().then(() => done(), () => done());
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    try {
      this.#conn.close();
    } catch { /* already closed by the peer's reset */ }
    done(error);
  }

  /**
   * Emits `timeout` after `ms` without a byte read or written, as `net.Socket#setTimeout`.
   *
   * @param ms The inactivity allowed (0: none).
   * @param onTimeout Added as a `timeout` listener.
   * @returns This socket.
   */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.timeout = ms;
    if (onTimeout) this.once("timeout", onTimeout);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = ms > 0 ? setTimeout(() => this.emit("timeout"), ms) : undefined;
    return this;
  }

  /** Nothing to do: the connection sends without delay already. @returns This socket. */
  setNoDelay(): this {
    return this;
  }

  /** Nothing to do here. @returns This socket. */
  setKeepAlive(): this {
    return this;
  }

  /** Nothing to do here. @returns This socket. */
  ref(): this {
    return this;
  }

  /** Nothing to do here. @returns This socket. */
  unref(): this {
    return this;
  }

  #active(): void {
    this.#timer?.refresh();
  }
}
