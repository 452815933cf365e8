// The state read of a host's first play, made in the exec that gathers its facts and takes the run
// lock: a no-change run then pays no round trip for it. The play cannot be prepared without the facts,
// so it is prepared ahead from the facts the host had at its last run (facts-cache.ts), and its read
// rides in the same exec request, right behind the facts and the lock (ScriptOptions.rideAlong).
// The prediction is used only when the facts gathered now are exactly the ones it was made from: then
// preparing again would give the same tasks (a play's preparation reads the run's inputs and this
// host's facts — no other host's facts are readable in the play where a host starts, host-scope.ts).
// Otherwise (new facts, no cache, a play with `when:`, --step, a read too large to travel in the exec
// request, a read as another user than the facts', a script holding a secret) nothing of it is used
// and the play is prepared and read as before it: one round trip more, nothing else differs.
// In a real run the read begins with a guard: it reads only while the lock holds this run's record,
// so it is the state under this run's lock, as a read after the lock would be.
import { isDeepStrictEqual } from 'node:util';
import type { BecomeRequest } from '../connectors/connection.js';
import { NotSentError } from '../connectors/connection.js';
import type { Facts } from '../facts/facts.js';
import { selectBackends } from '../backends/select.js';
import type { Play } from '../load/model.js';
import { stateRead, uniqueQueries } from '../state/batch.js';
import { tasksOf } from './blocks.js';
import type { AlongFacts, HostContext, HostLock } from './host-context.js';
import { heldScript, NOT_HELD } from './host-lock.js';
import { preparePlayTasks, type PlayAhead, type PreparedPlay } from './host-run.js';
import { readingBecome } from './prepare.js';
import { queriesOf } from './play-context.js';
import { noteRead } from './refresh.js';

/** What the host's start knows before its facts: its first play, and the facts it had last time. */
export interface FactsGuess {
  play: Play;
  /** The facts of the host's last run, if known. */
  facts?: Facts;
  /** Keep these facts for the next run (called when they differ from the guess). */
  remember(facts: Facts): void;
  /** The guess was wrong: what it registered for the host's variables is dropped (RunVars.forget). */
  forget(): void;
}

type HostBase = Parameters<AlongFacts['send']>[0];

/** A prepared guess, its read on the way. */
interface Ahead extends Pick<HostContext, 'facts' | 'backends' | 'scope'> {
  first: PlayAhead;
}

/**
 * What rides with the facts for `guess` (startHost's `along`); `taken` receives the first play,
 * prepared and read, when the facts gathered are the guessed ones.
 */
export function alongFacts(guess: FactsGuess, scopeFor: (facts: Facts) => HostContext['scope'], lock: HostLock | undefined, taken: (first: PlayAhead) => void): AlongFacts {
  let ahead: Ahead | undefined;
  return {
    send: (base) => void (ahead = readAhead(base, scopeFor, guess, lock)),
    take(gathered) {
      // As the cache keeps them (JSON: a fact that is undefined is absent there).
      const same = guess.facts !== undefined && isDeepStrictEqual(guess.facts, JSON.parse(JSON.stringify(gathered)));
      if (!same) guess.remember(gathered);
      if (ahead && same) {
        taken(ahead.first);
        return ahead;
      }
      if (ahead) guess.forget();
      return undefined;
    },
    drop: () => void (ahead && guess.forget()),
  };
}

/**
 * Prepares `guess.play` from the guessed facts and sends its state read, to ride in the exec that
 * gathers the facts (call it in the same tick as gatherFacts). Undefined when there is nothing to
 * guess with; errors of the preparation are left for the real one to report.
 */
function readAhead(base: HostBase, scopeFor: (facts: Facts) => HostContext['scope'], guess: FactsGuess, lock?: HostLock): Ahead | undefined {
  const { play } = guess;
  if (!guess.facts || play.when !== undefined || base.opts.step) return undefined;
  const facts = { ...guess.facts, check_mode: base.opts.check };
  const ahead = { facts, backends: selectBackends(facts), scope: scopeFor(facts) };
  let prepared: PreparedPlay;
  try {
    prepared = preparePlayTasks({ ...base, ...ahead }, play);
  } catch {
    guess.forget();
    return undefined;
  }
  const tasks = tasksOf(prepared.nodes);
  const queries = uniqueQueries([...queriesOf(tasks), ...queriesOf(prepared.handlers)]);
  if (queries.length === 0) return { ...ahead, first: { play, prepared, state: Promise.resolve(undefined) } };
  const read = stateRead(queries);
  const script = lock ? `${heldScript(lock.owner, lock.parent)}\n${read.script}` : read.script;
  // The exec request shows in the host's process list: never with a secret in it.
  const secretFree = base.opts.secrets.redact(script) === script;
  const become: BecomeRequest = readingBecome([...tasks, ...prepared.handlers]);
  const at = base.conn.started;
  const sent = secretFree
    ? base.conn.script(script, { become, label: `read state: ${play.name} (with the facts)`, public: true, rideAlong: true })
    : Promise.reject(new NotSentError('it holds a secret'));
  const state = sent.then(
    (res) => (res.exitCode === NOT_HELD && res.stdout.length === 0 ? undefined : noteRead(read.take(res), at, queries, become)),
    (err: Error) => {
      if (err instanceof NotSentError) return undefined;
      throw err;
    },
  );
  state.catch(() => undefined); // read (and its error reported) only if the guess is taken
  return { ...ahead, first: { play, prepared, state } };
}
