/** `--target`: one engine (or Temporal frontend) as host:port, or a cluster's members as a comma-separated list. */

/** Members a run may drive at once (each thread keeps a channel to every one). */
export const MAX_TARGETS = 64;

/** The targets, in the order given; problems for a malformed, repeated or excessive list. */
export function parseTargets(text: string, problems: string[]): string[] {
  const items = text.split(',').map((t) => t.trim());
  const out: string[] = [];
  for (const item of items) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(item) || Number(item.slice(item.lastIndexOf(':') + 1)) > 65535) {
      problems.push(`--target must be host:port or a list host1:port,host2:port, got ${JSON.stringify(item)}`);
      continue;
    }
    if (out.includes(item)) problems.push(`--target lists ${item} twice`);
    else out.push(item);
  }
  if (out.length > MAX_TARGETS) problems.push(`--target lists ${out.length} members, at most ${MAX_TARGETS}`);
  return out;
}

/**
 * With several targets each poll loop stays on one member (independent engines hand out only their own tasks), so a
 * run needs at least as many poll loops of each kind as members, or some member's tasks would never be polled.
 */
export function pollCoverageProblems(
  targets: number,
  o: { pollers: number; workflowPollers: number; activityPollers: number },
): string[] {
  if (targets < 2 || o.pollers === 0) return [];
  const out: string[] = [];
  if (o.pollers * o.workflowPollers < targets)
    out.push(
      `--pollers × --workflow-pollers (${o.pollers} × ${o.workflowPollers}) must be at least the ${targets} targets, so that every member's queue is polled`,
    );
  if (o.activityPollers > 0 && o.pollers * o.activityPollers < targets)
    out.push(
      `--pollers × --activity-pollers (${o.pollers} × ${o.activityPollers}) must be at least the ${targets} targets, so that every member's queue is polled`,
    );
  return out;
}
