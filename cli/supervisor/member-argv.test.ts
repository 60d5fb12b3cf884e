import { describe, expect, it } from 'vitest';
import { ENGINE_COMMAND_FLAGS } from '../engine-command.js';
import { memberArgs, memberSpecs, passThroughArgs } from './member-argv.js';

describe('member command lines', () => {
  it('pass the flags the user gave, less those set per member, in a form the engine parses back', () => {
    const given = {
      _: ['engine'],
      $0: 'stampede',
      members: 3,
      port: 7233,
      'metrics-port': 9000,
      store: 'cassandra',
      'contact-points': 'db:9042',
      verbose: true,
      limit: ['limit.blobSize.error=100', 'limit.blobSize.warn=50'],
      cluster: true,
      'advertise-address': 'h:1',
      config: 'engine.yaml',
    };
    expect(passThroughArgs(given, ENGINE_COMMAND_FLAGS)).toEqual([
      '--verbose',
      '--store=cassandra',
      '--contact-points=db:9042',
      '--limit=limit.blobSize.error=100',
      '--limit=limit.blobSize.warn=50',
      '--config=engine.yaml',
    ]);
  });

  it('give each member its ports and advertised address, and --cluster', () => {
    const specs = memberSpecs(3, 7233, 9090, '10.0.0.5');
    expect(specs.map((s) => [s.port, s.metricsPort, s.advertiseAddress])).toEqual([
      [7233, 9090, '10.0.0.5:7233'],
      [7234, 9091, '10.0.0.5:7234'],
      [7235, 9092, '10.0.0.5:7235'],
    ]);
    expect(memberSpecs(2, 7233, 0, 'h').map((s) => s.metricsPort)).toEqual([0, 0]);
    expect(memberSpecs(2, 7233, undefined, 'h').map((s) => s.metricsPort)).toEqual([undefined, undefined]);
    const second = specs[1];
    if (!second) throw new Error('three specs expected');
    expect(memberArgs(['--store=postgres'], second)).toEqual([
      'engine',
      '--store=postgres',
      '--members=1',
      '--cluster',
      '--port=7234',
      '--metrics-port=9091',
      '--advertise-address=10.0.0.5:7234',
    ]);
  });
});
