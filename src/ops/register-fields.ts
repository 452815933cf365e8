// What `register:` adds for operations on files: Ansible's path/state/mode/owner/group/size of the
// file as the task leaves it (the state the engine knows after the task; in a dry run, predicted).
import type { FileState } from '../state/file-state.js';
import type { StateQuery, StateView } from '../state/query.js';

export function fileRegisterFields(path: string, query: StateQuery<FileState>, state: StateView): Record<string, unknown> {
  let st: FileState | undefined;
  try {
    st = state.get(query);
  } catch {
    st = undefined;
  }
  if (!st) return { path };
  const kind = !st.exists ? 'absent' : st.type === 'directory' ? 'directory' : st.type === 'link' ? 'link' : 'file';
  return {
    path,
    state: kind,
    exists: st.exists,
    ...(st.mode !== undefined ? { mode: st.mode } : {}),
    ...(st.owner !== undefined ? { owner: st.owner } : {}),
    ...(st.group !== undefined ? { group: st.group } : {}),
    ...(st.size !== undefined ? { size: st.size } : {}),
    ...(st.sha256 !== undefined ? { checksum: st.sha256 } : {}),
  };
}
