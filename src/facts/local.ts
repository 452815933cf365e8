// Custom local facts: the files of /etc/fleetplan/facts.d and /etc/ansible/facts.d, each a JSON
// document or (`.fact`) INI or JSON, under facts.local.<file stem>. The facts script prints only
// files that are regular (not symlinks), owned by root and not group- or world-writable, in a
// directory that is the same; an executable .fact is read, never run (Ansible runs it).

/** `lf=<name>` starts a file, `ll=<line>` is one of its lines, `le=<name>` says it could not be read. */
export function localFacts(lines: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let name: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (name !== undefined) out[stem(name)] = parseLocal(name, body.join('\n'));
    name = undefined;
    body = [];
  };
  for (const l of lines) {
    if (l.startsWith('lf=')) {
      flush();
      name = l.slice(3);
    } else if (l.startsWith('ll=') && name !== undefined) body.push(l.slice(3));
    else if (l.startsWith('le=')) {
      flush();
      out[stem(l.slice(3))] = { error: `cannot read ${l.slice(3)} as the login user` };
    }
  }
  flush();
  return out;
}

function stem(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.(json|fact)$/, '');
}

/** JSON first (both kinds); a .fact that is not JSON is INI. A file that is neither gives {error}. */
export function parseLocal(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!file.endsWith('.fact')) return { error: `${file}: not JSON: ${(err as Error).message}` };
  }
  return parseIni(file, text);
}

/** INI as Ansible reads it: [section] then key = value (or key: value); ; and # start comments. */
export function parseIni(file: string, text: string): unknown {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = out[head[1]!.trim()] ??= {};
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m || !section) return { error: `${file}:${i + 1}: not JSON, and not INI (expected [section] or key = value under a section)` };
    section[m[1]!] = m[2]!;
  }
  return out;
}
