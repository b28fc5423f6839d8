// A bound on what one rule may cost, as the apiserver's CEL runtime cost limit bounds it. @bufbuild/cel has
// no cost tracking, so each rule's syntax tree is rewritten before planning: every function call and every
// comprehension range passes through `@cost`, which charges one unit and fails once the limit is reached.
// A failed range stops a comprehension before its first iteration, so an exhausted rule unwinds in at most
// the iterations its already running loops have left, never in nested-loop time.
import { CelScalar, celFunc, type CelFunc } from '@bufbuild/cel';
import { create } from '@bufbuild/protobuf';
import { ExprSchema, type Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

/** k8s.io/apiserver/pkg/apis/cel: PerCallLimit (one rule) and RuntimeCELCostBudget (one object). */
export const PER_CALL_LIMIT = 1_000_000;
export const RUNTIME_COST_BUDGET = 10_000_000;

export const COST_LIMIT_EXCEEDED = 'operation cancelled: actual cost limit exceeded';
const COST_FUNCTION = '@cost';

/** One meter per environment; evaluation is synchronous, so one rule at a time uses it. */
export class CostMeter {
  private used = 0;
  private limit = 0;
  private exceededFlag = false;

  start(limit: number): void {
    this.used = 0;
    this.limit = limit;
    this.exceededFlag = false;
  }

  get cost(): number {
    return this.used;
  }

  get exceeded(): boolean {
    return this.exceededFlag;
  }

  charge(): void {
    this.used++;
    if (this.used > this.limit) this.exceededFlag = true;
    if (this.exceededFlag) throw new Error(COST_LIMIT_EXCEEDED);
  }
}

export function costFunction(meter: CostMeter): CelFunc {
  return celFunc(COST_FUNCTION, [CelScalar.DYN], CelScalar.DYN, (value) => {
    meter.charge();
    return value;
  });
}

function charged(expr: Expr): Expr {
  return create(ExprSchema, {
    id: expr.id,
    exprKind: { case: 'callExpr', value: { function: COST_FUNCTION, args: [expr] } },
  });
}

/** The tree with every call and comprehension range charged; `qualified` targets (ip.isCanonical) kept. */
export function meterExpression(expr: Expr): Expr {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'callExpr': {
      const call = kind.value;
      call.args = call.args.map(meterExpression);
      // `ip` in ip.isCanonical(x) names a function, it is not a value to evaluate.
      if (call.target !== undefined && !isQualifiedName(call.target))
        call.target = meterExpression(call.target);
      return charged(expr);
    }
    case 'selectExpr':
      if (kind.value.operand !== undefined && !isQualifiedName(kind.value.operand))
        kind.value.operand = meterExpression(kind.value.operand);
      return expr;
    case 'listExpr':
      kind.value.elements = kind.value.elements.map(meterExpression);
      return expr;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.value !== undefined) entry.value = meterExpression(entry.value);
        if (entry.keyKind.case === 'mapKey') entry.keyKind.value = meterExpression(entry.keyKind.value);
      }
      return expr;
    case 'comprehensionExpr': {
      const loop = kind.value;
      if (loop.iterRange !== undefined) loop.iterRange = charged(meterExpression(loop.iterRange));
      if (loop.accuInit !== undefined) loop.accuInit = meterExpression(loop.accuInit);
      if (loop.loopCondition !== undefined) loop.loopCondition = meterExpression(loop.loopCondition);
      if (loop.loopStep !== undefined) loop.loopStep = meterExpression(loop.loopStep);
      if (loop.result !== undefined) loop.result = meterExpression(loop.result);
      return expr;
    }
    default:
      return expr;
  }
}

/** An identifier or a chain of selects on one (`a.b`): how a qualified function name is written. */
function isQualifiedName(expr: Expr): boolean {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') return true;
  return (
    kind.case === 'selectExpr' && kind.value.operand !== undefined && isQualifiedName(kind.value.operand)
  );
}
