/**
 * Masking for anything we print that came from a setting: URLs lose their `user:password@` and
 * the values of secret-looking query parameters; secret variables are never shown.
 */

const SECRET_PARAM =
  /(key|token|secret|password|passwd|pwd|auth|signature|sig|credential|session)/i;

/** A URL safe to print: credentials and secret-looking query values replaced by `***`. */
export function maskUrl(value: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return '(not a URL)';
  }
  if (url.username) url.username = '***';
  if (url.password) url.password = '***';
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  return url.href.replaceAll('%2A%2A%2A', '***');
}
