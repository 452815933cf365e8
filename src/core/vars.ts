// A host's variables as roles, templates and operations see them: names to values of any YAML shape.
// On the ground floor because operations (their context) and the loader (which builds them) both use it.
export type Vars = Record<string, unknown>;
