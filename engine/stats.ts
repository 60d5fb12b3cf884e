/**
 * Engine statistics for the harness and for Prometheus: RPCs by method (count, errors, latency histogram in µs)
 * plus whatever the services and the persistence layer report. Histograms travel encoded (HdrHistogram's
 * compressed base64) so the harness merges them losslessly.
 */
import * as hdr from 'hdr-histogram-js';

export interface RpcMethodStats {
  count: number;
  errors: number;
  /** Errors by gRPC status name. */
  errorsByCode: Record<string, number>;
  /** Encoded HDR histogram of service time, µs. */
  latencyUs: string;
}

export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export class RpcStats {
  private readonly methods = new Map<
    string,
    { count: number; errors: number; byCode: Map<string, number>; hist: hdr.Histogram }
  >();

  record(method: string, codeName: string, ok: boolean, latencyUs: number): void {
    let m = this.methods.get(method);
    if (!m) {
      m = { count: 0, errors: 0, byCode: new Map(), hist: newLatencyHistogram() };
      this.methods.set(method, m);
    }
    m.count += 1;
    if (!ok) {
      m.errors += 1;
      m.byCode.set(codeName, (m.byCode.get(codeName) ?? 0) + 1);
    }
    m.hist.recordValue(Math.max(1, latencyUs));
  }

  snapshot(): Record<string, RpcMethodStats> {
    const out: Record<string, RpcMethodStats> = {};
    for (const [name, m] of this.methods) {
      out[name] = {
        count: m.count,
        errors: m.errors,
        errorsByCode: Object.fromEntries(m.byCode),
        latencyUs: hdr.encodeIntoCompressedBase64(m.hist),
      };
    }
    return out;
  }

  /** Live totals (for Prometheus). */
  entries(): IterableIterator<
    [string, { count: number; errors: number; errorsByCode: Map<string, number>; hist: hdr.Histogram }]
  > {
    const it = this.methods.entries();
    return (function* () {
      for (const [name, m] of it)
        yield [name, { count: m.count, errors: m.errors, errorsByCode: m.byCode, hist: m.hist }] as [
          string,
          { count: number; errors: number; errorsByCode: Map<string, number>; hist: hdr.Histogram },
        ];
    })();
  }

  /** Calls served so far, all methods. */
  count(): number {
    let n = 0;
    for (const m of this.methods.values()) n += m.count;
    return n;
  }
}
