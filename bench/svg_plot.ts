/**
 * A small line-chart writer for bench results: one SVG file, a shared x axis, any number of named series on a left
 * (ms) axis and an optional right axis, and horizontal reference lines. No dependencies, readable in any browser.
 *
 * @module
 */

/** One line of the chart. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  /** Plot against the right axis. */
  right?: boolean;
  dashed?: boolean;
}

/** What to draw. */
export interface Chart {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel?: string;
  series: Series[];
  /** Horizontal lines on the left axis, e.g. a target. */
  references?: Array<{ value: number; label: string }>;
}

const W = 720, H = 420, M = { left: 70, right: 70, top: 50, bottom: 60 };

const niceMax = (v: number) => {
  if (v <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / step) * step;
};
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** The chart as SVG text. */
export function lineChart(chart: Chart): string {
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const xMin = Math.min(...xs), xMax = Math.max(...xs, xMin + 1);
  const leftMax = niceMax(Math.max(
    ...chart.series.filter((s) => !s.right).flatMap((s) => s.points.map(([, y]) => y)),
    ...(chart.references ?? []).map((r) => r.value * 1.1),
  ));
  const rightMax = niceMax(
    Math.max(0, ...chart.series.filter((s) => s.right).flatMap((s) => s.points.map(([, y]) => y))),
  );
  const px = (x: number) => M.left + ((x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const py = (y: number, right = false) => H - M.bottom - (y / (right ? rightMax : leftMax)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(chart.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = (leftMax * i) / 5;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`);
    if (chart.rightLabel) {
      out.push(`<text x="${W - M.right + 6}" y="${py(y) + 4}">${round2((rightMax * i) / 5)}</text>`);
    }
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 18}" text-anchor="middle">${x}</text>`);
  }
  out.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 16}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(chart.leftLabel)}</text>`,
  );
  if (chart.rightLabel) {
    out.push(
      `<text transform="translate(${W - 14} ${H / 2}) rotate(90)" text-anchor="middle">${esc(chart.rightLabel)}</text>`,
    );
  }
  for (const ref of chart.references ?? []) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(ref.value)}" y2="${
        py(ref.value)
      }" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.right - 4}" y="${py(ref.value) - 6}" text-anchor="end" fill="#c00">${esc(ref.label)}</text>`,
    );
  }
  chart.series.forEach((s, i) => {
    const path = s.points.map(([x, y], k) => `${k ? "L" : "M"}${px(x).toFixed(1)},${py(y, s.right).toFixed(1)}`);
    const dash = s.dashed ? ` stroke-dasharray="4 3"` : "";
    out.push(`<path d="${path.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points) {
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y, s.right).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = M.top + 4 + i * 16;
    out.push(
      `<line x1="${M.left + 10}" x2="${
        M.left + 30
      }" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${M.left + 36}" y="${ly + 4}">${esc(s.name)}${s.right ? " (right axis)" : ""}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function round2(v: number): string {
  return String(Math.round(v * 100) / 100);
}
