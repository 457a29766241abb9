// `--bus`: a bus configuration as inline JSON or `@file`, validated with the same zod schema
// `createBus` uses, so a bad value is a usage error naming the field rather than a crash later.
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { BusConfig } from '../../shared/bus/index.ts';

export type BusOption = { ok: true; config: z.output<typeof BusConfig> } | { ok: false; error: string };

export function parseBusOption(value: string, readFile: (path: string) => string = readText): BusOption {
  let text = value.trim();
  if (text.startsWith('@')) {
    const path = text.slice(1);
    try {
      text = readFile(path);
    } catch (e) {
      return { ok: false, error: `cannot read bus config file ${path}: ${(e as Error).message}` };
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `bus config is not JSON (${(e as Error).message}); pass JSON or @file` };
  }
  const parsed = BusConfig.safeParse(raw);
  if (!parsed.success) return { ok: false, error: `invalid bus config: ${z.prettifyError(parsed.error)}` };
  return { ok: true, config: parsed.data };
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
