import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../errors.js';
import { sendProblem } from '../../pipeline/problem.js';
import { OPENAPI_PATH } from './export-document.js';

/**
 * /__gw/docs: the gateway's OpenAPI document rendered by Swagger UI, served from the installed
 * swagger-ui-dist package (no CDN: the page works offline and loads nothing from elsewhere).
 */
export const DOCS_PATH = '/__gw/docs';
const assetPrefix = `${DOCS_PATH}/`;

/**
 * Everything the page loads comes from here: no inline script or style, no other origin (Swagger
 * UI sets element styles through the DOM, which style-src does not govern). A headless Chromium
 * test renders every operation expanded under this policy and sees no violation.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gw: API reference</title>
<link rel="stylesheet" href="${assetPrefix}swagger-ui.css">
<link rel="icon" type="image/png" href="${assetPrefix}favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assetPrefix}swagger-ui-bundle.js"></script>
<script src="${assetPrefix}init.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on the gateway's document; validatorUrl: null keeps it from calling validator.swagger.io. */
const initScript = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** The files the page may ask for, by name: nothing else of the package is reachable. */
const packageFiles: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const require = createRequire(import.meta.url);
const loaded = new Map<string, Buffer>();

/** Read on first use and kept: the bundle is 1.7 MB, and the same for the life of the process. */
function packageFile(name: string): Buffer {
  let body = loaded.get(name);
  if (!body) {
    const folder = path.dirname(require.resolve('swagger-ui-dist/package.json'));
    body = readFileSync(path.join(folder, name));
    loaded.set(name, body);
  }
  return body;
}

function send(res: ServerResponse, body: Buffer | string, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  res.end(body);
}

export function isDocsPath(requestPath: string): boolean {
  return requestPath === DOCS_PATH || requestPath.startsWith(assetPrefix);
}

/** Answers /__gw/docs (the page) and /__gw/docs/<file> (its assets). */
export function sendDocs(_req: IncomingMessage, res: ServerResponse, requestPath: string): void {
  if (requestPath === DOCS_PATH || requestPath === assetPrefix) {
    send(res, page, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy,
    });
    return;
  }
  const name = requestPath.slice(assetPrefix.length);
  if (name === 'init.js') {
    send(res, initScript, { 'content-type': 'text/javascript; charset=utf-8' });
    return;
  }
  const type = Object.hasOwn(packageFiles, name) ? packageFiles[name] : undefined;
  if (type === undefined) {
    sendProblem(
      res,
      new GatewayError('GW_ROUTE_NOT_FOUND', `No file ${requestPath} in the API reference`, {
        hint: `Open ${DOCS_PATH}`,
      }),
    );
    return;
  }
  send(res, packageFile(name), { 'content-type': type });
}
