// The sign-in screen: whatever this server offers (Cognito, the development sign-in), and a
// pasted token (`care token --agent ID`).

import { adopt, cognitoStart, devAgents, devSignIn, type ConsoleConfig } from './auth';
import { h, mount } from './dom';

export async function renderSignIn(root: HTMLElement, config: ConsoleConfig, done: () => void, error?: string): Promise<void> {
  const problem = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, error ?? '');
  const token = h('textarea', { id: 'token', rows: 3, 'aria-describedby': 'token-hint', autocomplete: 'off', spellcheck: 'false' });
  const sections: HTMLElement[] = [];
  if (config.cognito) {
    const c = config.cognito;
    sections.push(
      h('section', { 'aria-labelledby': 'cognito-h' }, h('h2', { id: 'cognito-h' }, 'Your company account'),
        h('button', { type: 'button', class: 'primary', onclick: () => void cognitoStart(c) }, 'Sign in with Cognito')),
    );
  }
  if (config.dev_sign_in) {
    const pick = h('div', { class: 'agents', id: 'dev-agents' }, h('p', { class: 'muted' }, 'Loading agents…'));
    sections.push(
      h('section', { 'aria-labelledby': 'dev-h' }, h('h2', { id: 'dev-h' }, 'Development sign-in'),
        h('p', { class: 'muted' }, 'care serve runs with --dev-sign-in: pick who to be. Never on a shared machine.'), pick),
    );
    devAgents()
      .then((agents) =>
        mount(
          pick,
          agents.map((a) =>
            h('button', {
              type: 'button',
              'data-agent': a.id,
              onclick: async () => {
                try {
                  await devSignIn(a.id);
                  done();
                } catch (e) {
                  problem.textContent = e instanceof Error ? e.message : String(e);
                }
              },
            }, `${a.name} (${a.id}${a.supervisor ? ', supervisor' : ''})`),
          ),
        ),
      )
      .catch(() => mount(pick, h('p', { class: 'error' }, 'The development sign-in did not answer.')));
  }
  {
    sections.push(
      h('section', { 'aria-labelledby': 'token-h' }, h('h2', { id: 'token-h' }, 'Sign in with a token'),
        h('form', {
          onsubmit: async (e: Event) => {
            e.preventDefault();
            try {
              await adopt(token.value);
              done();
            } catch (err) {
              problem.textContent = err instanceof Error ? err.message : String(err);
            }
          },
        },
        h('label', { for: 'token' }, 'Token'), token,
        h('small', { id: 'token-hint' }, config.cognito ? 'An access token of this user pool.' : 'Print one with: care token --agent ben (add --supervisor for the board).'),
        h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')))),
    );
  }
  mount(root, h('h1', {}, 'Sign in'), problem, sections);
}
