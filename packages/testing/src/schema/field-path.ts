// apimachinery's field.Path: how every field error names its place. `spec.egressIPs[3]`, `metadata[name]`
// for a map key; the root is `<nil>` (what a rule on the whole object reports).

type Step = { child: string } | { index: number } | { key: string };

export class FieldPath {
  private constructor(private readonly steps: readonly Step[]) {}

  static readonly root = new FieldPath([]);

  /** A path from kube-openapi's dotted names ("spec.a.b[0]"), which apimachinery keeps as one child. */
  static named(name: string): FieldPath {
    return name === '' ? FieldPath.root : new FieldPath([{ child: name }]);
  }

  child(name: string): FieldPath {
    return new FieldPath([...this.steps, { child: name }]);
  }

  index(index: number): FieldPath {
    return new FieldPath([...this.steps, { index }]);
  }

  key(key: string): FieldPath {
    return new FieldPath([...this.steps, { key }]);
  }

  toString(): string {
    if (this.steps.length === 0) return '<nil>';
    let text = '';
    for (const step of this.steps) {
      if ('child' in step) text += text === '' ? step.child : `.${step.child}`;
      else if ('index' in step) text += `[${step.index}]`;
      else text += `[${step.key}]`;
    }
    return text;
  }
}
