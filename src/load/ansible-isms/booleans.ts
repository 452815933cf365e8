// YAML 1.1's boolean words, which Ansible's YAML reads as booleans (`become: yes`) and fleetplan's
// YAML 1.2 as strings: taken as the boolean wherever a boolean is what the keyword or argument wants.
const WORDS: Record<string, boolean> = {
  yes: true, Yes: true, YES: true, on: true, On: true, ON: true, true: true, True: true, TRUE: true,
  no: false, No: false, NO: false, off: false, Off: false, OFF: false, false: false, False: false, FALSE: false,
};

/** The boolean a YAML 1.1 word means, or undefined. */
export const yamlBoolean = (v: unknown): boolean | undefined => (typeof v === 'string' && Object.hasOwn(WORDS, v) ? WORDS[v] : undefined);
