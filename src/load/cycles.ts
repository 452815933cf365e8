// Cycles in a directed graph (inventory groups nesting each other, variables referencing each other),
// found by one depth-first search: each cycle is reported once, where it was entered.

/**
 * Visit `nodes` (and what they lead to) depth first; for each edge that leads back into the current
 * path, call `onCycle` with that cycle (its first node repeated at the end: a → b → a) and the edge.
 */
export function findCycles<N, E>(nodes: Iterable<N>, edgesOf: (node: N) => Iterable<readonly [N, E]>, onCycle: (cycle: N[], edge: E) => void): void {
  const state = new Map<N, 'active' | 'done'>();
  const stack: N[] = [];
  const visit = (node: N): void => {
    state.set(node, 'active');
    stack.push(node);
    for (const [next, edge] of edgesOf(node)) {
      const s = state.get(next);
      if (s === 'active') onCycle([...stack.slice(stack.indexOf(next)), next], edge);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of nodes) if (!state.has(node)) visit(node);
}
