// Names are data: what each backend's tool accepts as a package, service, user or group name, so a
// name can never become an option (a leading `-`), a path (`/`, `..`) or anything but one operand.
// The operations check names against these at validate time (any backend's grammar, or the one
// `use:` names); each backend checks its own again before it builds a command (defence in depth).
import { shQuote } from '../core/quote.js';

export interface NameGrammar {
  /** "a Debian package name": what the error says the name is not. */
  what: string;
  /** The rule, for the error message. */
  rule: string;
  pattern: RegExp;
  max: number;
  /** Further refusals (an all-digit user name, `.` and `..`). */
  extra?: (name: string) => string | undefined;
}

/** Why `name` is refused, or undefined when the grammar accepts it. */
export function nameProblem(g: NameGrammar, name: string): string | undefined {
  if (name.length > g.max) return `longer than ${g.max} characters`;
  if (!g.pattern.test(name)) return `not ${g.rule}`;
  return g.extra?.(name);
}

/** Throws, naming the name and the rule, unless the grammar accepts it. */
export function checkName(g: NameGrammar, name: string): string {
  const why = nameProblem(g, name);
  if (why !== undefined) throw new Error(`${JSON.stringify(name)} is not ${g.what} (${why})`);
  return name;
}

/** A name as one shell word, once the grammar accepts it: how every name reaches a backend's command. */
export function quotedName(g: NameGrammar, name: string): string {
  return shQuote(checkName(g, name));
}

/** Names as operands of a command, each checked and quoted; after `--` (the end of options) when the tool takes it. */
export function nameOperands(g: NameGrammar, names: string[], opts: { endOfOptions: boolean }): string {
  const quoted = names.map((n) => quotedName(g, n));
  return (opts.endOfOptions ? ['--', ...quoted] : quoted).join(' ');
}

// Debian policy §5.6.7: lower case letters, digits, + - . ; at least two characters, starting
// alphanumeric. apt also takes `name:arch`.
export const DEB_PACKAGE: NameGrammar = {
  what: 'a Debian package name',
  rule: '[a-z0-9][a-z0-9+.-]+ with an optional :arch',
  pattern: /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9][a-z0-9-]*)?$/,
  max: 255,
};

// rpm names (and name-version-release, name.arch): letters, digits and - . _ + ; never a leading - or .
export const RPM_PACKAGE: NameGrammar = {
  what: 'an RPM package name',
  rule: '[A-Za-z0-9_+][A-Za-z0-9._+-]*',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/,
  max: 255,
};

// pkg(8): a package name (py311-foo, p5-Mail-SPF, name-1.2,1) or an origin category/port.
export const FREEBSD_PACKAGE: NameGrammar = {
  what: 'a FreeBSD package name or origin',
  rule: '[A-Za-z0-9_+][A-Za-z0-9._+,-]* or category/port',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+,-]*(?:\/[A-Za-z0-9_+][A-Za-z0-9._+-]*)?$/,
  max: 255,
};

// A ports origin: category/port, neither part starting with . or - (no `..`, no option).
export const PORT_ORIGIN: NameGrammar = {
  what: 'a ports origin like mail/opendkim',
  rule: 'category/port, each [A-Za-z0-9_+][A-Za-z0-9._+-]*',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+-]*\/[A-Za-z0-9_+][A-Za-z0-9._+-]*$/,
  max: 255,
};

// systemd.unit(5): letters, digits and : - _ . \ (escapes), @ for template instances; at most 255.
// A leading - is refused even though `-.mount` exists: the service operation has no use for it.
export const SYSTEMD_UNIT: NameGrammar = {
  what: 'a systemd unit name',
  rule: '[A-Za-z0-9_:\\\\][A-Za-z0-9_:.@\\\\-]*',
  pattern: /^[A-Za-z0-9_:\\][A-Za-z0-9_:.@\\-]*$/,
  max: 255,
};

// SysV /etc/init.d and FreeBSD rc.d script names: a file name in that directory — no /, never a
// leading . or - (console-setup.sh, milter-opendkim).
export const INIT_SCRIPT: NameGrammar = {
  what: 'an init script name',
  rule: '[A-Za-z0-9_][A-Za-z0-9_.+@-]* (a file name in the scripts directory)',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9_.+@-]*$/,
  max: 255,
};

// shadow-utils' is_valid_name() (useradd, groupadd) and FreeBSD pw's pw_checkname(): letters, digits,
// _ . - (not first), an optional trailing $ (Samba machine accounts), not all digits, at most 32.
export const ACCOUNT_NAME: NameGrammar = {
  what: 'a user or group name',
  rule: '[A-Za-z0-9_.][A-Za-z0-9_.-]* with an optional trailing $',
  pattern: /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/,
  max: 32,
  extra: (n) => (/^\d+$/.test(n) ? 'all digits: a tool would take it for an id' : n === '.' || n === '..' ? 'a directory name' : undefined),
};

/**
 * Why no grammar of the list accepts `name`, or undefined when one does — for validate time, when
 * the host's backend is not known yet.
 */
export function anyGrammarProblem(grammars: readonly NameGrammar[], name: string): string | undefined {
  if (grammars.some((g) => nameProblem(g, name) === undefined)) return undefined;
  return `not a name any backend accepts: ${grammars.map((g) => `${g.what} is ${g.rule}`).join('; ')}`;
}

// sysctl(8) names, Linux and FreeBSD alike: dot-separated components of letters, digits, _ - and
// (Linux interface names in net.*.conf.<if>) @ :; never a leading - (an option), no `/` (Linux reads
// it as the separator, so `..` could leave /proc/sys), no `=` (it would split name from value).
export const SYSCTL_NAME: NameGrammar = {
  what: 'a sysctl name',
  rule: 'dot-separated [A-Za-z0-9_][A-Za-z0-9_@:-]* components',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9_@:-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_@:-]*)*$/,
  max: 255,
};
