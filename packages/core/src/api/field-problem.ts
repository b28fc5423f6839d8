/** One problem found in an object, located by a Kubernetes-style field path such as `spec.egressIPs[2]`. */
export interface FieldProblem {
  path: string;
  message: string;
}

export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
