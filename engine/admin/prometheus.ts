/**
 * Prometheus text exposition (format 0.0.4) of the engine's statistics on `/metrics`: RPCs and their latency,
 * persistence statements by class with LWT outcomes, shard ownership, task queue backlogs, queue depths.
 * Latencies are summaries computed from the HDR histograms since start (quantiles 0.5/0.9/0.99/0.999).
 */
import { createServer, type Server } from 'node:http';
import type * as hdr from 'hdr-histogram-js';

export interface MetricsSource {
  rpc(): Iterable<[string, { count: number; errors: number; errorsByCode: Map<string, number>; hist: hdr.Histogram }]>;
  statements(): Iterable<
    [
      string,
      {
        count: number;
        errors: number;
        hist: hdr.Histogram;
        outcomes: Map<string, number> | undefined;
        serverWarnings?: number;
      },
    ]
  >;
  gauges(): Record<string, { help: string; value: number; labels?: Record<string, string> }[]>;
  counters(): Record<string, { help: string; value: number }>;
  /** Counters with labels (one series per label set). */
  labelledCounters?(): Record<string, { help: string; value: number; labels: Record<string, string> }[]>;
  /** Latency of calls this member of a cluster sent to the others, by operation (frontend method or member call). */
  forwarded?(): Iterable<[string, { hist: hdr.Histogram }]>;
}

const QUANTILES = [0.5, 0.9, 0.99, 0.999];

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${label(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function summary(lines: string[], name: string, l: Record<string, string>, h: hdr.Histogram): void {
  for (const q of QUANTILES)
    lines.push(
      `${name}${labels({ ...l, quantile: String(q) })} ${h.totalCount ? h.getValueAtPercentile(q * 100) / 1e6 : 0}`,
    );
  lines.push(`${name}_sum${labels(l)} ${(h.mean * h.totalCount) / 1e6}`);
  lines.push(`${name}_count${labels(l)} ${h.totalCount}`);
}

function exposition(src: MetricsSource): string {
  const lines: string[] = [];
  lines.push(
    '# HELP stampede_rpc_requests_total WorkflowService calls served, by method.',
    '# TYPE stampede_rpc_requests_total counter',
  );
  const rpc = [...src.rpc()];
  for (const [method, m] of rpc) lines.push(`stampede_rpc_requests_total${labels({ method })} ${m.count}`);
  lines.push(
    '# HELP stampede_rpc_errors_total WorkflowService calls that failed, by method and gRPC status.',
    '# TYPE stampede_rpc_errors_total counter',
  );
  for (const [method, m] of rpc)
    for (const [code, n] of m.errorsByCode) lines.push(`stampede_rpc_errors_total${labels({ method, code })} ${n}`);
  lines.push(
    '# HELP stampede_rpc_latency_seconds WorkflowService service time since start.',
    '# TYPE stampede_rpc_latency_seconds summary',
  );
  for (const [method, m] of rpc) summary(lines, 'stampede_rpc_latency_seconds', { method }, m.hist);

  const st = [...src.statements()];
  lines.push(
    '# HELP stampede_persistence_statements_total Persistence statements executed, by statement class.',
    '# TYPE stampede_persistence_statements_total counter',
  );
  for (const [cls, s] of st) lines.push(`stampede_persistence_statements_total${labels({ class: cls })} ${s.count}`);
  lines.push(
    '# HELP stampede_persistence_errors_total Persistence statements that failed (not counting LWT conditions).',
    '# TYPE stampede_persistence_errors_total counter',
  );
  for (const [cls, s] of st) lines.push(`stampede_persistence_errors_total${labels({ class: cls })} ${s.errors}`);
  lines.push(
    '# HELP stampede_persistence_latency_seconds Persistence statement latency since start.',
    '# TYPE stampede_persistence_latency_seconds summary',
  );
  for (const [cls, s] of st) summary(lines, 'stampede_persistence_latency_seconds', { class: cls }, s.hist);
  lines.push(
    '# HELP stampede_persistence_lwt_total Conditional writes by outcome: applied, not applied (by condition), cas_timeout, unavailable, other.',
    '# TYPE stampede_persistence_lwt_total counter',
  );
  for (const [cls, s] of st)
    for (const [outcome, n] of s.outcomes ?? [])
      lines.push(`stampede_persistence_lwt_total${labels({ class: cls, outcome })} ${n}`);
  lines.push(
    '# HELP stampede_persistence_server_warnings_total Warnings the store attached to responses (a logged batch over its warn threshold, ...), by statement class.',
    '# TYPE stampede_persistence_server_warnings_total counter',
  );
  for (const [cls, s] of st)
    if ((s.serverWarnings ?? 0) > 0)
      lines.push(`stampede_persistence_server_warnings_total${labels({ class: cls })} ${s.serverWarnings ?? 0}`);

  for (const [name, c] of Object.entries(src.counters())) {
    lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`, `${name} ${c.value}`);
  }
  for (const [name, cs] of Object.entries(src.labelledCounters?.() ?? {})) {
    const first = cs[0];
    if (!first) continue;
    lines.push(`# HELP ${name} ${first.help}`, `# TYPE ${name} counter`);
    for (const c of cs) lines.push(`${name}${labels(c.labels)} ${c.value}`);
  }
  if (src.forwarded) {
    lines.push(
      '# HELP stampede_cluster_forward_latency_seconds Calls sent to the member that owns their shard or task queue, by operation.',
      '# TYPE stampede_cluster_forward_latency_seconds summary',
    );
    for (const [op, f] of src.forwarded()) summary(lines, 'stampede_cluster_forward_latency_seconds', { op }, f.hist);
  }
  for (const [name, gs] of Object.entries(src.gauges())) {
    const first = gs[0];
    if (!first) continue;
    lines.push(`# HELP ${name} ${first.help}`, `# TYPE ${name} gauge`);
    for (const g of gs) lines.push(`${name}${labels(g.labels ?? {})} ${g.value}`);
  }
  return `${lines.join('\n')}\n`;
}

export function startMetricsServer(
  host: string,
  port: number,
  src: MetricsSource,
): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      let body: string;
      try {
        body = exposition(src);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('stampede engine: metrics are on /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({ port: typeof addr === 'object' && addr ? addr.port : port, server });
    });
  });
}
