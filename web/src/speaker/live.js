// The speaker panel's Socket.IO control connection (PROTOCOL.md, "Server → control sockets"):
//   players/onlineSnapshot [ids]        → who is online, on every (re)connect
//   player/online / player/offline {device_id}
//   devices/updated                     → lists changed (no detail: reload what is shown)
//   preview/refresh {device_id, state}  → a device's new now-playing state, after any panel's command
// `epoch` counts connections, so views re-read what they show after a reconnect (events sent while
// the connection was down are lost). `playing` holds what preview/refresh (or an ack) said last;
// `seen[id]` counts those updates so a slower REST read never overwrites a newer live state.
import { useEffect, useRef, useState } from 'preact/hooks';
import { connectControl } from '../common/socket.js';

export function useLive(enabled) {
  const [socket, setSocket] = useState(null);
  const [connected, setConnected] = useState(false);
  const [epoch, setEpoch] = useState(0);
  const [online, setOnline] = useState(null); // Set of device ids, null until the first snapshot
  const [playing, setPlaying] = useState({});
  const [version, setVersion] = useState(0);
  const seen = useRef({});

  useEffect(() => {
    if (!enabled) return;
    const s = connectControl();
    s.on('connect', () => {
      setConnected(true);
      setEpoch((e) => e + 1);
    });
    s.on('disconnect', () => setConnected(false));
    s.on('connect_error', () => setConnected(false));
    s.on('players/onlineSnapshot', (ids) => setOnline(new Set(Array.isArray(ids) ? ids : [])));
    s.on('player/online', (p) => p?.device_id && setOnline((o) => new Set(o ?? []).add(p.device_id)));
    s.on('player/offline', (p) =>
      setOnline((o) => {
        const n = new Set(o ?? []);
        n.delete(p?.device_id);
        return n;
      }),
    );
    s.on('devices/updated', () => setVersion((v) => v + 1));
    s.on('preview/refresh', (p) => {
      if (!p?.device_id || !p.state) return;
      seen.current[p.device_id] = (seen.current[p.device_id] ?? 0) + 1;
      setPlaying((m) => ({ ...m, [p.device_id]: p.state }));
    });
    setSocket(s);
    return () => s.close();
  }, [enabled]);

  // An ack's state is as fresh as a preview/refresh: apply it at once.
  const applyState = (deviceId, state) => {
    if (!deviceId || !state) return;
    seen.current[deviceId] = (seen.current[deviceId] ?? 0) + 1;
    setPlaying((m) => ({ ...m, [deviceId]: state }));
  };
  // A REST read of now_playing, started when seen[id] was `mark`: used only if nothing newer came.
  const applyRead = (deviceId, state, mark) => {
    if (!deviceId || !state || (seen.current[deviceId] ?? 0) !== mark) return;
    setPlaying((m) => ({ ...m, [deviceId]: state }));
  };
  const mark = (deviceId) => seen.current[deviceId] ?? 0;

  return { socket, connected, epoch, online, playing, version, applyState, applyRead, mark };
}
