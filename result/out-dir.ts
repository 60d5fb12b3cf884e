/**
 * Output folders: checked before anything starts, so that a run never finds out after minutes (or with an engine
 * running) that its results cannot be written. Folders are made one level at a time, never with `recursive`:
 * Node's recursive mkdir loops forever under /proc (`--out /proc/x` once spun at 100 % CPU ignoring SIGTERM).
 * A probe file proves the folder writable even for root, whom permission bits do not stop from trying.
 */
import { mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ResultFileError } from './errors.js';

function reason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOENT') return 'the file system refuses to create it there';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** The folders from the nearest existing ancestor down to `dir`, outermost first (those that must be made). */
function missingFolders(dir: string, flag: string): string[] {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT' || dirname(d) === d)
        throw new ResultFileError(`${flag} ${dir} cannot be written: ${reason(err)} (${d})`);
      missing.unshift(d);
      continue;
    }
    if (!isDir) throw new ResultFileError(`${flag} ${dir} cannot be written: ${d} is a file, not a folder`);
    return missing;
  }
}

/**
 * Makes `dir` (and its missing parents) and proves it writable. With `keep: false` (a check before a run starts),
 * what was made is removed again, so a run that cannot start leaves no empty folder behind.
 */
export function ensureWritableDir(path: string, flag: string, keep: boolean): string {
  const dir = resolve(path);
  const missing = missingFolders(dir, flag);
  const made: string[] = [];
  const undo = (): void => {
    for (const d of made.reverse()) rmdirSync(d);
  };
  try {
    for (const d of missing) {
      mkdirSync(d);
      made.push(d);
    }
    const probe = join(dir, `.stampede-write-probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    undo();
    throw new ResultFileError(`${flag} ${dir} cannot be written: ${reason(err)}`);
  }
  if (!keep) undo();
  return dir;
}

/** The folder a file goes into, made and proven writable (report --out, gate --junit and the like). */
export function ensureWritableFileDir(path: string, flag: string): string {
  const file = resolve(path);
  ensureWritableDir(dirname(file), flag, true);
  try {
    if (statSync(file).isDirectory()) throw new ResultFileError(`${flag} ${file} is a folder, not a file`);
  } catch (err) {
    if (err instanceof ResultFileError) throw err;
  }
  return file;
}
