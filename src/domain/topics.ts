/**
 * Communication topics (R25). Codes are stable; names are configuration (COMMUNICATION_TOPIC_NAMES),
 * so the default names live here and `topicName` applies any override.
 */
export const TOPICS = [
  { code: 'news', defaultName: 'NCER & Nexus News & Updates', recommended: true },
  { code: 'release_notes', defaultName: 'Release notes', recommended: false },
  { code: 'training', defaultName: 'Training and events', recommended: false },
  { code: 'data_collection', defaultName: 'Data collection reminders', recommended: false },
] as const;

export type TopicCode = (typeof TOPICS)[number]['code'];

export function isTopic(value: string): value is TopicCode {
  return TOPICS.some((t) => t.code === value);
}

export function topicName(code: TopicCode, overrides: Readonly<Record<string, string>> = {}): string {
  return overrides[code] ?? TOPICS.find((t) => t.code === code)!.defaultName;
}
