import { Presets, SingleBar } from 'cli-progress';
import { loadavg } from 'node:os';

const started = Date.now();

function clock(): string {
  const s = Math.round((Date.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** One line per phase, prefixed with the run's elapsed time and the 1/5/15-min load average. */
export function phase(message: string): void {
  process.stdout.write(`[${clock()}] ▶ ${message}  (load ${load()})\n`);
}

export function note(message: string): void {
  process.stdout.write(`[${clock()}]   ${message}\n`);
}

export interface Counter {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar for a counted step (requests sent, events fanned out). At a terminal it
 * redraws in place; piped to a file it prints a line every 5 s instead.
 */
export function counter(label: string, total: number, unit = ''): Counter {
  const bar = new SingleBar(
    {
      format: `[${clock()}]   ${label} [{bar}] {value}/{total}${unit ? ` ${unit}` : ''} {detail}`,
      stream: process.stdout,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { detail: '' });
  return {
    update(value, payload) {
      const detail = payload
        ? Object.entries(payload)
            .map(([k, v]) => `${k} ${v}`)
            .join(' · ')
        : '';
      bar.update(Math.min(value, Math.max(1, total)), { detail });
    },
    stop() {
      bar.stop();
    },
  };
}
