// A windowed grid of equal tiles (the devices view, issue 11): of hundreds of tiles only the rows
// that can be seen — in the grid's own scroll box, or in the window when the grid does not scroll
// — plus OVERSCAN_ROWS above and below are in the DOM. Every rendered tile is placed in its own row
// and column of a grid that has a track for every row (grid-template-rows), so the grid is as tall
// as with every tile in it: the scrollbar is right and a tile drawn late lands where it belongs.
//
// The columns are those of `repeat(auto-fill, minmax(var(--tile-min), 1fr))` in admin.css: as many
// as fit the grid's width at --tile-min (in px) with the column gap between them. The row height
// is measured on a drawn tile (its natural height, tiles are one size by admin.css), and a track
// is minmax(that, auto) so a taller tile would push its row rather than overlap the next.
//
// Kept in the DOM even when scrolled out: the `pinned` keys (the opened device) and the tile that
// holds the keyboard focus, so the focus is never dropped onto <body>. The keyboard moves between
// tiles as it did when all were there: Tab / Shift+Tab to the next / previous tile, and the arrow
// keys (a row up or down, a tile left or right), Home / End, Page Up / Page Down; a tile not drawn
// yet is drawn, scrolled into view and focused. Each tile says where it is for screen readers:
// aria-setsize (all of them) and aria-posinset (its place, from 1).
//
//   const grid = useTileWindow({ items, keyOf, keyAttr: 'device', pinned: [selectedId], layoutKey });
//   <ul ref={grid.ref} style={grid.style} onKeyDown={grid.onKeyDown} onFocusIn={…} onFocusOut={…}>
//     {grid.indices.map((i) => <li data-device={keyOf(items[i])} {...grid.itemProps(i)}>…</li>)}
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

export const OVERSCAN_ROWS = 2;

const FALLBACK_MIN = 220; // px: admin.css's --tile-min, for the first guess and if it cannot be read
const px = (v) => {
  const n = parseFloat(v);
  return Number.isFinite(n) ? n : 0;
};

// How many columns `repeat(auto-fill, minmax(min, 1fr))` makes in `width` with `gap` between them.
export function gridColumns(width, min, gap) {
  return Math.max(1, Math.floor((width + gap) / (min + gap)));
}

// Rows [first, last) to draw for the part [top, bottom) of the grid's content box that can be seen
// (px from the top of row 0; either may lie outside the grid), of `rows` rows `pitch` apart.
export function rowRange(top, bottom, pitch, rows, overscan = OVERSCAN_ROWS) {
  if (rows <= 0) return [0, 0];
  let first = Math.max(0, Math.floor(top / pitch) - overscan);
  let last = Math.min(rows, Math.ceil(bottom / pitch) + overscan);
  // Nothing of the grid in view (scrolled past it, or it is further down): keep the rows nearest
  // the view drawn, so the grid is not an empty box the moment it comes back.
  if (last <= first) {
    if (bottom <= 0) [first, last] = [0, Math.min(rows, overscan + 1)];
    else [first, last] = [Math.max(0, rows - overscan - 1), rows];
  }
  return [first, last];
}

// Before the grid is in the DOM: a guess from the window (the page is at most 1400 px wide with 1 rem
// padding, see base.css; admin.css's --tile-min and --tile-gap, not read here: getComputedStyle would
// make the browser work out the styles in the middle of the first render), corrected by the layout
// effect before the first paint.
function initialGeometry() {
  const gap = 12;
  const width = Math.min(window.innerWidth || 1024, 1400) - 32; // (clientWidth would force a layout)
  const cols = gridColumns(width, FALLBACK_MIN, gap);
  const colWidth = (width - gap * (cols - 1)) / cols;
  const rowH = Math.round((colWidth * 9) / 16 + 80);
  const seen = Math.ceil((window.innerHeight || 800) / (rowH + gap));
  return { cols, rowH, gap, first: 0, last: seen + OVERSCAN_ROWS };
}

const same = (a, b) => a.cols === b.cols && a.rowH === b.rowH && a.gap === b.gap && a.first === b.first && a.last === b.last;

