import { describe, expect, it } from 'vitest';
import { MAX_TARGETS, parseTargets, pollCoverageProblems } from './target-list.js';

describe('parseTargets', () => {
  it('takes one host:port or a comma-separated list, in order', () => {
    const problems: string[] = [];
    expect(parseTargets('a:7233', problems)).toEqual(['a:7233']);
    expect(parseTargets('a:7233, b:7234,10.0.0.3:7235', problems)).toEqual(['a:7233', 'b:7234', '10.0.0.3:7235']);
    expect(problems).toEqual([]);
  });
  it('refuses malformed, repeated and too many targets, naming each', () => {
    const problems: string[] = [];
    parseTargets('a:7233,a:7233,b,c:99999,', problems);
    expect(problems).toEqual([
      '--target lists a:7233 twice',
      '--target must be host:port or a list host1:port,host2:port, got "b"',
      '--target must be host:port or a list host1:port,host2:port, got "c:99999"',
      '--target must be host:port or a list host1:port,host2:port, got ""',
    ]);
    const many: string[] = [];
    parseTargets(Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `h${i}:1`).join(','), many);
    expect(many).toEqual([`--target lists ${MAX_TARGETS + 1} members, at most ${MAX_TARGETS}`]);
  });
});

describe('pollCoverageProblems', () => {
  it('asks for a poll loop of each kind per member when there are several', () => {
    expect(pollCoverageProblems(1, { pollers: 1, workflowPollers: 1, activityPollers: 1 })).toEqual([]);
    expect(pollCoverageProblems(3, { pollers: 1, workflowPollers: 4, activityPollers: 3 })).toEqual([]);
    expect(pollCoverageProblems(3, { pollers: 0, workflowPollers: 1, activityPollers: 1 })).toEqual([]);
    expect(pollCoverageProblems(3, { pollers: 1, workflowPollers: 2, activityPollers: 0 })).toHaveLength(1);
    expect(pollCoverageProblems(4, { pollers: 2, workflowPollers: 1, activityPollers: 1 })).toHaveLength(2);
  });
});
