/**
 * Where a job's output goes: bytes are decoded per stream (a UTF-8 character split across two
 * chunks stays whole), secrets are masked per stream (also across chunks), then the text goes
 * to the full log on disk (written synchronously, which also throttles a job that prints faster
 * than the disk takes it), to a capped copy in memory, and out as job.output events.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CappedOutput } from '../../core/run/cappedOutput';
import type { SecretMasker } from '../../core/run/secretMasker';

export type OutputStream = 'stdout' | 'stderr' | 'system';

export interface ProcessStreamSink {
  write(chunk: Buffer): void;
  end(): void;
}

export class JobOutput {
  private fd: number | undefined;
  private readonly memory: CappedOutput;
  private bytesWritten = 0;

  constructor(
    readonly logFile: string,
    private readonly masker: SecretMasker,
    capChars: number,
    private readonly emit: (stream: OutputStream, text: string) => void,
  ) {
    try {
      this.fd = openSync(logFile, 'a');
    } catch {
      // The log folder is made once per run; make it here if someone removed it meanwhile.
      mkdirSync(dirname(logFile), { recursive: true });
      this.fd = openSync(logFile, 'a');
    }
    this.memory = new CappedOutput({ maxChars: capChars, logFile });
  }

  /** A line from Opsloop itself (what runs, why a step was skipped, how the job ended). */
  system(text: string): void {
    this.put('system', this.masker.mask(text.endsWith('\n') ? text : `${text}\n`));
  }

  /** A sink for one stream of one process. */
  stream(stream: 'stdout' | 'stderr'): ProcessStreamSink {
    const decoder = new StringDecoder('utf8');
    const masking = this.masker.stream();
    return {
      write: (chunk: Buffer): void => {
        const text = masking.push(decoder.write(chunk));
        if (text) this.put(stream, text);
      },
      end: (): void => {
        const text = masking.push(decoder.end()) + masking.flush();
        if (text) this.put(stream, text);
      },
    };
  }

  /** The output kept in memory: head and tail with a truncation marker when it was long. */
  text(): string {
    return this.memory.text();
  }

  get size(): number {
    return this.bytesWritten;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private put(stream: OutputStream, text: string): void {
    if (this.fd !== undefined) {
      const buffer = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
      this.bytesWritten += buffer.length;
    }
    this.memory.append(text);
    this.emit(stream, text);
  }
}
