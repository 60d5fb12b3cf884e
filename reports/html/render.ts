/**
 * `renderReport`: one self-contained HTML file from one or more results (several results overlay runs, for
 * example memory vs Cassandra, or before vs after a change). Charts, then the exact numbers under them: the
 * sections are sections.ts's (and capacity-section.ts's for a capacity result), their data data.ts's.
 */
import type { ResultV1 } from '../../result/schema.js';
import { capacitySections } from './capacity-section.js';
import { runLabels } from './data.js';
import { page } from './page.js';
import { runCard } from './run-card.js';
import { runSections } from './sections.js';

export function renderReport(results: ResultV1[]): string {
  if (results.length === 0) throw new Error('renderReport needs at least one result');
  const labels = runLabels(results);
  const multi = results.length > 1;
  const sections = [...capacitySections(results, labels), ...runSections(results, labels)];
  const title = multi
    ? `stampede: ${labels.join(' vs ')}`
    : `stampede: ${results[0]?.scenario.name ?? ''} — ${labels[0] ?? ''}`;
  const subtitle = multi
    ? `${results.length} runs overlaid`
    : `run ${results[0]?.runId ?? ''}, ${results[0]?.createdAt ?? ''}`;
  const header = `<div class="cards">${results.map((r, i) => runCard(r, labels[i] ?? r.label)).join('')}</div>`;
  return page(title, subtitle, header, sections);
}
