/**
 * Test-only settings (TEST_DATABASE_URL, KAFKA_BROKERS for a real broker, CI, FC_SEED for the
 * pipeline property's seed). Read in one place.
 */
export function testSetting(
  name: 'TEST_DATABASE_URL' | 'KAFKA_BROKERS' | 'CI' | 'FC_SEED',
): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export const inCi = (): boolean => ['true', '1'].includes(testSetting('CI') ?? '');
