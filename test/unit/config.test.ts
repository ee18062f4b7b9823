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

  it('validates the job schedules and their time zone, naming the setting', () => {
    expect(loadConfig(base).lifecycle).toMatchObject({ schedule: '0 2 * * *', timezone: 'Europe/London' });
    const custom = loadConfig({
      ...base,
      LIFECYCLE_SCHEDULE: '30 3 * * *',
      DIGEST_SCHEDULE: '0 9 * * FRI',
      LIFECYCLE_TIMEZONE: 'America/New_York',
    });
    expect(custom.lifecycle).toMatchObject({ schedule: '30 3 * * *', timezone: 'America/New_York' });
    expect(custom.digest.schedule).toBe('0 9 * * FRI');

    const refused: [Record<string, string>, RegExp][] = [
      [
        { LIFECYCLE_SCHEDULE: 'every night' },
        /^LIFECYCLE_SCHEDULE must be a cron pattern such as "0 2 \* \* \*"; "every night" is not: /,
      ],
      [{ LIFECYCLE_SCHEDULE: '0 25 * * *' }, /^LIFECYCLE_SCHEDULE must be a cron pattern/],
      [
        { DIGEST_SCHEDULE: '0 7 * * 8' },
        /^DIGEST_SCHEDULE must be a cron pattern such as "0 7 \* \* 1"; "0 7 \* \* 8" is not: /,
      ],
      [{ DIGEST_SCHEDULE: '0 7 * *' }, /^DIGEST_SCHEDULE must be a cron pattern/],
      [
        { LIFECYCLE_TIMEZONE: 'Europe/Atlantis' },
        /^LIFECYCLE_TIMEZONE must be an IANA time zone such as Europe\/London; got "Europe\/Atlantis"$/,
      ],
      [{ LIFECYCLE_TIMEZONE: 'GMT+25' }, /^LIFECYCLE_TIMEZONE must be an IANA time zone/],
    ];
    for (const [env, message] of refused) {
      let error: unknown;
      try {
        loadConfig({ ...base, ...env });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as Error).message, JSON.stringify(env)).toMatch(message);
    }
  });

  it('turns on secure cookies for an https address', () => {
    expect(loadConfig({ ...base, BASE_URL: 'https://accounts.example.gov.uk' }).secureCookies).toBe(true);
  });
});
