import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * An email as compared: trimmed and lower-cased; with plus addressing on, the `+tag` of the local
 * part dropped (`Jane+roof@example.com` is `jane@example.com`). Null when it is no email at all.
 */
export function normaliseEmail(raw: unknown, plusAddressing: boolean): string | null {
  if (!isKeyText(raw)) return null;
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  if (!plusAddressing) return email;
  const local = email.slice(0, at);
  const plus = local.indexOf('+');
  // `+tag@…` alone has no local part left to compare: kept whole rather than matching every tag.
  return plus > 0 ? `${local.slice(0, plus)}${email.slice(at)}` : email;
}

/**
 * A phone number in E.164 (`+14155550100`), read with `country` for numbers written without a
 * country code. Null when it is not a valid number: an invalid number must never link two people.
 */
export function normalisePhone(raw: unknown, country: CountryCode): string | null {
  if (!isKeyText(raw) || raw.trim() === '') return null;
  const parsed = parsePhoneNumberFromString(raw, country);
  return parsed?.isValid() ? parsed.number : null;
}

/** A reference as compared: trimmed text (numbers too, as providers send them either way). */
export function normaliseReference(raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (!isKeyText(raw)) return null;
  const reference = raw.trim();
  return reference === '' ? null : reference;
}

/** Text a key can be made of: a key is stored as Postgres text, which cannot hold \u0000. */
function isKeyText(raw: unknown): raw is string {
  return typeof raw === 'string' && !raw.includes('\u0000');
}
