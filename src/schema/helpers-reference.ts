// The "Template helpers" section of docs/plan-language.md, generated from the helper declarations
// (src/load/helpers/): name, arguments, the Ansible filter or test each replaces, and what it does.
import { HELPER_GROUPS } from '../load/helpers/index.js';
import { BOOLEAN_WORDS } from '../load/helpers/truth.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '\\n');
/** Inline code in a table cell (pipes escaped). */
const code = (s: string) => `\`${cell(s)}\``;
/** Inline code in prose. */
const c = (s: string) => `\`${s}\``;

export function helpersReference(): string {
  const groups = HELPER_GROUPS.map(
    (g) => `### ${g.title}

| helper | arguments | Ansible | does | example |
|---|---|---|---|---|
${g.helpers.map((h) => `| ${code(h.name)} | ${code(h.args)} | ${h.ansible.map(code).join(', ')} | ${cell(h.does)} | ${code(h.example)} |`).join('\n')}
`,
  );
  return `## Template helpers

Template files (${c('.hbs')}) and templated arguments are Handlebars: ${c('{{name}}')}, ${c('{{#if x}}…{{else}}…{{/if}}')},
${c('{{#each list}}…{{/each}}')} (${c('{{@key}}')} and ${c('{{this}}')} over a mapping), strict about undefined
variables and without HTML escaping. Jinja's filters are these helpers, called before their arguments:
${c("{{ x | default('a') }}")} is ${c('{{default x "a"}}')}, and ${c("{{ hosts | map(attribute='name') | join(',') }}")} is
${c('{{join (map_attr hosts "name") ","}}')}. Named options are written ${c('key=value')} after the arguments.
A value that is exactly one helper call giving a list or a mapping is that list or mapping, as a value
that is one variable is the variable's value: ${c('loop: "{{dict2items relay_params}}"')} loops over its items.
A helper given a value it cannot use fails the render with an error naming the helper; an unknown
helper, and Jinja syntax (${c('{{ x | filter }}')}, ${c('{% if %}')}), are reported by ${c('fleetplan validate')} at
file:line:col with the Handlebars form.

A value computed from a secret is a secret: a helper that read one returns a secret (strings in a list or
mapping it returns that hold one are secrets again), so ${c('{{b64encode pw}}')} or ${c('{{hash pw "sha256"}}')} is masked in
every report like ${c('pw')} itself.

Typed arguments: where an operation's argument is a boolean, a rendered string ${BOOLEAN_WORDS} (Ansible's
truthy strings) is that boolean; where it is a number, a rendered numeric string is that number
(${c('enabled: "{{start_at_boot}}"')} with ${c('start_at_boot: "no"')} works). ${c('fleetplan validate')} renders such an
argument when every variable it reads is known before any host is contacted and rejects what is neither;
one that reads facts or a loop item is checked when the task is prepared on its host. Dry run: helpers run the same in
${c('--check')} as in a real run (they only compute; ${c('password_hash')} without a salt is the one helper whose
output differs per run).

${groups.join('\n')}`;
}
