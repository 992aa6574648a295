// The /v1 shapes the console reads (functions/agent-api/openapi.json is the reference).

export interface Sla {
  target: string;
  cycle: number;
  started_at: string;
  due_at: string;
  state: 'running' | 'paused' | 'met' | 'warned' | 'breached';
  remaining_ms: number | null;
}

export interface CaseSummary {
  id: string;
  status: string;
  priority: string;
  language: string | null;
  channel: string;
  queue: string;
  customer_id: string;
  assignee: string | null;
  created_at: string;
  updated_at: string;
  sla: Sla[];
  version: number;
  /** Given by newer servers: the customer's handle and the first words of the latest post. */
  handle?: string;
  snippet?: string;
}

export interface Author {
  id: string;
  handle: string;
  name: string | null;
}

export interface Classification {
  language: string | null;
  sentiment: string;
  sentiment_score: number;
  intent: string;
  actionable: boolean;
  spam: boolean;
  urgent: boolean;
  priority: string;
  reasons: string[];
}

export interface Post {
  id: string;
  channel: string;
  account: string;
  direction: 'inbound' | 'outbound';
  text: string;
  author: Author;
  created_at: string;
  private: boolean;
  edited: boolean;
  deleted: boolean;
  classification: Classification | null;
  delivery: unknown;
}

export interface Identity {
  [key: string]: unknown;
}

export interface CaseView extends CaseSummary {
  posts: Post[];
  customer: {
    id: string;
    display_name: string;
    identities: Identity[];
    identifiers: { kind?: string; value?: string; [key: string]: unknown }[];
  } | null;
  history: unknown[];
  previous_cases: CaseSummary[];
  suggestions: { customer_id: string; display_name: string; kind: string; detail: string }[];
}

export interface Alert {
  id: string;
  case_id: string;
  target: string;
  level: string;
  due_at: string;
  fired_at: string;
  late_by_ms: number;
  assignee: string | null;
  queue: string;
  priority: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
}

export interface Agent {
  id: string;
  name: string;
  languages: string[];
  secondary_languages?: string[];
  skills: Record<string, number> | string[];
  regions?: string[];
  channels?: string[];
  capacity: number;
  channel_capacity?: Record<string, number>;
  channel_load?: Record<string, number>;
  presence: string;
  role: string;
  load: number;
}

export interface QueueView {
  queue: string;
  waiting: number;
  oldest_wait_secs: number;
  by_priority: Record<string, number>;
}

export interface MetricRow {
  group: string;
  target: string;
  met: number;
  missed: number;
  running: number;
  attainment: number | null;
}
