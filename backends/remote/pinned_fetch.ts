/**
 * HTTPS to an agent whose certificate the client pins: the endpoint file carries the agent's
 * self-made certificate and its SHA-256 fingerprint, and a connection goes through only when the
 * server presents exactly that certificate. Built on `node:https`, whose `ca` and
 * `checkServerIdentity` Deno, Bun and Node all honour (the global `fetch` cannot pin on Node, and
 * Deno's `createHttpClient` adds its CA to the default roots instead of replacing them).
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";
import { toWebResponse } from "./_node_response.ts";
import { nodeBuiltins } from "./_node_builtins.ts";
import { sendBody } from "./node_fetch.ts";

/** The certificate a client pins, as the agent writes it into its endpoint file. */
export interface CertificatePin {
  /** The agent's certificate, PEM. */
  certificate: string;
  /** Its SHA-256 fingerprint: hex pairs joined by `:` (case and separators are ignored). */
  fingerprint: string;
}

/** What {@linkcode pinnedFetch} sends: the subset of `fetch` the client of the agent uses. */
export interface PinnedRequest {
  /** The HTTP method; default `GET`. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** The body, already serialised, or a stream of bytes sent as they are read (a file). */
  body?: string | ReadableStream<Uint8Array>;
  /** `"half"` with a streamed body, as `fetch` wants it; ignored here. */
  duplex?: "half";
  /** Aborts the request, or the reading of its response. */
  signal?: AbortSignal;
}

/** A `fetch` for one pinned agent; `close()` ends its kept-alive connections. */
export interface PinnedFetch {
  (url: string, init?: PinnedRequest): Promise<Response>;
  /** Ends the connections kept alive for later requests. */
  close(): void;
}

/**
 * The SHA-256 fingerprint of a PEM certificate, as `AB:CD:…` (what
 * `openssl x509 -noout -fingerprint -sha256` prints).
 *
 * @param pem A PEM certificate (the first one, if several).
 * @returns The fingerprint.
 * @throws {TypeError} When `pem` holds no certificate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSelfSignedCertificate } from "@asyncflow/asyncflow/agent";
 * import { certificateFingerprint } from "@asyncflow/asyncflow/remote";
 * const made = await makeSelfSignedCertificate({ ipAddresses: ["127.0.0.1"] });
 * assert.equal(certificateFingerprint(made.cert), made.fingerprint);
 * ```
 */
export function certificateFingerprint(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!body) throw new TypeError("'certificate' must be a PEM certificate (BEGIN CERTIFICATE)");
  const der = Uint8Array.from(atob(body[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const { createHash } = nodeBuiltins("a certificate fingerprint")("node:crypto");
  return format(createHash("sha256").update(der).digest("hex"));
}

const format = (hex: string) => hex.toUpperCase().match(/../g)!.join(":");
const normalise = (fingerprint: string) => format(fingerprint.replace(/[^0-9a-fA-F]/g, ""));

/**
 * A `fetch` that trusts exactly one certificate: the server must present the pinned
 * certificate (its fingerprint is compared on every new connection), whatever the system's
 * trust store says; host names are not checked, the pin is stronger.
 *
 * @param pin The certificate and its fingerprint, from the agent's endpoint file.
 * @returns The fetch; call `close()` when done.
 * @throws {Error} When the fingerprint is not that of the certificate (a damaged or edited
 * endpoint file): nothing is sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSelfSignedCertificate } from "@asyncflow/asyncflow/agent";
 * import { pinnedFetch } from "@asyncflow/asyncflow/remote";
 * const made = await makeSelfSignedCertificate({ ipAddresses: ["127.0.0.1"] });
 * const other = await makeSelfSignedCertificate({ ipAddresses: ["127.0.0.1"] });
 * assert.throws(
 *   () => pinnedFetch({ certificate: made.cert, fingerprint: other.fingerprint }),
 *   /is not the fingerprint of the certificate/,
 * );
 * pinnedFetch({ certificate: made.cert, fingerprint: made.fingerprint }).close();
 * ```
 */
export function pinnedFetch(pin: CertificatePin): PinnedFetch {
  const expected = normalise(pin.fingerprint);
  const actual = certificateFingerprint(pin.certificate);
  if (actual !== expected) {
    throw new Error(
      `the pinned fingerprint ${expected} is not the fingerprint of the certificate beside it ` +
        `(${actual}): the endpoint file is damaged or was edited; use the one the agent wrote`,
    );
  }
  const { Agent, request } = nodeBuiltins("a pinned certificate")("node:https");
  const agent = new Agent({
    keepAlive: true,
    // The pinned certificate is the only trust anchor, so verification passes for it alone…
    ca: pin.certificate,
    // …and the fingerprint settles it (this replaces the host-name check).
    checkServerIdentity: (host: string, cert: PeerCertificate) =>
      normalise(cert.fingerprint256 ?? "") === expected ? undefined : Object.assign(
        new Error(
          `the server at ${host} presented a certificate with fingerprint ${cert.fingerprint256}, ` +
            `not the pinned one (${expected}): it is not the agent that wrote the endpoint file ` +
            "(a stale file, or another server on that address); nothing was sent",
        ),
        { code: "ERR_ASYNCFLOW_PIN_MISMATCH" },
      ),
  });
  const send =
    ((url: string, init: PinnedRequest = {}) =>
      new Promise<Response>((resolve, reject) => {
        const { signal } = init;
        if (signal?.aborted) return reject(signal.reason);
        const req = request(url, { method: init.method ?? "GET", headers: init.headers, agent });
        const abort = () => req.destroy(signal!.reason);
        signal?.addEventListener("abort", abort, { once: true });
        req.on("error", (error: Error & { code?: string }) => {
          signal?.removeEventListener("abort", abort);
          reject(certificateRefused(error) ? notPinned(url, expected, error) : error);
        });
        req.on("response", (res) => {
          res.on("close", () => signal?.removeEventListener("abort", abort));
          resolve(toWebResponse(res, signal));
        });
        sendBody(init.body, req);
      })) as PinnedFetch;
  send.close = () => agent.destroy();
  return send;
}

/**
 * Whether the TLS handshake refused the server's certificate. A certificate not made with the
 * pinned key fails verification against the only trust anchor (OpenSSL, BoringSSL and rustls
 * word it differently) before the fingerprint is even compared.
 */
function certificateRefused(error: Error & { code?: string }): boolean {
  if (error.code === "ERR_ASYNCFLOW_PIN_MISMATCH") return false; // says it all already
  return /CERT|SELF_SIGNED|VERIFY|ISSUER/.test(error.code ?? "") ||
    /certificate|UnknownIssuer|BadSignature/i.test(error.message);
}

function notPinned(url: string, expected: string, error: Error): Error {
  return new Error(
    `the server at ${new URL(url).host} presented a certificate that is not the pinned one ` +
      `(${expected}): it is not the agent that wrote the endpoint file (a stale file, or another ` +
      `server on that address); nothing was sent (TLS said: ${error.message})`,
    { cause: error },
  );
}
