// Shell helpers that act on the file a name held when it was checked, never on what a symbolic link
// planted since then leads to (docs/security.md, "Symlinks and paths a host user controls"). Defined at
// the top of every state read (prelude.ts) and every change script (engine/executor.ts); no process runs
// to define them. Where the kernel names an open file by /dev/stdin (Linux's /proc magic links), a file is
// opened once, compared with its name, and changed through the open file; elsewhere (FreeBSD) the tools'
// own no-follow flags (`chown -h`, `chmod -h`, `mv -h`, `stat` with no operand = the open stdin) do it.
// The choice is the kernel's (`[ -d /proc/self/fd ]`, a builtin): it is what makes /dev/stdin the open file.

/** Linux: `[ -ef ]` and chown/chmod through /dev/stdin reach the opened file itself; GNU `mv -T`. */
export const NO_FOLLOW_PROC = String.raw`
  _fp_same() { [ /dev/stdin -ef "$1" ] && ! [ -L "$1" ]; }
  _fp_fattr() { if [ -n "$1" ]; then chown -- "$1" /dev/stdin || return; fi; if [ -n "$2" ]; then chmod -- "$2" /dev/stdin; fi; }
  _fp_mv() { mv -fT -- "$1" "$2"; }
`;

/** BSD: `stat -f` of the open stdin vs of the name; lchown/lchmod (`-h`) never follow; `mv -h`. */
export const NO_FOLLOW_BSD = String.raw`
  _fp_same() { [ "$(stat -f %d:%i)" = "$(stat -f %d:%i -- "$1")" ] && ! [ -L "$1" ]; }
  _fp_fattr() { if [ -n "$1" ]; then chown -h -- "$1" "$3" || return; fi; if [ -n "$2" ]; then chmod -h -- "$2" "$3"; fi; }
  _fp_mv() { mv -fh -- "$1" "$2"; }
`;

export const NO_FOLLOW = `
if [ -d /proc/self/fd ]; then${NO_FOLLOW_PROC}else${NO_FOLLOW_BSD}fi
`;
