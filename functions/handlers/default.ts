// Route `$default`: anything that matched no route gets an error saying why.
import { explainUnroutable } from '../core/messages.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  throw explainUnroutable(event.body, deps.limits);
});
