// Ansible's INI inventory format, read as ansible-core's ini plugin reads it:
//
//   top1 ansible_host=192.0.2.1     hosts before any section are in `ungrouped`
//   [relays]                        a group and its host lines: `name[:port] key=value ...`
//   relay[01:20].example.org ansible_user=deploy
//   [relays:vars]                   one `key=value` a line, the rest of the line is the value
//   mail_domain=example.org
//   [mail:children]                 child groups, one a line
//   relays
//
// Comments start with `#` or `;` at the start of a line, and `#` after a host line's words. Values are
// typed as Ansible types them (python-literal.ts). A group named in `[x:vars]` must be declared by a
// `[x]` or `[x:children]` section (in this file or an earlier source), and so must every child named
// in `[x:children]`, as in Ansible.
//
// Not the `ini` npm package: Ansible's INI is not key=value sections but host lines of shell-like words
// (quotes, `#` comments), so each line is split by `shlex` — the port of Python's shlex that Ansible
// splits these lines with — and only the line structure is read here.
import { split } from 'shlex';
import type { SourcePos } from '../core/errors.js';
import { Secret, type SecretRegistry } from '../core/secret.js';
import { connectionVars } from '../connectors/connection-vars.js';
import { HostPatternError, expandHostRange, splitHostPort } from './host-ranges.js';
import type { GroupDraft, InventoryDraft } from './inventory-draft.js';
import { Issues, didYouMean } from './issues.js';
import { pythonLiteral } from './python-literal.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;
const STATES = ['hosts', 'vars', 'children'];

/** The connection variables whose values are passwords: secrets however the INI file writes them. */
const SECRET_VARS = new Set(Object.entries(connectionVars).flatMap(([name, v]) => ('secret' in v && v.secret ? [name, ...v.aliases] : [])));

/** `allSecret`: the file was encrypted, so every string value in it is a secret (as in an encrypted YAML file). */
export function readIniInventory(text: string, file: string, draft: InventoryDraft, issues: Issues, secrets: SecretRegistry, opts: { allSecret?: boolean } = {}): void {
  new IniReader(file, draft, issues, secrets, opts.allSecret ?? false).read(text);
}

class IniReader {
  /** The section being read; before the first one, `ungrouped` (created when a host is met there). */
  #section: GroupDraft | undefined;
  #state = 'hosts';
  /** `[x:vars]` of a group not (yet) declared, and children not (yet) declared: errors if still so at the end. */
  readonly #pendingVars = new Map<string, SourcePos>();
  readonly #pendingChildren = new Map<string, { pos: SourcePos; parent: string }>();

  constructor(
    private readonly file: string, private readonly draft: InventoryDraft, private readonly issues: Issues, private readonly secrets: SecretRegistry,
    private readonly allSecret: boolean,
  ) {}

