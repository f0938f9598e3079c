import { OpsloopError } from '../core/errors';

export interface OptionSpec {
  /** Takes a value (`--file F`) or is a flag (`--json`). */
  readonly type: 'string' | 'boolean';
  /** May be given several times; values collect into an array. */
  readonly multiple?: boolean;
  readonly short?: string;
}

export interface ParsedArgs {
  readonly options: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/**
 * A small, strict parser: unknown options are an error with the option's name, so a typo in a
 * CI script fails loudly instead of being ignored.
 */
export function parseArgs(args: readonly string[], spec: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const options: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) byShort.set(s.short, name);

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg.startsWith('-') && arg.length === 2) {
      name = byShort.get(arg.slice(1));
      if (!name) throw new OpsloopError('invalidInput', `Unknown option ${arg}.`);
    } else {
      positionals.push(arg);
      continue;
    }
    const s = spec[name];
    if (!s) throw new OpsloopError('invalidInput', `Unknown option --${name}.`);
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new OpsloopError('invalidInput', `Option --${name} takes no value.`);
      options[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new OpsloopError('invalidInput', `Option --${name} needs a value.`);
    if (s.multiple) {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else {
      options[name] = value;
    }
  }
  return { options, positionals };
}
