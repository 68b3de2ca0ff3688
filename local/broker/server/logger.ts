/** What the broker logs through: a structured logger (Powertools' Logger fits this shape). */
export interface BrokerLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

function line(level: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ level, message, ...details }, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** One JSON line per event on stderr; `info` only when `verbose`. */
export function consoleLogger(verbose = false): BrokerLogger {
  return {
    info: (message, details) => {
      if (verbose) process.stderr.write(`${line('info', message, details)}\n`);
    },
    warn: (message, details) => process.stderr.write(`${line('warn', message, details)}\n`),
    error: (message, details) => process.stderr.write(`${line('error', message, details)}\n`),
  };
}

export const silentLogger: BrokerLogger = { info: () => {}, warn: () => {}, error: () => {} };
