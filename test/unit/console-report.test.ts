// The human report at 200 hosts, driven with synthetic engine events and a controlled clock through a
// fake terminal and a fake pipe: what scrolls by stays bounded (blocks only for hosts that changed or
// failed), the one live status line carries the counts and the slowest hosts and never wraps, the
// recap lists the hosts that matter and summarises the rest, a pipe gets no escapes and only a few
// progress lines, colour follows --no-color / NO_COLOR / FORCE_COLOR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostStats, RunEvent, RunSummary, TaskResult } from '../../src/engine/events.js';
import { ConsoleReporter, type ConsoleOptions } from '../../src/report/console.js';
import { formatDuration } from '../../src/report/duration.js';
import { colorWanted, liveCapable } from '../../src/report/terminal.js';
import { FakeStream, replay } from './fake-terminal.js';

type Outcome = 'ok' | 'changed' | 'failed' | 'unreachable';

interface SimHost {
  name: string;
  outcome: Outcome;
  ms: number;
}

/** 200 hosts: 190 unchanged, 6 changed, 3 failed, 1 unreachable; h077 takes a minute, the rest 1-6 s. */
function fleet(n = 200): SimHost[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const name = `h${String(i).padStart(3, '0')}`;
    const outcome: Outcome = i === 100 ? 'unreachable' : [50, 150, 180].includes(i) ? 'failed' : i % 33 === 0 ? 'changed' : 'ok';
    return { name, outcome, ms: i === 77 ? 60_000 : 1000 + ((i * 737) % 5000) };
  });
}

const TASK = 'install packages';

