/** Epoch ms as a UTC time of day with milliseconds (the date when not today). */
export function formatTime(epochMs: number | null | undefined, now = Date.now()): string {
  if (epochMs === null || epochMs === undefined) return '-';
  const iso = new Date(epochMs).toISOString();
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10)
    ? `${iso.slice(11, 23)}Z`
    : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

export function shortType(eventType: string): string {
  return eventType.replace(/^fanout\.[a-z]+\./, '');
}
