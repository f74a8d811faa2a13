/**
 * Reads the certificate pin out of an agent's endpoint file.
 *
 * @module
 */
import { type PinnedFetch, pinnedFetch } from "./pinned_fetch.ts";

/**
 * The `fetch` that pins the certificate an endpoint file names, or nothing when it names none.
 * An `https` endpoint file with only one of `certificate` and `fingerprint`, or a pin on a plain
 * `http` URL, is refused: half a pin would silently fall back to trusting whatever answers.
 *
 * @param parsed The endpoint file's content.
 * @param path The file, for messages.
 * @returns `{ fetch }` to spread into the endpoint, or `{}`.
 * @throws {Error} On half a pin, a pin on `http`, or a fingerprint that is not the certificate's.
 */
export function endpointPin(
  parsed: { url?: unknown; certificate?: unknown; fingerprint?: unknown },
  path: string,
): { fetch?: PinnedFetch } {
  const { certificate, fingerprint } = parsed;
  if (certificate === undefined && fingerprint === undefined) return {};
  if (typeof certificate !== "string" || typeof fingerprint !== "string") {
    throw new Error(
      `RemoteBackend: the endpoint file ${path} must hold both "certificate" and "fingerprint" ` +
        "as strings, or neither",
    );
  }
  if (typeof parsed.url !== "string" || !parsed.url.startsWith("https://")) {
    throw new Error(
      `RemoteBackend: the endpoint file ${path} pins a certificate for a URL that is not https ` +
        `(${String(parsed.url)})`,
    );
  }
  try {
    return { fetch: pinnedFetch({ certificate, fingerprint }) };
  } catch (error) {
    throw new Error(`RemoteBackend: ${path}: ${(error as Error).message}`, { cause: error });
  }
}
