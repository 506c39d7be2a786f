// The buying-centre org chart: a forest of contacts drawn as an ECharts tree, top to bottom.
//
// Input (a <script type="application/json"> named by the host's data-org-chart):
//   {"nodes": [{"id", "name", "title", "unit", "roles": [...], "primary_role",
//               "influence": 1..5, "attitude": -2..2, "url", "parent": id|null, "gap": bool}],
//    "legend": [{"role", "label", "color"}]}
// Nodes without a (known) parent hang under one invisible root. A node with gap: true is a
// placeholder for a role nobody is known to hold; its name is the sentence to show.
import { attitudeName, palette, roleColor, tint } from './palette.js';

// Sizes in layout space (zoom 1). ECharts' roam zoom scales boxes and lines but not labels,
// so labels are re-sized to the zoom whenever it changes, never below MIN_FONT: a card too
// small for readable text shows fewer lines instead of smaller ones.
const NODE_W = 188;
const NODE_H = 80;
const MIN_FONT = 11;
const COLUMN_W = NODE_W + 20; // centre to centre of neighbours on one level
const LEVEL_H = 112; // centre to centre of two levels
const PAD_X = 16;
const PAD_Y = 56;
// The first view shrinks no further, so every line stays readable; wider trees pan.
const FIT_MIN_ZOOM = 0.85;
const MIN_ZOOM = 0.2;
const MAX_ZOOM = 2;
const ZOOM_STEP = 1.3;
const MIN_HEIGHT = 220;
const MAX_HEIGHT = 720;
const EDGE_COLOR = '#cbd5e1';
const GAP_COLOR = '#94a3b8';
const SERIES_ID = 'org';

// A rounded rectangle the size of a node, so the 8px radius is not distorted by scaling.
const CARD_SYMBOL = (() => {
  const r = 8;
  const w = NODE_W;
  const h = NODE_H;
  return (
    `path://M${r},0H${w - r}A${r},${r},0,0,1,${w},${r}V${h - r}A${r},${r},0,0,1,${w - r},${h}` +
    `H${r}A${r},${r},0,0,1,0,${h - r}V${r}A${r},${r},0,0,1,${r},0Z`
  );
})();

const ATTITUDE_LABELS = {
  hostile: 'Hostile',
  sceptical: 'Sceptical',
  neutral: 'Neutral',
  supportive: 'Supportive',
  advocate: 'Advocate',
};

