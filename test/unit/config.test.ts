import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/nexus-config-test' };

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.port).toBe(3000);
    expect(config.lifecycle).toMatchObject({ warningMonths: [15, 16, 17], archiveMonths: 18, minimumNoticeDays: 14 });
    expect(config.manualRetentionDays).toBe(30);
    expect(config.automaticRetentionMonths).toBe(18);
    expect(config.digest).toEqual({ inactiveMonths: 12, schedule: '0 7 * * 1' });
    expect(config.secureCookies).toBe(false);
  });

  it('renames communication topics by code (R25)', () => {
    expect(
      loadConfig({ ...base, COMMUNICATION_TOPIC_NAMES: 'news=Nexus news; training = Courses' }).topicNames,
    ).toEqual({ news: 'Nexus news', training: 'Courses' });
    expect(() => loadConfig({ ...base, COMMUNICATION_TOPIC_NAMES: 'nope=X' })).toThrow(ConfigError);
  });

  it('refuses nonsense with a clear message', () => {
    expect(() => loadConfig({ ...base, PORT: 'abc' })).toThrow('PORT must be a whole number');
    expect(() => loadConfig({ ...base, LIFECYCLE_WARNING_MONTHS: '17,16,15' })).toThrow('ascending');
    expect(() => loadConfig({ ...base, LIFECYCLE_ARCHIVE_MONTHS: '12' })).toThrow('later than the last warning');
    expect(() => loadConfig({ ...base, SECRET_KEY: 'short' })).toThrow('at least 32');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', DATA_DIR: '/tmp/x' })).toThrow('SECRET_KEY is required');
  });

  it('turns on secure cookies for an https address', () => {
    expect(loadConfig({ ...base, BASE_URL: 'https://accounts.example.gov.uk' }).secureCookies).toBe(true);
  });
});
