import { EventEmitter } from 'node:events';

/**
 * A typed event bus. `Events` maps an event name to its payload type.
 * Listener errors are isolated: one failing subscriber must not stop the others or the emitter.
 */
export class EventBus<Events extends object> {
  private readonly emitter = new EventEmitter();
  private readonly onListenerError: (event: string, err: unknown) => void;

  constructor(onListenerError: (event: string, err: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
    this.onListenerError = onListenerError;
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    const wrapped = (payload: Events[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(event, err);
      }
    };
    this.emitter.on(event, wrapped);
    return () => this.emitter.off(event, wrapped);
  }

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    this.emitter.emit(event, payload);
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }
}
