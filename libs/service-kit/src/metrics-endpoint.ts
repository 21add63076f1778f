/**
 * The `/metrics` hook point. The telemetry lib provides the Prometheus exporter's handler;
 * until a service wires one, `GaugeRegistry` renders the service's own gauges (outbox backlog,
 * readiness) in the Prometheus text format, so `/metrics` is never empty.
 */
export interface MetricsEndpoint {
  contentType: string;
  collect(): string | Promise<string>;
}

interface Gauge {
  help: string;
  read: () => number;
}

export class GaugeRegistry implements MetricsEndpoint {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly gauges = new Map<string, Gauge>();

  gauge(name: string, help: string, read: () => number): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${name}`);
    this.gauges.set(name, { help, read });
  }

  collect(): string {
    const lines: string[] = [];
    for (const [name, gauge] of this.gauges) {
      let value: number;
      try {
        value = gauge.read();
      } catch {
        value = Number.NaN;
      }
      lines.push(
        `# HELP ${name} ${gauge.help.replace(/\n/g, ' ')}`,
        `# TYPE ${name} gauge`,
        `${name} ${value}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
