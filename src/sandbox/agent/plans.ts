/**
 * A small deterministic planner and plan executor for `generate-plan` / `multi-agent-plan` and
 * `execute-plan` requests, plus the plan status and cancel routes. A query is split into steps at
 * "then", ";" and sentence ends (one clause becomes research + summarize); each step is executed
 * by the sandbox model on its own prompt.
 */
import { randomUUID } from 'node:crypto';
import type {
  PlanExecutionResponse,
  PlanResponse,
  PlanStep,
  StepResult,
} from '../../client/wire.js';
import { formatGoDuration } from '../http/go-duration.js';
import { generate } from '../model/engine.js';

export type PlanStatus = 'pending' | 'completed' | 'cancelled';

export interface PlanRecord {
  plan: PlanResponse;
  clientId: string;
  status: PlanStatus;
  execution?: PlanExecutionResponse;
  cancelReason?: string;
}

const MAX_PLANS = 1_000;

export class PlanStore {
  readonly #plans = new Map<string, PlanRecord>();

  create(query: string, clientId: string, domain: string, executionMode: string): PlanRecord {
    const planId = `plan_${randomUUID()}`;
    const steps = planSteps(query);
    const plan: PlanResponse = {
      plan_id: planId,
      status: 'pending',
      steps,
      domain,
      complexity: steps.length,
      parallel: executionMode === 'parallel',
      estimated_duration: `${steps.length}s`,
      metadata: { execution_mode: executionMode, planner: 'axonflow-sandbox' },
      success: true,
      version: 1,
    };
    if (this.#plans.size >= MAX_PLANS) {
      const oldest = this.#plans.keys().next().value;
      if (oldest !== undefined) this.#plans.delete(oldest);
    }
    const record: PlanRecord = { plan, clientId, status: 'pending' };
    this.#plans.set(planId, record);
    return record;
  }

  get(planId: string): PlanRecord | undefined {
    return this.#plans.get(planId);
  }

  /** Runs every step once; executing a completed plan again returns the first run's result. */
  execute(record: PlanRecord): PlanExecutionResponse {
    if (record.execution) return record.execution;
    const started = process.hrtime.bigint();
    const stepResults: StepResult[] = record.plan.steps.map(step => {
      const stepStart = process.hrtime.bigint();
      const prompt = String(step.parameters.prompt ?? step.description);
      const gen = generate({
        turns: [{ role: 'user', text: prompt }],
        tools: [],
        toolChoice: { kind: 'none' },
      });
      return {
        step_id: step.id,
        step_name: step.name,
        status: 'completed',
        result: gen.text,
        duration: formatGoDuration(process.hrtime.bigint() - stepStart),
      };
    });
    const last = stepResults.at(-1);
    record.status = 'completed';
    record.plan.status = 'completed';
    record.execution = {
      plan_id: record.plan.plan_id,
      status: 'completed',
      workflow_id: `wf_${record.plan.plan_id.slice(5)}`,
      result: typeof last?.result === 'string' ? last.result : '',
      step_results: stepResults,
      duration: formatGoDuration(process.hrtime.bigint() - started),
      completed_steps: stepResults.length,
      total_steps: record.plan.steps.length,
    };
    return record.execution;
  }

  cancel(record: PlanRecord, reason: string): void {
    record.status = 'cancelled';
    record.plan.status = 'cancelled';
    record.cancelReason = reason;
  }

  /** `GET /api/v1/plan/{id}`: the PlanExecutionResponse shape, whatever state the plan is in. */
  statusOf(record: PlanRecord): PlanExecutionResponse {
    if (record.execution) return record.execution;
    return {
      plan_id: record.plan.plan_id,
      status: record.status,
      step_results: [],
      duration: '0s',
      completed_steps: 0,
      total_steps: record.plan.steps.length,
      ...(record.cancelReason === undefined ? {} : { error: `cancelled: ${record.cancelReason}` }),
    };
  }
}

function planSteps(query: string): PlanStep[] {
  const clauses = query
    .split(/\b(?:and then|then|after that)\b|[;.!?]+/i)
    .map(clause => clause.trim().replace(/^(?:and|,)\s*/i, ''))
    .filter(clause => clause !== '');
  const tasks =
    clauses.length > 1
      ? clauses
      : [`Research: ${query.trim()}`, `Summarize the findings for: ${query.trim()}`];
  return tasks.map((task, i) => {
    const id = `step_${i + 1}`;
    const depends = i === 0 ? [] : [`step_${i}`];
    return {
      id,
      name: task.length > 48 ? `${task.slice(0, 47)}…` : task,
      type: 'llm-call',
      description: task,
      dependencies: depends,
      depends_on: depends,
      agent: 'sandbox-llm',
      parameters: { prompt: task },
      estimated_time: '1s',
    };
  });
}
