/**
 * History on PostgreSQL: one history_node row per event batch (node_id = first event id), txn_id stored negated so
 * that ascending (node_id, txn_id) yields the highest transaction of a node first; pages resume after the last
 * (node_id, txn_id) read, the position Temporal's SQL history store keeps in its page token.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { HistoryNodeRow, HistoryStore, RecordBlob } from '../store.js';
import type { PgContext } from './context.js';
import { ENCODING, EVENTS_ENCODING, buf, num } from './values.js';

const TOKEN_BYTES = 16;

function encodeToken(nodeId: number, storedTxnId: number): Buffer {
  const b = Buffer.alloc(TOKEN_BYTES);
  b.writeBigInt64BE(BigInt(nodeId), 0);
  b.writeBigInt64BE(BigInt(storedTxnId), 8);
  return b;
}

function decodeToken(t: Uint8Array): { nodeId: number; txnId: number } {
  // The token travels through a client's NextPageToken: it is client input here.
  if (t.length !== TOKEN_BYTES) throw new InvalidArgumentError('Invalid NextPageToken.');
  const b = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  return { nodeId: Number(b.readBigInt64BE(0)), txnId: Number(b.readBigInt64BE(8)) };
}

const INSERT_NODE =
  'INSERT INTO history_node (tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tree_id, branch_id, node_id, txn_id) DO UPDATE SET prev_txn_id = EXCLUDED.prev_txn_id, data = EXCLUDED.data, data_encoding = EXCLUDED.data_encoding';

export class PgHistoryStore implements HistoryStore {
  constructor(private readonly cx: PgContext) {}

  async appendHistoryNodes(req: {
    treeId: string;
    branchId: string;
    node: HistoryNodeRow;
    newBranch?: { info: RecordBlob };
  }): Promise<void> {
    const params = [
      req.treeId,
      req.branchId,
      req.node.nodeId,
      -req.node.txnId,
      req.node.prevTxnId,
      buf(req.node.blob),
      EVENTS_ENCODING,
    ];
    const branch = req.newBranch;
    if (branch) {
      // A new branch: its tree row and first node in one transaction (Temporal's new-branch write).
      await this.cx.transaction(
        'history.append_new_branch',
        async (tx) => {
          await tx.query(
            'history.tree_insert',
            'INSERT INTO history_tree (tree_id, branch_id, data, data_encoding) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_id, branch_id) DO UPDATE SET data = EXCLUDED.data',
            [req.treeId, req.branchId, buf(branch.info), ENCODING],
          );
          await tx.query('history.append', INSERT_NODE, params);
        },
        false,
      );
      return;
    }
    await this.cx.query('history.append', INSERT_NODE, params);
  }

  async readHistoryNodes(req: {
    treeId: string;
    branchId: string;
    minNodeId: number;
    maxNodeId: number;
    pageSize: number;
    pageToken: Uint8Array | undefined;
  }): Promise<{ nodes: HistoryNodeRow[]; nextPageToken: Uint8Array | undefined }> {
    const cols = 'SELECT node_id, txn_id, prev_txn_id, data FROM history_node WHERE tree_id = $1 AND branch_id = $2';
    type Row = { node_id: string; txn_id: string; prev_txn_id: string; data: Buffer };
    const after = req.pageToken ? decodeToken(req.pageToken) : undefined;
    const r = after
      ? await this.cx.query<Row>(
          'history.read',
          `${cols} AND (node_id, txn_id) > ($3, $4) AND node_id < $5 ORDER BY node_id, txn_id LIMIT $6`,
          [req.treeId, req.branchId, after.nodeId, after.txnId, req.maxNodeId, req.pageSize],
        )
      : await this.cx.query<Row>(
          'history.read',
          `${cols} AND node_id >= $3 AND node_id < $4 ORDER BY node_id, txn_id LIMIT $5`,
          [req.treeId, req.branchId, req.minNodeId, req.maxNodeId, req.pageSize],
        );
    const nodes = r.rows.map((x) => ({
      nodeId: num(x.node_id),
      txnId: -num(x.txn_id),
      prevTxnId: num(x.prev_txn_id),
      blob: x.data,
    }));
    const last = r.rows[r.rows.length - 1];
    return {
      nodes,
      nextPageToken:
        last && r.rows.length === req.pageSize ? encodeToken(num(last.node_id), num(last.txn_id)) : undefined,
    };
  }

  async deleteHistoryNode(req: { treeId: string; branchId: string; nodeId: number; txnId: number }): Promise<void> {
    await this.cx.query(
      'history.trim',
      'DELETE FROM history_node WHERE tree_id = $1 AND branch_id = $2 AND node_id = $3 AND txn_id = $4',
      [req.treeId, req.branchId, req.nodeId, -req.txnId],
    );
  }

  async deleteHistoryBranch(req: { treeId: string; branchId: string }): Promise<void> {
    await this.cx.transaction(
      'history.delete_branch',
      async (tx) => {
        await tx.query('history.delete_nodes', 'DELETE FROM history_node WHERE tree_id = $1 AND branch_id = $2', [
          req.treeId,
          req.branchId,
        ]);
        await tx.query('history.delete_tree', 'DELETE FROM history_tree WHERE tree_id = $1 AND branch_id = $2', [
          req.treeId,
          req.branchId,
        ]);
      },
      false,
    );
  }
}
