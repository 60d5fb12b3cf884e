import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import type { NamespaceRow, NamespaceStore } from '../store.js';
import type { MemoryDatabase } from './database.js';

export class MemoryNamespaceStore implements NamespaceStore {
  constructor(private readonly db: MemoryDatabase) {}

  createNamespace(row: NamespaceRow): Promise<void> {
    if (this.db.namespacesById.has(row.id) || this.db.namespaceIdsByName.has(row.name)) {
      throw new AlreadyExistsError(`namespace ${row.name} already exists`);
    }
    this.db.namespacesById.set(row.id, { ...row });
    this.db.namespaceIdsByName.set(row.name, row.id);
    return Promise.resolve();
  }

  updateNamespace(row: NamespaceRow, previousNotificationVersion: number): Promise<void> {
    const existing = this.db.namespacesById.get(row.id);
    if (existing?.notificationVersion !== previousNotificationVersion) {
      throw new ConditionFailedError(`namespace ${row.name}: notification version changed`);
    }
    this.db.namespacesById.set(row.id, { ...row });
    return Promise.resolve();
  }

  getNamespaceByName(name: string): Promise<NamespaceRow | undefined> {
    const id = this.db.namespaceIdsByName.get(name);
    const row = id === undefined ? undefined : this.db.namespacesById.get(id);
    return Promise.resolve(row && { ...row });
  }

  getNamespaceById(id: string): Promise<NamespaceRow | undefined> {
    const row = this.db.namespacesById.get(id);
    return Promise.resolve(row && { ...row });
  }

  listNamespaces(): Promise<NamespaceRow[]> {
    return Promise.resolve([...this.db.namespacesById.values()].map((r) => ({ ...r })));
  }
}
