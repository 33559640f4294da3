/** Long-lived parts do nothing in their constructor; `start` acquires, `stop` releases. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LifecycleLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Starts services in order and stops the started ones in reverse order, so a part is never
 * stopped before the parts that use it. A failing stop is logged and the rest still stop.
 */
export class Lifecycle {
  private readonly started: Service[] = [];

  constructor(
    private readonly services: readonly Service[],
    private readonly log: LifecycleLog,
  ) {}

  async start(): Promise<void> {
    for (const s of this.services) {
      try {
        await s.start();
      } catch (err) {
        this.log.error({ service: s.name, err }, `failed to start ${s.name}`);
        await this.stop();
        throw err;
      }
      this.started.push(s);
    }
  }

  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const s = this.started.pop()!;
      try {
        await s.stop();
      } catch (err) {
        this.log.error({ service: s.name, err }, `failed to stop ${s.name}`);
      }
    }
  }
}
