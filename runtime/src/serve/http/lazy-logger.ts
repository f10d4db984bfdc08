/**
 * Fastify makes a pino child logger for every request (the request id bound) before the route runs; pino's child()
 * copies bindings and serialisers and rebuilds its level methods, which costs more than a tiny model's inference,
 * while a request that succeeds logs nothing (request logging is off, app.ts). This child is made on first use: a
 * request that logs gets the same child, with the same bindings and options, as it would have got at once.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from "fastify";
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from "pino";

type ChildFactory = NonNullable<FastifyServerOptions["childLoggerFactory"]>;

export class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The child, made now if it was not yet. */
  get real(): FastifyBaseLogger {
    if (this.made === undefined) this.made = this.parent.child(this.bindings, this.options);
    return this.made;
  }

  /** Whether the child has been made (for tests). */
  get isMade(): boolean {
    return this.made !== undefined;
  }

  get level(): LevelWithSilentOrString {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real.level = level;
  }

  // Methods on the prototype, not arrow fields: nothing is allocated per request but the object itself.
  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(...args: unknown[]): void {
    this.write("silent", args);
  }

  private write(level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent", args: unknown[]): void {
    const real = this.real;
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's childLoggerFactory option: each request's logger is a LazyChildLogger. */
export const lazyChildLoggerFactory: ChildFactory = function (this: FastifyInstance, logger, bindings, options) {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
};
