// The YAML a function reads and writes at run time (kubeconfig, clouds.yaml, the operator's kubeconfig Secret,
// Metal3's rendered data). js-yaml rather than `yaml` (which the generators and the CLI keep): a function loads
// its YAML library on every cold start, and js-yaml's evaluates in about a third of the time (each bundled alone on
// the bench machine: +5–8 ms over an empty Node start against +15–20 ms; @kubernetes/client-node reads kubeconfigs
// with it too).
import { dump, loadAll } from 'js-yaml';

/**
 * A document that is not YAML: where and why, and never its text. The parser's own message quotes the lines around
 * the fault cut to a window, which can keep a secret's value while cutting off the key name (`token:`) that log
 * redaction recognises it by; a kubeconfig or clouds.yaml holds credentials on most lines.
 */
export class YamlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlSyntaxError';
  }
}

/**
 * A parser reason with the input it quotes cut out: an alias (`unidentified alias "…"`), a tag (`!<…>`), a tag
 * handle, the characters a tag may not hold. `password: *S3cret` is a plausible slip, and the reason would carry
 * the password with no key name for the log's redaction to recognise.
 */
function withoutQuotedText(reason: string): string {
  return reason
    .replace(/"[^"]*"/g, '"…"')
    .replace(/!<[^>]*>/g, '!<…>')
    .replace(/(such characters):.*$/s, '$1');
}

/** The one document in `text` (null for an empty one); YAML 1.2's core schema, duplicate keys refused. */
export function readYaml(text: string): unknown {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (e) {
    const err = e as { reason?: string; mark?: { line: number; column: number } };
    if (err.reason === undefined) throw e;
    const reason = withoutQuotedText(err.reason);
    throw new YamlSyntaxError(
      err.mark ? `line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${reason}` : reason,
    );
  }
  if (docs.length > 1)
    throw new YamlSyntaxError(`${docs.length} YAML documents where one was expected (--- separates them)`);
  return docs[0] ?? null;
}

/** `value` as one block-style YAML document; strings an older (YAML 1.1) reader would take for another type are quoted. */
export function writeYaml(value: unknown): string {
  return dump(value, { noRefs: true });
}
