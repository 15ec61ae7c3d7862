// A real OpenID Connect provider (the npm package oidc-provider) on loopback, for Gatehouse's
// external sign-in tests (tests/web/external_sign_in.rs and the browser journey).
//
//   node provider.mjs '{"client_id":"…","client_secret":"…","redirect_uris":["…"]}'
//
// Listens on 127.0.0.1 on a free port and prints one line, {"issuer":"http://127.0.0.1:PORT"},
// once it serves. Besides the provider's own endpoints (discovery, /auth, /token, /jwks, /me):
//   POST /test/accounts {"sub","email","email_verified","name"}  adds a person who can log in
//   POST /test/rotate                                             signs with a new key from now on
//   GET  /interaction/:uid                                        the login page: an account's sub
//   POST /interaction/:uid/login (login=SUB), /interaction/:uid/abort (the person cancels)
// Everything is kept in memory and ends with the process.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const accounts = new Map();
const keys = [signingKey(1)];
let issuer;
let provider;

function signingKey(n) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `key-${n}`, use: 'sig', alg: 'RS256' };
}

function build() {
  const built = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    async findAccount(ctx, sub) {
      const person = accounts.get(sub);
      return person && { accountId: sub, claims: async () => ({ sub, ...person }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [...keys] },
    cookies: { keys: ['gatehouse-tests-only'] },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: config.id_token_ttl ?? 3600,
      Interaction: 3600,
      Grant: 3600,
      Session: 3600,
    },
  });
  built.on('server_error', (ctx, error) => console.error('provider error:', error));
  return built;
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function send(res, status, type, text) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">Account</label> <input id="login" name="login" autocomplete="off">
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>
</main></body></html>`;
}

async function interaction(req, res, path) {
  const [, , uid, action] = path.split('/');
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') return send(res, 200, 'text/html; charset=utf-8', loginPage(uid));
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const accountId = new URLSearchParams(await body(req)).get('login') ?? '';
  if (!accounts.has(accountId)) {
    return send(res, 200, 'text/html; charset=utf-8', loginPage(uid, 'No such account.'));
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  const result = { login: { accountId }, consent: { grantId } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (path === '/test/accounts' && req.method === 'POST') {
      const person = JSON.parse(await body(req));
      const { sub, ...claims } = person;
      accounts.set(sub, claims);
      return send(res, 204, 'text/plain', '');
    }
    if (path === '/test/rotate' && req.method === 'POST') {
      keys.unshift(signingKey(keys.length + 1));
      provider = build();
      return send(res, 200, 'application/json', JSON.stringify({ kid: keys[0].kid }));
    }
    if (path.startsWith('/interaction/')) return await interaction(req, res, path);
    return provider.callback()(req, res);
  } catch (error) {
    console.error(error);
    return send(res, 500, 'text/plain', String(error));
  }
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = build();
  console.log(JSON.stringify({ issuer }));
});
