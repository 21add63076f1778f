/** A grouped bar chart as a standalone SVG document (no dependencies). */
export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  /** Categories along the x axis. */
  groups: string[];
  /** One bar per series in every group; null draws "n/a". */
  series: Array<{ name: string; values: Array<number | null> }>;
  scale?: 'linear' | 'log';
  /** A dashed horizontal line, e.g. a target. */
  reference?: { value: number; label: string };
  /** Appended to value labels, e.g. " ms". */
  unit?: string;
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];
const WIDTH = 800;
const HEIGHT = 440;
const MARGIN = { left: 78, right: 24, top: 78, bottom: 70 };

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function formatValue(value: number): string {
  if (value >= 10_000) return `${Math.round(value / 100) / 10}k`;
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, '');
  return value.toFixed(2).replace(/\.?0+$/, '');
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  return nice * magnitude;
}

interface Axis {
  y(value: number): number;
  ticks: number[];
}

function axisFor(values: number[], scale: 'linear' | 'log', top: number, bottom: number): Axis {
  const positive = values.filter((v) => v > 0);
  if (scale === 'log' && positive.length > 0) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive) * 1.05));
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    return {
      y: (v) => bottom - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * (bottom - top),
      ticks,
    };
  }
  const max = Math.max(1, ...values) * 1.1;
  const step = niceStep(max, 5);
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= hi + step / 2; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return { y: (v) => bottom - (Math.max(0, v) / hi) * (bottom - top), ticks };
}

export function barChartSvg(spec: BarChartSpec): string {
  const scale = spec.scale ?? 'linear';
  const plot = {
    left: MARGIN.left,
    right: WIDTH - MARGIN.right,
    top: MARGIN.top,
    bottom: HEIGHT - MARGIN.bottom,
  };
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (spec.reference) values.push(spec.reference.value);
  const axis = axisFor(values, scale, plot.top, plot.bottom);
  const unit = spec.unit ?? '';
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(spec.title)}</text>`,
  );
  if (spec.subtitle)
    out.push(
      `<text x="${WIDTH / 2}" y="43" text-anchor="middle" font-size="11" fill="#555">${escape(spec.subtitle)}</text>`,
    );
  // Grid and y axis.
  for (const tick of axis.ticks) {
    const y = axis.y(tick).toFixed(1);
    out.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`,
      `<text x="${plot.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#333">${escape(formatValue(tick))}</text>`,
    );
  }
  out.push(
    `<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#333"/>`,
    `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#333"/>`,
    `<text transform="translate(18 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(spec.yLabel)}${scale === 'log' ? ' (log scale)' : ''}</text>`,
  );
  // Bars.
  const groupWidth = (plot.right - plot.left) / Math.max(1, spec.groups.length);
  const barWidth = (groupWidth * 0.78) / Math.max(1, spec.series.length);
  spec.groups.forEach((group, g) => {
    const x0 = plot.left + g * groupWidth + groupWidth * 0.11;
    spec.series.forEach((series, s) => {
      const value = series.values[g] ?? null;
      const x = x0 + s * barWidth;
      const color = PALETTE[s % PALETTE.length];
      if (value === null) {
        out.push(
          `<text x="${(x + barWidth / 2).toFixed(1)}" y="${plot.bottom - 4}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`,
        );
        return;
      }
      const y = axis.y(value);
      out.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${Math.max(0, plot.bottom - y).toFixed(1)}" fill="${color}"><title>${escape(`${group} · ${series.name}: ${formatValue(value)}${unit}`)}</title></rect>`,
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#222">${escape(formatValue(value))}</text>`,
      );
    });
    const words = group.split(' ');
    const lines: string[] = [];
    for (const word of words) {
      const last = lines.at(-1);
      if (last !== undefined && (last + ' ' + word).length <= 22)
        lines[lines.length - 1] = `${last} ${word}`;
      else lines.push(word);
    }
    lines.slice(0, 3).forEach((line, i) => {
      out.push(
        `<text x="${(plot.left + (g + 0.5) * groupWidth).toFixed(1)}" y="${plot.bottom + 16 + i * 13}" text-anchor="middle" font-size="11">${escape(line)}</text>`,
      );
    });
  });
  // Reference line.
  if (spec.reference) {
    const y = axis.y(spec.reference.value).toFixed(1);
    out.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${plot.right - 4}" y="${y}" dy="-5" text-anchor="end" font-size="11" fill="#d62728">${escape(spec.reference.label)}</text>`,
    );
  }
  // Legend.
  let lx = plot.left;
  spec.series.forEach((series, s) => {
    out.push(
      `<rect x="${lx}" y="54" width="12" height="12" fill="${PALETTE[s % PALETTE.length]}"/>`,
      `<text x="${lx + 16}" y="64" font-size="11">${escape(series.name)}</text>`,
    );
    lx += 28 + series.name.length * 6.5;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
