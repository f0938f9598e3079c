/**
 * How each CI runs a script step on a shell, as an argument array (the script itself is a file):
 * - GitLab: before_script + script in one bash with `-e -o pipefail` (stops at the first failing
 *   command), after_script in a second shell; `sh -e` where there is no bash.
 * - GitHub: `shell:` per step; unset means `bash -e {0}`; `bash` means
 *   `bash --noprofile --norc -eo pipefail {0}`; `sh -e {0}`; `pwsh`, `python`, and custom
 *   templates with `{0}` (e.g. `node {0}`).
 * - Azure: `script` and `bash` steps run `bash --noprofile --norc <file>` without `-e`: only the
 *   last command's exit status fails the step.
 * - Jenkins: `sh` runs `sh -xe <file>`, or the interpreter of the script's own `#!` line.
 */
import { OpsloopError } from '../../core/errors';
import type { PipelineFormat, Step } from '../../core/pipeline/model';
import type { ShellFamily } from '../../core/run/scriptRewrite';

export interface ShellCommand {
  readonly file: string;
  /** Arguments, with the script file's path already in place. */
  readonly args: readonly string[];
  /** Extension the script file needs (some interpreters insist). */
  readonly extension: string;
  /** For rewriting `${{ }}` safely. */
  readonly family: ShellFamily;
  /** Text put before the script in its file. */
  readonly prelude: string;
  /**
   * The shell takes the script as `-c TEXT` in place of the file (bash and sh built here): no
   * file to write per step. The text is the pipeline's own code; values still go through the
   * environment only.
   */
  readonly inline?: boolean;
}

export interface ShellSettings {
  /** The bash to use (a machine-scoped setting); default `bash` from PATH. */
  readonly bash?: string;
  /** Whether `bash` can be found; when false, posix fallbacks use `sh`. */
  readonly bashAvailable: boolean;
}

/** Splits a GitHub custom shell template (`bash -e {0}`) into words, honouring simple quotes. */
export function splitTemplate(template: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = pattern.exec(template); m; m = pattern.exec(template)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

function withFile(template: string, file: string, family: ShellFamily, extension: string): Omit<ShellCommand, 'prelude'> {
  const words = splitTemplate(template);
  if (words.length === 0) throw new OpsloopError('invalidInput', `The shell '${template}' is empty.`);
  const hasPlaceholder = words.some((w) => w.includes('{0}'));
  const args = words.slice(1).map((w) => w.replace('{0}', file));
  if (!hasPlaceholder) args.push(file);
  return { file: words[0]!, args, family, extension };
}

function familyOf(executable: string): ShellFamily {
  const base = executable.split('/').pop()!.replace(/\.exe$/, '');
  if (['bash', 'sh', 'dash', 'zsh', 'ksh', 'ash'].includes(base)) return 'posix';
  if (base === 'pwsh' || base === 'powershell') return 'pwsh';
  return 'other';
}

function shebang(script: string): string[] | undefined {
  if (!script.startsWith('#!')) return undefined;
  const line = script.slice(2, script.indexOf('\n') >= 0 ? script.indexOf('\n') : undefined).trim();
  const words = line.split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : undefined;
}

/** The command that runs `step` of a `format` pipeline from the script file `file`. */
export function shellCommand(format: PipelineFormat, step: Step, file: string, settings: ShellSettings): ShellCommand {
  const bash = settings.bash ?? 'bash';
  const posix = (bashArgs: string[], shArgs: string[]): ShellCommand =>
    settings.bashAvailable
      ? { file: bash, args: [...bashArgs, file], extension: '.sh', family: 'posix', prelude: '', inline: true }
      : { file: 'sh', args: [...shArgs, file], extension: '.sh', family: 'posix', prelude: '', inline: true };
  switch (format) {
    case 'gitlab':
      // GitLab's generated script also turns noclobber off; bash's -e -o pipefail stop at the first failure.
      return { ...posix(['--noprofile', '--norc', '-e', '-o', 'pipefail'], ['-e']), prelude: 'set +o noclobber\n' };
    case 'azure':
      return posix(['--noprofile', '--norc'], []);
    case 'jenkins': {
      const interpreter = shebang(step.script ?? '');
      if (interpreter) return { file: interpreter[0]!, args: [...interpreter.slice(1), file], extension: '', family: familyOf(interpreter[0]!), prelude: '' };
      return { file: 'sh', args: ['-xe', file], extension: '.sh', family: 'posix', prelude: '', inline: true };
    }
    case 'github': {
      const shell = step.shell?.trim();
      if (!shell) return settings.bashAvailable ? { file: bash, args: ['-e', file], extension: '.sh', family: 'posix', prelude: '', inline: true } : { file: 'sh', args: ['-e', file], extension: '.sh', family: 'posix', prelude: '', inline: true };
      switch (shell) {
        case 'bash':
          return { file: bash, args: ['--noprofile', '--norc', '-eo', 'pipefail', file], extension: '.sh', family: 'posix', prelude: '', inline: true };
        case 'sh':
          return { file: 'sh', args: ['-e', file], extension: '.sh', family: 'posix', prelude: '', inline: true };
        case 'pwsh':
          return { file: 'pwsh', args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', `. '${file.replace(/'/g, "''")}'`], extension: '.ps1', family: 'pwsh', prelude: "$ErrorActionPreference = 'stop'\n" };
        case 'powershell':
          throw new OpsloopError('unsupported', "shell: powershell is Windows PowerShell; it does not run on this machine. Use pwsh.");
        case 'cmd':
          throw new OpsloopError('unsupported', 'shell: cmd runs only on Windows.');
        case 'python':
          return { ...withFile('python3 {0}', file, 'other', '.py'), prelude: '' };
        default: {
          const words = splitTemplate(shell);
          const ext = words[0] === 'node' ? '.js' : words[0]?.startsWith('python') ? '.py' : '';
          return { ...withFile(shell, file, familyOf(words[0] ?? ''), ext), prelude: '' };
        }
      }
    }
  }
}

const placeholder = '\u0000OPSLOOP_SCRIPT\u0000';
/** Scripts up to this size go inline (`-c`); Linux allows 128 KiB for one argument. */
const maxInlineBytes = 100_000;

/**
 * The command for a step's script: with `-c` when the shell takes it (`scriptFile` undefined), or
 * reading a file named `basePath` + the extension its interpreter needs (`scriptFile` to write).
 */
export function commandForScript(format: PipelineFormat, step: Step, basePath: string, settings: ShellSettings, script?: string): ShellCommand & { readonly scriptFile?: string } {
  const command = shellCommand(format, step, placeholder, settings);
  if (script !== undefined && command.inline && command.args[command.args.length - 1] === placeholder && Buffer.byteLength(command.prelude + script) <= maxInlineBytes) {
    // `$0` names the step in error messages, as the file name would.
    return { ...command, args: [...command.args.slice(0, -1), '-c', command.prelude + script, step.name || 'script'] };
  }
  const scriptFile = basePath + command.extension;
  return { ...command, args: command.args.map((a) => a.split(placeholder).join(scriptFile)), scriptFile };
}
