// The piscina baseline's worker (piscina needs a .js/.mjs file): the same no-op.
export default function noop(x) {
  return x;
}
