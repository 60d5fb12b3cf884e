/**
 * Reading an Astra secure connect bundle without connecting: the zip holds config.json (the metadata service's host
 * and port, the keyspace the database was created with, its data center) and the TLS material the driver uses.
 * `schema create --dry-run` and the pre-flight checks read it; the driver reads it again to connect.
 */
import AdmZip from 'adm-zip';

export interface SecureConnectBundle {
  /** The metadata service the driver asks for the SNI proxy and the contact points. */
  host: string;
  port: number;
  /** The keyspace the database was created with, when the bundle names one. */
  keyspace?: string;
  localDataCenter?: string;
}

/** Thrown when a file is not a secure connect bundle: a user mistake, with a one-line message. */
export class BundleError extends Error {
  readonly code = 'BAD_SECURE_CONNECT_BUNDLE';
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

const TLS_ENTRIES = ['ca.crt', 'cert', 'key'];

export function readSecureConnectBundle(path: string): SecureConnectBundle {
  let entries: Map<string, Buffer>;
  try {
    entries = new Map(new AdmZip(path).getEntries().map((e) => [e.entryName, e.getData()]));
  } catch (err) {
    throw new BundleError(
      `${path} is not a secure connect bundle (not a readable zip: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const config = entries.get('config.json');
  if (!config) throw new BundleError(`${path} is not a secure connect bundle: it holds no config.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.toString('utf8'));
  } catch {
    throw new BundleError(`${path}: config.json is not JSON`);
  }
  const c = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const port = Number(c.port);
  if (typeof c.host !== 'string' || !Number.isInteger(port))
    throw new BundleError(`${path}: config.json names no metadata service host and port`);
  const missing = TLS_ENTRIES.filter((name) => !entries.has(name));
  if (missing.length > 0) throw new BundleError(`${path} is not a secure connect bundle: no ${missing.join(', ')}`);
  return {
    host: c.host,
    port,
    ...(typeof c.keyspace === 'string' ? { keyspace: c.keyspace } : {}),
    ...(typeof c.localDC === 'string' ? { localDataCenter: c.localDC } : {}),
  };
}
