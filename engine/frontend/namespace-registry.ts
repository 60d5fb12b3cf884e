/** Namespace registry: names to records, cached, with `default` created at start-up (as Temporal's dev server). */
import { randomUUID } from 'node:crypto';
import { NamespaceAlreadyExistsError, NamespaceNotFoundError } from '../errors.js';
import { AlreadyExistsError, ConditionFailedError } from '../persistence/errors.js';
import type { NamespaceManager } from '../persistence/manager.js';
import type { NamespaceRecord } from '../persistence/records.js';
import { DEV_SERVER_DEFAULT_ATTRIBUTES } from '../visibility/search-attributes.js';

export class NamespaceRegistry {
  private readonly byName = new Map<string, NamespaceRecord>();
  private readonly byId = new Map<string, NamespaceRecord>();

  constructor(
    private readonly store: NamespaceManager,
    private readonly defaultRetentionMs: number,
  ) {}

  async ensure(name: string, retentionMs = this.defaultRetentionMs): Promise<NamespaceRecord> {
    const existing = await this.store.getNamespaceByName(name);
    if (existing) return this.remember(existing);
    try {
      // `default` comes with the custom search attributes Temporal's dev server registers there.
      const customSearchAttributes = name === 'default' ? { ...DEV_SERVER_DEFAULT_ATTRIBUTES } : {};
      return await this.register({
        name,
        description: '',
        ownerEmail: '',
        retentionMs,
        data: {},
        customSearchAttributes,
      });
    } catch (err) {
      if (!(err instanceof NamespaceAlreadyExistsError)) throw err;
      // Another engine created it first.
      return this.byNameOrThrow(name);
    }
  }

  async register(p: {
    name: string;
    description: string;
    ownerEmail: string;
    retentionMs: number;
    data: Record<string, string>;
    customSearchAttributes?: Record<string, number>;
  }): Promise<NamespaceRecord> {
    const record: NamespaceRecord = {
      id: randomUUID(),
      name: p.name,
      description: p.description,
      ownerEmail: p.ownerEmail,
      retentionMs: p.retentionMs,
      state: 1,
      data: p.data,
      notificationVersion: 1,
      createdAtMs: Date.now(),
      customSearchAttributes: p.customSearchAttributes ?? {},
    };
    try {
      await this.store.createNamespace(record);
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw new NamespaceAlreadyExistsError(p.name);
      throw err;
    }
    return this.remember(record);
  }

  /** Resolves a namespace by name (cache first), or NamespaceNotFoundError. */
  async byNameOrThrow(name: string): Promise<NamespaceRecord> {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const record = await this.store.getNamespaceByName(name);
    if (!record) throw new NamespaceNotFoundError(name);
    return this.remember(record);
  }

  async byIdOrThrow(id: string): Promise<NamespaceRecord> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const record = await this.store.getNamespaceById(id);
    if (!record) throw new NamespaceNotFoundError(id);
    return this.remember(record);
  }

  async list(): Promise<NamespaceRecord[]> {
    return (await this.store.listNamespaces()).map((r) => this.remember(r));
  }

  /**
   * After a store outage the cache may be ahead of the store: forget it, and read each namespace again when next
   * asked. `default`, which the engine guarantees, is written back when the store lost it — with its id, so the runs
   * the store kept still belong to it.
   */
  async refresh(): Promise<void> {
    const fallback = this.byName.get('default');
    this.byName.clear();
    this.byId.clear();
    if (!fallback || (await this.store.getNamespaceByName(fallback.name))) return;
    try {
      await this.store.createNamespace(fallback);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  /**
   * The namespace's custom search attributes as the store has them now (another engine may have changed them):
   * name -> IndexedValueType.
   */
  async customSearchAttributes(name: string): Promise<Record<string, number>> {
    const record = await this.store.getNamespaceByName(name);
    if (!record) throw new NamespaceNotFoundError(name);
    return this.remember(record).customSearchAttributes ?? {};
  }

  /**
   * Changes the namespace's custom search attributes with `change` (which may throw to refuse), as one conditional
   * write on the namespace's notification version, re-read and retried when another writer got there first.
   */
  async updateCustomSearchAttributes(
    name: string,
    change: (current: Readonly<Record<string, number>>) => Record<string, number>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const record = await this.store.getNamespaceByName(name);
      if (!record) throw new NamespaceNotFoundError(name);
      const next: NamespaceRecord = {
        ...record,
        customSearchAttributes: change(record.customSearchAttributes ?? {}),
        notificationVersion: record.notificationVersion + 1,
      };
      try {
        await this.store.updateNamespace(next, record.notificationVersion);
        this.remember(next);
        return;
      } catch (err) {
        if (!(err instanceof ConditionFailedError) || attempt >= 5) throw err;
      }
    }
  }

  private remember(r: NamespaceRecord): NamespaceRecord {
    this.byName.set(r.name, r);
    this.byId.set(r.id, r);
    return r;
  }
}
