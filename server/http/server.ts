import http from 'node:http';
import type { Express } from 'express';

/**
 * An HTTP server for the app whose requests and responses are born with the app's prototypes.
 *
 * Express gives every request and response its app's prototype as it starts handling them
 * (`Object.setPrototypeOf(req, app.request)`). On a live request in Node 20 that gives the object a
 * hidden class of its own each time, with its own descriptor array (≈ 1 KB each, two per request):
 * more garbage per request, more memory per open event stream, and every property access on
 * `req`/`res` meets a new shape. Here the server constructs them as subclasses of Node's, whose
 * prototypes become the app's `request` and `response` (in front of Express's, which they inherit
 * from), so Express's swap finds the prototype in place and changes nothing, and all requests share
 * their shapes. Subclasses rather than functions with a borrowed prototype: a subclass instance gets
 * Node's constructor's in-object layout; a plain function's would spill into a slow dictionary.
 * Decision 033.
 */
export function createAppServer(app: Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as Express['request'];
  app.response = AppResponse.prototype as Express['response'];
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
