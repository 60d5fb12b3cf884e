import { describe, expect, it } from 'vitest';
import { detectSchemaTarget, SCHEMA_TARGETS, schemaStatements } from './schema.js';

const base = { keyspace: 'ks', replication: { class: 'SimpleStrategy' as const, replicationFactor: 1 } };

describe('schema per target', () => {
  it('detects Astra from the bundle, UCS from Cassandra 5.0, LCS before it', () => {
    expect(detectSchemaTarget(true, '4.0.11')).toBe('astra');
    expect(detectSchemaTarget(false, '5.0.2')).toBe('ucs');
    expect(detectSchemaTarget(false, '4.1.5')).toBe('lcs');
    expect(detectSchemaTarget(false, '2.1.0')).toBe('lcs');
  });

  it('gives Astra UCS tables and no CREATE KEYSPACE, and 2.1-4.x Temporal’s LCS', () => {
    const astra = schemaStatements({ ...base, ...SCHEMA_TARGETS.astra });
    expect(astra.some((s) => s.startsWith('CREATE KEYSPACE'))).toBe(false);
    const tables = astra.filter((s) => s.startsWith('CREATE TABLE') && !s.includes('schema_version'));
    expect(tables).toHaveLength(8); // Temporal's seven (cluster_membership among them) and the schedules table
    for (const t of tables) expect(t).toContain("COMPACTION = { 'class': 'UnifiedCompactionStrategy' }");
    const lcs = schemaStatements({ ...base, ...SCHEMA_TARGETS.lcs });
    expect(lcs[0]).toMatch(/^CREATE KEYSPACE IF NOT EXISTS ks/);
    expect(lcs.join('\n')).not.toContain('Unified');
    expect(lcs.filter((s) => s.includes('LeveledCompactionStrategy'))).toHaveLength(8);
  });
});
