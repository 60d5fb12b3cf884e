/**
 * Payload conversion compatible with the Temporal SDKs' default data converter: JSON as `json/plain`,
 * undefined as `binary/null`, raw bytes as `binary/plain`. A real SDK client can read what the synthetic
 * workers return, and the other way round.
 */
import type { temporal } from '@temporalio/proto';

type Payload = temporal.api.common.v1.IPayload;
type Payloads = temporal.api.common.v1.IPayloads;

const enc = new TextEncoder();
const dec = new TextDecoder();
const ENCODING = 'encoding';

export function toPayload(value: unknown): Payload {
  if (value === undefined) return { metadata: { [ENCODING]: enc.encode('binary/null') }, data: new Uint8Array() };
  if (value instanceof Uint8Array) return { metadata: { [ENCODING]: enc.encode('binary/plain') }, data: value };
  return { metadata: { [ENCODING]: enc.encode('json/plain') }, data: enc.encode(JSON.stringify(value)) };
}

export function toPayloads(...values: unknown[]): Payloads {
  return { payloads: values.map(toPayload) };
}

export function fromPayload(p: Payload | null | undefined): unknown {
  if (!p) return undefined;
  const encoding = p.metadata?.[ENCODING] ? dec.decode(p.metadata[ENCODING]) : '';
  if (encoding === 'binary/null') return undefined;
  if (encoding === 'json/plain')
    return p.data && p.data.length > 0 ? (JSON.parse(dec.decode(p.data)) as unknown) : undefined;
  return p.data ?? undefined;
}

/** The first value of a Payloads (Temporal passes arguments as a list). */
export function fromPayloads(p: Payloads | null | undefined, index = 0): unknown {
  return fromPayload(p?.payloads?.[index]);
}
