// ECharts, trimmed to what the UI draws: the buying-centre org chart (tree), small
// bar/pie figures, and the Differentiate page's curves, heatmaps and scatters.
// Importing from echarts/core keeps the rest of the library out.
import * as echarts from 'echarts/core';
import {
  BarChart,
  HeatmapChart,
  LineChart,
  PieChart,
  ScatterChart,
  TreeChart,
} from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { ScatterJitter } from 'echarts/features';
import { CanvasRenderer } from 'echarts/renderers';

import { renderOrgChart } from './orgchart.js';
import { palette } from './palette.js';

// GridComponent is what gives bar charts their axes.
echarts.use([
  TreeChart,
  BarChart,
  PieChart,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  GridComponent,
  LineChart,
  HeatmapChart,
  ScatterChart,
  ScatterJitter,
  VisualMapComponent,
  MarkLineComponent,
  MarkPointComponent,
  CanvasRenderer,
]);

export const FONT_FAMILY =
  '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

echarts.registerTheme('rapport', {
  color: palette.series,
  backgroundColor: 'transparent',
  textStyle: { fontFamily: FONT_FAMILY, color: '#334155' },
  title: { textStyle: { fontSize: 14, fontWeight: 600, color: '#0f172a' } },
  legend: { textStyle: { color: '#475569' }, icon: 'circle', itemWidth: 8, itemHeight: 8 },
  tooltip: {
    backgroundColor: '#ffffff',
    borderColor: '#e2e8f0',
    borderWidth: 1,
    padding: [8, 10],
    textStyle: { color: '#0f172a', fontSize: 12 },
    extraCssText: 'box-shadow: 0 8px 24px rgba(15, 23, 42, 0.12); border-radius: 8px;',
  },
  categoryAxis: {
    axisLine: { lineStyle: { color: '#cbd5e1' } },
    axisTick: { show: false },
    axisLabel: { color: '#64748b' },
    splitLine: { show: false },
  },
  valueAxis: {
    axisLine: { show: false },
    axisLabel: { color: '#64748b' },
    splitLine: { lineStyle: { color: '#eef2f6' } },
  },
  bar: { itemStyle: { borderRadius: [4, 4, 0, 0] } },
  pie: { itemStyle: { borderColor: '#ffffff', borderWidth: 2 } },
});

/** Charts drawn on the page: host element -> {chart, observer}. */
const live = new Map();

export function readJsonScript(id) {
  const script = id ? document.getElementById(id) : null;
  if (!script) {
    console.warn(`rapport: no JSON script with id "${id}"`);
    return null;
  }
  try {
    return JSON.parse(script.textContent);
  } catch (error) {
    console.error(`rapport: JSON script "${id}" does not parse`, error);
    return null;
  }
}

/** Start afresh on an element restored from htmx's history cache with a dead chart in it. */
function clearStaleChart(el) {
  if (el.hasAttribute('_echarts_instance_')) {
    el.removeAttribute('_echarts_instance_');
    el.replaceChildren();
  }
}

function track(host, chart, onResize) {
  let lastWidth = host.clientWidth;
  let frame = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const width = host.clientWidth;
      if (width === lastWidth || width === 0) return;
      lastWidth = width;
      onResize();
    });
  });
  observer.observe(host);
  live.set(host, { chart, observer });
}

// Options are plain JSON from the server, so a formatter that needs code is named by a
// string: "money:EUR" writes an amount with its currency, compact on an axis ("€2.5M")
// and in full in a tooltip ("€2,512,000").
const NAMED_FORMAT = /^money:([A-Z]{3})$/;

function moneyFormatter(code, compact) {
  let format;
  try {
    format = new Intl.NumberFormat('en', {
      style: 'currency',
      currency: code,
      currencyDisplay: 'narrowSymbol',
      maximumFractionDigits: compact ? 1 : 0,
      ...(compact ? { notation: 'compact' } : {}),
    });
  } catch {
    format = null; // an unknown code: the figure with the code after it
  }
  return (value) => {
    const number = Number(value);
    if (!Number.isFinite(number)) return value == null ? '' : String(value);
    return format ? format.format(number) : `${Math.round(number).toLocaleString('en')} ${code}`;
  };
}

