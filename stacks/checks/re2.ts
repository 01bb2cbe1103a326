/**
 * Regular expressions in config are read by Prometheus and Alertmanager,
 * which compile them with Go's regexp package: RE2 syntax. JavaScript's
 * RegExp is a different dialect (it accepts lookaheads, backreferences and
 * possessive-looking quantifiers that Go refuses), so config is checked with
 * re2js, a port of RE2 whose parser reports the same errors Go does.
 */
import { RE2JS } from "re2js";

/** Why RE2 refuses `pattern` (Go's wording, e.g. "invalid escape sequence: `\1`"), or undefined. */
export function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^error parsing regexp: /, "");
  }
}