function result(h: SimHost, task: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult {
  return { host: h.name, play: 'site', task, op: 'command', handler: false, status, check: false, changes: [], ms: 5, ...extra };
}

function stats(h: SimHost): HostStats {
  const s = { ok: 3, changed: 0, failed: 0, skipped: 1, unreachable: false, execs: 4, ms: h.ms };
  if (h.outcome === 'changed') Object.assign(s, { ok: 2, changed: 1 });
  if (h.outcome === 'failed') Object.assign(s, { ok: 1, failed: 1 });
  if (h.outcome === 'unreachable') Object.assign(s, { ok: 0, skipped: 0, unreachable: true, execs: 0, ms: 10_000 });
  return s;
}

/**
 * Runs the fleet through `forks` parallel slots on a simulated clock, the way the engine emits events;
 * `at(done)` is called after each finished host so a test can look at the screen mid-run.
 */
function simulate(opts: Omit<ConsoleOptions, 'now'>, hosts: SimHost[], forks = 50, at?: (done: number, now: number, running: Array<{ host: string; since: number }>) => void) {
  let now = 0;
  const reporter = new ConsoleReporter({ ...opts, now: () => now });
  const emit = (e: RunEvent) => reporter.handle(e);
  const queue = [...hosts];
  const started = new Map<string, number>();
  const running: Array<{ h: SimHost; end: number }> = [];
  // In inventory order, as the engine builds it.
  const summary: RunSummary = { check: false, hosts: Object.fromEntries(hosts.map((h) => [h.name, stats(h)])), ms: 0 };
  const start = () => {
    const h = queue.shift();
    if (!h) return;
    started.set(h.name, now);
    emit({ type: 'host-start', host: h.name });
    if (h.outcome === 'unreachable') {
      running.push({ h, end: now + 10_000 });
      return;
    }
    emit({ type: 'command', host: h.name, command: 'gather facts', exitCode: 0, become: false, ms: 40 });
    emit({ type: 'host-facts', host: h.name, facts: {} as never, ms: 40 });
    emit({ type: 'task-start', host: h.name, play: 'site', task: TASK, handler: false });
    running.push({ h, end: now + h.ms });
  };
  const finish = (h: SimHost) => {
    if (h.outcome === 'unreachable') {
      emit({ type: 'host-unreachable', host: h.name, error: `cannot connect to ${h.name} (root@127.0.10.9:22): connect ETIMEDOUT` });
    } else {
      emit({ type: 'task-result', result: result(h, 'base packages', 'ok') });
      if (h.outcome === 'changed') {
        emit({ type: 'task-result', result: result(h, TASK, 'changed', { changes: [{ kind: 'run', description: 'install', command: 'apt-get install -y tree' }] }) });
      }
      if (h.outcome === 'failed') {
        emit({ type: 'command', host: h.name, command: 'apt-get install -y nosuchpkg', exitCode: 100, become: true, ms: 900 });
        emit({ type: 'task-result', result: result(h, TASK, 'failed', { error: 'exited 100: E: Unable to locate package nosuchpkg', pos: { file: 'site.yml', line: 7, col: 5 } }) });
      } else {
        emit({ type: 'task-result', result: result(h, 'motd', 'ok') });
      }
      emit({ type: 'task-result', result: result(h, 'only on FreeBSD', 'skipped', { reason: 'when: condition is false' }) });
    }
    emit({ type: 'host-done', host: h.name, stats: stats(h) });
  };

  emit({ type: 'run-start', hosts: hosts.map((h) => h.name), check: false, plays: ['site'] });
  for (let i = 0; i < forks; i++) {
    now += 10;
    start();
  }
  let done = 0;
  while (running.length) {
    running.sort((a, b) => a.end - b.end);
    const next = running.shift()!;
    now = Math.max(now, next.end);
    finish(next.h);
    at?.(++done, now, running.map((r) => ({ host: r.h.name, since: started.get(r.h.name)! })));
    start();
  }
  summary.ms = now;
  emit({ type: 'run-end', summary });
  return { summary, now };
}

// Per-host blocks (--no-group): the grouped output at this size is tested in grouped-output.test.ts.
const opts = (out: FakeStream, extra: Partial<ConsoleOptions> = {}): Omit<ConsoleOptions, 'now'> => ({ diff: false, verbose: false, out, color: true, group: false, ...extra });

describe('console report at 200 hosts', () => {
  it('terminal: one status line redrawn in place with counts and the slowest hosts; scrollback bounded', () => {
    const term = new FakeStream(true, 160);
    const hosts = fleet();
    let midRun: ReturnType<typeof replay> | undefined;
    let expectedSlow = '';
    simulate(opts(term), hosts, 50, (done, now, running) => {
      if (done !== 100) return;
      midRun = replay(term.text);
      const [first] = running.sort((a, b) => a.since - b.since || a.host.localeCompare(b.host));
      expectedSlow = `${first!.host} ${formatDuration(now - first!.since)} (task: ${TASK})`;
    });

    // Mid-run: the line under the cursor is the status line, with every count.
    assert.ok(midRun);
    const status = midRun.current;
    assert.match(status, /^\[100\/200 done\] ok=\d+ changed=\d+ failed=\d+ unreachable=\d+ running=49 queued=51 · slowest: /);
    const counts = Object.fromEntries([...status.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    assert.equal(counts.ok! + counts.changed! + counts.failed! + counts.unreachable!, 100);
    assert.ok(status.includes(`slowest: ${expectedSlow}`), `${status}\nexpected slowest ${expectedSlow}`);
    assert.ok(status.length <= 159, `status line wraps: ${status.length} > 159`);
    // Host blocks already printed sit above it; no unchanged host has one.
    assert.ok(midRun.lines.some((l) => /^h033  ok=2 changed=1/.test(l)), midRun.lines.join('\n'));

    const screen = replay(term.text);
    assert.deepEqual(screen.unexpected, [], 'only \\r, erase-line and colours');
    assert.equal(screen.current, '', 'the status line is gone at the end');
    assert.ok(screen.coloured);
    // Everything that scrolled by: header, 10 blocks, recap. Not 200 of anything.
    assert.ok(screen.lines.length < 60, `${screen.lines.length} lines:\n${screen.lines.join('\n')}`);
    for (const l of screen.lines) assert.ok(l.length <= 160, `line wider than the terminal: ${l}`);
    const recapAt = screen.lines.indexOf('RECAP');
    const blockHeads = screen.lines.slice(0, recapAt).filter((l) => /^h\d{3}(: (FAILED|UNREACHABLE))?  ok=/.test(l));
    assert.deepEqual(blockHeads.map((l) => l.slice(0, 4)).sort(), ['h033', 'h050', 'h066', 'h099', 'h100', 'h132', 'h150', 'h165', 'h180', 'h198']);
    assert.ok(screen.lines.includes('h050: FAILED  ok=1 changed=0 failed=1 skipped=1'));
    assert.ok(screen.lines.includes('    exited 100: E: Unable to locate package nosuchpkg'));
    assert.ok(screen.lines.includes('    at site.yml:7:5'));
    assert.ok(screen.lines.includes('h100: UNREACHABLE  ok=0 changed=0 failed=0 skipped=0 unreachable=1'));
    assert.ok(screen.lines.includes('  changed      install packages'));
    assert.ok(!screen.lines.some((l) => l.includes('gather facts')), 'remote commands only under --verbose');

    // Recap: the 10 hosts that matter on their own lines, the 190 others in one line.
    const recap = screen.lines.slice(recapAt);
    const listed = recap.filter((l) => /^h\d{3} +ok=/.test(l)).map((l) => l.split(' ')[0]);
    assert.deepEqual(listed, ['h033', 'h050', 'h066', 'h099', 'h100', 'h132', 'h150', 'h165', 'h180', 'h198']);
    const unchanged = recap.find((l) => l.startsWith('190 host(s) ok, nothing changed: h001, h002, '));
    assert.ok(unchanged, recap.join('\n'));
    const shownNames = unchanged.match(/h\d{3}/g)!.length;
    assert.ok(unchanged.endsWith(`, … and ${190 - shownNames} more (--verbose lists each)`), unchanged);
    assert.ok(unchanged.length <= 160 && unchanged.length > 120, unchanged);
    assert.ok(recap.includes(`slowest: h077 ${formatDuration(60_000)}, h100 10 s, ${slowestAfter(hosts)}`), recap.join('\n'));
    assert.match(recap.at(-1)!, /^200 host\(s\) in [\d.]+ (s|m \d\d s): 190 ok, 6 changed, 3 failed, 1 unreachable$/);
  });

  it('pipe (non-TTY): no escapes, no redraws, a few plain progress lines, no colour', () => {
    const pipe = new FakeStream(false);
    const { now } = simulate(opts(pipe, { color: false }), fleet());
    assert.ok(!pipe.text.includes('\x1b'), 'no escape sequences');
    assert.ok(!pipe.text.includes('\r'), 'no carriage returns');
    const lines = pipe.text.split('\n');
    const progress = lines.filter((l) => l.startsWith('['));
    // One per 15 s of a run of about a minute and a half: bounded by time, not by hosts or tasks.
    assert.ok(progress.length >= 2 && progress.length <= Math.ceil(now / 15_000), `${progress.length} progress lines in ${now} ms:\n${progress.join('\n')}`);
    for (const p of progress) assert.match(p, /^\[\d+\/200 done\] ok=\d+ changed=\d+ failed=\d+ unreachable=\d+ running=\d+( queued=\d+)? · slowest: h\d{3} /);
    assert.ok(lines.length < 70, `${lines.length} lines`);
  });

  it('--verbose: every host gets a block and a recap line, every remote command a line', () => {
    const pipe = new FakeStream(false);
    simulate(opts(pipe, { verbose: true, color: false }), fleet());
    const lines = pipe.text.split('\n');
    assert.equal(lines.filter((l) => /^  \[h\d{3}\] exit 0 in 40 ms: gather facts$/.test(l)).length, 199);
    assert.equal(lines.filter((l) => l === '  [h050] exit 100 in 900 ms, become: apt-get install -y nosuchpkg').length, 1);
    const recap = lines.slice(lines.indexOf('RECAP'));
    const blocks = lines.slice(0, lines.indexOf('RECAP')).filter((l) => /^h\d{3}(: \w+)?  ok=/.test(l));
    assert.equal(blocks.length, 200, 'a block per host');
    assert.equal(recap.filter((l) => /^h\d{3} +ok=/.test(l)).length, 200, 'each host in the recap');
    assert.ok(!recap.some((l) => l.includes('nothing changed')));
    assert.ok(lines.includes('  skipped      only on FreeBSD  (when: condition is false)'));
  });

  it('colour off (--no-color / NO_COLOR decided by the caller): not one colour code, on a terminal too', () => {
    const term = new FakeStream(true, 80);
    simulate(opts(term, { color: false }), fleet(60), 20);
    const screen = replay(term.text);
    assert.ok(!screen.coloured);
    assert.deepEqual(screen.unexpected, []);
    assert.ok(term.text.includes('\r'), 'still a live status line');
  });

  it('a narrow terminal: the status line is cut to fit, never wrapped', () => {
    const term = new FakeStream(true, 40);
    let status = '';
    simulate(opts(term), fleet(30), 10, (done) => {
      if (done === 5) status = replay(term.text).current;
    });
    assert.equal(status.length, 39);
    assert.ok(status.startsWith('[5/30 done] ok=') && status.endsWith('…'), status);
  });

  it('a small unchanged run: every host named in the one summary line', () => {
    const pipe = new FakeStream(false);
    simulate(opts(pipe, { color: false }), fleet(3), 5);
    assert.ok(pipe.text.includes('\n3 host(s) ok, nothing changed: h001, h002, h003\n'), pipe.text);
    assert.ok(!/^h00\d/m.test(pipe.text), 'no per-host lines');
  });
});

describe('colour and live-line decisions', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('a terminal gets colour; a pipe does not', () => {
    assert.equal(colorWanted(true, tty, {}), true);
    assert.equal(colorWanted(true, pipe, {}), false);
  });
  it('--no-color and NO_COLOR (any non-empty value) win, even over FORCE_COLOR', () => {
    assert.equal(colorWanted(false, tty, {}), false);
    assert.equal(colorWanted(true, tty, { NO_COLOR: '1' }), false);
    assert.equal(colorWanted(true, tty, { NO_COLOR: 'false' }), false);
    assert.equal(colorWanted(true, tty, { NO_COLOR: '' }), true, 'empty NO_COLOR is unset (no-color.org)');
    assert.equal(colorWanted(true, tty, { NO_COLOR: '1', FORCE_COLOR: '1' }), false);
    assert.equal(colorWanted(false, pipe, { FORCE_COLOR: '1' }), false);
  });
  it('FORCE_COLOR colours a pipe; FORCE_COLOR=0 uncolours a terminal', () => {
    assert.equal(colorWanted(true, pipe, { FORCE_COLOR: '1' }), true);
    assert.equal(colorWanted(true, pipe, { FORCE_COLOR: '3' }), true);
    assert.equal(colorWanted(true, tty, { FORCE_COLOR: '0' }), false);
    assert.equal(colorWanted(true, tty, { FORCE_COLOR: 'false' }), false);
  });
  it('TERM=dumb: no colour, no live line', () => {
    assert.equal(colorWanted(true, tty, { TERM: 'dumb' }), false);
    assert.equal(liveCapable(tty, { TERM: 'dumb' }), false);
    assert.equal(liveCapable(tty, { TERM: 'xterm-256color' }), true);
    assert.equal(liveCapable(pipe, {}), false);
  });
});

/** The third slowest host of the simulated fleet, by its own duration (h077 and the unreachable h100 come first). */
function slowestAfter(hosts: SimHost[]): string {
  const [h] = hosts.filter((x) => x.name !== 'h077' && x.outcome !== 'unreachable').sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  return `${h!.name} ${formatDuration(h!.ms)}`;
}
