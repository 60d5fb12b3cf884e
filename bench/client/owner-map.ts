/**
 * Where a workflow's shard lives in an engine cluster, as the engine advertises it (admin DescribeCluster): the
 * shard is `shardFor(namespaceId, workflowId, numShards)` and its owner `shardOwner(shard, member ids)`, the same
 * functions the members use, so a client can send a start or a signal straight to the owner and save the member it
 * reached the forward hop. The view is re-read every few seconds and when a member stops answering.
 */
import { shardFor, shardOwner, type ClusterView } from '../../engine/index.js';

export class OwnerMap {
  private readonly addressById: Map<string, string>;
  private readonly ids: string[];

  constructor(
    readonly view: ClusterView,
    readonly namespaceId: string,
  ) {
    this.addressById = new Map(view.members.map((m) => [m.hostId, m.address]));
    this.ids = [...this.addressById.keys()];
  }

  /**
   * The address of the member owning the workflow's shard. Undefined outside a cluster (the one member is the target
   * the client reached, whatever address it advertises) and for a view without members.
   */
  addressFor(workflowId: string): string | undefined {
    if (!this.view.clustered || this.view.numShards < 1) return undefined;
    const owner = shardOwner(shardFor(this.namespaceId, workflowId, this.view.numShards), this.ids);
    return owner === undefined ? undefined : this.addressById.get(owner);
  }

  get memberAddresses(): string[] {
    return [...this.addressById.values()];
  }
}
