/**
 * Progress for long steps (downloads, the Jaeger build). On a terminal one line is redrawn
 * twice a second; in CI logs a line is printed every 15 s, so a slow build never looks hung.
 */
export interface Progress {
  update(done: number, total?: number, note?: string): void;
  finish(note: string): void;
  fail(note: string): void;
}

export type LogSink = (line: string) => void;

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function startProgress(label: string, log: LogSink = console.log): Progress {
  const started = Date.now();
  const tty = log === console.log && process.stdout.isTTY === true;
  let done = 0;
  let total: number | undefined;
  let note = '';
  const render = (): string => {
    const count = total
      ? `${done}/${total} (${Math.min(100, Math.floor((done / total) * 100))}%)`
      : done > 0
        ? String(done)
        : '';
    return `  ▸ ${label}${count ? ` ${count}` : ''}${note ? ` ${note}` : ''} · ${formatElapsed(Date.now() - started)}`;
  };
  const timer = setInterval(
    () => {
      if (tty) process.stdout.write(`\r\x1b[2K${render()}`);
      else log(render());
    },
    tty ? 500 : 15_000,
  );
  timer.unref();
  const end = (mark: string, text: string): void => {
    clearInterval(timer);
    const line = `  ${mark} ${label} ${text} (${formatElapsed(Date.now() - started)})`;
    if (tty) process.stdout.write(`\r\x1b[2K${line}\n`);
    else log(line);
  };
  return {
    update(d, t, n) {
      done = d;
      if (t !== undefined) total = t;
      if (n !== undefined) note = n;
    },
    finish: (text) => end('✔', text),
    fail: (text) => end('✘', text),
  };
}

export { formatElapsed };
