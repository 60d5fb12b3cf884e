/**
 * OperatorService Add/Remove/ListSearchAttributes: custom search attributes per namespace, kept in the namespace
 * record (so they survive restarts on every store), with Temporal's validation and messages (SQL visibility mode).
 * Unlike Temporal's SQL visibility there are no pre-allocated typed columns to run out of: any number per type.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { temporal } from '../../proto.js';
import {
  indexedOfType,
  isReserved,
  PREDEFINED_ATTRIBUTES,
  SYSTEM_ATTRIBUTES,
  typeOfIndexed,
} from '../../visibility/search-attributes.js';
import type { Handler } from '../handler.js';

function requireNamespaceName(namespace: string | null | undefined): string {
  if (!namespace) throw new InvalidArgumentError('Namespace is not set on request.');
  return namespace;
}

export const addSearchAttributes: Handler<
  temporal.api.operatorservice.v1.IAddSearchAttributesRequest,
  temporal.api.operatorservice.v1.IAddSearchAttributesResponse
> = async (fe, req) => {
  // IndexedValueType values by name (the generated map type is loose: its values are read as numbers).
  const requested = Object.entries(req.searchAttributes ?? {}).map(([name, type]): [string, number] => [
    name,
    Number(type),
  ]);
  if (requested.length === 0) throw new InvalidArgumentError('SearchAttributes are not set on request.');
  for (const [name, type] of requested) {
    if (isReserved(name)) throw new InvalidArgumentError(`Search attribute ${name} is reserved by system.`);
    if (typeOfIndexed(type) === undefined) throw new InvalidArgumentError(`Unknown search attribute type: ${type}.`);
  }
  const namespace = requireNamespaceName(req.namespace);
  await fe.namespaces.byNameOrThrow(namespace);
  // An attribute the namespace already has is skipped (Temporal logs a warning and succeeds), whatever its type.
  await fe.namespaces.updateCustomSearchAttributes(namespace, (current) => {
    const next = { ...current };
    for (const [name, type] of requested) if (!Object.hasOwn(next, name)) next[name] = type;
    return next;
  });
  return {};
};

export const removeSearchAttributes: Handler<
  temporal.api.operatorservice.v1.IRemoveSearchAttributesRequest,
  temporal.api.operatorservice.v1.IRemoveSearchAttributesResponse
> = async (fe, req) => {
  const names = req.searchAttributes ?? [];
  if (names.length === 0) throw new InvalidArgumentError('SearchAttributes are not set on request.');
  const namespace = requireNamespaceName(req.namespace);
  await fe.namespaces.byNameOrThrow(namespace);
  for (const name of names)
    if (SYSTEM_ATTRIBUTES.has(name) || PREDEFINED_ATTRIBUTES.has(name))
      throw new InvalidArgumentError(`Unable to remove non-custom search attributes: ${name}.`);
  // Unknown names are ignored; values runs already hold stay with them (no longer queryable or shown).
  await fe.namespaces.updateCustomSearchAttributes(namespace, (current) =>
    Object.fromEntries(Object.entries(current).filter(([name]) => !names.includes(name))),
  );
  return {};
};

export const listSearchAttributes: Handler<
  temporal.api.operatorservice.v1.IListSearchAttributesRequest,
  temporal.api.operatorservice.v1.IListSearchAttributesResponse
> = async (fe, req) => {
  const namespace = requireNamespaceName(req.namespace);
  const custom = await fe.namespaces.customSearchAttributes(namespace);
  const systemAttributes: Record<string, number> = {};
  for (const [name, type] of SYSTEM_ATTRIBUTES) systemAttributes[name] = indexedOfType(type);
  for (const [name, { type }] of PREDEFINED_ATTRIBUTES) systemAttributes[name] = indexedOfType(type);
  return { customAttributes: { ...custom }, systemAttributes, storageSchema: {} };
};
