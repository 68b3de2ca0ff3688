import { eventDefinition } from '../../functions/event/definition';
import { eventRoutes } from '../../functions/shared/event-definition';
import type { LocalPipeline } from './index';

/**
 * Console output of `npm start`: log lines scroll, and on a terminal one status line stays at the bottom,
 * redrawn in place. Without a terminal (a pipe, CI) the status is printed as ordinary lines.
 */
export class StatusConsole {
  private statusLine = '';
  private readonly write: (text: string) => boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.write = out.write.bind(out) as (text: string) => boolean;
    if (this.interactive) this.keepStatusLineBelowOtherOutput();
  }

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  /** Prints a line above the status line. */
  line(text: string): void {
    if (!this.interactive) {
      this.write(`${text}\n`);
      return;
    }
    this.write(`\r\x1b[2K${text}\n${this.statusLine}`);
  }

  /** Replaces the status line (terminal) or prints it (otherwise). */
  status(text: string): void {
    if (!this.interactive) {
      this.write(`[status] ${text}\n`);
      return;
    }
    const columns = this.out.columns ?? 200;
    this.statusLine = text.length > columns ? `${text.slice(0, columns - 1)}…` : text;
    this.write(`\r\x1b[2K${this.statusLine}`);
  }

  /** Leaves the status line where it is and moves to a fresh line. */
  finish(): void {
    if (this.interactive && this.statusLine !== '') this.write('\n');
    this.statusLine = '';
  }

  /**
   * Handlers log JSON lines to stdout/stderr as they do in Lambda. On a terminal, their output goes above
   * the status line: clear it first, redraw it after a complete line.
   */
  private keepStatusLineBelowOtherOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      if (!stream.isTTY) continue;
      const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (this.statusLine === '') return original(chunk, ...rest);
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
        const redraw = text.endsWith('\n') ? this.statusLine : '';
        return original(`\r\x1b[2K${text}${redraw}`, ...rest);
      }) as typeof stream.write;
    }
  }
}

/** What `npm start` prints once everything is listening: addresses and a request to try. */
export function welcome(pipeline: LocalPipeline, partitions: number): string {
  const url = pipeline.httpUrl;
  const { noun, idField } = eventDefinition;
  const { collection, item } = eventRoutes(eventDefinition);
  const eventId = `${noun.singular}-0001`;
  // The id travels in the Idempotency-Key header, so the example body leaves the id field out.
  const { [idField]: _id, ...body } = eventDefinition.sample(eventId, 1) as Record<string, unknown>;
  const example = JSON.stringify(body);
  return [
    `Local ${pipeline.names.appName} pipeline is running (data in ${pipeline.dataDir})`,
    '',
    `  HTTP API    ${url}    POST ${collection} · GET ${item}`,
    `  Kafka       ${pipeline.kafkaBrokers.join(',')}    topics ${pipeline.names.topic} (${partitions} partitions), ${pipeline.names.deadLetterTopic}`,
    ...(pipeline.kafkaSecurity
      ? [`              ${pipeline.kafkaSecurity}; ingest and consume hold their roles' policies from lib/`]
      : []),
    `  Ledger      ${pipeline.ledgerEndpoint}    DynamoDB API, table ${pipeline.names.ledgerTable}`,
    `  On failure  ${pipeline.onFailure}`,
    '',
    `Send a ${noun.singular} (the Idempotency-Key makes retries safe), then ask where it is:`,
    '',
    `  curl -i -X POST ${url}${collection} \\`,
    `    -H 'content-type: application/json' -H 'idempotency-key: ${eventId}' \\`,
    `    -d '${example}'`,
    '',
    `  curl -i ${url}${collection}/${eventId}`,
    '',
    'Ctrl-C stops everything; starting again resumes with the data kept.',
    '',
  ].join('\n');
}
