import type { ComponentKind, Factory } from './contracts.js';

/** The factories the bridge knows, by kind and type. Built-ins are registered explicitly. */
export class Registry {
  private readonly factories = new Map<string, Factory>();

  register(factory: Factory): void {
    const key = `${factory.kind}:${factory.type}`;
    if (this.factories.has(key)) throw new Error(`${factory.kind} type "${factory.type}" is registered twice`);
    this.factories.set(key, factory);
  }

  get(kind: ComponentKind, type: string): Factory | undefined {
    return this.factories.get(`${kind}:${type}`);
  }

  /** A new registry with the same factories (to extend with plugins). */
  copy(): Registry {
    const r = new Registry();
    for (const f of this.factories.values()) r.register(f);
    return r;
  }

  list(kind?: ComponentKind): Factory[] {
    return [...this.factories.values()].filter((f) => !kind || f.kind === kind);
  }
}

/** Splits a component id `type[/name]` into its parts. */
export function parseComponentId(id: string): { type: string; name: string } | undefined {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? '' : id.slice(slash + 1);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(type)) return undefined;
  if (slash >= 0 && (name === '' || /\s/.test(name))) return undefined;
  return { type, name };
}
