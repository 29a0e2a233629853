/**
 * One file's text into validated resources: YAML (multi-document) → per-document kind lookup →
 * the kind's schema. Every problem becomes a ConfigIssue with file, document index, field path
 * and, where the YAML has it, the line.
 */
import { Composer, type Document, isNode, LineCounter, Parser } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { checkFilters } from './filter-hook.js';
import { flattenZodIssues, formatPath, parsePath } from './issues.js';
import { isKindName, KIND_NAMES, KINDS, type KindName } from './kinds.js';
import type { ResourceOrigin } from './resource.js';

export interface ParsedResource {
  kind: KindName;
  /** The schema's output with `origin` added. */
  resource: Record<string, unknown> & { origin: ResourceOrigin };
}

export interface ParsedFile {
  resources: ParsedResource[];
  issues: ConfigIssue[];
}

/** Documents past this size of aliases expanded are refused (a "billion laughs" file). */
const MAX_ALIAS_COUNT = 1000;

export function parseDocuments(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const resources: ParsedResource[] = [];
  const issues: ConfigIssue[] = [];
  // Document by document (yaml's streaming parser and composer), each syntax tree dropped once
  // read: a file of 10,000 Triggers no longer holds 10,000 trees at once at start-up.
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ uniqueKeys: true });
  let document = 0;
  try {
    for (const doc of composer.compose(parser.parse(text))) parseDocument(doc as Document.Parsed, document++);
  } catch (err) {
    issues.push({ file, path: '', message: `cannot parse YAML: ${(err as Error).message}` });
  }
  return { resources, issues };

  function parseDocument(doc: Document.Parsed, document: number): void {
    const push = (path: PropertyKey[], message: string) => {
      const line = lineOf(doc, path, lineCounter);
      issues.push({
        file,
        document,
        path: formatPath(path),
        message: line ? `${message} (${line})` : message,
      });
    };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
        const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
        issues.push({
          file,
          document,
          path: '',
          message: `YAML syntax error${at}: ${firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      issues.push({
        file,
        document,
        path: '',
        message: `cannot read YAML: ${firstLine((err as Error).message)}`,
      });
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    const record = value as Record<string, unknown>;
    // `kubectl get -o yaml` of several objects prints one `kind: List` holding them.
    if (typeof value === 'object' && record.kind === 'List' && record.apiVersion === 'v1') {
      if (!Array.isArray(record.items)) {
        push(['items'], 'a List needs items (a sequence of resources)');
        return;
      }
      record.items.forEach((item: unknown, i: number) => {
        validateResource(item, ['items', i]);
      });
      return;
    }
    validateResource(value, []);

    function validateResource(input: unknown, at: PropertyKey[]): void {
      const pushAt = (path: PropertyKey[], message: string) => push([...at, ...path], message);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        pushAt([], 'a document must be a mapping with apiVersion, kind, metadata and spec');
        return;
      }
      const record = input as Record<string, unknown>;
      const kind = record.kind;
      const apiVersion = record.apiVersion;
      if (typeof kind !== 'string') {
        pushAt(['kind'], `is required (one of ${KIND_NAMES.join(', ')})`);
        return;
      }
      if (!isKindName(kind)) {
        pushAt(['kind'], `unknown kind '${kind}' (known: ${KIND_NAMES.join(', ')})`);
        return;
      }
      const definition = KINDS[kind];
      if (
        typeof apiVersion !== 'string' ||
        !(definition.apiVersions as readonly string[]).includes(apiVersion)
      ) {
        const got = typeof apiVersion === 'string' ? `'${apiVersion}'` : 'none';
        pushAt(
          ['apiVersion'],
          `kind ${kind} needs apiVersion ${definition.apiVersions.join(' or ')}; got ${got}`,
        );
        return;
      }
      const result = definition.schema.safeParse(record);
      // Filters are checked on the raw input too, so their problems (CESQL syntax, ...) show up in
      // the same pass as shape problems elsewhere; a problem already reported at the same place by
      // the schema is not repeated.
      const shapeIssues = result.success ? [] : flattenZodIssues(result.error.issues, [], definition.schema);
      const shapePaths = shapeIssues.map((i) => formatPath(i.path));
      const filterProblems = checkFilters(kind, record).filter(
        (problem) => !shapePaths.some((p) => p.startsWith(problem.path) || problem.path.startsWith(p)),
      );
      // Reported in the order they appear in the document.
      const found = [
        ...shapeIssues,
        ...filterProblems.map((p) => ({ path: parsePath(p.path), message: p.message })),
      ].map((issue, index) => ({
        ...issue,
        index,
        offset: positionOf(doc, [...at, ...issue.path], lineCounter)?.offset ?? 0,
      }));
      found.sort((a, b) => a.offset - b.offset || a.index - b.index);
      for (const { path, message } of found) pushAt(path, message);
      if (!result.success || filterProblems.length > 0) return;
      const data = result.data as Record<string, unknown>;
      const origin: ResourceOrigin = { file, document };
      if (at.length > 0) origin.path = formatPath(at);
      resources.push({ kind, resource: { ...data, origin } });
    }
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** `line 12, column 3` of the deepest node of `path` present in the document. */
function lineOf(doc: Document.Parsed, path: PropertyKey[], lineCounter: LineCounter): string | undefined {
  return positionOf(doc, path, lineCounter)?.text;
}

function positionOf(
  doc: Document.Parsed,
  path: PropertyKey[],
  lineCounter: LineCounter,
): { offset: number; text: string } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const keys = path.slice(0, n);
    let node: unknown;
    try {
      node = n === 0 ? doc.contents : doc.getIn(keys as unknown[], true);
    } catch {
      node = undefined;
    }
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { offset: node.range[0], text: `line ${pos.line}, column ${pos.col}` };
    }
  }
  return undefined;
}
