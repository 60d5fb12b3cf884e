/** History on Cassandra: one history_node row per event batch (node_id = first event id; highest txn_id wins). */
import { InvalidArgumentError } from '../../errors.js';
import { StoreError } from '../errors.js';
import { HISTORY_ENCODING, RECORD_ENCODING } from '../serialization.js';
import type { HistoryNodeRow, HistoryStore } from '../store.js';
import type { CassandraContext } from './context.js';
import { asBuffer, asNumber } from './values.js';

/** Cassandra paging states are small (partition key, clustering, counters); anything far larger is forged. */
const MAX_PAGING_STATE_BYTES = 4096;

export class CassandraHistoryStore implements HistoryStore {
  constructor(private readonly cx: CassandraContext) {}

  async appendHistoryNodes(req: {
    treeId: string;
    branchId: string;
    node: HistoryNodeRow;
    newBranch?: { info: Uint8Array };
  }): Promise<void> {
    const node = {
      query:
        'INSERT INTO history_node (tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?, ?)',
      params: [
        req.treeId,
        req.branchId,
        req.node.nodeId,
        req.node.txnId,
        req.node.prevTxnId,
        Buffer.from(req.node.blob),
        HISTORY_ENCODING,
      ],
    };
    if (req.newBranch) {
      // A new branch: its tree row and first node in one batch (Temporal's new-branch batch).
      await this.cx.batch(
        'history.append_new_branch',
        [
          {
            query: 'INSERT INTO history_tree (tree_id, branch_id, branch, branch_encoding) VALUES (?, ?, ?, ?)',
            params: [req.treeId, req.branchId, Buffer.from(req.newBranch.info), RECORD_ENCODING],
          },
          node,
        ],
        false,
      );
      return;
    }
    await this.cx.execute('history.append', node.query, node.params, { write: true, conditional: false });
  }

  async readHistoryNodes(req: {
    treeId: string;
    branchId: string;
    minNodeId: number;
    maxNodeId: number;
    pageSize: number;
    pageToken: Uint8Array | undefined;
  }): Promise<{ nodes: HistoryNodeRow[]; nextPageToken: Uint8Array | undefined }> {
    // The driver's paging state travels through a client's page token: it is client input here.
    if (req.pageToken && (req.pageToken.length === 0 || req.pageToken.length > MAX_PAGING_STATE_BYTES))
      throw new InvalidArgumentError('Invalid NextPageToken.');
    let rs;
    try {
      rs = await this.cx.execute(
        'history.read',
        'SELECT node_id, txn_id, prev_txn_id, data FROM history_node WHERE tree_id = ? AND branch_id = ? AND node_id >= ? AND node_id < ?',
        [req.treeId, req.branchId, req.minNodeId, req.maxNodeId],
        {
          write: false,
          conditional: false,
          fetchSize: req.pageSize,
          ...(req.pageToken ? { pageState: Buffer.from(req.pageToken).toString('hex') } : {}),
        },
      );
    } catch (err) {
      // Cassandra refuses a paging state it cannot parse ("Invalid value for the paging state", a protocol
      // error): with a cursor, anything but a transient failure (timeout, unavailable) is the cursor's fault.
      const transient = err instanceof StoreError && (err.code === 'TIMEOUT' || err.code === 'UNAVAILABLE');
      if (req.pageToken && !transient) throw new InvalidArgumentError('Invalid NextPageToken.');
      throw err;
    }
    return {
      nodes: rs.rows.map((r) => ({
        nodeId: asNumber(r.get('node_id')),
        txnId: asNumber(r.get('txn_id')),
        prevTxnId: asNumber(r.get('prev_txn_id')),
        blob: asBuffer(r.get('data')),
      })),
      nextPageToken: rs.pageState ? Buffer.from(rs.pageState, 'hex') : undefined,
    };
  }

  async deleteHistoryNode(req: { treeId: string; branchId: string; nodeId: number; txnId: number }): Promise<void> {
    await this.cx.execute(
      'history.trim',
      'DELETE FROM history_node WHERE tree_id = ? AND branch_id = ? AND node_id = ? AND txn_id = ?',
      [req.treeId, req.branchId, req.nodeId, req.txnId],
      {
        write: true,
        conditional: false,
      },
    );
  }

  async deleteHistoryBranch(req: { treeId: string; branchId: string }): Promise<void> {
    // One branch per tree here, so the whole partition goes (deleting by clustering prefix needs Cassandra 3.0).
    await this.cx.execute('history.delete_branch', 'DELETE FROM history_node WHERE tree_id = ?', [req.treeId], {
      write: true,
      conditional: false,
    });
    await this.cx.execute('history.delete_branch', 'DELETE FROM history_tree WHERE tree_id = ?', [req.treeId], {
      write: true,
      conditional: false,
    });
  }
}
