// The browser player, at /player?device=ID and at the original VideoControl's address
// /player-videojs.html?device_id=ID (docs/protocol.md, "Player page addresses"):
//
//   device_id | device   the device to play (required)
//   token                its credential, when the server requires one
//   sound=1 | autoplay=1 play with sound (if the browser refuses, a "tap for sound" button)
//   muted=1              never sound (wins over sound=1)
//   preview=1&file=&type=&page=   show one file (or, without file, the placeholder), looped and
//                        muted, without registering as the device
//   lang=en|ru           the language of the few texts it shows
import './player.css';
import { makeT } from './i18n.js';
import { Player } from './player.js';
import { View } from './view.js';

const params = new URLSearchParams(location.search);
const flag = (name) => params.get(name) === '1';
const t = makeT(params.get('lang'));
document.title = t('player.title');

let storage = null;
try {
  storage = window.localStorage;
} catch {}

const deviceId = (params.get('device_id') ?? params.get('device') ?? '').trim();
const preview = flag('preview');
const view = new View(document.getElementById('app'), {
  t,
  storage,
  preview,
  forceMuted: flag('muted'),
  forceSound: flag('sound') || flag('autoplay'),
});

if (!deviceId) {
  view.idle('player.no_device');
} else {
  const secure = location.protocol === 'https:';
  const sw = 'serviceWorker' in navigator && !preview ? navigator.serviceWorker : null;
  const player = new Player({
    deviceId,
    token: params.get('token') ?? '',
    view,
    wsUrl: `${secure ? 'wss' : 'ws'}://${location.host}/socket.io/?EIO=4&transport=websocket`,
    WebSocket: window.WebSocket,
    fetch: window.fetch.bind(window),
    storage,
    onKeep: sw ? (keep) => tellWorker(sw, { type: 'keep', device: deviceId, ...keep }) : null,
  });
  window.vcPlayer = player; // for a look from the console
  if (preview) {
    const page = Number.parseInt(params.get('page') ?? '', 10);
    player.preview({ file: params.get('file') ?? '', type: params.get('type') ?? '', page });
  } else {
    if (sw) startWorker(sw, player);
    window.addEventListener('online', () => player.channel.kick());
    player.start();
  }
}

// ---- the service worker (offline cache, /player-sw.js) --------------------------------------------
// It controls the player pages only (scope /player, which /player-videojs.html also starts with)
// and keeps their assets, the placeholder and the current content (see sw.js).
let keepLatest = null;

function tellWorker(sw, message) {
  keepLatest = message;
  sw.ready.then((reg) => reg.active?.postMessage(keepLatest)).catch(() => {});
}

function startWorker(sw, player) {
  let controlled = !!sw.controller;
  sw.register('/player-sw.js', { scope: '/player' })
    .then((reg) => {
      // A kiosk never navigates: look for a new version now and then, and when the server is back.
      setInterval(() => reg.update().catch(() => {}), 6 * 3600 * 1000);
      player.onRegistered = () => reg.update().catch(() => {});
    })
    .catch(() => {});
  // A new version took over (the server was updated): reload into it while the server answers;
  // the state comes back with the registration. Not on the first install (nothing to replace).
  sw.addEventListener('controllerchange', () => {
    if (controlled && player.registered) location.reload();
    controlled = true;
  });
}
