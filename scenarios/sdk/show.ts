/** A raw option value as text (values come from flags, the environment or a config file, so may be anything). */
export function show(v: unknown): string {
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return String(v);
}
