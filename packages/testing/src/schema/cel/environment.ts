// The CEL environment CRD rules run in: the standard library of @bufbuild/cel plus the Kubernetes IP and
// CIDR libraries (the only Kubernetes libraries the served CRDs use), and the cost meter.
import { celEnv, parse, plan, type CelResult } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { cidrLibrary } from './cidr-library.js';
import { CostMeter, costFunction, meterExpression } from './cost.js';
import { ipLibrary } from './ip-library.js';
import { netRegistry } from './net-types.js';

export const meter = new CostMeter();

const environment = celEnv({
  registry: netRegistry,
  funcs: [...ipLibrary, ...cidrLibrary, costFunction(meter)],
});

export interface Bindings {
  self: unknown;
  oldSelf?: unknown;
}

export interface CompiledProgram {
  /** Transition rules (those naming oldSelf) run only on update, when an old value exists. */
  readonly usesOldSelf: boolean;
  evaluate(bindings: Bindings): CelResult;
}

/** Parses and plans a rule; throws with the parser's message when the rule is not CEL. */
export function compile(rule: string): CompiledProgram {
  const parsed = parse(rule);
  if (parsed.expr === undefined) throw new Error('empty expression');
  const usesOldSelf = names(parsed.expr, 'oldSelf');
  parsed.expr = meterExpression(parsed.expr);
  const program = plan(environment, parsed);
  return {
    usesOldSelf,
    evaluate: (bindings) => program(bindings as never),
  };
}

function names(expr: Expr, identifier: string): boolean {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      return kind.value.name === identifier;
    case 'selectExpr':
      return kind.value.operand !== undefined && names(kind.value.operand, identifier);
    case 'callExpr':
      return (
        (kind.value.target !== undefined && names(kind.value.target, identifier)) ||
        kind.value.args.some((arg) => names(arg, identifier))
      );
    case 'listExpr':
      return kind.value.elements.some((element) => names(element, identifier));
    case 'structExpr':
      return kind.value.entries.some(
        (entry) =>
          (entry.value !== undefined && names(entry.value, identifier)) ||
          (entry.keyKind.case === 'mapKey' && names(entry.keyKind.value, identifier)),
      );
    case 'comprehensionExpr':
      return [
        kind.value.iterRange,
        kind.value.accuInit,
        kind.value.loopCondition,
        kind.value.loopStep,
        kind.value.result,
      ].some((part) => part !== undefined && names(part, identifier));
    default:
      return false;
  }
}