export function useTileWindow({ items, keyOf, keyAttr, pinned = [], layoutKey, overscan = OVERSCAN_ROWS }) {
  const ref = useRef(null);
  const [geo, setGeo] = useState(initialGeometry);
  const geoRef = useRef(geo);
  geoRef.current = geo;
  const [focusKey, setFocusKey] = useState(null); // the tile holding the focus, drawn wherever it is
  const pendingFocus = useRef(null); // a key to focus once its tile is drawn
  const count = items.length;
  const index = useMemo(() => {
    const m = new Map();
    items.forEach((it, i) => m.set(keyOf(it), i));
    return m;
  }, [items]);

  // Reads the grid's box and the view, and draws other rows if they changed.
  const latest = useRef(null);
  latest.current = { count, overscan };
  const measure = () => {
    const ul = ref.current;
    if (!ul || !ul.isConnected) return;
    const { count, overscan } = latest.current;
    const cs = getComputedStyle(ul);
    const min = px(cs.getPropertyValue('--tile-min')) || FALLBACK_MIN;
    const gap = px(cs.rowGap);
    const padTop = px(cs.paddingTop);
    const width = ul.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    const cols = gridColumns(width, min, px(cs.columnGap));
    // The natural height of a drawn tile: its link's, plus the tile's border (not one lit up as a
    // drop target, whose border is thicker).
    const tile = ul.querySelector(':scope > li:not(.drop)');
    const inner = tile?.firstElementChild;
    const rowH = inner ? Math.ceil(inner.offsetHeight + 2 * tile.clientTop) : geoRef.current.rowH;
    const rows = Math.ceil(count / cols);
    // The part of the grid's content in view: the window, cut to the grid's own box when it scrolls.
    const box = ul.getBoundingClientRect();
    const contentTop = box.top + ul.clientTop + padTop - ul.scrollTop;
    let top = 0;
    let bottom = document.documentElement.clientHeight || window.innerHeight;
    if (/(auto|scroll)/.test(cs.overflowY) && ul.scrollHeight > ul.clientHeight) {
      top = Math.max(top, box.top + ul.clientTop);
      bottom = Math.min(bottom, box.top + ul.clientTop + ul.clientHeight);
    }
    const [first, last] = rowRange(top - contentTop, bottom - contentTop, rowH + gap, rows, overscan);
    const next = { cols, rowH, gap, first, last };
    if (!same(geoRef.current, next)) {
      geoRef.current = next;
      setGeo(next);
    }
  };

  // Scrolling (the window or the grid's box) and resizing redraw, at most once a frame.
  useEffect(() => {
    const ul = ref.current;
    let frame = 0;
    const soon = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), measure()));
    };
    window.addEventListener('scroll', soon, { passive: true });
    window.addEventListener('resize', soon, { passive: true });
    ul.addEventListener('scroll', soon, { passive: true });
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(soon) : null;
    ro?.observe(ul);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', soon);
      window.removeEventListener('resize', soon);
      ul.removeEventListener('scroll', soon);
      ro?.disconnect();
    };
  }, []);

  // After a render that may have moved things (the first one, other items, the box changed its
  // layout), correct the guess before the browser paints.
  useLayoutEffect(measure, [count, layoutKey]);

  // A tile asked for by the keyboard: once drawn, into view and focused.
  useLayoutEffect(() => {
    const key = pendingFocus.current;
    if (key == null) return;
    const el = ref.current?.querySelector(`:scope > [data-${keyAttr}="${CSS.escape(key)}"]`);
    if (!el) return;
    pendingFocus.current = null;
    focusTile(el);
  });

  const cols = geo.cols;
  const rows = Math.ceil(count / cols);
  const first = Math.min(geo.first, rows);
  const last = Math.min(Math.max(geo.last, first), rows);
  const indices = [];
  for (let i = first * cols, end = Math.min(count, last * cols); i < end; i++) indices.push(i);
  const extra = new Set();
  for (const k of [...pinned, focusKey, pendingFocus.current]) {
    const i = k == null ? undefined : index.get(k);
    if (i !== undefined && (i < first * cols || i >= last * cols)) extra.add(i);
  }
  if (extra.size) {
    indices.push(...extra);
    indices.sort((a, b) => a - b); // the DOM in the tiles' order: Tab and screen readers follow it
  }

  const keyOfTarget = (target) => {
    const li = target?.closest?.(`[data-${keyAttr}]`);
    return li && ref.current?.contains(li) ? li.dataset[keyAttr] : null;
  };

  const moveTo = (i) => {
    const key = keyOf(items[i]);
    const el = ref.current?.querySelector(`:scope > [data-${keyAttr}="${CSS.escape(key)}"]`);
    if (el) return focusTile(el);
    pendingFocus.current = key; // drawn by the next render (pinned above), focused by the effect
    setFocusKey(key);
  };

  const onKeyDown = (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const key = keyOfTarget(e.target);
    if (key == null) return;
    // Only from the tile itself (its link), not from a control a tile might hold one day.
    if (e.target !== e.target.closest(`[data-${keyAttr}]`)?.firstElementChild) return;
    const i = index.get(key);
    if (i === undefined) return;
    const page = Math.max(1, last - first - 2 * overscan) * cols;
    let j;
    if (e.shiftKey && e.key !== 'Tab') return;
    switch (e.key) {
      case 'Tab': j = e.shiftKey ? i - 1 : i + 1; break;
      case 'ArrowRight': j = i + 1; break;
      case 'ArrowLeft': j = i - 1; break;
      case 'ArrowDown': j = i + cols < count ? i + cols : Math.floor(i / cols) < rows - 1 ? count - 1 : i; break;
      case 'ArrowUp': j = i - cols; break;
      case 'PageDown': j = Math.min(count - 1, i + page); break;
      case 'PageUp': j = Math.max(0, i - page); break;
      case 'Home': j = 0; break;
      case 'End': j = count - 1; break;
      default: return;
    }
    if (j < 0 || j >= count || j === i) return; // Tab past either end leaves the grid as usual
    e.preventDefault();
    moveTo(j);
  };

  const onFocusIn = (e) => {
    const key = keyOfTarget(e.target);
    if (key != null && key !== focusKey) setFocusKey(key);
  };
  const onFocusOut = (e) => {
    if (!ref.current?.contains(e.relatedTarget) && pendingFocus.current == null) setFocusKey(null);
  };

  return {
    ref,
    indices,
    cols,
    rows,
    style: { gridTemplateRows: rows ? `repeat(${rows}, minmax(${geo.rowH}px, auto))` : '' },
    itemProps: (i) => ({
      'aria-setsize': count,
      'aria-posinset': i + 1,
      style: { gridRow: String(Math.floor(i / cols) + 1), gridColumn: String((i % cols) + 1) },
    }),
    onKeyDown,
    onFocusIn,
    onFocusOut,
  };
}

// The tile's link: scrolled into view (the least scrolling that shows it), then focused.
function focusTile(li) {
  const target = li.firstElementChild ?? li;
  li.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  target.focus({ preventScroll: true });
}
