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
