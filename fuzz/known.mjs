// Open findings of the fuzzer: defects in src/ that are reported and tracked, so that the suite
// keeps guarding everything else meanwhile. A failing case counts as known only when every one of
// its failures matches the entry (and its mutations match `when`, if given). Known failures are
// listed in every run and fail it with --strict. Remove an entry with the fix it tracks.

export const KNOWN = [];

/** The known finding a failing case matches, or undefined. */
export function knownFinding(target, failure, log) {
  const parts = String(failure).split('; ');
  const mutations = (log ?? []).join('\n');
  return KNOWN.find(
    k =>
      k.targets.includes(target) &&
      (k.when === undefined || k.when.test(mutations)) &&
      parts.every(part => k.failure.test(part)),
  );
}
