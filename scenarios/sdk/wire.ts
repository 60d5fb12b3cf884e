import type Long from 'long';

/** Like the engine's: int64 fields accept plain numbers when building requests (protobufjs encodes them). */
export type Wire<T> = T extends Long
  ? number | Long
  : T extends Uint8Array
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;
