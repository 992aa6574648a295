// Sign-in. The session (token, who, role) lives in sessionStorage only: it ends with the tab, and
// nothing else is stored. Three ways in: a pasted token (`care token`), the development sign-in
// of `care serve --dev-sign-in`, and on AWS Cognito's hosted UI with the authorization code
// flow and PKCE (S256), the code exchanged at the user pool's token endpoint.

export interface Session {
  token: string;
  agent_id: string;
  supervisor: boolean;
}

export interface ConsoleConfig {
  dev_sign_in: boolean;
  cognito?: { domain: string; client_id: string };
}

const KEY = 'socialcare.session';
const PKCE = 'socialcare.pkce';

export function session(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return null;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** Asks the API who a token belongs to, and keeps it for this tab. */
export async function adopt(token: string): Promise<Session> {
  const r = await fetch('/v1/me', { headers: { authorization: `Bearer ${token.trim()}` } });
  if (!r.ok) throw new Error(r.status === 401 ? 'That token is not valid (expired, or signed with another secret).' : `HTTP ${r.status}`);
  const me = (await r.json()) as { agent_id: string; supervisor: boolean };
  const s: Session = { token: token.trim(), agent_id: me.agent_id, supervisor: me.supervisor };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const r = await fetch('/console/config.json');
    if (r.ok) return (await r.json()) as ConsoleConfig;
  } catch {
    /* the defaults below */
  }
  return { dev_sign_in: false };
}

export async function devAgents(): Promise<{ id: string; name: string; supervisor: boolean }[]> {
  const r = await fetch('/dev/sign-in');
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return ((await r.json()) as { agents: { id: string; name: string; supervisor: boolean }[] }).agents;
}

export async function devSignIn(agentId: string): Promise<Session> {
  const r = await fetch('/dev/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agent_id: agentId }),
  });
  if (!r.ok) throw new Error(`sign-in refused (HTTP ${r.status})`);
  return adopt(((await r.json()) as { token: string }).token);
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}/console/`;
}

/** PKCE: a random verifier, its SHA-256 as the challenge (RFC 7636, S256). */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

/** Sends the browser to Cognito's hosted sign-in. */
export async function cognitoStart(c: NonNullable<ConsoleConfig['cognito']>): Promise<void> {
  const { verifier, challenge } = await pkcePair();
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: c.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  });
  location.assign(`${c.domain.replace(/\/$/, '')}/oauth2/authorize?${q}`);
}

/** Back from Cognito with `?code=&state=`: exchanges the code (with the verifier) for tokens. */
export async function cognitoFinish(c: NonNullable<ConsoleConfig['cognito']>): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, '', '/console/');
  if (!saved || saved.state !== params.get('state')) throw new Error('The sign-in answer does not match this tab; sign in again.');
  const r = await fetch(`${c.domain.replace(/\/$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: c.client_id,
      code,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  if (!r.ok) throw new Error(`Cognito refused the code (HTTP ${r.status}); sign in again.`);
  const tokens = (await r.json()) as { access_token: string };
  return adopt(tokens.access_token);
}
