// V8's optimising compiler waits longer before it compiles a function: its interrupt budget (bytecodes
// run) at 1056 KB, 16 × Node 20's default (V8 has had the flag for a decade; newer ones default higher).
// A run is short and cold: loading a plan runs the YAML parser, zod, Handlebars and the planner hard
// for a moment, and by default V8 compiles ≈ 120 of their functions with TurboFan in a no-change
// relay run on 20 hosts (up to 90 ms each, on a compiler thread: CPU the run ends before repaying).
// Measured (controller user+sys CPU, medians of 3–9 alternated on a busy machine; default, × 4, × 16,
// × 64): no-change relay run on 20 hosts 1050 → 820 → 730 ms (× 4: 790 in another series), on 100
// hosts 2.41 → 1.97 → 1.81 → 1.78 s; `validate` of the relay plan on 1000 hosts 0.73 → 0.54 → 0.47 →
// 0.46 s. One process repeating the relay run 12 times (× 4): the same CPU per run once warm (what
// stays hot is still optimised, only later). Set before any command's code runs: main.ts imports
// this module first.
// Not set, measured (2026-12-05, bench/README.md "GC and V8's young generation"): the young
// generation's size (--max-semi-space-size, --min-semi-space-size) is fixed when the isolate is
// created, so setting it here changes nothing (new space stays at 2 × 16 MB); given on node's command
// line it did not lower the CPU either (32 MB: +20 ms, +28 MB RSS). --semi-space-growth-factor does act
// here (18 → 11 scavenges per run) but saved no CPU; --no-parallel-scavenge neither. Threading flags
// such as --single-threaded-gc must not be changed at run time: V8 aborts at the next full GC.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--interrupt-budget=1081344');