function resolveNamedFormats(option) {
  const named = (text, compact) => {
    const match = typeof text === 'string' && text.match(NAMED_FORMAT);
    return match ? moneyFormatter(match[1], compact) : null;
  };
  const axes = ['xAxis', 'yAxis'].flatMap((key) => [].concat(option[key] || []));
  for (const axis of axes) {
    const formatter = axis.axisLabel && named(axis.axisLabel.formatter, true);
    if (formatter) axis.axisLabel.formatter = formatter;
  }
  const tooltips = [option.tooltip, ...[].concat(option.series || []).map((s) => s && s.tooltip)];
  for (const tooltip of tooltips) {
    const formatter = tooltip && named(tooltip.valueFormatter, false);
    if (formatter) tooltip.valueFormatter = formatter;
  }
  return option;
}

/**
 * A category x axis marked `fitLabels` gets each name wrapped to its own column's width,
 * measured on the drawn grid, so neighbouring names never run into each other at any width.
 */
function fitCategoryLabels(chart, option) {
  const axis = option.xAxis;
  if (!axis || Array.isArray(axis) || !axis.fitLabels || !Array.isArray(axis.data)) return;
  const columns = Math.max(axis.data.length, 1);
  let extent;
  try {
    extent = chart.getModel().getComponent('xAxis', 0).axis.getExtent();
  } catch {
    return;
  }
  const width = Math.max(40, Math.floor(Math.abs(extent[1] - extent[0]) / columns) - 10);
  // A word wider than its column would be broken mid-word ("Consumabl/es"): then the
  // names lean instead, whole, each under its own column.
  const longestWord = Math.max(
    ...axis.data.map((name) => Math.max(...String(name).split(/\s+/).map((word) => word.length))),
  );
  const labelStyle =
    longestWord * 7 > width
      ? { rotate: 35, width: 150, overflow: 'truncate', interval: 0 }
      : { rotate: 0, width, overflow: 'break', interval: 0 };
  chart.setOption({ xAxis: { axisLabel: labelStyle } });
}

function renderOptionChart(el) {
  const option = readJsonScript(el.getAttribute('data-chart'));
  if (!option) return;
  clearStaleChart(el);
  const height = parseInt(el.getAttribute('data-chart-height') || '', 10);
  if (height > 0) el.style.height = `${height}px`;
  const chart = echarts.init(el, 'rapport', { renderer: 'canvas' });
  chart.setOption(resolveNamedFormats(option));
  fitCategoryLabels(chart, option);
  // A data item may carry a same-site `url` (an account): clicking it goes there.
  chart.on('click', (params) => {
    const url = params && params.data && params.data.url;
    if (typeof url === 'string' && url.startsWith('/') && !url.startsWith('//')) {
      window.location.assign(url);
    }
  });
  track(el, chart, () => {
    chart.resize();
    fitCategoryLabels(chart, option);
  });
}

function renderOrgChartElement(el) {
  const data = readJsonScript(el.getAttribute('data-org-chart'));
  if (!data) return;
  const handle = renderOrgChart(el, data, echarts);
  if (handle) track(el, handle.chart, handle.relayout);
}

/** Draw every not-yet-drawn [data-chart] and [data-org-chart] element under root. */
export function renderCharts(root = document) {
  root.querySelectorAll('[data-org-chart]').forEach((el) => {
    if (!live.has(el)) renderOrgChartElement(el);
  });
  root.querySelectorAll('[data-chart]').forEach((el) => {
    if (!live.has(el)) renderOptionChart(el);
  });
}

/** The ECharts instance drawn in a [data-chart] / [data-org-chart] element (for tests). */
export function chartOf(el) {
  const entry = live.get(el);
  return entry ? entry.chart : null;
}

/** Free the charts whose elements an htmx swap removed. */
export function disposeDetachedCharts() {
  for (const [host, { chart, observer }] of live) {
    if (!host.isConnected) {
      observer.disconnect();
      chart.dispose();
      live.delete(host);
    }
  }
}
