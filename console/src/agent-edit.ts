// A supervisor edits an agent's profile (PUT /v1/agents/{id}): languages, skills, capacity.

import { ApiError, get, put } from './api';
import { h, mount, toast } from './dom';
import type { Agent } from './types';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function pairs(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list(s)) {
    const [k, v] = item.split(/[:=]/).map((x) => x.trim());
    if (k) out[k] = v ? Number(v) : 1;
  }
  return out;
}

function text(id: string, label: string, value: string, hint: string): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, type: 'text', value, 'aria-describedby': `${id}-hint` }), h('small', { id: `${id}-hint` }, hint));
}

export async function loadAgentEdit(root: HTMLElement, id: string): Promise<void> {
  mount(root, h('p', { class: 'muted' }, 'Loading the agent…'));
  let agent: Agent | undefined;
  try {
    agent = (await get<{ agents: Agent[] }>('/v1/agents')).body.agents.find((a) => a.id === id);
  } catch (e) {
    mount(root, h('p', { class: 'error' }, e instanceof ApiError ? e.detail : String(e)));
    return;
  }
  if (!agent) {
    mount(root, h('h1', {}, 'No such agent'), h('p', {}, h('a', { href: '#/board' }, 'Back to the board')));
    return;
  }
  const skills = Array.isArray(agent.skills) ? agent.skills.join(', ') : Object.entries(agent.skills).map(([k, v]) => `${k}:${v}`).join(', ');
  const value = (name: string) => (document.getElementById(name) as HTMLInputElement).value;
  const form = h(
    'form',
    {
      class: 'profile',
      'aria-label': `Profile of ${agent.name}`,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const body = {
          name: value('name'),
          languages: list(value('languages')),
          secondary_languages: list(value('secondary')),
          skills: pairs(value('skills')),
          regions: list(value('regions')),
          channels: list(value('channels')),
          capacity: Number(value('capacity')),
          channel_capacity: pairs(value('channel_capacity')),
          role: value('role'),
        };
        try {
          await put(`/v1/agents/${encodeURIComponent(id)}`, body);
          toast(`Profile of ${body.name} saved.`);
          location.hash = '#/board';
        } catch (err) {
          toast(err instanceof ApiError ? err.detail : String(err));
        }
      },
    },
    text('name', 'Name', agent.name, 'as customers see it on replies'),
    text('languages', 'Languages', agent.languages.join(', '), 'primary, comma-separated (en, pt)'),
    text('secondary', 'Secondary languages', (agent.secondary_languages ?? []).join(', '), 'used when routing relaxes'),
    text('skills', 'Skills', skills, 'name or name:level, comma-separated (billing:2, hardware)'),
    text('regions', 'Regions', (agent.regions ?? []).join(', '), 'empty: any region'),
    text('channels', 'Channels', (agent.channels ?? []).join(', '), 'empty: every channel'),
    h('div', { class: 'field' }, h('label', { for: 'capacity' }, 'Capacity'), h('input', { id: 'capacity', type: 'number', min: 0, max: 1000, value: agent.capacity })),
    text('channel_capacity', 'Per-channel capacity', Object.entries(agent.channel_capacity ?? {}).map(([k, v]) => `${k}=${v}`).join(', '), 'e.g. x=2'),
    h('div', { class: 'field' }, h('label', { for: 'role' }, 'Role'), h('select', { id: 'role' }, ['agent', 'supervisor'].map((r) => h('option', { value: r, selected: r === agent.role }, r)))),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save profile'), h('a', { href: '#/board' }, 'Cancel')),
  );
  mount(root, h('h1', {}, `Agent ${agent.name}`), h('p', { class: 'muted' }, `${agent.presence} · load ${agent.load}/${agent.capacity}`), form);
}
