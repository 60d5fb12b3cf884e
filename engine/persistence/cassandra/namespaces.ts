/** Namespaces on Cassandra: namespaces_by_id (id -> name) and one `namespaces` partition, guarded by LWTs. */
import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import { RECORD_ENCODING } from '../serialization.js';
import type { NamespaceRow, NamespaceStore } from '../store.js';
import { NAMESPACES_PARTITION } from './constants.js';
import type { CassandraContext } from './context.js';
import { asBuffer, asNumber, asString } from './values.js';

export class CassandraNamespaceStore implements NamespaceStore {
  constructor(private readonly cx: CassandraContext) {}

  async createNamespace(row: NamespaceRow): Promise<void> {
    const byId = await this.cx.execute(
      'namespace.create',
      'INSERT INTO namespaces_by_id (id, name) VALUES (?, ?) IF NOT EXISTS',
      [row.id, row.name],
      { write: true, conditional: true },
    );
    if (!byId.wasApplied()) {
      const err = new AlreadyExistsError(`namespace id ${row.id} already exists`);
      this.cx.settle(byId, err);
      throw err;
    }
    this.cx.settle(byId);
    const rs = await this.cx.execute(
      'namespace.create',
      'INSERT INTO namespaces (namespaces_partition, name, id, detail, detail_encoding, is_global_namespace, notification_version) VALUES (?, ?, ?, ?, ?, false, ?) IF NOT EXISTS',
      [NAMESPACES_PARTITION, row.name, row.id, Buffer.from(row.blob), RECORD_ENCODING, row.notificationVersion],
      { write: true, conditional: true },
    );
    if (!rs.wasApplied()) {
      const err = new AlreadyExistsError(`namespace ${row.name} already exists`);
      this.cx.settle(rs, err);
      // Undo the id row so the id is not left pointing at a name another namespace owns.
      await this.cx.execute('namespace.delete', 'DELETE FROM namespaces_by_id WHERE id = ?', [row.id], {
        write: true,
        conditional: false,
      });
      throw err;
    }
    this.cx.settle(rs);
  }

  async updateNamespace(row: NamespaceRow, previousNotificationVersion: number): Promise<void> {
    const rs = await this.cx.execute(
      'namespace.update',
      'UPDATE namespaces SET detail = ?, detail_encoding = ?, notification_version = ? WHERE namespaces_partition = ? AND name = ? IF notification_version = ?',
      [
        Buffer.from(row.blob),
        RECORD_ENCODING,
        row.notificationVersion,
        NAMESPACES_PARTITION,
        row.name,
        previousNotificationVersion,
      ],
      { write: true, conditional: true },
    );
    if (rs.wasApplied()) {
      this.cx.settle(rs);
      return;
    }
    const err = new ConditionFailedError(`namespace ${row.name}: notification version changed`);
    this.cx.settle(rs, err);
    throw err;
  }

  private toRow(r: { get(name: string): unknown }): NamespaceRow {
    return {
      id: asString(r.get('id')),
      name: asString(r.get('name')),
      notificationVersion: asNumber(r.get('notification_version')),
      blob: asBuffer(r.get('detail')),
    };
  }

  async getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const rs = await this.cx.execute(
      'namespace.get',
      'SELECT id, name, detail, notification_version FROM namespaces WHERE namespaces_partition = ? AND name = ?',
      [NAMESPACES_PARTITION, name],
      {
        write: false,
        conditional: false,
      },
    );
    const r = rs.first();
    return r ? this.toRow(r) : undefined;
  }

  async getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const rs = await this.cx.execute('namespace.get', 'SELECT name FROM namespaces_by_id WHERE id = ?', [id], {
      write: false,
      conditional: false,
    });
    const name = rs.first()?.get('name') as string | undefined;
    return name === undefined ? undefined : this.getNamespaceByName(name);
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    const rs = await this.cx.execute(
      'namespace.list',
      'SELECT id, name, detail, notification_version FROM namespaces WHERE namespaces_partition = ?',
      [NAMESPACES_PARTITION],
      {
        write: false,
        conditional: false,
      },
    );
    return rs.rows.map((r) => this.toRow(r));
  }
}