  read(text: string): void {
    this.draft.group('all', { file: this.file, line: 1, col: 1 });
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) return;
      const pos: SourcePos = { file: this.file, line: i + 1, col: raw.length - raw.trimStart().length + 1 };
      // `[2001:db8::1]:22` is a host line; `[web` or `[a b]` a broken section header.
      if (SECTION.test(line) || (line.startsWith('[') && line.endsWith(']'))) this.section(line, pos);
      else if (this.#state === 'vars') this.variable(line, pos);
      else if (this.#state === 'children') this.child(line, pos);
      else if (this.#state === 'hosts') this.hostLine(raw, line, pos);
    });
    for (const [name, pos] of this.#pendingVars) this.issues.add(pos, `[${name}:vars]: no group '${name}' is declared (a [${name}] or [${name}:children] section)`);
    for (const [name, p] of this.#pendingChildren) this.issues.add(p.pos, `[${p.parent}:children] includes '${name}', which no [${name}] or [${name}:children] section declares`);
  }

  /** The group of the current section (`ungrouped` before the first). */
  group(pos: SourcePos): GroupDraft {
    return (this.#section ??= this.draft.group('ungrouped', pos));
  }

  section(line: string, pos: SourcePos): void {
    const m = SECTION.exec(line);
    if (!m) {
      this.issues.add(pos, `invalid section '${line}': expected [group], [group:vars] or [group:children] (no spaces in the name)`);
      this.#state = 'skip';
      return;
    }
    const [, name, state = 'hosts'] = m as unknown as [string, string, string | undefined];
    if (!STATES.includes(state)) {
      this.issues.add(pos, `section [${name}:${state}] has an unknown type '${state}' (expected [${name}], [${name}:vars] or [${name}:children])${didYouMean(state, STATES)}`);
      this.#state = 'skip';
      return;
    }
    if (state === 'vars') {
      // `all` and `ungrouped` always exist in Ansible.
      if (!this.draft.groups.has(name) && !this.#pendingChildren.has(name) && name !== 'ungrouped') this.#pendingVars.set(name, pos);
    } else {
      this.#pendingVars.delete(name);
      this.#pendingChildren.delete(name);
    }
    this.#section = this.draft.group(name, pos);
    this.#state = state;
  }

  variable(line: string, pos: SourcePos): void {
    const eq = line.indexOf('=');
    if (eq < 0) {
      this.issues.add(pos, `[${this.group(pos).name}:vars]: expected key=value, got '${line}'`);
      return;
    }
    const key = line.slice(0, eq).trim();
    this.group(pos).vars[key] = this.value(key, line.slice(eq + 1).trim());
  }

  child(line: string, pos: SourcePos): void {
    const m = GROUP_NAME.exec(line);
    if (!m) {
      this.issues.add(pos, `[${this.group(pos).name}:children]: expected a group name, got '${line}'`);
      return;
    }
    const name = m[1]!;
    if (!this.draft.groups.has(name)) this.#pendingChildren.set(name, { pos, parent: this.group(pos).name });
    this.draft.child(this.group(pos), name, pos);
  }

  value(key: string, text: string): unknown {
    const v = pythonLiteral(text);
    if (this.allSecret) return asSecretStrings(v, this.secrets);
    return SECRET_VARS.has(key) && (typeof v === 'string' || typeof v === 'number') && v !== '' ? new Secret(String(v), this.secrets) : v;
  }

  /** `pattern key=value ...  # comment`: the words as shlex splits them. */
  hostLine(raw: string, line: string, pos: SourcePos): void {
    const words = splitWords(line);
    if (!Array.isArray(words)) {
      this.issues.add(pos, `cannot split the host line: ${words.error}`);
      return;
    }
    if (!words.length) return;
    const vars: Record<string, unknown> = {};
    let cursor = pos.col! - 1 + words[0]!.length;
    for (const w of words.slice(1)) {
      const at = raw.indexOf(w, cursor);
      const col = (at >= 0 ? at : cursor) + 1;
      cursor = at >= 0 ? at + w.length : cursor;
      const eq = w.indexOf('=');
      if (eq <= 0) {
        this.issues.add({ ...pos, col }, `expected key=value host variable, got '${w}'`);
        continue;
      }
      vars[w.slice(0, eq)] = this.value(w.slice(0, eq), w.slice(eq + 1));
    }
    let names: string[];
    try {
      const { name, port } = splitHostPort(words[0]!);
      if (port !== undefined && !('ansible_port' in vars)) vars.ansible_port = port;
      names = expandHostRange(name);
    } catch (err) {
      if (!(err instanceof HostPatternError)) throw err;
      this.issues.add(pos, err.message);
      return;
    }
    for (const n of names) this.draft.host(n, this.group(pos), pos, vars);
  }
}

/** Every string (deeply) a Secret, numbers and booleans as they are: as markSecretLeaves does for YAML. */
function asSecretStrings(v: unknown, secrets: SecretRegistry): unknown {
  if (typeof v === 'string') return v === '' ? v : new Secret(v, secrets);
  if (Array.isArray(v)) return v.map((x) => asSecretStrings(x, secrets));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asSecretStrings(x, secrets)]));
  return v;
}

/** shlex's words of a host line, without its `#` comment (a `#` outside quotes starts one, as Python's shlex with comments). */
function splitWords(line: string): string[] | { error: string } {
  for (let i = line.indexOf('#'); i >= 0; i = line.indexOf('#', i + 1)) {
    // The `#` starts a comment when the text before it splits cleanly: not inside quotes, not escaped.
    try {
      return split(line.slice(0, i));
    } catch {
      continue;
    }
  }
  try {
    return split(line);
  } catch (err) {
    return { error: (err as Error).message };
  }
}
