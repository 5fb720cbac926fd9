// Renders a job's report.html in headless Chromium (Debian's, driven by
// playwright-core from runtime/node_modules) and checks what it shows against
// the job's files:
//   - every figure (<span class="figure" data-file data-key data-value>) holds
//     exactly the number at its JSON pointer in its file, and its text is that
//     number rounded as shown;
//   - the Pareto panels show one point per row of pareto.csv, the chosen
//     network's point is the summary's chosen arch, the budget lines sit at
//     the recipe's constraints;
//   - every drawing has a size on the page; the page asks for nothing outside
//     itself and logs no error.
// Usage: node check_report_page.js <job folder> [--screenshot top_of_the_page.png]
// Prints one line per failed check and exits 1 if any failed.
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const { chromium } = require(path.join(root, 'runtime', 'node_modules', 'playwright-core'));

const folder = path.resolve(process.argv[2] || '');
const screenshotAt = process.argv.indexOf('--screenshot');
const screenshot = screenshotAt > 0 ? process.argv[screenshotAt + 1] : null;
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };

const files = {};
function json(file) {
  if (!(file in files)) files[file] = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  return files[file];
}

// RFC 6901.
function at(document, pointer) {
  let value = document;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = value[key];
  }
  return value;
}

function paretoRows() {
  const lines = fs.readFileSync(path.join(folder, 'pareto.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
}

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => check(m.type() !== 'error', `console error: ${m.text()}`));
    page.on('pageerror', (e) => check(false, `page error: ${e.message}`));
    page.on('request', (r) => check(r.url().startsWith('file://'), `the page requests ${r.url()}`));
    await page.goto('file://' + path.join(folder, 'report.html'));

    const figures = await page.$$eval('span.figure', (spans) => spans.map((s) => ({
      file: s.dataset.file, key: s.dataset.key, value: s.dataset.value, scale: s.dataset.scale || '1',
      text: s.textContent, width: s.getBoundingClientRect().width,
    })));
    check(figures.length > 0, 'the page shows no figure');
    for (const f of figures) {
      const where = `${f.file}${f.key}`;
      const expected = at(json(f.file), f.key);
      check(typeof expected === 'number', `${where}: not a number in the file`);
      check(Number(f.value) === expected, `${where}: the page holds ${f.value}, the file ${expected}`);
      const shown = f.text.replace(/,/g, '');
      const decimals = shown.includes('.') ? shown.length - shown.indexOf('.') - 1 : 0;
      check(Number(shown) === Number((expected / Number(f.scale)).toFixed(decimals)),
            `${where}: shown as '${f.text}', the file has ${expected}`);
      check(f.width > 0, `${where}: not visible`);
    }
    const summary = json('summary.json');
    check(figures.some((f) => f.file === 'summary.json' && f.key === '/best/macs'), 'the MACs are not shown');

    // The Pareto panels.
    const panels = await page.$$eval('figure.pareto svg', (svgs) => svgs.map((svg) => ({
      width: svg.getBoundingClientRect().width,
      front: svg.querySelectorAll('g.series[data-label^="non-dominated"] circle').length,
      chosen: [...svg.querySelectorAll('g.series[data-label="chosen network"] circle')].map((c) => c.textContent),
      guides: [...svg.querySelectorAll('line.guide')].map((l) => Number(l.dataset.value)),
    })));
    const rows = paretoRows();
    // Every pair of objectives, then the first against each other constrained metric.
    const objectives = [...new Set(summary.objectives.map((o) => o.split(' ')[1]))].filter((m) => m in rows[0]);
    const constrained = [...new Set((summary.constraints || []).map((c) => c.metric))]
      .filter((m) => m in rows[0] && !objectives.includes(m));
    const panelsExpected = objectives.length * (objectives.length - 1) / 2 + (objectives.length ? constrained.length : 0);
    check(panels.length === panelsExpected, `${panels.length} Pareto panels, not ${panelsExpected}`);
    const budgets = (summary.constraints || []).flatMap((c) => [c.max, c.min]).filter((v) => v !== undefined);
    for (const [i, p] of panels.entries()) {
      check(p.width > 0, `Pareto panel ${i}: no size`);
      check(p.front + p.chosen.length === rows.length, `Pareto panel ${i}: ${p.front + p.chosen.length} points, pareto.csv has ${rows.length} rows`);
      check(p.chosen.length === 1 && p.chosen[0].startsWith(summary.best.arch + '\n'),
            `Pareto panel ${i}: the chosen point is not ${summary.best.arch}`);
      for (const g of p.guides) check(budgets.includes(g), `Pareto panel ${i}: a budget line at ${g}, not a constraint`);
    }
    check(budgets.length === 0 || panels.some((p) => p.guides.length > 0), 'no budget line drawn');

    // The network and the per-layer bars.
    const blocks = await page.$$eval('svg.network g.block', (gs) => gs.map((g) => ({
      layer: g.dataset.layer, width: g.getBoundingClientRect().width,
    })));
    check(blocks.length > 0, 'the network is not drawn');
    for (const b of blocks) check(b.width > 0, `block ${b.layer}: no size`);
    const bars = await page.$$eval('svg.bars', (svgs) => svgs.map((svg) => ({
      file: svg.dataset.file,
      bars: [...svg.querySelectorAll('g.bar')].map((g) => [g.dataset.layer, Number(g.dataset.value)]),
    })));
    for (const chart of bars) {
      const lines = fs.readFileSync(path.join(folder, chart.file), 'utf8').trim().split('\n');
      const header = lines[0].split(',');
      const layer = header.indexOf('layer'), value = header.indexOf('share_percent') - 1;
      const expected = new Map(lines.slice(1).map((l) => { const f = l.split(','); return [f[layer], Number(f[value])]; }));
      check(chart.bars.length === expected.size, `${chart.file}: ${chart.bars.length} bars for ${expected.size} rows`);
      for (const [name, v] of chart.bars) check(expected.get(name) === v, `${chart.file}: ${name} drawn as ${v}`);
    }

    // The top of the page: the table, the front and the network (for the docs).
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true, clip: { x: 0, y: 0, width: 1200, height: 1240 } });
    console.log(`${figures.length} figures, ${panels.length} Pareto panel(s), ${blocks.length} blocks, ` +
                `${bars.length} bar chart(s) checked`);
  } finally {
    await browser.close();
  }
}

main().then(() => {
  for (const f of failures) console.log(`FAIL ${f}`);
  process.exit(failures.length ? 1 : 0);
}, (e) => {
  console.log(`FAIL ${e.stack || e}`);
  process.exit(1);
});
