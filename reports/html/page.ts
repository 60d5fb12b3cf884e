/** HTML helpers: escaping, tables, and the page shell (styles, inlined vega bundles, chart mounting). */
import { vegaBundles } from './assets.js';
import type { Spec } from './charts.js';

export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

export function table(headers: string[], rows: (string | number)[][], opts: { numericFrom?: number } = {}): string {
  const from = opts.numericFrom ?? 1;
  const th = headers.map((h, i) => `<th${i >= from ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i >= from ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

export interface Section {
  id: string;
  title: string;
  /** Paragraph explaining what the section shows. */
  intro?: string;
  charts: Spec[];
  html?: string;
}

const STYLE = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#fff; --accent:#3b5bdb; --pass:#2b8a3e; --fail:#c92a2a; --warn:#e67700; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .sub { color: var(--muted); }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 2; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-size: 13px; }
main { padding: 8px 32px 40px; max-width: 1400px; }
section { margin-top: 24px; }
section h2 { font-size: 17px; margin: 0 0 4px; }
section p.intro { color: var(--muted); margin: 0 0 10px; max-width: 900px; }
.chart { width: 100%; min-height: 120px; margin: 8px 0 16px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; white-space: nowrap; }
th { background: #f4f6fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); } .verdict.partial { background: var(--warn); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 300px; flex: 1; }
.card h3 { margin: 0 0 6px; font-size: 15px; }
.card dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0; font-size: 13px; }
.card dt { color: var(--muted); }
.warn { color: var(--warn); }
.note { color: var(--muted); font-size: 13px; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--accent); }
pre { background: #f4f6fa; padding: 8px; overflow: auto; font-size: 12px; }
`;

export function page(title: string, subtitle: string, header: string, sections: Section[]): string {
  const specs: Record<string, Spec> = {};
  const body = sections
    .map((s) => {
      const charts = s.charts
        .map((spec, i) => {
          const id = `${s.id}-${i}`;
          specs[id] = spec;
          return `<div class="chart" id="${id}" data-chart></div>`;
        })
        .join('\n');
      return `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.intro ? `<p class="intro">${esc(s.intro)}</p>` : ''}${charts}${s.html ?? ''}</section>`;
    })
    .join('\n');
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('');
  const json = JSON.stringify(specs).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style>
${vegaBundles()}
</head><body>
<header><h1>${esc(title)}</h1><div class="sub">${esc(subtitle)}</div>${header}</header>
<nav>${nav}</nav>
<main>${body}</main>
<script id="specs" type="application/json">${json}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var opts = { actions: { export: true, source: false, compiled: false, editor: false }, renderer: 'svg' };
  Object.keys(specs).forEach(function (id) {
    vegaEmbed('#' + id, specs[id], opts).catch(function (err) {
      var el = document.getElementById(id);
      el.textContent = 'chart failed to render: ' + err.message;
      el.setAttribute('data-error', 'true');
      console.error(err);
    });
  });
})();
</script>
</body></html>
`;
}
