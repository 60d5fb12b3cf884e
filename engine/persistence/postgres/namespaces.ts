/** Namespaces on PostgreSQL: one `namespaces` row each (unique by id and by name), updated by notification version. */
import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import type { NamespaceRow, NamespaceStore } from '../store.js';
import type { PgContext } from './context.js';
import { NAMESPACE_PARTITION } from './schema.js';
import { ENCODING, buf, num } from './values.js';

type Row = { id: string; name: string; notification_version: string; data: Buffer };
const COLS = 'SELECT id, name, notification_version, data FROM namespaces WHERE partition_id = $1';

function toRow(r: Row): NamespaceRow {
  return { id: r.id, name: r.name, notificationVersion: num(r.notification_version), blob: r.data };
}

export class PgNamespaceStore implements NamespaceStore {
  constructor(private readonly cx: PgContext) {}

  async createNamespace(row: NamespaceRow): Promise<void> {
    // Unique by id (primary key) and by name: a clash with either inserts nothing.
    const r = await this.cx.query(
      'namespace.create',
      'INSERT INTO namespaces (partition_id, id, name, notification_version, data, data_encoding, is_global) VALUES ($1, $2, $3, $4, $5, $6, false) ON CONFLICT DO NOTHING',
      [NAMESPACE_PARTITION, row.id, row.name, row.notificationVersion, buf(row.blob), ENCODING],
    );
    if (r.rowCount !== 1) throw new AlreadyExistsError(`namespace ${row.name} (id ${row.id}) already exists`);
  }

  async updateNamespace(row: NamespaceRow, previousNotificationVersion: number): Promise<void> {
    const r = await this.cx.query(
      'namespace.update',
      'UPDATE namespaces SET data = $3, data_encoding = $4, notification_version = $5 WHERE partition_id = $1 AND name = $2 AND notification_version = $6',
      [NAMESPACE_PARTITION, row.name, buf(row.blob), ENCODING, row.notificationVersion, previousNotificationVersion],
    );
    if (r.rowCount !== 1) throw new ConditionFailedError(`namespace ${row.name}: notification version changed`);
  }

  async getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const r = await this.cx.query<Row>('namespace.get', `${COLS} AND name = $2`, [NAMESPACE_PARTITION, name]);
    return r.rows[0] ? toRow(r.rows[0]) : undefined;
  }

  async getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const r = await this.cx.query<Row>('namespace.get', `${COLS} AND id = $2`, [NAMESPACE_PARTITION, id]);
    return r.rows[0] ? toRow(r.rows[0]) : undefined;
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    const r = await this.cx.query<Row>('namespace.list', `${COLS} ORDER BY name`, [NAMESPACE_PARTITION]);
    return r.rows.map(toRow);
  }
}
