/** Secrets never reach results or logs: any key that names one is replaced, however deep. */
const SECRET_KEY = /(password|token|secret|credential)/i;

export function redactSecrets<T>(value: T): Record<string, unknown> {
  return redact(value) as Record<string, unknown>;
}

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(x);
    return out;
  }
  return v;
}