function escapeHtml(value) {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

/** Text safe inside ECharts rich-text markup ({style|text}). */
function richText(value) {
  return String(value ?? '').replace(/[{}]/g, '');
}

function humanise(role) {
  const text = String(role ?? '').replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Nodes -> forest of {node, children}; unknown parents and cycles become roots. */
export function buildForest(nodes) {
  const byId = new Map();
  for (const node of nodes || []) {
    if (node && node.id != null && !byId.has(String(node.id))) {
      byId.set(String(node.id), { node, children: [], parent: null });
    }
  }
  const roots = [];
  for (const [id, entry] of byId) {
    const parentId = entry.node.parent == null ? null : String(entry.node.parent);
    const parent = parentId !== null && parentId !== id ? byId.get(parentId) : undefined;
    if (parent) {
      entry.parent = parent;
      parent.children.push(entry);
    } else {
      roots.push(entry);
    }
  }
  const reached = new Set();
  const reach = (entry) => {
    const stack = [entry];
    while (stack.length) {
      const current = stack.pop();
      reached.add(current);
      stack.push(...current.children);
    }
  };
  roots.forEach(reach);
  // Whatever is still unreached sits on a cycle (a reports to b reports to a): cut it there.
  for (const entry of byId.values()) {
    if (reached.has(entry)) continue;
    entry.parent.children = entry.parent.children.filter((child) => child !== entry);
    entry.parent = null;
    roots.push(entry);
    reach(entry);
  }
  return roots;
}

/** Depth (levels below the invisible root) and a safe upper bound of the width in columns. */
function measure(roots) {
  let depth = 0;
  const leaves = [];
  const walk = (entry, level, parent) => {
    depth = Math.max(depth, level);
    if (!entry.children.length) leaves.push(parent);
    entry.children.forEach((child) => walk(child, level + 1, entry));
  };
  roots.forEach((root) => walk(root, 1, null));
  // ECharts' tidy tree puts siblings one unit apart and cousins two.
  let units = leaves.length > 1 ? 0 : 2;
  for (let i = 1; i < leaves.length; i++) units += leaves[i] === leaves[i - 1] ? 1 : 2;
  if (leaves.length > 1) units += leaves[0] === leaves[leaves.length - 1] ? 1 : 2;
  return { depth, units };
}

function influenceHtml(value) {
  const filled = Math.max(0, Math.min(5, Number(value) || 0));
  let dots = '';
  for (let i = 1; i <= 5; i++) dots += `<span class="dot${i <= filled ? ' filled' : ''}"></span>`;
  return `<span class="influence-dots" aria-label="Influence ${filled} of 5">${dots}</span>`;
}

function tooltipHtml(node, roleLabels) {
  if (node.gap) {
    return `<div class="org-tip"><div class="org-tip-gap"><i class="bi bi-exclamation-triangle"></i> ${escapeHtml(node.name)}</div></div>`;
  }
  const roles = (node.roles && node.roles.length ? node.roles : [node.primary_role])
    .filter(Boolean)
    .map((role) => `<span class="role-chip role-${escapeHtml(role)}">${escapeHtml(roleLabels[role] || humanise(role))}</span>`)
    .join('');
  const subtitle = [node.title, node.unit].filter(Boolean).map(escapeHtml).join(' · ');
  const attitude = attitudeName(node.attitude);
  return (
    '<div class="org-tip">' +
    `<div class="org-tip-name">${escapeHtml(node.name)}</div>` +
    (subtitle ? `<div class="org-tip-title">${subtitle}</div>` : '') +
    (roles ? `<div class="org-tip-roles">${roles}</div>` : '') +
    '<dl class="org-tip-facts">' +
    `<dt>Influence</dt><dd>${influenceHtml(node.influence)}</dd>` +
    `<dt>Attitude</dt><dd><span class="attitude-${attitude}">${ATTITUDE_LABELS[attitude]}</span></dd>` +
    '</dl></div>'
  );
}

/**
 * How much a node shows at a zoom: 3 = name, title on up to two lines and role; 2 = name
 * and role; 1 = the name; 0 = nothing (the card alone, its tooltip says who it is).
 */
function detailAt(zoom) {
  if (zoom >= FIT_MIN_ZOOM - 0.001) return 3;
  if (zoom >= 0.6) return 2;
  if (zoom >= 0.42) return 1;
  return 0;
}

/** Rich-text styles sized for the zoom, never under MIN_FONT; roles coloured ("r_<role>"). */
function labelOption(zoom, colours) {
  const px = (size, floor) => Math.max(floor, Math.round(size * zoom * 2) / 2);
  const rich = {
    name: { fontSize: px(13, MIN_FONT + 1), lineHeight: px(18, 16), fontWeight: 600, color: '#0f172a' },
    title: { fontSize: px(11.5, MIN_FONT), lineHeight: px(15, 14), color: '#475569' },
    gap: { fontSize: px(12, MIN_FONT), lineHeight: px(16, 14), color: '#64748b', fontStyle: 'italic' },
  };
  for (const [role, colour] of Object.entries(colours)) {
    rich[`r_${role}`] = { fontSize: px(11.5, MIN_FONT), lineHeight: px(16, 14), fontWeight: 600, color: colour };
  }
  return {
    show: detailAt(zoom) > 0,
    position: 'inside',
    align: 'center',
    verticalAlign: 'middle',
    width: Math.max(24, (NODE_W - 20) * zoom),
    overflow: 'truncate',
    ellipsis: '…',
    rich,
  };
}

/**
 * Words onto at most `count` lines of about `size` characters; the last line ends in an
 * ellipsis when words are left over (the tooltip and the list below show them all).
 */
export function wrapWords(text, size, count) {
  const words = String(text ?? '').split(/\s+/).filter(Boolean);
  const lines = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (next.length <= size || !line) {
      line = next;
      continue;
    }
    if (lines.length === count - 1) {
      line = `${next}`;
      break;
    }
    lines.push(line);
    line = word;
  }
  if (line) lines.push(line);
  const used = lines.join(' ').split(/\s+/).filter(Boolean).length;
  let last = lines.length ? lines[lines.length - 1] : '';
  if (used < words.length || last.length > size) {
    last = last.length > size - 1 ? last.slice(0, size - 1).replace(/[\s,·-]+$/, '') : last;
    lines[lines.length - 1] = `${last}…`;
  }
  return lines;
}

function labelText(node, roleLabels, detail, zoom) {
  if (node.gap) return `{gap|${richText(node.name)}}`;
  const lines = [`{name|${richText(node.name)}}`];
  if (detail >= 3) {
    // About as many characters as the card holds at the title's size (at least 11 px).
    const fontSize = Math.max(MIN_FONT, 11.5 * zoom);
    const size = Math.max(8, Math.floor(((NODE_W - 20) * zoom) / (fontSize * 0.56)));
    const subtitle = [node.title, node.unit].filter(Boolean).join(' · ');
    const wrapped = subtitle ? wrapWords(subtitle, size, 2) : [' '];
    wrapped.forEach((line) => lines.push(`{title|${richText(line)}}`));
  }
  if (detail >= 2 && node.primary_role) {
    const label = roleLabels[node.primary_role] || humanise(node.primary_role);
    lines.push(`{r_${node.primary_role}|${richText(label)}}`);
  }
  return lines.join('\n');
}

function nodeItem(entry, colour) {
  const node = entry.node;
  const gap = Boolean(node.gap);
  const fill = colour(node);
  return {
    name: node.name,
    value: String(node.id),
    url: gap ? null : node.url || null,
    node,
    cursor: !gap && node.url ? 'pointer' : 'default',
    itemStyle: {
      color: gap ? '#f8fafc' : tint(fill, 0.1),
      borderColor: fill,
      borderWidth: gap ? 1.25 : 1.5,
      borderType: gap ? [4, 3] : 'solid',
      shadowBlur: gap ? 0 : 6,
      shadowOffsetY: gap ? 0 : 2,
      shadowColor: 'rgba(15, 23, 42, 0.08)',
    },
    // A gap's sentence may wrap; everything else is cut to one line each.
    label: gap ? { overflow: 'break' } : undefined,
    children: entry.children.map((child) => nodeItem(child, colour)),
  };
}

function fitZoom(unitWidth, hostWidth) {
  return Math.min(1, Math.max(FIT_MIN_ZOOM, hostWidth / (unitWidth + 2 * PAD_X)));
}

function contentHeight(depth) {
  return 2 * PAD_Y + (depth - 1) * LEVEL_H;
}

/**
 * Where the layout goes (its left/top offset) for the tree to sit centred in the canvas,
 * or to start at the canvas top when taller than it.
 *
 * ECharts zooms about the centre c of all node centres in layout coordinates (the invisible
 * root at level 0 included: level k is at y = k * LEVEL_H), before the offset is added,
 * so a layout point p lands on pixel c + zoom * (p + offset - c).
 */
function placement(depth, unitWidth, hostWidth, height, zoom, facts) {
  const cx = unitWidth / 2;
  const cy = (depth * LEVEL_H) / 2;
  // Too wide to show whole: look at the top of the hierarchy, without running off an edge.
  let focus = cx;
  if (facts && (facts.max - facts.min) * unitWidth * zoom > hostWidth) {
    const half = hostWidth / 2 / zoom - NODE_W / 2 - PAD_X;
    focus = Math.min(Math.max(facts.focus * unitWidth, facts.min * unitWidth + half), facts.max * unitWidth - half);
  }
  const offsetFor = (pixel, point, centre) => (pixel - centre) / zoom - point + centre;
  const top =
    contentHeight(depth) * zoom <= height
      ? offsetFor(height / 2, cy + LEVEL_H / 2, cy) // middle of levels 1..depth to the middle
      : offsetFor(zoom * PAD_Y, LEVEL_H, cy); // level 1 to the top
  return {
    left: offsetFor(hostWidth / 2, focus, cx),
    top,
    width: unitWidth,
    height: depth * LEVEL_H,
  };
}

/**
 * Facts about the layout ECharts made, as fractions of its width (they do not change
 * when only the width does): the smallest distance between neighbours on one level, the
 * extent of all nodes and the first (leftmost) top-level node.
 */
function layoutFacts(chart, width) {
  try {
    const data = chart.getModel().getSeriesByIndex(0).getData();
    const levels = new Map();
    data.each((index) => {
      const depth = data.tree.getNodeByDataIndex(index).depth;
      const layout = data.getItemLayout(index);
      if (!layout || depth < 2) return; // depth 1 is the invisible root
      if (!levels.has(depth)) levels.set(depth, []);
      levels.get(depth).push(layout.x);
    });
    let closest = Infinity;
    let min = Infinity;
    let max = -Infinity;
    for (const xs of levels.values()) {
      xs.sort((a, b) => a - b);
      min = Math.min(min, xs[0]);
      max = Math.max(max, xs[xs.length - 1]);
      for (let i = 1; i < xs.length; i++) closest = Math.min(closest, xs[i] - xs[i - 1]);
    }
    const top = levels.get(2) || [width / 2];
    return {
      closest: closest / width,
      min: min / width,
      max: max / width,
      // The first top-level person: a reader starts at the left, and one organisation's
      // head is its only top-level person anyway.
      focus: top[0] / width,
    };
  } catch {
    return null; // keep the safe estimate, centre the whole tree
  }
}

function legendHtml(legend, usedRoles, hasGaps) {
  const chips = legend
    .filter((item) => item && item.role)
    .map((item) => {
      const muted = usedRoles.has(item.role) ? '' : ' is-absent';
      return `<span class="role-chip role-${escapeHtml(item.role)}${muted}" data-role="${escapeHtml(item.role)}">${escapeHtml(item.label || humanise(item.role))}</span>`;
    });
  if (hasGaps) chips.push('<span class="role-chip role-gap">Role nobody is known to hold</span>');
  return chips.join('');
}

/**
 * Everyone on the chart as a nested list under a disclosure: names, titles and units in
 * full, and roles, for a reader the cards cut short and for screen readers.
 */
function personList(roots, roleLabels) {
  const details = document.createElement('details');
  details.className = 'org-chart-list';
  const summary = document.createElement('summary');
  summary.textContent = 'Everyone on the chart, titles in full';
  details.appendChild(summary);
  const list = document.createElement('ul');
  const add = (entry, parentList) => {
    const item = document.createElement('li');
    const node = entry.node;
    if (node.gap) {
      item.className = 'is-gap';
      item.textContent = node.name;
    } else {
      const name = document.createElement(node.url ? 'a' : 'span');
      name.className = 'org-list-name';
      if (node.url) name.href = node.url;
      name.textContent = node.name;
      item.appendChild(name);
      const subtitle = [node.title, node.unit].filter(Boolean).join(' · ');
      if (subtitle) item.append(` — ${subtitle}`);
      const roles = (node.roles && node.roles.length ? node.roles : [node.primary_role]).filter(Boolean);
      if (roles.length) {
        const chips = document.createElement('span');
        chips.className = 'org-list-roles';
        chips.innerHTML = roles
          .map((role) => `<span class="role-chip role-${escapeHtml(role)}">${escapeHtml(roleLabels[role] || humanise(role))}</span>`)
          .join('');
        item.appendChild(chips);
      }
    }
    if (entry.children.length) {
      const sub = document.createElement('ul');
      entry.children.forEach((child) => add(child, sub));
      item.appendChild(sub);
    }
    parentList.appendChild(item);
  };
  roots.forEach((root) => add(root, list));
  details.appendChild(list);
  return details;
}

function toolbar(legend, usedRoles, hasGaps) {
  const bar = document.createElement('div');
  bar.className = 'org-chart-toolbar';
  bar.innerHTML =
    `<div class="org-chart-legend">${legendHtml(legend, usedRoles, hasGaps)}</div>` +
    '<div class="org-chart-controls btn-group btn-group-sm" role="group" aria-label="Zoom">' +
    '<button type="button" class="btn btn-outline-secondary" data-org-zoom="out" title="Zoom out" aria-label="Zoom out"><i class="bi bi-dash-lg"></i></button>' +
    '<button type="button" class="btn btn-outline-secondary" data-org-zoom="reset" title="Fit to width" aria-label="Fit to width"><i class="bi bi-arrow-counterclockwise"></i></button>' +
    '<button type="button" class="btn btn-outline-secondary" data-org-zoom="in" title="Zoom in" aria-label="Zoom in"><i class="bi bi-plus-lg"></i></button>' +
    '</div>';
  return bar;
}

/**
 * Draw the org chart described by `data` into `host`, replacing its content.
 * Returns {chart, relayout} or null when there is nothing to draw.
 */
export function renderOrgChart(host, data, echarts) {
  const roots = buildForest(data && data.nodes);
  host.replaceChildren();
  host.classList.add('org-chart');
  if (!roots.length) {
    host.innerHTML =
      '<div class="empty-state"><div class="empty-state-icon"><i class="bi bi-diagram-3"></i></div>' +
      '<h3 class="empty-state-title">No contacts mapped yet</h3>' +
      '<p class="empty-state-text">Add contacts and their buying roles to see the buying centre.</p></div>';
    return null;
  }

  const legend = Array.isArray(data.legend) ? data.legend : [];
  const colours = { ...palette.roles };
  const roleLabels = {};
  legend.forEach((item) => {
    if (!item || !item.role) return;
    if (item.color) colours[item.role] = item.color;
    roleLabels[item.role] = item.label;
  });
  const colourOf = (node) => (node.gap ? GAP_COLOR : colours[node.primary_role] || roleColor(node.primary_role));
  const usedRoles = new Set();
  let hasGaps = false;
  let people = 0;
  const visit = (entry) => {
    if (entry.node.gap) {
      hasGaps = true;
    } else {
      people += 1;
      (entry.node.roles || [entry.node.primary_role]).forEach((role) => usedRoles.add(role));
      if (entry.node.primary_role && !colours[entry.node.primary_role]) {
        colours[entry.node.primary_role] = roleColor(entry.node.primary_role);
      }
    }
    entry.children.forEach(visit);
  };
  roots.forEach(visit);

  const canvas = document.createElement('div');
  canvas.className = 'org-chart-canvas';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `Org chart of ${people} ${people === 1 ? 'person' : 'people'}`);
  const hint = document.createElement('div');
  hint.className = 'org-chart-hint';
  hint.textContent =
    'Drag to pan · Ctrl/⌘ + scroll or pinch to zoom · hover a person for the full title, click to open';
  host.append(toolbar(legend, usedRoles, hasGaps), canvas, hint, personList(roots, roleLabels));

  const { depth, units } = measure(roots);
  const children = roots.map((root) => nodeItem(root, colourOf));
  const chart = echarts.init(canvas, 'rapport', { renderer: 'canvas' });
  let detail = 3;
  let zoom = 1;
  let unitWidth = units * COLUMN_W; // a safe over-estimate until measured
  let facts = null;

  const render = (hostWidth, height) => {
    detail = detailAt(zoom);
    const place = placement(depth, unitWidth, hostWidth, height, zoom, facts);
    chart.setOption(
      {
        tooltip: {
          trigger: 'item',
          confine: true,
          formatter: (params) => (params.data && params.data.node ? tooltipHtml(params.data.node, roleLabels) : ''),
        },
        series: [
          {
            id: SERIES_ID,
            type: 'tree',
            data: [
              {
                // The invisible root the forest hangs from.
                name: '',
                value: '',
                symbolSize: 1,
                itemStyle: { opacity: 0 },
                label: { show: false },
                lineStyle: { opacity: 0, width: 0 },
                tooltip: { show: false },
                emphasis: { disabled: true },
                children,
              },
            ],
            orient: 'TB',
            layout: 'orthogonal',
            edgeShape: 'polyline',
            edgeForkPosition: '50%',
            ...place,
            roam: true,
            zoom,
            center: ['50%', '50%'],
            scaleLimit: { min: MIN_ZOOM, max: MAX_ZOOM },
            nodeScaleRatio: 1,
            expandAndCollapse: false,
            initialTreeDepth: -1,
            symbol: CARD_SYMBOL,
            symbolSize: [NODE_W, NODE_H],
            lineStyle: { color: EDGE_COLOR, width: 1.25, curveness: 0 },
            label: {
              ...labelOption(zoom, colours),
              formatter: (params) => (params.data && params.data.node ? labelText(params.data.node, roleLabels, detail, zoom) : ''),
            },
            emphasis: {
              scale: false,
              itemStyle: { borderWidth: 2.25, shadowBlur: 14, shadowOffsetY: 4, shadowColor: 'rgba(15, 23, 42, 0.16)' },
            },
            animation: false,
          },
        ],
      },
      { notMerge: true },
    );
  };

  /** Fit to the width: the first view, the reset button, a resize. */
  const draw = () => {
    const hostWidth = canvas.clientWidth || host.clientWidth || 800;
    const fit = () => {
      zoom = fitZoom(unitWidth, hostWidth);
      const height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(contentHeight(depth) * zoom)));
      canvas.style.height = `${height}px`;
      chart.resize();
      render(hostWidth, height);
    };
    fit();
    if (!facts) {
      // Tighten the width estimate to what ECharts' tidy layout actually needs; fit again.
      facts = layoutFacts(chart, unitWidth) || { closest: Infinity, min: 0, max: 1, focus: 0.5 };
      if (Number.isFinite(facts.closest) && facts.closest > 0) unitWidth = COLUMN_W / facts.closest;
      fit();
    }
  };
  draw();

  // Labels keep their pixel size under roam zoom: re-size them to the new zoom.
  let labelFrame = 0;
  chart.on('treeroam', () => {
    cancelAnimationFrame(labelFrame);
    labelFrame = requestAnimationFrame(() => {
      const series = chart.getOption().series[0];
      const current = series && Number(series.zoom);
      if (!current || Math.abs(current - zoom) < 0.001) return;
      zoom = current;
      detail = detailAt(zoom);
      chart.setOption({ series: [{ id: SERIES_ID, label: labelOption(zoom, colours) }] });
    });
  });

  chart.on('click', (params) => {
    const url = params.data && params.data.url;
    if (!url) return;
    const event = params.event && params.event.event;
    if (event && (event.ctrlKey || event.metaKey)) window.open(url, '_blank', 'noopener');
    else window.location.assign(url);
  });

  const zoomBy = (factor) => {
    const target = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom * factor));
    chart.dispatchAction({
      type: 'treeRoam',
      seriesId: SERIES_ID,
      zoom: target / zoom,
      originX: canvas.clientWidth / 2,
      originY: canvas.clientHeight / 2,
    });
  };
  host.querySelector('.org-chart-controls').addEventListener('click', (event) => {
    const button = event.target.closest('[data-org-zoom]');
    if (!button) return;
    const action = button.getAttribute('data-org-zoom');
    if (action === 'in') zoomBy(ZOOM_STEP);
    else if (action === 'out') zoomBy(1 / ZOOM_STEP);
    else draw();
  });
  // A plain wheel scrolls the page; only Ctrl/⌘ + wheel (and trackpad pinch) reaches ECharts.
  host.addEventListener(
    'wheel',
    (event) => {
      if (!event.ctrlKey && !event.metaKey) event.stopPropagation();
    },
    { capture: true },
  );

  return { chart, relayout: draw };
}
