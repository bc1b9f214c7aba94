// What every admin view reads: {user, can(permission), socket, online (Set of device ids),
// version (bumped when the server says lists changed), connected, playing (device_id → state)}.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const AppContext = createContext(null);
export const useApp = () => useContext(AppContext);
