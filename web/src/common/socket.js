// The control panels' Socket.IO connection (PROTOCOL.md, "Control → server" and "Server → control
// sockets"). Authenticates with the in-memory access token on every (re)connect, refreshing it first
// when needed; a superadmin acting in another organisation names it in the CONNECT payload.
import { io } from 'socket.io-client';
import { accessToken, actingOrganization, session } from './api.js';

export function connectControl() {
  const socket = io({
    path: '/socket.io/',
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 10000,
    auth: (cb) => {
      const send = () => {
        const a = { token: accessToken() ?? '' };
        const org = actingOrganization();
        if (org) a.organization_id = org;
        cb(a);
      };
      session().then(send, send);
    },
  });
  // The server ends a control socket whose credential no longer holds (an expired access token, a
  // logout elsewhere, a disabled account: docs/protocol.md). Socket.IO does not reconnect after a
  // server DISCONNECT by itself: reconnect, with the token the silent refresh keeps current; a
  // signed-out user's reconnect is refused (connect_error) and the panel shows it is offline.
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  return socket;
}

// control('control/play', {device_id, file}) → {ok, state} or {ok:false, error}; a timeout or a
// lost connection becomes {ok:false, error:{code:'timeout'}} so every button can show its outcome.
export async function control(socket, event, payload, timeoutMs = 5000) {
  try {
    const answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    return answer ?? { ok: false, error: { code: 'no_answer' } };
  } catch {
    return { ok: false, error: { code: 'timeout' } };
  }
}
