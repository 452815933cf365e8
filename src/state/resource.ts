// What a piece of host state is about: a file, a service, a package, an account, an rc.conf variable.
// Typed, so that the engine asks `r.kind === 'file'` and reads `r.path` instead of parsing a prefixed
// string back; `resourceKey` gives the one string form, for map keys only (never parsed).

export type ResourceId =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'package'; readonly name: string }
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'group'; readonly name: string }
  /** A FreeBSD rc.conf variable as set in one file. */
  | { readonly kind: 'sysrc'; readonly file: string; readonly name: string }
  /** A kernel parameter's running value (sysctl). */
  | { readonly kind: 'sysctl'; readonly name: string }
  /** One user's crontab (crontab -u <name>). */
  | { readonly kind: 'crontab'; readonly name: string }
  /** One debconf question's value and seen flag. */
  | { readonly kind: 'debconf'; readonly name: string }
  /** The package manager's cache of repository indexes (apt lists, dnf metadata, pkg catalogue). */
  | { readonly kind: 'package-cache'; readonly name: string };

/** The identity of a resource as a map key: equal keys, same resource. */
export function resourceKey(r: ResourceId): string {
  switch (r.kind) {
    case 'file':
      return `file:${r.path}`;
    case 'sysrc':
      return `sysrc:${r.file}:${r.name}`;
    default:
      return `${r.kind}:${r.name}`;
  }
}
