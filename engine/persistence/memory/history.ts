import { InvalidArgumentError } from '../../errors.js';
import type { HistoryNodeRow, HistoryStore } from '../store.js';
import { ownBytes, type MemoryDatabase } from './database.js';

/**
 * The page cursor is `[nodeId, txnId]` of the last node returned. It travels through a client's page token, so
 * it is checked like any input: anything else is Temporal's "Invalid NextPageToken." (INVALID_ARGUMENT).
 */
function decodeCursor(token: Uint8Array): [number, number] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    parsed.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  ) {
    return [parsed[0] as number, parsed[1] as number];
  }
  throw new InvalidArgumentError('Invalid NextPageToken.');
}

export class MemoryHistoryStore implements HistoryStore {
  constructor(private readonly db: MemoryDatabase) {}

  appendHistoryNodes(req: {
    treeId: string;
    branchId: string;
    node: HistoryNodeRow;
    newBranch?: { info: Uint8Array };
  }): Promise<void> {
    if (req.newBranch) this.db.historyTrees.set(`${req.treeId}/${req.branchId}`, req.newBranch.info);
    const branch = this.db.branch(req.treeId, req.branchId, true);
    branch?.set([req.node.nodeId, -req.node.txnId], { ...req.node, blob: ownBytes(req.node.blob) });
    return Promise.resolve();
  }

  readHistoryNodes(req: {
    treeId: string;
    branchId: string;
    minNodeId: number;
    maxNodeId: number;
    pageSize: number;
    pageToken: Uint8Array | undefined;
  }): Promise<{ nodes: HistoryNodeRow[]; nextPageToken: Uint8Array | undefined }> {
    const branch = this.db.branch(req.treeId, req.branchId, false);
    if (!branch) return Promise.resolve({ nodes: [], nextPageToken: undefined });
    let start: [number, number] = [req.minNodeId, Number.MIN_SAFE_INTEGER];
    if (req.pageToken) {
      const [nodeId, txnId] = decodeCursor(req.pageToken);
      // Never before the requested range, whatever the cursor says.
      if (nodeId >= req.minNodeId) start = [nodeId, -txnId + 1];
    }
    const nodes: HistoryNodeRow[] = [];
    let more = false;
    for (const [[nodeId], row] of branch.entries(start)) {
      if (nodeId >= req.maxNodeId) break;
      if (nodes.length >= req.pageSize) {
        more = true;
        break;
      }
      nodes.push({ ...row });
    }
    const last = nodes[nodes.length - 1];
    const nextPageToken = more && last ? Buffer.from(JSON.stringify([last.nodeId, last.txnId])) : undefined;
    return Promise.resolve({ nodes, nextPageToken });
  }

  deleteHistoryNode(req: { treeId: string; branchId: string; nodeId: number; txnId: number }): Promise<void> {
    this.db.branch(req.treeId, req.branchId, false)?.delete([req.nodeId, -req.txnId]);
    return Promise.resolve();
  }

  deleteHistoryBranch(req: { treeId: string; branchId: string }): Promise<void> {
    const id = `${req.treeId}/${req.branchId}`;
    this.db.historyBranches.delete(id);
    this.db.historyTrees.delete(id);
    return Promise.resolve();
  }
}
