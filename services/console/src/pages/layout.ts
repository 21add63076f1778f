import { SafeHtml, html } from '../html-template';

const STYLE = `
:root { --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --mute:#57606a; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
header a { color: #fff; text-decoration: none; opacity: .85; } header a:hover, header a.on { opacity: 1; text-decoration: underline; }
header strong { font-size: 16px; margin-right: 12px; }
main { padding: 16px 20px; max-width: 1400px; }
h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; white-space: nowrap; }
.state-done { background: #dafbe1; color: var(--ok); } .state-retrying { background: #fff8c5; color: var(--warn); }
.state-dead-lettered { background: #ffebe9; color: var(--bad); } .state-pending { background: var(--bg); color: var(--mute); }
.muted { color: var(--mute); } .bad { color: var(--bad); } .ok { color: var(--ok); }
form.search { display: flex; gap: 8px; margin-bottom: 12px; } form.search input { flex: 1; max-width: 520px; padding: 6px 8px; }
button { padding: 5px 12px; cursor: pointer; }
pre { background: var(--bg); padding: 10px; overflow: auto; max-height: 420px; }
.bar-cell { position: relative; width: 45%; min-width: 240px; }
.bar { position: absolute; top: 6px; height: 12px; background: #54aeff; border-radius: 2px; min-width: 2px; }
.bar.error { background: var(--bad); } .bar.compensation { background: #bf8700; } .bar.reply { background: #8250df; }
.notice { background: #ddf4ff; border: 1px solid #54aeff; padding: 8px 12px; margin-bottom: 12px; }
.notice.bad { background: #ffebe9; border-color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dl.facts dt { color: var(--mute); }
`;

const NAV = [
  ['/events', 'Events'],
  ['/sagas', 'Sagas'],
  ['/dead-letters', 'Dead letters'],
  ['/health', 'Health'],
] as const;

export interface LayoutOptions {
  /** Path of the section to highlight. */
  section?: string;
  /** Seconds between automatic reloads (the live pages). */
  refreshSeconds?: number;
}

export function layout(title: string, body: SafeHtml, options: LayoutOptions = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Fanout Console</title>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${options.refreshSeconds
          ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />`
          : ''}
        <style>
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <strong>Fanout Console</strong>
          ${NAV.map(
            ([href, label]) =>
              html`<a href="${href}" class="${options.section === href ? 'on' : ''}">${label}</a>`,
          )}
        </header>
        <main>${body}</main>
      </body>
    </html>`.value;
}
